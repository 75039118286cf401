"""Key entries: genkey, csr, sign, import-reply, import-key, export (keytool's key jobs, and
the PEM ones keytool cannot do)."""

from pathlib import Path
from typing import Annotated

import typer

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
from .stores import editing, open_store, read_store, write_files

Alias = Annotated[str, typer.Option("--alias", help="The key entry.")]
San = Annotated[list[str] | None, typer.Option(
    "--san", help="A subject alternative name: DNS:name, IP:address, URI:uri or email:address (repeatable).")]
Out = Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")]


def _emit(text: bytes, out: Path | None, force: bool) -> None:
    from .. import files
    if out is None:
        typer.echo(text.decode(), nl=False)
    else:
        write_files([(out, text, files.Secrecy.PUBLIC)], force)
        output.info(f"wrote {out}")


def genkey_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore (created if missing).")],
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
):
    """Add a new key with a self-signed placeholder certificate (keytool -genkeypair).

    Example:

    \b
        jkstool genkey server.keystore.p12 --alias server --cn api.example.com --san DNS:api.example.com
    """
    from datetime import datetime, timezone

    from ..model import PrivateKeyEntry
    from ..pki import issue as pki
    with editing(store, storepass, create=True, store_type=store_type.value if store_type else None,
                 lock_timeout=lock_timeout, allow_weak=allow_weak_password,
                 profile=profile.value if profile else None) as opened:
        opened.claim(alias)
        key = pki.new_key(key_type.value)
        cert = pki.self_signed(key, cn, days, san or [])
        entry = PrivateKeyEntry(alias, pki.pkcs8(key), (pki.der(cert),), datetime.now(timezone.utc))
        opened.store.add(entry)
    _report_chain(entry, json)
    output.info(f"added the key entry '{alias}' ({key_type.value}) to {store}; next: "
                f"jkstool csr {store} --alias {alias} --out {alias}.csr")


def csr_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore.")],
    alias: Alias,
    san: San = None,
    out: Out = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    force: Force = False,
):
    """Write a PKCS#10 request signed by the entry's key, with its subject and SANs (keytool -certreq).

    Example:

    \b
        jkstool csr server.keystore.p12 --alias server --out server.csr
    """
    from cryptography.hazmat.primitives.serialization import Encoding

    from ..pki import certs
    from ..pki import issue as pki
    opened = open_store(store, storepass, keypass)
    entry = opened.key_entry(alias)
    leaf = certs.load(entry.chain[0])
    request = pki.request(pki.load_pkcs8(entry.pkcs8()), leaf.subject, san or pki.sans_of(leaf))
    _emit(request.public_bytes(Encoding.PEM), out, force)


def sign_command(
    request: Annotated[Path, typer.Argument(metavar="REQUEST", help="The PKCS#10 request (PEM or DER).")],
    ca_cert: Annotated[Path, typer.Option(help="The issuing CA's certificate, then its issuers (PEM).")],
    ca_key: Annotated[Path, typer.Option(help="The issuing CA's key (PEM, encrypted or not).")],
    profile: Annotated[Profile, typer.Option(help="Decides EKU, key usage and basic constraints.")],
    ca_keypass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --ca-key.")] = None,
    days: Annotated[int, typer.Option(min=1, help="Validity.")] = 397,
    san: San = None,
    out: Out = None,
    force: Force = False,
):
    """Sign a request as a CA (keytool -gencert); prints the certificate followed by the CA chain.

    Example:

    \b
        jkstool sign server.csr --ca-cert ca/ca.pem --ca-key ca/ca-key.pem --profile server --out server.pem
    """
    from ..formats import certfile
    from ..pki import issue as pki
    issuer = issuer_from(ca_cert, ca_key, ca_keypass)
    csr = certfile.read_request(request)
    cert = pki.sign_request(issuer, csr, profile.value, days, san)
    _emit(pki.cert_pem(cert, *issuer.certificates), out, force)


def issuer_from(ca_cert: Path, ca_key: Path, ca_keypass: str | None):
    """The CA of --ca-cert, --ca-key and --ca-keypass."""
    from ..formats import certfile
    password = passwords.from_option(ca_keypass, "--ca-keypass") if ca_keypass else None
    return certfile.read_issuer(ca_cert, ca_key, password)


def import_reply_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore holding the key.")],
    reply: Annotated[Path, typer.Argument(metavar="REPLY",
        help="The CA's reply: PEM, DER or PKCS#7, with or without its chain.")],
    alias: Alias,
    ca: Annotated[list[Path] | None, typer.Option(
        "--ca", help="More CA certificates to complete the chain (repeatable).")] = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
):
    """Install a CA's reply on an existing key entry (keytool -importcert of a reply).

    The reply must carry the entry's public key; the chain is completed from the reply, the --ca
    files and the store's trusted entries, up to a root.

    Example:

    \b
        jkstool import-reply server.keystore.p12 server-reply.pem --alias server --ca intermediate.pem
    """
    from ..errors import JkstoolError
    from ..formats import certfile
    from ..pki import chains
    with editing(store, storepass, keypass, lock_timeout=lock_timeout,
                 profile=profile.value if profile else None) as opened:
        entry = opened.key_entry(alias)
        reply_certs = certfile.read_certificates(reply)
        pool = [cert for path in ca or [] for cert in certfile.read_certificates(path)]
        pool += [e.cert for e in opened.store.trusted_entries()]
        try:
            installed = chains.install_reply(entry, reply_certs, pool)
        except JkstoolError as e:
            raise e.at(path=reply, alias=alias) from None
        opened.store.put(installed)
    _report_chain(installed, json)
    output.info(f"installed the reply on '{alias}' in {store}")


