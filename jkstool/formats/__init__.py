"""Store formats behind one model: the type of bytes comes from their content.

Each format module reads and writes bytes (`load(data, password, opener) ->
Loaded`, `dump(store, password, ...) -> bytes`): `jks`, `jceks` (read only),
`pkcs12` and `pem`, and `certfile` for certificates, CA keys and requests in
the files CAs hand out. This package turns paths into bytes and back through
`jkstool.files` (`read_store`, `write_store`), never touching disk itself.

May import: `jkstool.pki` (certificate facts, to rebuild chains as Java
does), `jkstool.files`, `jkstool.der`, the model, limits and errors. The
modules named with a leading underscore are private codecs: the PKCS#12/PKCS#5
password based encryption, Java serialization, Java's PKCS#12 bag attributes
and the JKS/JCEKS container.
"""

from pathlib import Path
from types import ModuleType

from .. import files, limits
from ..errors import JkstoolError
from ..model import Loaded, Store
from ._opener import KeyOpener

WRITE_TYPES = {"jks": "JKS", "pkcs12": "PKCS12", "pem": "PEM"}
_EXTENSIONS = {".jks": "jks", ".p12": "pkcs12", ".pfx": "pkcs12", ".pem": "pem"}


def detect(data: bytes) -> str:
    """JKS, JCEKS, PKCS12 or PEM, from the bytes themselves (never the file name)."""
    from . import jceks, jks, pem
    if not data:
        raise JkstoolError("the file is empty", "it is not a keystore: was it cut off during a copy?")
    if data[:4] == jks.MAGIC:
        return "JKS"
    if data[:4] == jceks.MAGIC:
        return "JCEKS"
    if data[0] == 0x30 and _looks_like_pkcs12(data):
        return "PKCS12"
    if pem.is_pem(data):
        return "PEM"
    raise JkstoolError("not a keystore: the format is unknown",
                       "jkstool reads JKS, JCEKS, PKCS12 and PEM files")


_PKCS7_CONTENT_TYPE = bytes.fromhex("06092a864886f70d0107")  # OID 1.2.840.113549.1.7.*


def _looks_like_pkcs12(data: bytes) -> bool:
    """A DER SEQUENCE of a small INTEGER (the version: 3) and a PKCS#7 ContentInfo, as a PFX is.

    Any version is taken here, so that the PKCS12 reader can say which one it does not read."""
    from .. import der
    try:
        _, start, _ = der.header(data, 0)
        if data[start:start + 2] != b"\x02\x01":
            return False
        _, inner, _ = der.header(data, start + 3)
    except der.DerError:
        return False
    return data[inner:inner + len(_PKCS7_CONTENT_TYPE)] == _PKCS7_CONTENT_TYPE


def load(data: bytes, password: str | None, key_password: str | None = None, *,
         keys: bool = True, strict: bool = True, one_key_password: bool = False, integrity: bool = True) -> Loaded:
    """Read any store; `password=None` reads what is readable without one.

    Keys are decrypted with `key_password`, then with the store password (in
    Java, a key's password defaults to the store's); with `one_key_password`,
    with `key_password` alone, as Java's key manager recovers every key with one
    password. With `keys=False` they are left encrypted (and the entries carry
    `key=None`), which is all that listing needs. With `strict=False`, a key that
    does not open is left encrypted and its alias listed in `Loaded.locked` (what
    JSSE calls "Cannot recover key"). `integrity=False` leaves a PKCS12 file's MAC
    unchecked (`verified` False): for a caller that hands the file to Java, which
    checks it as it loads it (its key derivation is the costliest part of a read).
    """
    from . import _pbe, pkcs12
    kind = detect(data)
    tried = (key_password,) if one_key_password else (key_password, password)
    candidates = () if not keys else tuple(dict.fromkeys(p for p in tried if p is not None))
    opener = KeyOpener(candidates, password, strict)
    with _pbe.work_budget(limits.max_kdf_iterations()):
        loaded: Loaded = pkcs12.load(data, password, opener, integrity) if kind == "PKCS12" else \
            _module(kind).load(data, password, opener)
    loaded.locked = opener.locked
    return loaded


def dump(store: Store, store_type: str, password: str | None, *, profile: str | None = None,
         encrypt_keys: bool = True) -> bytes:
    """Write `store` as jks, pkcs12 (with a write profile, keytool 17's by default) or pem; what Java's
    KeyStore would refuse to take is refused here."""
    if profile is not None and store_type != "pkcs12":
        raise JkstoolError(f"profile=... {profile} is for PKCS12 stores, not {WRITE_TYPES[store_type]}",
                           "leave out profile=..., or write a .p12 store")
    refuse_what_java_refuses(store, store_type, password)
    if store_type == "pem":
        from . import pem
        return pem.dump(store, password, encrypt_keys=encrypt_keys)
    if store_type == "pkcs12" and profile == "none-truststore":
        from . import pkcs12
        return pkcs12.dump(store, password or "", profile)
    if password is None:
        raise JkstoolError(f"a {WRITE_TYPES[store_type]} store needs a password",
                           "give password=...")
    if store_type == "pkcs12":
        from . import pkcs12
        return pkcs12.dump(store, password, profile or "java9")
    from . import jks
    return jks.dump(store, password)


