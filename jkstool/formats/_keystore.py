"""The container JKS and JCEKS share (Java's JavaKeyStore and JceKeyStore), read and written linearly.

pyjks's `save` builds the file by repeated `bytes +=` and takes ~22 s for
10,000 certificates, and its key decryption fails on stores written by JDK
21+ keytool (pyjks issue #79: newer JDKs omit the NULL algorithm
parameters), so the container is jkstool's own; pyjks is kept for the key
protection algorithms themselves, imported only when a key is decrypted or
encrypted.

Layout: magic, version, entry count, entries (tag, alias, date, then a
protected key and its chain, a certificate, or — JCEKS only — a sealed
secret key), then a SHA-1 digest over password (UTF-16BE) + "Mighty
Aphrodite" + everything before.
"""

import hashlib
import struct
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .. import der, limits
from ..errors import JkstoolError, damaged, wrong_key_password, wrong_password
from ..model import Entry, Loaded, PrivateKeyEntry, SecretKeyEntry, Store, TrustedCertEntry
from . import _pbe as pbe
from ._opener import KeyOpener

_WHITENER = b"Mighty Aphrodite"
JKS_KEY_PROTECTOR = "1.3.6.1.4.1.42.2.17.1.1"
_JCE_KEY_PROTECTOR = "1.3.6.1.4.1.42.2.19.1"
PRIVATE_KEY, TRUSTED_CERT, SECRET_KEY = 1, 2, 3


class SecretKeys:
    """How a format reads its secret-key entries (JCEKS's sealed objects); JKS has none."""

    def read(self, reader: "Reader", kind: str) -> Any:
        raise damaged(kind)

    def open(self, sealed: Any, password: str) -> tuple[str, bytes]:
        raise damaged("JKS")


class Reader:
    """Big-endian fields from a byte string, every length checked first."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise IndexError
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return self._unpack(">I", 4)

    def i64(self) -> int:
        return self._unpack(">q", 8)

    def _unpack(self, fmt: str, size: int) -> int:
        if self.pos + size > len(self.data):
            raise IndexError
        value: int = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += size
        return value

    def utf(self) -> str:
        return _java_utf_decode(self.take(self._unpack(">H", 2)))

    def blob(self) -> bytes:
        return self.take(self.u32())


def _java_utf_decode(raw: bytes) -> str:
    """Java's modified UTF-8 (DataInput.readUTF): NUL as C0 80, surrogates one by one."""
    if raw.isascii():  # nearly every alias and "X.509": nothing to translate
        return raw.decode("ascii")
    text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be")


def java_utf_encode(text: str) -> bytes:
    units = text.encode("utf-16-be")
    chars = "".join(chr(int.from_bytes(units[i:i + 2], "big")) for i in range(0, len(units), 2))
    raw = chars.encode("utf-8", "surrogatepass").replace(b"\x00", b"\xc0\x80")
    if len(raw) > 0xFFFF:
        raise JkstoolError("the alias is too long for a JKS store", alias=text[:40])
    return struct.pack(">H", len(raw)) + raw


def keyed_digest(password: str, data: bytes) -> bytes:
    return hashlib.sha1(password.encode("utf-16-be") + _WHITENER + data).digest()


