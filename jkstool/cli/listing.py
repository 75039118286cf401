"""`jkstool list`: what a store holds, as keytool -list shows it and more."""

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output, passwords
from .options import Json, PasswordFrom, PasswordMap, StorePass, Verbose, Wide
from .stores import read_store

if TYPE_CHECKING:
    from ..api.inspect import Inventory, Listed


def list_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store: JKS, JCEKS, PKCS12 or PEM; in a "
                                          "Kubernetes Secret, SOURCE#SECRET/KEY (SOURCE a file, or - for stdin).",
                                          readable=False)],
    storepass: StorePass = None,
    password_map: PasswordMap = None,
    password_from: PasswordFrom = None,
    verbose: Verbose = False,
    wide: Wide = False,
    json: Json = False,
) -> None:
    """List a store's entries: alias, kind, subject, issuer, expiry, key, SHA-256.

    Example:

    \b
        jkstool list server.keystore.jks --storepass env:STOREPASS
        jkstool list secret.json#payments-tls/keystore.p12 --password-from payments-pass/password
    """
    from ..api.inspect import inventory
    password = passwords.from_map(password_map, store)  # the map first, as in expiry and verify-pair
    password = password if password is not None else passwords.resolve(storepass)
    if password is None and sys.stdin.isatty() and password_from is None and "#" not in str(store):
        password = _ask(store)
    found = inventory(read_store(store, password, keys=False, password_from=password_from), details=verbose)
    if found.verified is False and password is None and password_from is None:
        output.warn(f"{store}: no password given: the store's integrity was not checked")
    _warn_java(store, found)
    if not (json or verbose):
        _table(store, found, wide)
        return
    for item in found:
        _warn_entry(store, item)
    with output.Progress("reading", len(found), quiet=json) as progress:
        data = found.to_dict(progress)
    if json:
        output.print_json(data, "list")
    else:
        for text in _details(data):
            output.line(text)


def _warn_java(store: Path, found: "Inventory") -> None:
    """One line for each Java release that refuses the store as it is: jkstool reads more than Java does, and
    a listing without a word would pass for Java's."""
    from ..api.inspect import JDKS
    for jdk, why in found.java_refuses:
        output.warn(f"{store}: {JDKS[jdk]} refuses it: {why}")


def _warn_entry(store: Path, item: "Listed") -> None:
    """A warning for each certificate read leniently or not parsed at all."""
    for message in item.warnings():
        output.warn(f"{store}: {message}")


def _ask(store: Path) -> str | None:
    """keytool's prompt, where Enter skips the integrity check: offered only for a store that can be read
    without a password (not a PKCS12 whose certificates are encrypted)."""
    from .. import api
    try:
        api.read_store(store, None, keys=False)
    except api.PasswordError:
        return passwords.resolve(None, prompt=f"Password of {store}: ")
    except api.JkstoolError:
        return None  # unreadable in any case: the real read says why
    return passwords.resolve(None, prompt=f"Password of {store} (Enter to skip the integrity check): ",
                             optional=True)


KINDS = {"private-key": "key", "trusted-cert": "trusted", "secret-key": "secret"}


def _table(store: Path, found: "Inventory", wide: bool) -> None:
    """One row per entry: the leaf's subject, expiry, key and fingerprint, cut to fit (whole with --wide,
    which adds the issuer). Only what the row shows is worked out: this is the 10,000-certificate path."""
    from ..api.certificates import iso
    now = datetime.now(timezone.utc)
    rows = []
    with output.Progress("reading", len(found)) as progress:
        for done, item in enumerate(found, 1):
            progress(done)
            row = [item.alias, item.kind if wide else KINDS[item.kind]]
            leaf = item.leaf
            if leaf is None:  # a secret key, or a private key that came without its certificate
                rows.append([*row, "", *([""] if wide else []), "", "",
                             _key_text(item.key_algorithm, item.key_size) if item.kind == "secret-key"
                             else "no certificate", ""])
                continue
            _warn_entry(store, item)
            expiry = (iso(leaf.not_after) or "") if wide else leaf.not_after.date().isoformat()
            rows.append([*row, leaf.subject, *([leaf.issuer] if wide else []), expiry,
                         str(item.days_left(now)), _key_text(leaf.key_algorithm, leaf.key_size),
                         leaf.sha256 if wide else leaf.sha256[:16] + "…"])
    output.info(f"{found.type} store, {output.count(len(rows), 'entry')}")
    if rows:
        output.print_table(rows, ["alias", "kind", "subject", *(["issuer"] if wide else []), "not after", "days",
                                  "key", "sha256"], wide=wide, flexible=(0, 2, 3) if wide else (0, 2))


def _key_text(algorithm: str | None, size: int | None) -> str:
    if algorithm is None:
        return "(encrypted)"
    return f"{algorithm} {size}" if size and algorithm not in ("Ed25519", "Ed448") else algorithm


def _key(item: dict[str, Any]) -> str:
    return _key_text(item.get("key_algorithm"), item.get("key_size"))


_DETAIL_LABELS = [
    ("serial", "Serial"), ("not_before", "Not before"), ("not_after", "Not after"),
    ("sha256", "SHA-256"), ("signature_algorithm", "Signature"),
    ("subject_alt_names", "Subject alt names"), ("extended_key_usage", "Extended key usage"),
    ("key_usage", "Key usage"), ("basic_constraints", "Basic constraints"),
    ("subject_key_id", "Subject key id"), ("authority_key_id", "Authority key id"),
]


def _details(data: dict[str, Any]) -> list[str]:
    lines = [f"Store type: {data['type']}", f"Entries: {len(data['entries'])}"]
    for entry in data["entries"]:
        lines += ["", f"Alias: {entry['alias']}", f"Kind: {entry['kind']}",
                  f"Created: {entry['created'] or 'unknown'}"]
        certs = entry["certificates"]
        if entry["kind"] == "secret-key":
            lines.append(f"Key: {_key(entry)}")
        elif entry["kind"] == "private-key":
            lines.append(f"Chain length: {len(certs)}")
        for number, cert in enumerate(certs, 1):
            lines += certificate_lines(number, cert)
    return lines


def certificate_lines(number: int, cert: dict[str, Any]) -> list[str]:
    """One certificate (describe_certificate's, with details) as list -v and printcert show it."""
    return [f"Certificate [{number}]:", f"  Subject: {cert['subject']}", f"  Issuer: {cert['issuer']}",
            f"  Key: {_key(cert)}", *(f"  {label}: {_detail(cert.get(key))}" for key, label in _DETAIL_LABELS)]


def _detail(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(value) or "(empty)"
    if isinstance(value, dict):
        ca = "CA:true" if value["ca"] else "CA:false"
        return ca if value["path_length"] is None else f"{ca}, pathlen:{value['path_length']}"
    return str(value)
