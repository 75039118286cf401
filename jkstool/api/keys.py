"""Key entries: a new key and its request, a CA's signature and its reply, a PEM key brought in, and an entry
given back as PEM — keytool's key jobs, and the PEM ones keytool cannot do.

The life of a key kept in a store: `generate_key` (keytool -genkeypair), `create_request` (-certreq), the
CA's `sign_request` (-gencert) with a CA opened by `load_ca`, then `install_reply` (-importcert of the
reply). `import_key` makes a key entry of a PEM key and its certificates, and `export_entry` gives an
entry back as PEM, for nginx, Apache, curl, Go or Python.

What reading a store or key file noticed (a key file that others can read, a name that says another
type) goes to `warn(path, message)`, as it is noticed, when one is given.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import JkstoolError, KeyPasswordError, PasswordError
from ..files import Secrecy
from ..model import PrivateKeyEntry
from .stores import StoreEdit, edit_store, open_store, read_store

if TYPE_CHECKING:  # it imports cryptography: the functions import what they need
    from ..pki.issue import Issuer as Issuer

__all__ = ["generate_key", "create_request", "load_ca", "sign_request", "install_reply", "import_key",
           "export_entry", "Export"]

StrPath = str | Path
Warn = Callable[[Path, str], None]
"""Told each thing that reading a file noticed: the file, and the message."""


def generate_key(store: StrPath, alias: str, cn: str, *, sans: Iterable[str] = (), key_type: str = "ec-p256",
                 days: int = 90, password: str | None = None, key_password: str | None = None,
                 store_type: str | None = None, profile: str | None = None, allow_weak: bool = False,
                 lock_timeout: float = 30, warn: Warn | None = None) -> PrivateKeyEntry:
    """Add a new key to `store` (created when missing) with a self-signed placeholder certificate for `cn`
    and `sans`, valid `days` (keytool -genkeypair): what a CA's reply replaces once `create_request` has
    asked for it.

    `key_type` is ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096 or ed25519.
    A new store is written as `store_type` says (default: from the
    extension), with its password checked as any new one is unless
    `allow_weak`; `profile` is as for `write_store`. An existing store's keys
    that have a password of their own open with `key_password`. Returns the
    entry.

    >>> import tempfile
    >>> store = Path(tempfile.mkdtemp()) / "server.p12"
    >>> entry = generate_key(store, "server", "api.example.com", sans=["DNS:api.example.com"], password="changeit")
    >>> entry.alias, len(entry.chain), [e.alias for e in read_store(store, "changeit").store]
    ('server', 1, ['server'])
    """
    from ..pki import chains
    with _editing(store, password, warn, key_password=key_password, create=True, store_type=store_type,
                  profile=profile, allow_weak=allow_weak, lock_timeout=lock_timeout) as edit:
        edit.claim(alias)
        entry = chains.new_key_entry(alias, cn, key_type, days, list(sans))
        edit.store.add(entry)
    return entry


def create_request(store: StrPath, alias: str, *, sans: Sequence[str] | None = None, password: str | None = None,
                   key_password: str | None = None, warn: Warn | None = None) -> bytes:
    """A PKCS#10 request (PEM) signed by the key of `alias`, for its certificate's subject and SANs, or the
    `sans` given instead (keytool -certreq): what a CA signs.

    >>> create_request("fixtures/jdk17-keytool.p12", "server", password="changeit").split(b"\\n")[0]
    b'-----BEGIN CERTIFICATE REQUEST-----'
    """
    from ..pki import chains
    entry = _opened(store, password, key_password, warn).key_entry(alias)
    return chains.request_pem(entry, sans or ())


def load_ca(cert_file: StrPath, key_file: StrPath, *, password: str | None = None) -> "Issuer":
    """A CA that signs, from its certificate file (the issuing CA first, then its issuers, PEM) and its PEM
    key (encrypted with `password`, or not): what `sign_request` signs as. Refused when the certificate is
    not a CA's or the key is not its own."""
    from ..formats import certfile
    return certfile.read_issuer(cert_file, key_file, password, "load_ca(password=...)")