def _date(millis: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(millis / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def load(data: bytes, password: str | None, opener: KeyOpener, kind: str, secrets: SecretKeys) -> Loaded:
    """Read a JKS or JCEKS store; with no password, its certificates only, unverified.

    As in Java, the integrity check comes first and keys are decrypted after
    it, so a wrong store password is reported as such.
    """
    reader = Reader(data)
    try:
        reader.take(4)
        version = reader.u32()
        if version not in (1, 2):
            raise JkstoolError(f"unsupported {kind} version {version}",
                               "re-create the store with a current keytool")
        count = reader.u32()
        if count > limits.max_entries():
            raise limits.too_many("entries", "JKSTOOL_MAX_ENTRIES")
        raw = [_read_entry(reader, kind, version, secrets) for _ in range(count)]
        body_end = reader.pos
        digest = reader.take(20)
    except (IndexError, struct.error, UnicodeError):
        raise damaged(kind) from None
    if reader.pos != len(data):
        raise damaged(kind)
    if password is not None and keyed_digest(password, data[:body_end]) != digest:
        raise wrong_password()
    store, repeated = Store(), []
    for entry, protected in raw:
        if entry.alias in store:
            repeated.append(entry.alias)
            store.remove(entry.alias)  # Java keeps entries in a Hashtable: the last of an alias wins
        try:
            store.add(_opened(entry, protected, opener, kind, secrets))
        except JkstoolError as e:
            raise e.at(alias=entry.alias) from None
    warnings = [f"several entries are named '{alias}': Java keeps the last of them, and so does jkstool"
                for alias in dict.fromkeys(repeated)]
    return Loaded(kind, store, verified=password is not None, warnings=warnings)


def _read_cert(reader: Reader, version: int) -> bytes:
    cert_type = reader.utf() if version == 2 else "X.509"
    data = reader.blob()
    if cert_type != "X.509":
        raise JkstoolError(f"unsupported certificate type {cert_type!r}")
    return data


def _read_entry(reader: Reader, kind: str, version: int, secrets: SecretKeys) -> tuple[Entry, Any]:
    """One entry, its key still protected: (entry without key, protected key or sealed object)."""
    tag = reader.u32()
    alias = reader.utf().lower()  # Java lowercases aliases as it loads them
    try:
        return _read_entry_body(reader, kind, version, tag, alias, secrets)
    except JkstoolError as e:
        raise e.at(alias=alias) from None


def _read_entry_body(reader: Reader, kind: str, version: int, tag: int, alias: str,
                     secrets: SecretKeys) -> tuple[Entry, Any]:
    created = _date(reader.i64())
    if tag == PRIVATE_KEY:
        protected = reader.blob()
        length = reader.u32()
        if length > limits.max_chain():
            raise limits.too_many("certificates in one chain", "JKSTOOL_MAX_CHAIN")
        chain = tuple(_read_cert(reader, version) for _ in range(length))
        return PrivateKeyEntry(alias, None, chain, created), protected
    if tag == TRUSTED_CERT:
        return TrustedCertEntry(alias, _read_cert(reader, version), created), None
    if tag == SECRET_KEY:
        return SecretKeyEntry(alias, None, None, created), secrets.read(reader, kind)
    raise damaged(kind)


def _opened(entry: Entry, protected: Any, opener: KeyOpener, kind: str, secrets: SecretKeys) -> Entry:
    """The entry with its key decrypted, when the load reads keys."""
    if protected is None:
        return entry
    if isinstance(entry, PrivateKeyEntry):
        key, own = opener.open(lambda pw: _unprotect(protected, pw, kind), entry.alias)
        locked = kind == "JKS" and key is None and entry.alias in opener.locked
        return replace(entry, key=key, key_password=own, sealed=protected if locked else None)
    opened, own = opener.open(lambda pw: secrets.open(protected, pw), entry.alias)
    if opened is None or not isinstance(entry, SecretKeyEntry):
        return entry
    return replace(entry, algorithm=opened[0], key=opened[1], key_password=own)


def _unprotect(protected: bytes, password: str, kind: str) -> bytes:
    """Decrypt a key entry: Sun's JKS key protector, or JCEKS's PBEWithMD5AndTripleDES.

    The EncryptedPrivateKeyInfo is parsed tolerantly: JDK 21+ writes the
    algorithm without the NULL parameters that older JDKs wrote.
    """
    try:
        algorithm_id, encrypted = der.fields(der.decode(protected, der.SEQUENCE),
                                             der.SEQUENCE, der.OCTET_STRING)[:2]
        parts = der.items(algorithm_id)
        algorithm = der.to_oid(parts[0][1])
        params = parts[1][1] if len(parts) > 1 else b""
    except (der.DerError, IndexError):
        raise damaged(kind) from None
    from ._pyjks import sun_crypto
    from ._pyjks.util import BadHashCheckException, BadPaddingException
    try:
        if algorithm == JKS_KEY_PROTECTOR:
            if len(encrypted) < 40:
                raise damaged(kind)
            return sun_crypto.jks_pkey_decrypt(encrypted, password)
        if algorithm == _JCE_KEY_PROTECTOR:
            salt, count = der.fields(params, der.OCTET_STRING, der.INTEGER)[:2]
            key = sun_crypto.jce_pbe_decrypt(encrypted, password, salt, pbe.spend(der.to_int(count)))
            der.decode(key, der.SEQUENCE)  # a wrong password can pass the padding check
            return key
    except (BadHashCheckException, BadPaddingException, der.DerError, ValueError):
        raise wrong_key_password() from None
    raise JkstoolError(f"unsupported key protection algorithm {algorithm}")


