"""Facts about X.509 certificates, read with cryptography, as Java reports them.

Certificates are read leniently, as Java reads them (see parse); one no
parser takes is still described as far as its DER can be read.
"""

import hashlib
import unicodedata
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from .. import der
from ..errors import JkstoolError
from .parse import PARSE_ERRORS as PARSE_ERRORS
from .parse import extensions as extensions
from .parse import load as load
from .parse import named_curve
from .parse import parse_warning as parse_warning
from .signatures import verifies


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Java reads certificates with Diffie-Hellman keys (PKCS #3's; not X9.42's, see formats/compat): all `list` asks of
# such a key is its size, and cryptography warns of FFDH's coming removal at every one.
warnings.filterwarnings("ignore", message="Diffie-Hellman over finite fields", category=CryptographyDeprecationWarning)

# The curves Java knows (its CurveDB) that cryptography does not implement -- binary ones, old prime ones -- and the
# size Java gives each key: the bit length of the curve's order ("409-bit EC (sect409r1) key", "232-bit EC
# (sect233k1) key": keytool 17 and 25 alike).
_CURVE_ORDER_BITS = {
    **{f"1.3.132.0.{arc}": bits for arc, bits in {
        1: 163, 2: 162, 3: 238, 4: 113, 5: 113, 6: 112, 7: 110, 8: 161, 9: 161, 15: 163, 16: 281, 17: 282, 22: 131,
        23: 131, 24: 193, 25: 193, 26: 232, 27: 233, 28: 128, 29: 126, 30: 161, 31: 192, 32: 225, 36: 407, 37: 409,
        38: 570, 39: 570}.items()},
    **{f"1.2.840.10045.3.0.{arc}": bits for arc, bits in {
        5: 191, 6: 190, 7: 189, 11: 238, 12: 237, 13: 236, 18: 353, 20: 418}.items()},
    **{f"1.2.840.10045.3.1.{arc}": bits for arc, bits in {2: 192, 3: 192, 4: 239, 5: 239, 6: 239}.items()},
    **{f"1.3.36.3.3.2.8.1.1.{arc}": bits for arc, bits in {1: 160, 3: 192, 5: 224, 9: 320}.items()},
}


# The names keytool gives the algorithms it knows by OID alone before 17.0.21 (KnownOIDs, 17.0.21 and 25).
_NAMED_BY_OID = {
    "2.16.840.1.101.3.4.3.17": "ML-DSA-44", "2.16.840.1.101.3.4.3.18": "ML-DSA-65",
    "2.16.840.1.101.3.4.3.19": "ML-DSA-87", "2.16.840.1.101.3.4.4.1": "ML-KEM-512",
    "2.16.840.1.101.3.4.4.2": "ML-KEM-768", "2.16.840.1.101.3.4.4.3": "ML-KEM-1024",
}


def key_description(key: PublicKeyTypes | PrivateKeyTypes) -> tuple[str, int | None] | None:
    """(algorithm, size in bits) of a public or private key, as keytool -list -v says it from 17.0.21 on
    ("255-bit X25519 key": KeyUtil.fullDisplayAlgName; 17 before it said "255-bit XDH key", 25 says no size).
    None for a key cryptography does not describe here (see public_key_description)."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return "RSA", key.key_size
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return "EC", key.curve.key_size
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return "Ed25519", 255
    if isinstance(key, (ed448.Ed448PublicKey, ed448.Ed448PrivateKey)):
        return "Ed448", 448
    if isinstance(key, (x25519.X25519PublicKey, x25519.X25519PrivateKey)):
        return "X25519", 255
    if isinstance(key, (x448.X448PublicKey, x448.X448PrivateKey)):
        return "X448", 448
    if isinstance(key, (dsa.DSAPublicKey, dsa.DSAPrivateKey)):
        return "DSA", key.key_size
    if isinstance(key, (dh.DHPublicKey, dh.DHPrivateKey)):
        return "DH", key.key_size
    return None


def public_key_description(cert: x509.Certificate) -> tuple[str, int | None]:
    """key_description of a certificate's key; for a key cryptography cannot load, what its DER tells: an EC key
    on a curve only Java implements, sized as Java sizes it; ML-DSA and ML-KEM by name, as keytool from 17.0.21
    on; else, as keytool, the algorithm's OID."""
    try:
        described = key_description(cert.public_key())
    except (ValueError, UnsupportedAlgorithm):  # a key type, or an EC curve, cryptography does not know
        bits = _CURVE_ORDER_BITS.get(named_curve(cert.public_bytes(Encoding.DER)) or "")
        described = ("EC", bits) if bits else None
    oid = cert.public_key_algorithm_oid.dotted_string
    return described or (_NAMED_BY_OID.get(oid, oid), None)


def subject_of(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def issuer_of(cert: x509.Certificate) -> str:
    return cert.issuer.rfc4514_string()


@dataclass(frozen=True)
class CertFacts:
    """What `jkstool list` shows of one certificate (for one no parser takes, what its DER tells)."""

    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    sha256: str
    key_algorithm: str
    key_size: int | None
    parse_warning: str | None = None
    """Set when the certificate was read leniently, or could not be parsed."""


class _ParsedFacts(CertFacts):
    """CertFacts of a parsed certificate, each worked out when first read (then kept as an attribute):
    a table of 10,000 certificates asks for a few of them, and RFC 4514 names and keys cost more than
    all the rest. (A plain __getattr__: functools.cached_property takes a lock on every first read.)"""

    _data: bytes
    _cert: x509.Certificate

    _WORK: dict[str, Callable[["_ParsedFacts"], object]] = {
        "subject": lambda f: subject_of(f._cert), "issuer": lambda f: issuer_of(f._cert),
        "serial": lambda f: format(f._cert.serial_number, "x"),
        "not_before": lambda f: f._cert.not_valid_before_utc, "not_after": lambda f: f._cert.not_valid_after_utc,
        "sha256": lambda f: sha256(f._data), "key_algorithm": lambda f: f._key()[0],
        "key_size": lambda f: f._key()[1],
    }

    def __init__(self, data: bytes, cert: x509.Certificate):  # the facts are not set: __getattr__ works them out
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_cert", cert)
        object.__setattr__(self, "parse_warning", parse_warning(cert))

    def __getattr__(self, name: str) -> object:
        if name not in self._WORK:
            raise AttributeError(name)
        value = self._WORK[name](self)
        object.__setattr__(self, name, value)
        return value

    def _key(self) -> tuple[str, int | None]:
        if "_key_description" not in self.__dict__:
            object.__setattr__(self, "_key_description", public_key_description(self._cert))
        return self.__dict__["_key_description"]  # type: ignore[no-any-return]


def facts(data: bytes) -> CertFacts:
    """What `list` shows; for a certificate that cannot be parsed, what a tolerant reading finds."""
    try:
        cert = load(data)
    except JkstoolError:
        return _partial_facts(data)
    return _ParsedFacts(data, cert)


_SHORT_NAMES = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
                "2.5.4.11": "OU", "0.9.2342.19200300.100.1.25": "DC", "1.2.840.113549.1.9.1": "emailAddress"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


UNREADABLE = "cannot be parsed at all: only its SHA-256 is shown"
"""The parse warning of a certificate whose DER does not even give its names and dates (Java refuses it)."""


def _partial_facts(data: bytes) -> CertFacts:
    """A certificate's names, serial and dates from its DER alone, for one no parser takes (Java may)."""
    try:
        fields = der.items(der.items(der.decode(data, der.SEQUENCE))[0][1])
        at = 1 if fields[0][0] == der.context(0) else 0
        serial, issuer, validity, subject = (fields[at][1], fields[at + 2][1], fields[at + 3][1], fields[at + 4][1])
        start, end = (_time(tag, value) for tag, value in der.items(validity))
        return CertFacts(_name_text(subject), _name_text(issuer), format(der.to_int(serial), "x"), start, end,
                         sha256(data), "unknown", None, "cannot be parsed: shown as far as its DER can be read")
    except (der.DerError, ValueError, IndexError):
        return CertFacts("", "", "", _EPOCH, _EPOCH, sha256(data), "unknown", None, UNREADABLE)


def _name_text(content: bytes) -> str:
    parts = []
    for _, rdn in der.items(content):
        for _, attribute in der.items(rdn):
            oid, (_, value) = der.items(attribute)[0][1], der.items(attribute)[1]
            dotted = der.to_oid(oid)
            parts.append(f"{_SHORT_NAMES.get(dotted, dotted)}={value.decode('utf-8', 'replace')}")
    return ",".join(reversed(parts))


def _time(tag: int, value: bytes) -> datetime:
    text = value.decode("ascii")
    layout = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"
    return datetime.strptime(text, layout).replace(tzinfo=timezone.utc)


_Extension = TypeVar("_Extension", bound=x509.ExtensionType)


def extension(cert: x509.Certificate, kind: type[_Extension]) -> _Extension | None:
    """The value of an extension (by its cryptography class), or None when absent or unparseable."""
    return next((e.value for e in extensions(cert) if isinstance(e.value, kind)), None)


def key_id(cert: x509.Certificate) -> bytes | None:
    ski = extension(cert, x509.SubjectKeyIdentifier)
    return ski.digest if ski else None


def authority_key_id(cert: x509.Certificate) -> bytes | None:
    aki = extension(cert, x509.AuthorityKeyIdentifier)
    return aki.key_identifier if aki else None


_CANONICAL_STRINGS = (12, 19)  # UTF8String, PrintableString
NameKey = tuple[frozenset[tuple[str, object]], ...]
"""A name as Java compares it (name_key)."""


def name_key(name: x509.Name) -> NameKey:
    """A name as Java compares names (X500Principal.equals, in path building, chain linking, issuer
    lists): by its RFC 2253 canonical form (sun.security.x509.AVA.toRFC2253CanonicalString). A
    UTF8String or PrintableString value counts case-folded, NFKD, its runs of spaces as one and trimmed,
    so string type and case do not matter; any other value counts as its exact type and content."""
    return tuple(frozenset((attribute.oid.dotted_string, _canonical(attribute)) for attribute in rdn)
                 for rdn in name.rdns)


def _canonical(attribute: "x509.NameAttribute[Any]") -> object:
    tag = getattr(getattr(attribute, "_type", None), "value", None)
    if tag not in _CANONICAL_STRINGS or not isinstance(attribute.value, str):
        return tag, attribute.value
    folded = " ".join(attribute.value.split()).upper().lower()
    return unicodedata.normalize("NFKD", folded)


def name_keys(names: Iterable[bytes]) -> set[NameKey]:
    """The keys of DER-encoded names (a server's list of acceptable issuers); one that does not parse is
    passed over, as it matches no certificate's issuer."""
    keys = set()
    for name in names:
        try:
            keys.add(name_key(x509.Name.from_bytes(name)))
        except ValueError:
            continue
    return keys


def same_name(a: x509.Name, b: x509.Name) -> bool:
    return a == b or name_key(a) == name_key(b)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `cert`: its subject is `cert`'s issuer (as Java compares names) and the
    signature verifies."""
    return same_name(cert.issuer, issuer.subject) and verifies(cert, issuer)


def is_self_signed(cert: x509.Certificate) -> bool:
    """Self-issued and verifying with its own key, as Java's KeyStoreUtil decides."""
    return issued_by(cert, cert)


class Pool:
    """Certificates indexed by subject, in file order: finding issuers costs no scan of the pool."""

    def __init__(self, certificates: list[bytes]):
        self._by_subject: dict[NameKey, list[bytes]] = {}
        for data in certificates:
            try:
                subject = name_key(load(data).subject)
            except JkstoolError:
                continue  # a certificate that cannot be parsed issues nothing here
            self._by_subject.setdefault(subject, []).append(data)

    def issuer_of(self, cert: x509.Certificate) -> bytes | None:
        """The first certificate whose subject is `cert`'s issuer, preferring (as Java does) one
        whose key identifier matches `cert`'s authority key identifier."""
        wanted = authority_key_id(cert)
        fallback = None
        for data in self._by_subject.get(name_key(cert.issuer), ()):
            if wanted is None:
                return data
            found = key_id(load(data))
            if found == wanted:
                return data
            if found is None:
                fallback = fallback or data
        return fallback


def build_chain(leaf: bytes, pool: "Pool | list[bytes]") -> tuple[bytes, ...]:
    """The chain Java's PKCS12 keystore rebuilds for a key: leaf, then issuers from `pool`.

    PKCS12 files do not record chains; Java links each certificate to the
    first one in the file whose subject is its issuer (and whose key
    identifier matches, when both carry one), stopping at a self-signed
    certificate or a loop. Reading a chain any other way would show the user
    a different store from the one Java sees.
    """
    pool = pool if isinstance(pool, Pool) else Pool(pool)
    chain, seen = [leaf], {leaf}
    try:
        cert = load(leaf)
    except JkstoolError:
        return (leaf,)  # kept as it is: its issuer cannot be known
    while not is_self_signed(cert):
        issuer = pool.issuer_of(cert)
        if issuer is None or issuer in seen:
            break
        chain.append(issuer)
        seen.add(issuer)
        cert = load(issuer)
    return tuple(chain)


_NAME_ORDER = (NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.ORGANIZATION_NAME)


class Aliases(Protocol):
    """Aliases in use: a Store, or a set of lowercased aliases."""

    def __contains__(self, alias: str, /) -> bool: ...


def alias_for(data: bytes, taken: Aliases) -> str:
    """An alias for a certificate that came without one: its CN, else OU, else O.

    Lowercase (Java lowercases aliases), words joined by hyphens (an alias
    is typed in commands: "partner-root-ca", not "partner root ca"), stable
    across runs, and unique in `taken`: a collision gets the first eight hex
    digits of the SHA-256.
    """
    cert = load(data)
    base = "cert"
    for oid in _NAME_ORDER:
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            base = "-".join(str(values[0].value).lower().split()) or base
            break
    alias = base
    if alias in taken:
        alias = f"{base}-{sha256(data)[:8]}"
    n = 2
    while alias in taken:
        alias, n = f"{base}-{sha256(data)[:8]}-{n}", n + 1
    return alias


def public_key_matches(private_key: PrivateKeyTypes, data: bytes) -> bool:
    """Whether the certificate carries the public half of `private_key`."""
    from cryptography.hazmat.primitives import serialization
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = private_key.public_key().public_bytes(serialization.Encoding.DER, spki)
    return load(data).public_key().public_bytes(serialization.Encoding.DER, spki) == mine


def general_name(name: x509.GeneralName) -> str:
    prefixes: dict[type[x509.GeneralName], str] = {
        x509.DNSName: "DNS", x509.IPAddress: "IP", x509.RFC822Name: "email",
        x509.UniformResourceIdentifier: "URI", x509.DirectoryName: "DirName"}
    value = name.value.rfc4514_string() if isinstance(name, x509.DirectoryName) else name.value
    return f"{prefixes.get(type(name), type(name).__name__)}:{value}"


_KEY_USAGES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
               "key_agreement", "key_cert_sign", "crl_sign")


def extension_details(data: bytes) -> dict[str, object]:
    """The extensions a mutual-TLS set-up depends on, for `list -v`."""
    cert = load(data)
    san = extension(cert, x509.SubjectAlternativeName)
    eku = extension(cert, x509.ExtendedKeyUsage)
    ku = extension(cert, x509.KeyUsage)
    bc = extension(cert, x509.BasicConstraints)
    usages = None
    if ku is not None:
        usages = [_camel(u) for u in _KEY_USAGES if getattr(ku, u)]
        if ku.key_agreement:
            usages += [_camel(u) for u in ("encipher_only", "decipher_only") if getattr(ku, u)]
    ski, aki = key_id(cert), authority_key_id(cert)
    signature = getattr(cert.signature_algorithm_oid, "_name", None)
    return {
        "signature_algorithm": signature,
        "subject_alt_names": [general_name(n) for n in san] if san is not None else None,
        "extended_key_usage": None if eku is None else [getattr(u, "_name", u.dotted_string) for u in eku],
        "key_usage": usages,
        "basic_constraints": None if bc is None else {"ca": bc.ca, "path_length": bc.path_length},
        "subject_key_id": ski.hex() if ski else None,
        "authority_key_id": aki.hex() if aki else None,
    }


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def complete_chain(leaf: bytes, pool: list[bytes]) -> tuple[bytes, ...]:
    """`leaf` and its issuers from `pool`, up to a self-signed root; an error naming the
    first issuer that is missing."""
    chain = build_chain(leaf, pool)
    top = load(chain[-1])
    if not is_self_signed(top):
        aki = authority_key_id(top)
        raise JkstoolError(
            f"cannot complete the chain: the issuer of {subject_of(top)}, {issuer_of(top)}"
            f"{f' (key id {aki.hex()})' if aki else ''}, is in none of the certificates given",
            "give the issuing CA's certificates with ca_certificates=..., or trust them in the store")
    return chain
