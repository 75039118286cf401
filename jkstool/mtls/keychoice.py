"""Which key entry JSSE's default key manager presents, as SunX509KeyManagerImpl and the TLS 1.3 code choose.

The key manager (ssl.KeyManagerFactory.algorithm=SunX509) opens every key entry
with the store password when it is made, keeps them in a java.util.HashMap by
alias, and answers "which alias for key type T (and these issuers)?" with the
first matching alias in that map's iteration order. TLS 1.3 asks for the key
types EC, EdDSA, RSA, RSASSA-PSS in that order (X509Authentication): a server
presents the first alias of the first type it holds; a client the first
alias of the first type whose chain names an issuer the server accepts — the
subjects of every certificate the server trusts, or any issuer when that list
would not fit in the message (over 65535 bytes).

The map's order is Java's: String.hashCode, spread, bucket index, buckets
growing at 12, 24, 48... entries, insertion order within a bucket. The
insertion order is KeyStore.aliases(): file order for PKCS12, java.util.Hashtable
order for JKS.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ..model import PrivateKeyEntry
from ..pki import certs
from .jdk import TLS13_CURVES, TLS13_KEY_TYPES

_MAX_AUTHORITIES = 0xFFFF  # CertificateAuthoritiesExtension: the list is left out beyond this


@dataclass(frozen=True)
class Choice:
    entry: PrivateKeyEntry | None
    """What the key manager presents; None when it presents nothing."""
    key_type: str | None
    usable: bool
    """Whether that key can sign a TLS 1.3 handshake (EC on a named curve JSSE supports)."""
    order: tuple[str, ...]
    """The aliases the key manager considered, in its order."""


def java_key_type(cert_der: bytes) -> str:
    """PublicKey.getAlgorithm() of a certificate's key: EC, RSA, RSASSA-PSS, EdDSA, DSA, ..."""
    cert = certs.load(cert_der)
    if cert.public_key_algorithm_oid.dotted_string == "1.2.840.113549.1.1.10":
        return "RSASSA-PSS"
    try:
        key = cert.public_key()
    except ValueError:
        return cert.public_key_algorithm_oid.dotted_string
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC"
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return "EdDSA"
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA"
    return type(key).__name__


def curve(cert_der: bytes) -> str | None:
    key = certs.load(cert_der).public_key()
    return key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else None


def choose(entries: Sequence[PrivateKeyEntry], store_type: str, issuers: Iterable[bytes] | None) -> Choice:
    """The entry a TLS 1.3 server (`issuers` None) or client (the server's acceptable issuers, subject DER)
    presents from `entries`, in their order in the file."""
    usable = [e for e in entries if e.chain]
    by_alias = {e.alias.lower(): e for e in usable}
    order = tuple(hashmap_order(keystore_aliases([e.alias.lower() for e in usable], store_type)))
    accepted = _accepted(issuers)
    for key_type in TLS13_KEY_TYPES:
        for alias in order:
            entry = by_alias[alias]
            if java_key_type(entry.chain[0]) == key_type and names_issuer(entry, accepted):
                ok = key_type != "EC" or curve(entry.chain[0]) in TLS13_CURVES
                return Choice(entry, key_type, ok, order)
    return Choice(None, None, False, order)


def _accepted(issuers: Iterable[bytes] | None) -> set[certs.NameKey] | None:
    """The issuer names a client matches against, as Java compares names; None for any (a server, or a
    list too long to send)."""
    if issuers is None:
        return None
    names = list(issuers)
    if not names or not names_fit(names):
        return None
    return certs.name_keys(names)


def names_fit(issuers: Sequence[bytes]) -> bool:
    """Whether a server's acceptable issuers (subject DER) fit the certificate_authorities extension; beyond
    its size JSSE leaves the list out (CertificateAuthoritiesExtension.getEncodedAuthorities)."""
    return sum(len(n) for n in issuers) <= _MAX_AUTHORITIES


def names_issuer(entry: PrivateKeyEntry, accepted: set[certs.NameKey] | None) -> bool:
    """Whether a certificate of the entry's chain is issued by a name the server accepts (None: any)."""
    if accepted is None:
        return True
    return any(certs.name_key(certs.load(c).issuer) in accepted for c in entry.chain)


def keystore_aliases(aliases: list[str], store_type: str) -> list[str]:
    """KeyStore.aliases() order: a PKCS12 store's LinkedHashMap (file order), a JKS/JCEKS Hashtable."""
    return aliases if store_type == "PKCS12" else hashtable_order(aliases)


def java_hash(text: str) -> int:
    """java.lang.String.hashCode, as an unsigned 32-bit number."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def hashmap_order(keys: Iterable[str]) -> list[str]:
    """The iteration order of a java.util.HashMap filled with `keys` in this order (no removals).

    Beyond 8 keys in one bucket Java would make a tree of it; aliases never collide that much, and the
    list order is kept then (a lesser approximation)."""
    capacity, threshold = 16, 12
    buckets: list[list[str]] = [[] for _ in range(capacity)]
    size = 0
    for key in keys:
        spread = java_hash(key) ^ (java_hash(key) >> 16)
        bucket = buckets[spread & (capacity - 1)]
        if key in bucket:
            continue
        bucket.append(key)
        size += 1
        if size > threshold or (len(bucket) > 8 and capacity < 64):
            capacity, threshold = capacity * 2, threshold * 2
            buckets = _rebucket(buckets, capacity)
    return [key for bucket in buckets for key in bucket]


def _rebucket(buckets: list[list[str]], capacity: int) -> list[list[str]]:
    grown: list[list[str]] = [[] for _ in range(capacity)]
    for bucket in buckets:
        for key in bucket:
            spread = java_hash(key) ^ (java_hash(key) >> 16)
            grown[spread & (capacity - 1)].append(key)
    return grown


def hashtable_order(keys: Iterable[str]) -> list[str]:
    """The enumeration order of a java.util.Hashtable (JKS keeps its entries in one) filled in this order."""
    table: list[list[str]] = [[] for _ in range(11)]
    threshold, count = 8, 0
    for key in keys:
        index = (java_hash(key) & 0x7FFFFFFF) % len(table)
        if key in table[index]:
            continue
        if count >= threshold:
            old, size = table, len(table) * 2 + 1
            table, threshold = [[] for _ in range(size)], int(size * 0.75)
            for bucket in reversed(old):
                for item in bucket:
                    table[(java_hash(item) & 0x7FFFFFFF) % size].insert(0, item)
            index = (java_hash(key) & 0x7FFFFFFF) % len(table)
        table[index].insert(0, key)
        count += 1
    return [key for bucket in reversed(table) for key in bucket]
