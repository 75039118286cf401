"""Key entries: genkey, csr, sign, import-reply, import-key, export (keytool's key jobs, and
the PEM ones keytool cannot do)."""

from pathlib import Path
from typing import Annotated, Any

import typer

from ..api import PrivateKeyEntry
from ..api.keys import create_request, export_entry, generate_key, import_key, install_reply, load_ca, sign_request
from . import output, passwords
from .options import (
    AllowWeakPassword,
    DestStoreType,
    Force,
    Json,
    KeyPass,
    KeyType,
    LockTimeout,
    Profile,
    StorePass,
    WriteProfile,
)
from .stores import asking_with, passwords_for, write_files

Alias = Annotated[str, typer.Option("--alias", help="The key entry.")]
San = Annotated[list[str] | None, typer.Option(
    "--san", help="A subject alternative name: DNS:name, IP:address, URI:uri or email:address (repeatable).")]
Out = Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.", readable=False)]


# What the API's errors name that output does not yet say as these commands' options.
def _warn(path: Path, message: str) -> None:
    output.warn(f"{path}: {message}")


def _emit(text: bytes, out: Path | None, force: bool, json: bool, schema: str, facts: dict[str, Any]) -> None:
    """A request or certificate (PEM) to stdout, or to `out`; with --json, stdout has `facts`, the file
    written and the one it replaced, and the PEM itself (public: a request, or certificates)."""
    from ..api.outputs import Secrecy
    backups = [] if out is None else write_files([(out, text, Secrecy.PUBLIC)], force)
    if out is not None:
        output.info(f"wrote {out}")
    if json:
        output.print_json({**facts, **_files([out] if out else [], backups), "pem": text.decode()}, schema)
    elif out is None:
        typer.echo(text.decode(), nl=False)


def _files(written: list[Path], backups: list[Path]) -> dict[str, list[str]]:
    """The files a command wrote and the backups of those it replaced, as the JSON outputs name them."""
    return {"files": [str(p) for p in written], "backups": [str(p) for p in backups]}


def genkey_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore (created if missing).", readable=False)],
    alias: Alias,
    cn: Annotated[str, typer.Option("--cn", help="The subject's common name.")],
    san: San = None,
    key_type: Annotated[KeyType, typer.Option(help="The key type.")] = KeyType.ec_p256,
    days: Annotated[int, typer.Option(min=1, help="Validity of the placeholder certificate.")] = 90,
    store_type: DestStoreType = None,
    storepass: StorePass = None,
    allow_weak_password: AllowWeakPassword = False,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
) -> None:
    """Add a new key with a self-signed placeholder certificate (keytool -genkeypair).

    Example:

    \b
        jkstool genkey server.keystore.p12 --alias server --cn api.example.com \\
            --san DNS:api.example.com
    """
    password, key_password = passwords_for(store, storepass, None)
    with asking_with():
        entry = generate_key(store, alias, cn, sans=san or [], key_type=key_type.value, days=days,
                             password=password, key_password=key_password,
                             store_type=store_type.value if store_type else None,
                             profile=profile.value if profile else None, allow_weak=allow_weak_password,
                             lock_timeout=lock_timeout, warn=_warn)
    _report_chain(entry, store, json, "genkey")
    output.info(f"added the key entry '{alias}' ({key_type.value}) to {store}; next: "
                f"jkstool csr {store} --alias {alias} --out {alias}.csr")


def csr_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore.", readable=False)],
    alias: Alias,
    san: San = None,
    out: Out = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    force: Force = False,
    json: Json = False,
) -> None:
    """Write a PKCS#10 request signed by the entry's key, with its subject and SANs (keytool -certreq).

    Example:

    \b
        jkstool csr server.keystore.p12 --alias server --out server.csr
    """
    password, key_password = passwords_for(store, storepass, keypass)
    with asking_with():
        request = create_request(store, alias, sans=san, password=password, key_password=key_password,
                                 warn=_warn)
    _emit(request, out, force, json, "csr", {"store": str(store), "alias": alias})


def sign_command(
    request: Annotated[Path, typer.Argument(metavar="REQUEST", help="The PKCS#10 request (PEM or DER).",
    readable=False)],
    ca_cert: Annotated[Path, typer.Option(help="The issuing CA's certificate, then its issuers (PEM).",
    readable=False)],
    ca_key: Annotated[Path, typer.Option(help="The issuing CA's key (PEM, encrypted or not).", readable=False)],
    profile: Annotated[Profile, typer.Option(help="Decides EKU, key usage and basic constraints.")],
    ca_keypass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --ca-key.")] = None,
    days: Annotated[int, typer.Option(min=1, help="Validity.")] = 397,
    san: San = None,
    out: Out = None,
    force: Force = False,
    json: Json = False,
) -> None:
    """Sign a request as a CA (keytool -gencert); prints the certificate followed by the CA chain.

    Example:

    \b
        jkstool sign server.csr --ca-cert tls/ca/ca.pem --ca-key tls/ca/ca-key.pem \\
            --ca-keypass file:tls/storepass --profile server --out server.pem
    """
    issuer = load_ca(ca_cert, ca_key, password=passwords.ca_keypass(ca_keypass))
    _emit(sign_request(request, issuer, profile.value, days=days, sans=san), out, force, json, "sign",
          {"request": str(request), "profile": profile.value})


