"""Password-based encryption as PKCS#12 and PKCS#8 files use it.

PBES2 (PBKDF2 + AES-CBC) is what keytool 17+ and OpenSSL 3 write; the older
PKCS#12 schemes (3DES, RC2) derive keys with RFC 7292's own function, which
cryptography does not expose. It is written here rather than imported from
pyjks because importing pyjks costs ~0.2 s (pycryptodomex, twofish, javaobj)
on every command that reads a PKCS12 file.
"""

import hashlib
import hmac
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import der, limits
from ..errors import JkstoolError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

PBES2 = "1.2.840.113549.1.5.13"
PBKDF2 = "1.2.840.113549.1.5.12"
PBMAC1 = "1.2.840.113549.1.5.14"
PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
PBE_SHA1_2DES = "1.2.840.113549.1.12.1.4"
PBE_SHA1_RC2_128 = "1.2.840.113549.1.12.1.5"
PBE_SHA1_RC2_40 = "1.2.840.113549.1.12.1.6"
PBE_SHA1_RC4_128 = "1.2.840.113549.1.12.1.1"
PBE_SHA1_RC4_40 = "1.2.840.113549.1.12.1.2"
_PKCS12_PBE = (PBE_SHA1_3DES, PBE_SHA1_2DES, PBE_SHA1_RC2_40, PBE_SHA1_RC2_128, PBE_SHA1_RC4_128, PBE_SHA1_RC4_40)

_HMACS = {
    "1.2.840.113549.2.7": "sha1", "1.2.840.113549.2.8": "sha224",
    "1.2.840.113549.2.9": "sha256", "1.2.840.113549.2.10": "sha384",
    "1.2.840.113549.2.11": "sha512",
}
_AES_CBC = {"2.16.840.1.101.3.4.1.2": 16, "2.16.840.1.101.3.4.1.22": 24,
            "2.16.840.1.101.3.4.1.42": 32}