def sign_request(request: StrPath, ca: "Issuer", profile: str, *, days: int = 397,
                 sans: Sequence[str] | None = None) -> bytes:
    """Sign a PKCS#10 request file (PEM or DER) as `ca` (keytool -gencert): the certificate, then the CA's
    chain, as PEM — the reply that `install_reply` installs.

    The `profile` (server, client or ca), not the request, decides EKU, key
    usage and basic constraints; the SANs are the request's unless `sans`
    replaces them. The certificate is valid `days`, and no longer than the CA.
    """
    from ..formats import certfile
    from ..pki import issue
    csr = certfile.read_request(request)
    cert = issue.sign_request(ca, csr, profile, days, None if sans is None else list(sans))
    return issue.cert_pem(cert, *ca.certificates)


def install_reply(store: StrPath, alias: str, reply: StrPath, *, ca_certificates: Iterable[StrPath] = (),
                  password: str | None = None, key_password: str | None = None, profile: str | None = None,
                  lock_timeout: float = 30, warn: Warn | None = None) -> PrivateKeyEntry:
    """Install a CA's reply (PEM, DER or PKCS#7, with or without its chain) on the key entry `alias`
    (keytool -importcert of a reply). Returns the entry with its new chain.

    The reply must carry the entry's public key; the chain is completed from
    the reply, the `ca_certificates` files and the store's trusted entries, up
    to a root. Nothing is written when either fails.
    """
    from ..formats import certfile
    from ..pki import chains
    with _editing(store, password, warn, key_password=key_password, profile=profile,
                  lock_timeout=lock_timeout) as edit:
        entry = edit.key_entry(alias)
        reply_certs = certfile.read_certificates(reply)
        pool = [cert for path in ca_certificates for cert in certfile.read_certificates(path)]
        pool += [e.cert for e in edit.store.trusted_entries()]
        try:
            installed = chains.install_reply(entry, reply_certs, pool)
        except JkstoolError as e:
            raise e.at(path=reply, alias=alias) from None
        edit.store.put(installed)
    return installed


def import_key(store: StrPath, alias: str, key_file: StrPath, cert_file: StrPath, *,
               key_file_password: str | None = None, password: str | None = None,
               key_password: str | None = None, store_type: str | None = None, profile: str | None = None,
               allow_weak: bool = False, lock_timeout: float = 30, warn: Warn | None = None) -> PrivateKeyEntry:
    """Add a key entry to `store` (created when missing) made of a private key and its certificate (what
    keytool cannot do). Returns the entry.

    `key_file` is PEM in PKCS#8, PKCS#1 or SEC1 (or any store holding one
    key), encrypted with `key_file_password` or not; `cert_file` holds the
    key's certificate, or its chain (PEM, DER or PKCS#7): the chain is that
    certificate's issuers among them. New stores are as for `generate_key`.
    """
    from ..formats import certfile
    from ..pki import chains
    with _editing(store, password, warn, key_password=key_password, create=True, store_type=store_type,
                  profile=profile, allow_weak=allow_weak, lock_timeout=lock_timeout) as edit:
        edit.claim(alias)
        try:
            loaded = read_store(key_file, key_file_password)
        except (PasswordError, KeyPasswordError) as e:  # the key file's own password, not the store's
            raise replace(e, fix="check key_file_password=...") from None
        _tell(warn, Path(key_file), loaded.warnings)
        keys = loaded.store.key_entries()
        if len(keys) != 1 or keys[0].key is None:
            if keys and keys[0].key is None:
                raise JkstoolError("the key file is encrypted: give key_file_password=...", path=str(key_file))
            held = "no private key" if not keys else f"{len(keys)} private keys"
            raise JkstoolError(f"the key file holds {held}, and must hold one", "give the key's own file; a "
                               "certificate goes to cert_file=...", path=str(key_file))
        try:
            entry = chains.key_entry(alias, keys[0].key, certfile.read_certificates(cert_file))
        except JkstoolError as e:
            raise JkstoolError(f"{e.what} in {cert_file}", e.fix, path=str(key_file), alias=e.alias) from None
        edit.store.add(entry)
    return entry