def import_reply_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore holding the key.", readable=False)],
    reply: Annotated[Path, typer.Argument(metavar="REPLY",
        help="The CA's reply: PEM, DER or PKCS#7, with or without its chain.", readable=False)],
    alias: Alias,
    ca: Annotated[list[Path] | None, typer.Option(
        "--ca", help="More CA certificates to complete the chain (repeatable).", readable=False)] = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
) -> None:
    """Install a CA's reply on an existing key entry (keytool -importcert of a reply).

    The reply must carry the entry's public key; the chain is completed from the reply, the --ca
    files and the store's trusted entries, up to a root.

    Example:

    \b
        jkstool import-reply server.keystore.p12 server-reply.pem --alias server --ca intermediate.pem
    """
    password, key_password = passwords_for(store, storepass, keypass)
    with asking_with():
        installed = install_reply(store, alias, reply, ca_certificates=ca or [], password=password,
                                  key_password=key_password, profile=profile.value if profile else None,
                                  lock_timeout=lock_timeout, warn=_warn)
    _report_chain(installed, store, json, "import-reply")
    output.info(f"installed the reply on '{alias}' in {store}")


def _report_chain(entry: PrivateKeyEntry, store: Path, json: bool, schema: str) -> None:
    """The key entry a command wrote, certificate by certificate (JSON: the store too)."""
    from ..api.certificates import describe_certificate
    chain = [describe_certificate(c) for c in entry.chain]
    if json:
        output.print_json({"store": str(store), "alias": entry.alias, "certificates": chain}, schema)
    else:
        output.print_table([[n, c["subject"], c["issuer"], c["not_after"]] for n, c in enumerate(chain, 1)],
                           ["#", "subject", "issuer", "not after"], flexible=(1, 2))


def import_key_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore (created if missing).", readable=False)],
    alias: Alias,
    key: Annotated[Path, typer.Option("--key", help="The private key: PEM in PKCS#8, PKCS#1 or SEC1, "
                                                    "encrypted or not.", readable=False)],
    cert: Annotated[Path, typer.Option("--cert", help="Its certificate, or its chain (PEM or DER).", readable=False)],
    src_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of an encrypted --key.")] = None,
    store_type: DestStoreType = None,
    storepass: StorePass = None,
    allow_weak_password: AllowWeakPassword = False,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
) -> None:
    """Make a key entry from a PEM key and its certificate (what keytool cannot do).

    Example:

    \b
        jkstool import-key server.keystore.p12 --alias server --key server.key --cert fullchain.pem
    """
    password, key_password = passwords_for(store, storepass, None)
    key_file_password = passwords.from_option(src_keypass, "--src-keypass") if src_keypass else None
    with asking_with():
        entry = import_key(store, alias, key, cert, key_file_password=key_file_password, password=password,
                           key_password=key_password, store_type=store_type.value if store_type else None,
                           profile=profile.value if profile else None, allow_weak=allow_weak_password,
                           lock_timeout=lock_timeout, warn=_warn)
    _report_chain(entry, store, json, "import-key")
    output.info(f"added the key entry '{alias}' to {store}")


def export_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store.", readable=False)],
    alias: Annotated[str | None, typer.Option(
        "--alias", help="The entry (may be left out when the store has one key entry).")] = None,
    cert: Annotated[Path | None, typer.Option("--cert", help="Write the certificate (PEM) here.",
    readable=False)] = None,
    chain: Annotated[Path | None, typer.Option(
        "--chain", help="Write the whole chain, leaf first (PEM), here.", readable=False)] = None,
    key: Annotated[Path | None, typer.Option(
        "--key", help="Write the private key (PKCS#8 PEM, mode 0600) here.", readable=False)] = None,
    no_encrypt_key: Annotated[bool, typer.Option("--no-encrypt-key",
        help="Write the key unencrypted (still mode 0600), for servers that cannot ask for a password.")] = False,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    force: Force = False,
    json: Json = False,
) -> None:
    """Write an entry's certificate, chain and key as PEM, for nginx, Apache, curl, Go or Python.

    Without --cert, --chain or --key, the chain goes to stdout. The key is encrypted with the store
    password unless --no-encrypt-key.

    Example:

    \b
        jkstool export server.keystore.p12 --chain server-chain.pem --key server-key.pem \\
            --no-encrypt-key
    """
    password, key_password = passwords_for(store, storepass, keypass)
    with asking_with():
        exported = export_entry(store, alias=alias, password=password, key_password=key_password,
                                with_key=key is not None, encrypt_key=not no_encrypt_key, warn=_warn)
    items = exported.files(cert=cert, chain=chain, key=key)
    backups = write_files(items, force)
    if items:
        output.info("wrote " + ", ".join(str(p) for p, _, _ in items)
                    + ("" if not key or no_encrypt_key else f" (the key is encrypted with {store}'s password)"))
    if json:  # the chain, never the key: key material is never in output
        output.print_json({"store": str(store), "alias": exported.alias, **_files([p for p, _, _ in items], backups),
                           "key_encrypted": None if key is None else not no_encrypt_key,
                           "pem": exported.chain.decode()}, "export")
    elif not items:
        typer.echo(exported.chain.decode(), nl=False)
