"""`jkstool list`: what a store holds, as keytool -list shows it and more."""

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Json, PasswordFrom, PasswordMap, StorePass, Verbose, Wide
from .stores import read_store


def list_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store: JKS, JCEKS, PKCS12 or PEM; in a "
                                          "Kubernetes Secret, SOURCE#SECRET/KEY (SOURCE a file, or - for stdin).")],
    storepass: StorePass = None,
    password_map: PasswordMap = None,
    password_from: PasswordFrom = None,
    verbose: Verbose = False,
    wide: Wide = False,
    json: Json = False,
):
    """List a store's entries: alias, kind, subject, issuer, expiry, key, SHA-256.

    Example:

    \b
        jkstool list server.keystore.jks --storepass env:STOREPASS
        jkstool list secret.json#payments-tls/keystore.p12 --password-from payments-pass/password
    """
    from ..pki import inventory
    password = passwords.from_map(password_map, store)  # the map first, as in expiry and verify-pair
    password = password if password is not None else passwords.resolve(storepass)
    if password is None and sys.stdin.isatty() and password_from is None and "#" not in str(store):
        password = _ask(store)
    loaded = read_store(store, password, keys=False, password_from=password_from)
    if loaded.verified is False:
        output.warn(f"{store}: no password given: the store's integrity was not checked")
    if not (json or verbose):
        _table(store, loaded, wide)
        return
    _warn_unusual(store, loaded)
    with output.Progress("reading", len(loaded.store), quiet=json) as progress:
        data = inventory.describe(loaded, details=verbose, progress=progress)
    if json:
        output.print_json(data)
    else:
        for text in _details(data):
            output.line(text)


def _warn_unusual(store: Path, loaded) -> None:
    """A warning for each certificate read leniently or not parsed at all."""
    for entry in loaded.store:
        _warn_entry(store, entry)


def _warn_entry(store: Path, entry, leaf=None) -> None:
    from ..pki import certs
    for number, cert in enumerate(entry.certificates, 1):
        warning = (leaf if number == 1 and leaf is not None else certs.facts(cert)).parse_warning
        if warning:
            output.warn(f"{store}: alias '{entry.alias}': certificate {number}: {warning}")


def _ask(store: Path):
    """keytool's prompt, where Enter skips the integrity check: offered only for a store that can be read
    without a password (not a PKCS12 whose certificates are encrypted)."""
    from .. import api
    from ..errors import JkstoolError, PasswordError
    try:
        api.read_store(store, None, keys=False)
    except PasswordError:
        return passwords.resolve(None, prompt=f"Password of {store}: ")
    except JkstoolError:
        return None  # unreadable in any case: the real read says why
    return passwords.resolve(None, prompt=f"Password of {store} (Enter to skip the integrity check): ",
                             optional=True)


KINDS = {"private-key": "key", "trusted-cert": "trusted", "secret-key": "secret"}


def _table(store: Path, loaded, wide: bool) -> None:
    """One row per entry: the leaf's subject, expiry, key and fingerprint, cut to fit (whole with --wide,
    which adds the issuer). Only what the row shows is worked out: this is the 10,000-certificate path."""
    from ..pki.certs import facts
    from ..pki.inventory import iso
    now = datetime.now(timezone.utc)
    rows = []
    with output.Progress("reading", len(loaded.store)) as progress:
        for done, entry in enumerate(loaded.store, 1):
            progress(done)
            row = [entry.alias, entry.kind if wide else KINDS[entry.kind]]
            if not entry.certificates:  # a secret key, or a private key that came without its certificate
                secret = entry.kind == "secret-key"
                size = len(entry.key) * 8 if secret and entry.key is not None else None
                rows.append([*row, "", *([""] if wide else []), "", "",
                             _key_text(entry.algorithm, size) if secret else "no certificate", ""])
                continue
            leaf = facts(entry.certificates[0])
            if leaf.parse_warning or len(entry.certificates) > 1:
                _warn_entry(store, entry, leaf)
            expiry = iso(leaf.not_after) if wide else leaf.not_after.date().isoformat()
            rows.append([*row, leaf.subject, *([leaf.issuer] if wide else []), expiry,
                         str((leaf.not_after - now).days), _key_text(leaf.key_algorithm, leaf.key_size),
                         leaf.sha256 if wide else leaf.sha256[:16] + "…"])
    output.info(f"{loaded.type} store, {output.count(len(rows), 'entry')}")
    if rows:
        output.print_table(rows, ["alias", "kind", "subject", *(["issuer"] if wide else []), "not after", "days",
                                  "key", "sha256"], wide=wide, flexible=(0, 2, 3) if wide else (0, 2))


def _key_text(algorithm: str | None, size: int | None) -> str:
    if algorithm is None:
        return "(encrypted)"
    return f"{algorithm} {size}" if size and algorithm not in ("Ed25519", "Ed448") else algorithm


def _key(item: dict) -> str:
    return _key_text(item.get("key_algorithm"), item.get("key_size"))


_DETAIL_LABELS = [
    ("serial", "Serial"), ("not_before", "Not before"), ("not_after", "Not after"),
    ("sha256", "SHA-256"), ("signature_algorithm", "Signature"),
    ("subject_alt_names", "Subject alt names"), ("extended_key_usage", "Extended key usage"),
    ("key_usage", "Key usage"), ("basic_constraints", "Basic constraints"),
    ("subject_key_id", "Subject key id"), ("authority_key_id", "Authority key id"),
]


def _details(data: dict) -> list[str]:
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
            lines += [f"Certificate [{number}]:", f"  Subject: {cert['subject']}",
                      f"  Issuer: {cert['issuer']}", f"  Key: {_key(cert)}"]
            for key, label in _DETAIL_LABELS:
                lines.append(f"  {label}: {_detail(cert.get(key))}")
    return lines


def _detail(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(value) or "(empty)"
    if isinstance(value, dict):
        ca = "CA:true" if value["ca"] else "CA:false"
        return ca if value["path_length"] is None else f"{ca}, pathlen:{value['path_length']}"
    return str(value)