_DES_EDE3_CBC = "1.2.840.113549.3.7"
DIGESTS = {
    "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
DIGEST_OIDS = {name: oid for oid, name in DIGESTS.items()}

# Names for what jkstool recognises but does not read, so errors can say what it is.
KNOWN_UNSUPPORTED = {
    "1.2.840.113549.2.5": "MD5", "1.3.6.1.4.1.11591.4.11": "scrypt",
}

# What keytool 17 writes; the legacy form is Java's own "keystore.pkcs12.legacy".
ITERATIONS = 10_000
LEGACY_ITERATIONS = 50_000
LEGACY_MAC_ITERATIONS = 100_000
_SALT = 20


class PbeError(ValueError):
    """Decryption failed: a wrong password, or damaged data."""


class UnsupportedPbe(ValueError):
    """An encryption scheme jkstool does not read."""


def kdf_pkcs12(digest: str, password: str, salt: bytes, iterations: int,
               purpose: int, size: int) -> bytes:
    """RFC 7292 appendix B.2: key, IV (purpose 1, 2) or MAC key (3) from a password."""
    h = hashlib.new(digest)
    u, v = h.digest_size, h.block_size
    pw = (password.encode("utf-16-be") + b"\0\0") if password else b""

    block = _fill(salt, v) + _fill(pw, v)
    d = bytes([purpose]) * v
    out = b""
    new = getattr(hashlib, digest, None) or (lambda data: hashlib.new(digest, data))  # direct: 3x faster a call
    while len(out) < size:
        a = new(d + block).digest()
        for _ in range(iterations - 1):
            a = new(a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big") + 1
        chunks = [int.from_bytes(block[i:i + v], "big") for i in range(0, len(block), v)]
        block = b"".join(((c + b) % (1 << (8 * v))).to_bytes(v, "big") for c in chunks)
    return out[:size]


def _fill(data: bytes, v: int) -> bytes:
    """`data` repeated to the next multiple of v bytes (RFC 7292's S and P)."""
    if not data:
        return b""
    size = v * -(-len(data) // v)
    return (data * (size // len(data) + 1))[:size]


_BUDGET: ContextVar[list[int] | None] = ContextVar("key-derivation budget", default=None)


@contextmanager
def work_budget(iterations: int) -> Iterator[None]:
    """Bound the key-derivation iterations spent while reading one store (see limits.max_kdf_iterations)."""
    token = _BUDGET.set([iterations])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def spend(count: int) -> int:
    """Check an item's iteration count against Java's ceiling and the store's budget; the count."""
    if count <= 0:
        raise PbeError(f"iteration count {count} is out of range")
    if count > limits.PBE_ITERATIONS:
        raise limits.exceeded(f"an encrypted item asks for {count:,} key-derivation iterations")
    budget = _BUDGET.get()
    if budget is not None:
        budget[0] -= count
        if budget[0] < 0:
            raise JkstoolError(f"reading the store takes more than {limits.max_kdf_iterations():,} key-derivation "
                               "iterations in all", "if the file is genuine, raise JKSTOOL_MAX_KDF_ITERATIONS")
    return count




def pbkdf2(prf: str, password: str, salt: bytes, count: int, size: int) -> bytes:
    """RFC 8018's PBKDF2 with HMAC-`prf`, through cryptography: its OpenSSL derives a key in about half the
    time of hashlib's (1.1 ms against 2.0 ms for keytool's 10,000 rounds of SHA-256), and a pair's stores
    hold up to six such keys."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    return PBKDF2HMAC(getattr(hashes, prf.upper())(), size, salt, count).derive(password.encode("utf-8"))


def _cipher(name: str, key: bytes, iv: bytes) -> "Cipher[modes.CBC]":
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    if name == "aes":
        return Cipher(algorithms.AES(key), modes.CBC(iv))
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    return Cipher(TripleDES(key), modes.CBC(iv))


def _unpad(data: bytes, block: int) -> bytes:
    n = data[-1] if data else 0
    if not 0 < n <= block or data[-n:] != bytes([n]) * n:
        raise PbeError("bad padding")
    return data[:-n]


def _pad(data: bytes, block: int) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def _run(name: str, key: bytes, iv: bytes, data: bytes, block: int) -> bytes:
    if not data or len(data) % block:
        raise PbeError("the encrypted data has a bad length")
    dec = _cipher(name, key, iv).decryptor()
    return _unpad(dec.update(data) + dec.finalize(), block)


def _rc2_40(key: bytes, iv: bytes, data: bytes) -> bytes:
    from Cryptodome.Cipher import ARC2  # cryptography's RC2 takes 128-bit keys only
    if not data or len(data) % 8:
        raise PbeError("the encrypted data has a bad length")
    # pycryptodomex's stub omits effective_keylen, which ARC2.new documents and takes
    cipher = ARC2.new(key, ARC2.MODE_CBC, iv=iv, effective_keylen=len(key) * 8)  # type: ignore[call-arg]
    return _unpad(cipher.decrypt(data), 8)


def _decrypt_pkcs12_pbe(algorithm: str, params: bytes, password: str, data: bytes) -> bytes:
    salt, count_der = der.fields(params, der.OCTET_STRING, der.INTEGER)[:2]
    count = spend(der.to_int(count_der))
    if algorithm in (PBE_SHA1_3DES, PBE_SHA1_2DES):
        size = 24 if algorithm == PBE_SHA1_3DES else 16
        key = kdf_pkcs12("sha1", password, salt, count, 1, size)
        if size == 16:
            key += key[:8]
        iv = kdf_pkcs12("sha1", password, salt, count, 2, 8)
        return _run("3des", key, iv, data, 8)
    size = 5 if algorithm in (PBE_SHA1_RC2_40, PBE_SHA1_RC4_40) else 16
    key = kdf_pkcs12("sha1", password, salt, count, 1, size)
    if algorithm in (PBE_SHA1_RC4_128, PBE_SHA1_RC4_40):
        return _rc4(key, data)
    iv = kdf_pkcs12("sha1", password, salt, count, 2, 8)
    return _rc2_40(key, iv, data)


def _rc4(key: bytes, data: bytes) -> bytes:
    """RC4, a stream cipher: no padding tells a wrong key, so what it gives must at least be DER (a
    SafeContents, a PKCS#8) to count as decrypted."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    from cryptography.hazmat.primitives.ciphers import Cipher
    plain = Cipher(ARC4(key), mode=None).decryptor().update(data)
    try:
        der.decode(plain, der.SEQUENCE)
    except der.DerError:
        raise PbeError("bad decryption") from None
    return plain


def _decrypt_pbes2(params: bytes, password: str, data: bytes) -> bytes:
    kdf, scheme = der.fields(params, der.SEQUENCE, der.SEQUENCE)[:2]
    kdf_oid, kdf_params = der.fields(kdf, der.OID, der.SEQUENCE)[:2]
    if der.to_oid(kdf_oid) != PBKDF2:
        name = der.to_oid(kdf_oid)
        raise UnsupportedPbe(f"key derivation {KNOWN_UNSUPPORTED.get(name, name)}")
    parts = der.items(kdf_params)
    if len(parts) < 2 or parts[0][0] != der.OCTET_STRING or parts[1][0] != der.INTEGER:
        raise PbeError("bad PBKDF2 parameters")
    salt, count = parts[0][1], spend(der.to_int(parts[1][1]))
    prf = "sha1"
    for tag, content in parts[2:]:
        if tag == der.SEQUENCE:
            prf_oid = der.to_oid(der.fields(content, der.OID)[0])
            if prf_oid not in _HMACS:
                raise UnsupportedPbe(f"PBKDF2 PRF {prf_oid}")
            prf = _HMACS[prf_oid]
    cipher_der, iv = der.fields(scheme, der.OID, der.OCTET_STRING)[:2]
    cipher_oid = der.to_oid(cipher_der)
    if cipher_oid in _AES_CBC:
        name, size, block = "aes", _AES_CBC[cipher_oid], 16
    elif cipher_oid == _DES_EDE3_CBC:
        name, size, block = "3des", 24, 8
    else:
        raise UnsupportedPbe(f"cipher {cipher_oid}")
    if len(iv) != block:
        raise PbeError("bad IV")
    key = pbkdf2(prf, password, salt, count, size)
    return _run(name, key, iv, data, block)


_PKCS12_PBE_NAMES = {PBE_SHA1_3DES: "pbe-sha1-3des", PBE_SHA1_2DES: "pbe-sha1-2des",
                     PBE_SHA1_RC2_128: "pbe-sha1-rc2-128", PBE_SHA1_RC2_40: "pbe-sha1-rc2-40",
                     PBE_SHA1_RC4_128: "pbe-sha1-rc4-128", PBE_SHA1_RC4_40: "pbe-sha1-rc4-40"}
_CIPHER_NAMES = {"2.16.840.1.101.3.4.1.2": "aes-128-cbc", "2.16.840.1.101.3.4.1.22": "aes-192-cbc",
                 "2.16.840.1.101.3.4.1.42": "aes-256-cbc", _DES_EDE3_CBC: "des-ede3-cbc"}


def scheme(algorithm_id: bytes) -> tuple[str, int, int | None]:
    """(the name docs/formats.md gives an encryption scheme, its iteration count, its salt's length in bytes),
    read without decrypting: what compat judges runtimes by (Java refuses a salt under 8 bytes)."""
    try:
        parts = der.items(algorithm_id)
        algorithm = der.to_oid(parts[0][1])
        if algorithm in _PKCS12_PBE_NAMES:
            salt, count = der.fields(parts[1][1], der.OCTET_STRING, der.INTEGER)[:2]
            return _PKCS12_PBE_NAMES[algorithm], der.to_int(count), len(salt)
        if algorithm == PBES2:
            kdf, cipher = der.fields(parts[1][1], der.SEQUENCE, der.SEQUENCE)[:2]
            params = der.items(der.fields(kdf, der.OID, der.SEQUENCE)[1])
            salt_size = len(params[0][1]) if params[0][0] == der.OCTET_STRING else None  # else PBKDF2's otherSource
            name = der.to_oid(der.fields(cipher, der.OID)[0])
            return _CIPHER_NAMES.get(name, name), der.to_int(params[1][1]), salt_size
        return KNOWN_UNSUPPORTED.get(algorithm, algorithm), 0, None
    except (der.DerError, IndexError):
        return "unreadable", 0, None


def decrypt(algorithm_id: bytes, data: bytes, password: str) -> bytes:
    """Decrypt `data` protected by the scheme in `algorithm_id` (an AlgorithmIdentifier's content).

    Like Java, an empty password is tried once more as a single NUL
    character, which some tools write for "no password".
    """
    parts = der.items(algorithm_id)
    if not parts or parts[0][0] != der.OID:
        raise PbeError("bad algorithm identifier")
    algorithm = der.to_oid(parts[0][1])
    params = parts[1][1] if len(parts) > 1 else b""
    attempt: Callable[[str], bytes]
    if algorithm == PBES2:
        attempt = lambda pw: _decrypt_pbes2(params, pw, data)  # noqa: E731
    elif algorithm in _PKCS12_PBE:
        attempt = lambda pw: _decrypt_pkcs12_pbe(algorithm, params, pw, data)  # noqa: E731
    else:
        raise UnsupportedPbe(f"encryption {KNOWN_UNSUPPORTED.get(algorithm, algorithm)}")
    try:
        return attempt(password)
    except PbeError:
        if password:
            raise
        return attempt("\0")


def encrypt(data: bytes, password: str, scheme: str = "aes-256-cbc") -> tuple[bytes, bytes]:
    """Encrypt as keytool does: (AlgorithmIdentifier DER, ciphertext). `scheme`: "aes-256-cbc" (PBES2,
    keytool 17's) or "pbe-sha1-3des" (Java's legacy)."""
    salt = os.urandom(_SALT)
    if scheme == "pbe-sha1-3des":
        key = kdf_pkcs12("sha1", password, salt, LEGACY_ITERATIONS, 1, 24)
        iv = kdf_pkcs12("sha1", password, salt, LEGACY_ITERATIONS, 2, 8)
        algorithm_id = der.sequence(der.oid(PBE_SHA1_3DES), der.sequence(
            der.octets(salt), der.integer(LEGACY_ITERATIONS)))
        name, block = "3des", 8
    else:
        iv = os.urandom(16)
        key = pbkdf2("sha256", password, salt, ITERATIONS, 32)
        algorithm_id = der.sequence(der.oid(PBES2), der.sequence(
            der.sequence(der.oid(PBKDF2), der.sequence(
                der.octets(salt), der.integer(ITERATIONS), der.integer(32),
                der.sequence(der.oid("1.2.840.113549.2.9"), der.null()))),
            der.sequence(der.oid("2.16.840.1.101.3.4.1.42"), der.octets(iv))))
        name, block = "aes", 16
    enc = _cipher(name, key, iv).encryptor()
    return algorithm_id, enc.update(_pad(data, block)) + enc.finalize()


def encrypt_pkcs8(pkcs8: bytes, password: str, scheme: str = "aes-256-cbc") -> bytes:
    """An EncryptedPrivateKeyInfo holding `pkcs8`."""
    algorithm_id, ciphertext = encrypt(pkcs8, password, scheme)
    return der.sequence(algorithm_id, der.octets(ciphertext))


def decrypt_pkcs8(epki: bytes, password: str) -> bytes:
    """The PKCS#8 (or Java's secret-key PKCS#8) inside an EncryptedPrivateKeyInfo."""
    algorithm_id, data = der.fields(der.decode(epki, der.SEQUENCE), der.SEQUENCE, der.OCTET_STRING)[:2]
    plain = decrypt(algorithm_id, data, password)
    try:
        der.decode(plain, der.SEQUENCE)
    except der.DerError:  # a wrong password that happened to leave valid padding
        raise PbeError("bad decryption") from None
    return plain


def mac(digest: str, password: str, salt: bytes, iterations: int, data: bytes) -> bytes:
    """PKCS#12's password MAC (HmacPBESHA256 and friends in Java's names)."""
    size = hashlib.new(digest).digest_size
    key = kdf_pkcs12(digest, password, salt, spend(iterations), 3, size)
    return hmac.new(key, data, digest).digest()


HMAC_OIDS = {name: oid for oid, name in _HMACS.items()}


def _hmac_oid(algorithm: bytes) -> str:
    """An HMAC AlgorithmIdentifier's OID; its parameters, RFC 8018 says, are NULL (or left out)."""
    oid, *params = der.items(algorithm)
    if oid[0] != der.OID or params not in ([], [(der.NULL, b"")]):
        raise der.DerError("HMAC parameters that are not NULL")
    return der.to_oid(oid[1])


@dataclass(frozen=True)
class Pbmac1:
    """RFC 9579's PBMAC1 integrity for PKCS #12: an HMAC keyed by PBKDF2 (not the PKCS #12 KDF), the
    password in UTF-8. Only its own parameters count; MacData's salt and iterations are ignored."""

    salt: bytes
    iterations: int
    key_length: int
    prf: str
    mac: str

    @classmethod
    def parse(cls, params: bytes) -> "Pbmac1":
        """PBMAC1-params, checked as RFC 9579 asks (a keyLength is required, and 20-64 octets)."""
        try:
            kdf, scheme = der.fields(params, der.SEQUENCE, der.SEQUENCE)[:2]
            kdf_oid, kdf_params = der.fields(kdf, der.OID, der.SEQUENCE)[:2]
            scheme_oid = _hmac_oid(scheme)
            fields = der.items(kdf_params)
        except (der.DerError, IndexError):
            raise PbeError("PBMAC1 parameters that are not PBMAC1-params") from None
        if der.to_oid(kdf_oid) != PBKDF2:
            name = der.to_oid(kdf_oid)
            raise UnsupportedPbe(f"PBMAC1 key derivation {KNOWN_UNSUPPORTED.get(name, name)}")
        if scheme_oid not in _HMACS:
            raise UnsupportedPbe(f"PBMAC1 MAC {scheme_oid}")
        if len(fields) < 2 or fields[0][0] != der.OCTET_STRING or fields[1][0] != der.INTEGER:
            raise PbeError("PBMAC1's PBKDF2 parameters have no salt (or not an OCTET STRING) and iteration count")
        lengths = [der.to_int(v) for t, v in fields[2:] if t == der.INTEGER]
        if not lengths:
            raise PbeError("PBMAC1's PBKDF2 parameters have no keyLength, which RFC 9579 requires")
        if not 20 <= lengths[0] <= 64:
            raise PbeError(f"PBMAC1's keyLength is {lengths[0]}; RFC 9579 takes 20 to 64 octets")
        iterations = der.to_int(fields[1][1])
        if iterations < 1:
            raise PbeError(f"PBMAC1's iteration count is {iterations}")
        prfs = [_hmac_oid(v) for t, v in fields[2:] if t == der.SEQUENCE]
        prf = prfs[0] if prfs else HMAC_OIDS["sha1"]  # the ASN.1 DEFAULT: hmacWithSHA1
        if prf not in _HMACS:
            raise UnsupportedPbe(f"PBMAC1 PRF {prf}")
        return cls(fields[0][1], iterations, lengths[0], _HMACS[prf], _HMACS[scheme_oid])

    @classmethod
    def new(cls, iterations: int = ITERATIONS) -> "Pbmac1":
        """What jkstool writes: PBKDF2-HMAC-SHA256 keying HMAC-SHA256, a 32-octet key."""
        return cls(os.urandom(_SALT), iterations, 32, "sha256", "sha256")

    def digest(self, password: str, data: bytes) -> bytes:
        key = pbkdf2(self.prf, password, self.salt, spend(self.iterations), self.key_length)
        return hmac.new(key, data, self.mac).digest()

    def algorithm(self) -> bytes:
        """The DigestInfo's AlgorithmIdentifier: id-PBMAC1 with its parameters."""
        return der.sequence(der.oid(PBMAC1), der.sequence(
            der.sequence(der.oid(PBKDF2), der.sequence(
                der.octets(self.salt), der.integer(self.iterations), der.integer(self.key_length),
                der.sequence(der.oid(HMAC_OIDS[self.prf]), der.null()))),
            der.sequence(der.oid(HMAC_OIDS[self.mac]), der.null())))


def new_salt() -> bytes:
    return os.urandom(_SALT)
