"""JKS (read and write) and JCEKS (read): Java's own keystore formats.

The container is read and written here, linearly: pyjks's `save` builds the
file by repeated `bytes +=` and takes ~22 s for 10,000 certificates, and its
key decryption fails on stores written by JDK 21+ keytool (pyjks issue #79:
newer JDKs omit the NULL algorithm parameters). JCEKS's serialized secret
keys are read by jkstool's own bounded reader (javaser), not by a general
Java deserializer. pyjks is kept for the key protection algorithms
themselves, and is imported only when a key is decrypted or encrypted.

Layout (Java's JavaKeyStore): magic, version, entry count, entries, then a
SHA-1 digest over password (UTF-16BE) + "Mighty Aphrodite" + everything before.
"""

import hashlib
import struct
import time
from dataclasses import replace
from datetime import datetime, timezone

from .. import der, limits
from ..errors import JkstoolError, damaged, key_not_read, wrong_key_password, wrong_password
from ..model import Loaded, PrivateKeyEntry, SecretKeyEntry, Store, TrustedCertEntry
from . import javaser

JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"
_WHITENER = b"Mighty Aphrodite"
_JKS_KEY_PROTECTOR = "1.3.6.1.4.1.42.2.17.1.1"
_JCE_KEY_PROTECTOR = "1.3.6.1.4.1.42.2.19.1"
_PRIVATE_KEY, _TRUSTED_CERT, _SECRET_KEY = 1, 2, 3


class _Reader:
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
        return struct.unpack(">I", self.take(4))[0]

    def i64(self) -> int:
        return struct.unpack(">q", self.take(8))[0]

    def utf(self) -> str:
        return _java_utf_decode(self.take(struct.unpack(">H", self.take(2))[0]))

    def blob(self) -> bytes:
        return self.take(self.u32())


def _java_utf_decode(raw: bytes) -> str:
    """Java's modified UTF-8 (DataInput.readUTF): NUL as C0 80, surrogates one by one."""
    text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be")


def _java_utf_encode(text: str) -> bytes:
    units = text.encode("utf-16-be")
    chars = "".join(chr(int.from_bytes(units[i:i + 2], "big")) for i in range(0, len(units), 2))
    raw = chars.encode("utf-8", "surrogatepass").replace(b"\x00", b"\xc0\x80")
    if len(raw) > 0xFFFF:
        raise JkstoolError("the alias is too long for a JKS store", alias=text[:40])
    return struct.pack(">H", len(raw)) + raw


def _keyed_digest(password: str, data: bytes) -> bytes:
    return hashlib.sha1(password.encode("utf-16-be") + _WHITENER + data).digest()


