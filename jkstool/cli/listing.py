"""`jkstool list`: what a store holds, as keytool -list shows it and more."""

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Debug, Json, StorePass, Verbose
from .stores import read_store


def list_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store: JKS, JCEKS, PKCS12 or PEM.")],
    storepass: StorePass = None,
    verbose: Verbose = False,
    json: Json = False,
    debug: Debug = False,
):
    """List a store's entries: alias, kind, subject, issuer, expiry, key, SHA-256.

    Example:

        jkstool list server.keystore.jks --storepass env:STOREPASS
    """
    from ..pki import inventory
    password = passwords.resolve(storepass)
    if password is None and sys.stdin.isatty():
        password = _ask(store)
    loaded = read_store(store, password, keys=False)
    if loaded.verified is False:
        output.warn(f"{store}: no password given: the store's integrity was not checked")
    data = inventory.describe(loaded, details=verbose)
    for entry in data["entries"]:
        for number, cert in enumerate(entry["certificates"], 1):
            if "parse_warning" in cert:
                output.warn(f"{store}: alias '{entry['alias']}': certificate {number}: {cert['parse_warning']}")
    if json:
        output.print_json(data)
    elif verbose:
        for text in _details(data):
            output.line(text)
    else:
        _table(data)


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


def _table(data: dict) -> None:
    from ..pki.inventory import days_left
    now = datetime.now(timezone.utc)
    rows = []
    for entry in data["entries"]:
        certs = entry["certificates"]
        if certs:
            leaf = certs[0]
            rows.append([entry["alias"], entry["kind"], leaf["subject"], leaf["issuer"],
                         leaf["not_after"], str(days_left(leaf["not_after"], now)),
                         _key(leaf), leaf["sha256"]])
        else:
            rows.append([entry["alias"], entry["kind"], "", "", "", "", _key(entry), ""])
    output.info(f"{data['type']} store, {len(rows)} entries")
    if rows:
        output.print_table(rows, ["alias", "kind", "subject", "issuer", "not after",
                                  "days left", "key", "sha256"])


def _key(item: dict) -> str:
    algorithm, size = item.get("key_algorithm"), item.get("key_size")
    if algorithm is None:
        return "(encrypted)"
    return f"{algorithm} {size}" if size and algorithm not in ("Ed25519", "Ed448") else algorithm


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