def _report_chain(entry, json: bool) -> None:
    from ..pki import inventory
    chain = [inventory.describe_certificate(c) for c in entry.chain]
    if json:
        output.print_json({"alias": entry.alias, "certificates": chain})
    else:
        output.print_table([[n, c["subject"], c["issuer"], c["not_after"]] for n, c in enumerate(chain, 1)],
                           ["#", "subject", "issuer", "not after"], flexible=(1, 2))


def import_key_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The keystore (created if missing).")],
    alias: Alias,
    key: Annotated[Path, typer.Option("--key", help="The private key: PEM in PKCS#8, PKCS#1 or SEC1, "
                                                    "encrypted or not.")],
    cert: Annotated[Path, typer.Option("--cert", help="Its certificate, or its chain (PEM or DER).")],
    src_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of an encrypted --key.")] = None,
    store_type: DestStoreType = None,
    storepass: StorePass = None,
    allow_weak_password: AllowWeakPassword = False,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
):
    """Make a key entry from a PEM key and its certificate (what keytool cannot do).

    Example:

    \b
        jkstool import-key server.keystore.p12 --alias server --key server.key --cert fullchain.pem
    """
    from ..errors import JkstoolError
    from ..formats import certfile
    from ..pki import chains
    with editing(store, storepass, create=True, store_type=store_type.value if store_type else None,
                 lock_timeout=lock_timeout, allow_weak=allow_weak_password,
                 profile=profile.value if profile else None) as opened:
        opened.claim(alias)
        password = passwords.from_option(src_keypass, "--src-keypass") if src_keypass else None
        loaded = read_store(key, password)
        keys = loaded.store.key_entries()
        if len(keys) != 1 or keys[0].key is None:
            reason = "is encrypted: give --src-keypass" if keys and keys[0].key is None else \
                "must hold exactly one private key"
            raise JkstoolError(f"the key file {reason}", path=str(key))
        try:
            entry = chains.key_entry(alias, keys[0].key, certfile.read_certificates(cert))
        except JkstoolError as e:
            raise JkstoolError(f"{e.what} in {cert}", e.fix, path=str(key), alias=e.alias) from None
        opened.store.add(entry)
    _report_chain(entry, json)
    output.info(f"added the key entry '{alias}' to {store}")


def export_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store.")],
    alias: Annotated[str | None, typer.Option(
        "--alias", help="The entry (may be left out when the store has one key entry).")] = None,
    cert: Annotated[Path | None, typer.Option("--cert", help="Write the certificate (PEM) here.")] = None,
    chain: Annotated[Path | None, typer.Option(
        "--chain", help="Write the whole chain, leaf first (PEM), here.")] = None,
    key: Annotated[Path | None, typer.Option(
        "--key", help="Write the private key (PKCS#8 PEM, mode 0600) here.")] = None,
    no_encrypt_key: Annotated[bool, typer.Option("--no-encrypt-key",
        help="Write the key unencrypted (still mode 0600), for servers that cannot ask for a password.")] = False,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    force: Force = False,
):
    """Write an entry's certificate, chain and key as PEM, for nginx, Apache, curl, Go or Python.

    Without --cert, --chain or --key, the chain goes to stdout. The key is encrypted with the store
    password unless --no-encrypt-key.

    Example:

    \b
        jkstool export server.keystore.p12 --chain server-chain.pem --key server-key.pem --no-encrypt-key
    """
    from .. import files
    from ..errors import JkstoolError
    from ..formats.pem import key_pem
    from ..pki import certs
    from ..pki import issue as pki
    opened = open_store(store, storepass, keypass)
    entry = _exported_entry(opened, alias)
    chain_pem = pki.cert_pem(*(certs.load(c) for c in entry.certificates))
    if not (cert or chain or key):
        typer.echo(chain_pem.decode(), nl=False)
        return
    items: list[tuple[Path, bytes, files.Secrecy]] = []
    if cert:
        items.append((cert, pki.cert_pem(certs.load(entry.certificates[0])), files.Secrecy.PUBLIC))
    if chain:
        items.append((chain, chain_pem, files.Secrecy.PUBLIC))
    if key:
        if entry.kind != "private-key":
            raise JkstoolError("a trusted certificate has no key", alias=entry.alias, path=str(store))
        if not no_encrypt_key and opened.password is None:
            output.fail("an encrypted key needs a password: give --storepass, or --no-encrypt-key")
        items.append((key, key_pem(entry.pkcs8(), None if no_encrypt_key else opened.password).encode(),
                      files.Secrecy.CLEAR if no_encrypt_key else files.Secrecy.KEYS))
    write_files(items, force)
    output.info("wrote " + ", ".join(str(p) for p, _, _ in items)
                + ("" if not key or no_encrypt_key else f" (the key is encrypted with {store}'s password)"))


def _exported_entry(opened, alias):
    from ..errors import JkstoolError
    if alias is not None:
        return opened.entry(alias)
    keys = opened.store.key_entries()
    if len(keys) != 1:
        raise JkstoolError(f"the store has {len(keys)} key entries", "name one with --alias", path=str(opened.path))
    return keys[0]