def _date(millis: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(millis / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def load(data: bytes, password: str | None, opener) -> Loaded:
    """Read a JKS or JCEKS store; with no password, its certificates only, unverified.

    As in Java, the integrity check comes first and keys are decrypted after
    it, so a wrong store password is reported as such.
    """
    kind = "JKS" if data[:4] == JKS_MAGIC else "JCEKS"
    reader = _Reader(data)
    try:
        reader.take(4)
        version = reader.u32()
        if version not in (1, 2):
            raise JkstoolError(f"unsupported {kind} version {version}",
                               "re-create the store with a current keytool")
        count = reader.u32()
        if count > limits.max_entries():
            raise limits.too_many("entries", "JKSTOOL_MAX_ENTRIES")
        raw = [_read_entry(reader, kind, version) for _ in range(count)]
        body_end = reader.pos
        digest = reader.take(20)
    except (IndexError, struct.error, UnicodeError):
        raise damaged(kind) from None
    if reader.pos != len(data):
        raise damaged(kind)
    if password is not None and _keyed_digest(password, data[:body_end]) != digest:
        raise wrong_password()
    store = Store()
    for entry, protected in raw:
        try:
            store.add(_opened(entry, protected, opener, kind))
        except JkstoolError as e:
            raise e.at(alias=entry.alias) from None
    return Loaded(kind, store, verified=password is not None)


def _read_cert(reader: _Reader, version: int) -> bytes:
    cert_type = reader.utf() if version == 2 else "X.509"
    data = reader.blob()
    if cert_type != "X.509":
        raise JkstoolError(f"unsupported certificate type {cert_type!r}")
    return data


def _read_entry(reader: _Reader, kind: str, version: int):
    """One entry, its key still protected: (entry without key, protected key or sealed object)."""
    tag = reader.u32()
    alias = reader.utf().lower()  # Java lowercases aliases as it loads them
    try:
        return _read_entry_body(reader, kind, version, tag, alias)
    except JkstoolError as e:
        raise e.at(alias=alias) from None


def _read_entry_body(reader: _Reader, kind: str, version: int, tag: int, alias: str):
    created = _date(reader.i64())
    if tag == _PRIVATE_KEY:
        protected = reader.blob()
        length = reader.u32()
        if length > limits.max_chain():
            raise limits.too_many("certificates in one chain", "JKSTOOL_MAX_CHAIN")
        chain = tuple(_read_cert(reader, version) for _ in range(length))
        return PrivateKeyEntry(alias, None, chain, created), protected
    if tag == _TRUSTED_CERT:
        return TrustedCertEntry(alias, _read_cert(reader, version), created), None
    if tag == _SECRET_KEY and kind == "JCEKS":
        return SecretKeyEntry(alias, None, None, created), _read_sealed_object(reader, kind)
    raise damaged(kind)


def _opened(entry, protected, opener, kind: str):
    """The entry with its key decrypted, when the load reads keys."""
    if protected is None:
        return entry
    if isinstance(entry, PrivateKeyEntry):
        key, own = opener.open(lambda pw: _unprotect(protected, pw, kind), entry.alias)
        return replace(entry, key=key, key_password=own)
    opened, own = opener.open(lambda pw: _unseal(protected, pw), entry.alias)
    if opened is None:
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
    from jks import sun_crypto
    from jks.util import BadHashCheckException, BadPaddingException
    try:
        if algorithm == _JKS_KEY_PROTECTOR:
            if len(encrypted) < 40:
                raise damaged(kind)
            return sun_crypto.jks_pkey_decrypt(encrypted, password)
        if algorithm == _JCE_KEY_PROTECTOR:
            salt, count = der.fields(params, der.OCTET_STRING, der.INTEGER)[:2]
            key = sun_crypto.jce_pbe_decrypt(encrypted, password, salt, der.to_int(count))
            der.decode(key, der.SEQUENCE)  # a wrong password can pass the padding check
            return key
    except (BadHashCheckException, BadPaddingException, der.DerError, ValueError):
        raise wrong_key_password() from None
    raise JkstoolError(f"unsupported key protection algorithm {algorithm}")


def _read_sealed_object(reader: _Reader, kind: str):
    """A JCEKS secret key: a serialized javax.crypto.SealedObject, read as data (see javaser)."""
    try:
        sealed, reader.pos = javaser.read(reader.data, reader.pos)
    except javaser.JavaSerializationError:
        raise damaged(kind) from None
    if not (isinstance(sealed, javaser.JavaObject) and "javax.crypto.SealedObject" in sealed.classes
            and isinstance(sealed.get("encryptedContent"), bytes)):
        raise damaged(kind)
    if sealed.get("sealAlg") != "PBEWithMD5AndTripleDES" or not isinstance(sealed.get("encodedParams"), bytes):
        raise JkstoolError(f"unsupported secret key protection {sealed.get('sealAlg')!r}")
    return sealed


def _unseal(sealed, password: str) -> tuple[str, bytes]:
    """Decrypt a SealedObject (Sun's PBEWithMD5AndTripleDES) and read the key inside: a
    SecretKeySpec, or the KeyRep that SunJCE's own key classes serialize as."""
    from jks import sun_crypto
    from jks.util import BadPaddingException
    try:
        salt, count = der.fields(der.decode(sealed["encodedParams"], der.SEQUENCE), der.OCTET_STRING, der.INTEGER)[:2]
        plain = sun_crypto.jce_pbe_decrypt(sealed["encryptedContent"], password, salt, der.to_int(count))
        key, _ = javaser.read(plain)
    except (BadPaddingException, ValueError):  # DerError and JavaSerializationError are ValueErrors
        raise wrong_key_password() from None
    if isinstance(key, javaser.JavaObject) and "javax.crypto.spec.SecretKeySpec" in key.classes:
        algorithm, value = key.get("algorithm"), key.get("key")
    elif isinstance(key, javaser.JavaObject) and "java.security.KeyRep" in key.classes and key.get("format") == "RAW":
        algorithm, value = key.get("algorithm"), key.get("encoded")
    else:
        raise JkstoolError("unsupported secret key encoding")
    if not isinstance(algorithm, str) or not isinstance(value, bytes):
        raise JkstoolError("unsupported secret key encoding")
    return algorithm, value


def dump(store: Store, password: str) -> bytes:
    """Write a JKS store, keys protected with the store password (as JSSE expects)."""
    parts = [JKS_MAGIC, struct.pack(">II", 2, len(store))]
    now = int(time.time() * 1000)
    for entry in store:
        created = int(entry.created.timestamp() * 1000) if entry.created else now
        header = _java_utf_encode(entry.alias.lower()) + struct.pack(">q", created)
        if isinstance(entry, PrivateKeyEntry):
            if entry.key is None:
                raise key_not_read(entry.alias)
            parts += [struct.pack(">I", _PRIVATE_KEY), header,
                      _blob(_protect(entry.key, entry.key_password or password)),
                      struct.pack(">I", len(entry.chain))]
            parts += [_cert_blob(cert) for cert in entry.chain]
        elif isinstance(entry, TrustedCertEntry):
            parts += [struct.pack(">I", _TRUSTED_CERT), header, _cert_blob(entry.cert)]
        else:
            raise JkstoolError("a JKS store cannot hold a secret key",
                               "write PKCS12 instead: --store-type pkcs12", alias=entry.alias)
    body = b"".join(parts)
    return body + _keyed_digest(password, body)


def _blob(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _cert_blob(cert: bytes) -> bytes:
    return _java_utf_encode("X.509") + _blob(cert)


def _protect(pkcs8: bytes, password: str) -> bytes:
    from jks import sun_crypto
    algorithm_id = der.sequence(der.oid(_JKS_KEY_PROTECTOR), der.null())
    return der.sequence(algorithm_id, der.octets(sun_crypto.jks_pkey_encrypt(pkcs8, password)))