@dataclass
class Export:
    """An entry as PEM, from `export_entry`."""

    alias: str
    cert: bytes
    """Its certificate."""
    chain: bytes
    """Its certificate, then its issuers' (leaf first)."""
    key: bytes | None = field(default=None, repr=False)
    """Its private key (PKCS#8), when asked for."""
    encrypted: bool = True
    """Whether `key` is encrypted (with the store's password)."""

    def files(self, *, cert: StrPath | None = None, chain: StrPath | None = None,
              key: StrPath | None = None) -> list[tuple[Path, bytes, Secrecy]]:
        """What to write where, as `jkstool.api.outputs.write_files` takes it: the certificate, the chain
        and the key to the files given, the key's file kept from other users."""
        items = [(Path(path), data, Secrecy.PUBLIC) for path, data in ((cert, self.cert), (chain, self.chain))
                 if path is not None]
        if items and not self.cert:
            raise JkstoolError("the entry has no certificate", alias=self.alias)
        if key is not None:
            if self.key is None:
                raise JkstoolError("the key was not exported", "give with_key=True")
            items.append((Path(key), self.key, Secrecy.KEYS if self.encrypted else Secrecy.CLEAR))
        return items


def export_entry(store: StrPath, *, alias: str | None = None, password: str | None = None,
                 key_password: str | None = None, with_key: bool = False, encrypt_key: bool = True,
                 warn: Warn | None = None) -> Export:
    """An entry's certificate, chain and (`with_key`) key as PEM: the entry `alias`, else the store's one key
    entry. The key is encrypted with the store's password unless `encrypt_key=False`.

    >>> export = export_entry("fixtures/jdk17-keytool.p12", alias="server", password="changeit", with_key=True)
    >>> export.chain.count(b"BEGIN CERTIFICATE"), export.key.split(b"\\n")[0]
    (2, b'-----BEGIN ENCRYPTED PRIVATE KEY-----')
    """
    from ..formats.pem import key_pem
    from ..pki import chains
    opened = _opened(store, password, key_password, warn)
    entry = opened.entry(alias) if alias is not None else _one_key_entry(opened)
    export = Export(entry.alias, chains.chain_pem(entry.certificates[:1]), chains.chain_pem(entry.certificates),
                    encrypted=encrypt_key)
    if with_key:
        if not isinstance(entry, PrivateKeyEntry):
            raise JkstoolError("a trusted certificate has no key", alias=entry.alias, path=str(store))
        if encrypt_key and opened.password is None:
            raise JkstoolError("an encrypted key needs a password: give password=..., or encrypt_key=False")
        export.key = key_pem(entry.pkcs8(), opened.password if encrypt_key else None).encode()
    return export


def _one_key_entry(opened: StoreEdit) -> PrivateKeyEntry:
    keys = opened.store.key_entries()
    if not keys:
        raise JkstoolError("the store holds no private key (a truststore?)", "give the keystore; a certificate "
                           "of this one is exported with alias=...", path=str(opened.path))
    if len(keys) != 1:
        raise JkstoolError(f"the store has {len(keys)} key entries", "name one with alias=...",
                           path=str(opened.path))
    return keys[0]


def _opened(path: StrPath, password: str | None, key_password: str | None, warn: Warn | None) -> StoreEdit:
    opened = open_store(path, password, key_password=key_password)
    _tell(warn, opened.path, opened.warnings)
    return opened


@contextmanager
def _editing(path: StrPath, password: str | None, warn: Warn | None, **options: Any) -> Iterator[StoreEdit]:
    with edit_store(path, password, **options) as edit:
        _tell(warn, edit.path, edit.warnings)
        yield edit


def _tell(warn: Warn | None, path: Path, warnings: list[str]) -> None:
    if warn is not None:
        for message in warnings:
            warn(path, message)