def refuse_what_java_refuses(store: Store, store_type: str, password: str | None) -> None:
    """KeyStore.setKeyEntry takes a private key only with its certificate chain; Java's PKCS12 keystore only a
    chain whose certificates name each other as issuer, without repeats ("Certificate chain is not valid"),
    and JDK 17 only an ASCII password for it; and a PEM file with nothing in it is no store at all."""
    if store_type == "pem" and not len(store):
        raise JkstoolError("the store is empty, and an empty PEM file is not a store", "write JKS or PKCS12 instead")
    if store_type == "pkcs12" and password is not None and not password.isascii():
        raise JkstoolError("JDK 17 can neither write nor read a PKCS12 store whose password is not ASCII "
                           "('Password is not ASCII')", "give an ASCII password")
    for entry in store.key_entries():
        if not entry.chain:
            raise JkstoolError("a private key without its certificate: Java refuses to store one ('Private key "
                               "must be accompanied by certificate chain')",
                               "install the certificate issued for it first (jkstool import-reply)",
                               alias=entry.alias)
        if store_type == "pkcs12" and not _chains(entry.chain):
            raise JkstoolError("the key's certificates do not form a chain, each issued by the next: Java's "
                               "PKCS12 keystore refuses it ('Certificate chain is not valid')",
                               "import the chain again, leaf first, each certificate followed by its issuer",
                               alias=entry.alias)


def _chains(chain: tuple[bytes, ...]) -> bool:
    from ..pki.certs import load, same_name
    certificates = [load(c) for c in chain]
    return len(set(chain)) == len(chain) and all(
        same_name(cert.issuer, issuer.subject) for cert, issuer in zip(certificates, certificates[1:], strict=False))


STORE_SUFFIXES = (".jks", ".p12", ".pfx", ".jceks", ".keystore", ".truststore")
"""The names that say a file is a keystore: one that does not read as one is damaged, not a stray file."""


def type_for_path(path: Path | str, explicit: str | None = None) -> str:
    """The type of a file to create: `--store-type`, else its extension, else PKCS12 (keytool's default)."""
    if explicit:
        return explicit
    from pathlib import PurePath
    return _EXTENSIONS.get(PurePath(path).suffix.lower(), "pkcs12")


def _module(kind: str) -> ModuleType:
    from . import jceks, jks, pem, pkcs12
    modules: dict[str, ModuleType] = {"JKS": jks, "JCEKS": jceks, "PKCS12": pkcs12, "PEM": pem}
    return modules[kind]


def read_store(path: Path | str, password: str | None, key_password: str | None = None, *,
               keys: bool = True, strict: bool = True, integrity: bool = True) -> Loaded:
    """Load the store at `path`, whatever its format; errors name the file."""
    data = files.read_bytes(path)
    try:
        loaded = load(data, password, key_password, keys=keys, strict=strict, integrity=integrity)
    except JkstoolError as e:
        raise e.at(path=path) from None
    from .compat import type_mismatch
    mismatch = type_mismatch(Path(path).name, loaded.type)
    if mismatch:
        loaded.warnings.append(mismatch)
    mode = files.mode(path)
    if mode & 0o077 and _keys_in_clear(loaded):
        loaded.warnings.append(f"it holds private keys and other users can read it (mode {mode:04o}): "
                               f"chmod 600 {path}")
    return loaded


def _keys_in_clear(loaded: Loaded) -> bool:
    """Whether the file shows a key to whoever reads it: a PEM key, or a PKCS12 key bag without encryption.
    Keys that the store's password encrypts (JKS, JCEKS, a shrouded PKCS12 bag) are not: keytool writes every
    store 0644 under the usual umask, and a warning on each read of one would be noise."""
    if not loaded.store.holds_keys():
        return False
    return loaded.type == "PEM" or (loaded.protection is not None and "none" in loaded.protection.keys)


def write_store(path: Path | str, store: Store, store_type: str, password: str | None, *,
                keep_backup: bool = False, backups: files.Backups | None = None,
                profile: str | None = None, encrypt_keys: bool = True) -> Path | None:
    """Serialize `store` and replace `path` with it atomically (`profile` and
    `encrypt_keys` as for `dump`).

    With `keep_backup`, an existing file is first copied beside itself, or into
    `backups` (only once the new bytes exist, so a store that cannot be written
    leaves no stray backup; see files.write_all). Returns the backup's path, if
    one was made.
    """
    try:
        data = dump(store, store_type, password, profile=profile, encrypt_keys=encrypt_keys)
    except JkstoolError as e:
        raise e.at(path=path) from None
    private = (files.Secrecy.KEYS if encrypt_keys else files.Secrecy.CLEAR) if store.holds_keys() else \
        files.Secrecy.PUBLIC
    if keep_backup:
        return next(iter(files.write_all([(path, data, private)], replace=True, backups=backups)), None)
    files.write_atomic(path, data, private)
    return None
