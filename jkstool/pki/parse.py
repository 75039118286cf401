"""Reading a certificate's DER as leniently as Java reads it.

Real stores hold certificates strict parsers frown on, and Java reads them
without a word: roots with serial number 0 (the JDK's cacerts), country
names longer than two letters (keytool's default "Unknown"), and ECDSA,
EdDSA or DSA signature algorithms written with NULL parameters (older JDKs).
The warnings cryptography gives about the first two are silenced; a
certificate of the third kind is read from a repaired copy, its own bytes
kept for everything else (its SHA-256, its signature, the file written back).
"""

import re
import warnings
from functools import lru_cache
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning

from .. import der
from ..errors import JkstoolError

# What cryptography raises on malformed X.509 input: InvalidVersion is no ValueError (found by fuzzing).
PARSE_ERRORS = (ValueError, x509.InvalidVersion)
# What reading malformed extensions raises (TypeError: an IP name constraint whose mask is not a prefix).
UNPARSEABLE = (ValueError, TypeError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType)

warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive",
                        category=CryptographyDeprecationWarning)
warnings.filterwarnings("ignore", message="Attribute's length must be", category=UserWarning)

_ABSENT_PARAMETERS = ("1.2.840.10045.4.", "1.3.101.112", "1.3.101.113", "1.2.840.10040.4.3",
                      "2.16.840.1.101.3.4.3.")  # ECDSA, Ed25519, Ed448, DSA: parameters must be absent
_REPAIRED: dict[int, tuple[x509.Certificate, bytes, str]] = {}
"""Certificates read from a repaired copy, by id (each kept alive here, so that no id is reused)."""


@lru_cache(maxsize=4096)
def load(data: bytes) -> x509.Certificate:
    """The certificate in `data` (DER), read as leniently as Java reads it."""
    try:
        return x509.load_der_x509_certificate(data)
    except PARSE_ERRORS as e:
        reason = str(e)
    repaired = _without_null_parameters(data)
    if repaired is not None:
        try:
            cert = x509.load_der_x509_certificate(repaired[0])
        except PARSE_ERRORS:
            pass
        else:
            _REPAIRED[id(cert)] = (cert, repaired[1], "its signature algorithm is written with NULL parameters, "
                                   "as older JDKs wrote it")
            return cert
    raise JkstoolError(f"a certificate cannot be parsed ({_plain(reason)})", "export it again")


_DER_FAULTS = {"ShortData": "its DER ends early", "UnexpectedTag": "an unexpected tag in its DER",
               "InvalidValue": "an invalid value in its DER", "ExtraData": "data after its DER",
               "InvalidLength": "an invalid length in its DER", "IntegerOverflow": "an integer too large in its DER"}


def _plain(reason: str) -> str:
    """cryptography's parse error in words: its Rust debug form ("ParseError { kind: ShortData ...") names
    the fault; a message of its own ("invalid version") is kept."""
    kind = re.search(r"ParseError \{ kind: (\w+)", reason)
    if kind is None:
        return reason
    return _DER_FAULTS.get(kind.group(1), "broken DER")


def parse_warning(cert: x509.Certificate) -> str | None:
    """What was unusual in a certificate read leniently (None for a well-formed one)."""
    return _REPAIRED[id(cert)][2] if id(cert) in _REPAIRED else None


def tbs_bytes(cert: x509.Certificate) -> bytes:
    """The signed part of a certificate, as its issuer signed it (the original bytes of a repaired one)."""
    return _REPAIRED[id(cert)][1] if id(cert) in _REPAIRED else cert.tbs_certificate_bytes


_EC_KEY = "1.2.840.10045.2.1"
_EKU = "2.5.29.37"


@lru_cache(maxsize=4096)
def java_refuses(data: bytes) -> str | None:
    """Why Java's CertificateFactory refuses a certificate cryptography reads (sun.security.x509.X509CertInfo
    and X509Key), in Java's words; None when Java reads it too. Asked of every certificate each time a chain
    is validated (first breaks validate the same chains at several moments): kept, as `load` keeps the
    certificates."""
    cert = load(data)
    try:
        list(cert.extensions)
    except x509.DuplicateExtension:
        return "Duplicate extensions not allowed"
    except UNPARSEABLE:
        pass
    if not cert.issuer.rdns:
        return "Empty issuer DN not allowed in X509Certificates"
    empty = not cert.subject.rdns
    if empty and cert.version == x509.Version.v1:
        return "Empty subject DN not allowed in v1 certificate"
    if _explicit_curve(data):
        return "Only named ECParameters supported"
    if not empty or not _has_extensions(data):
        return None
    names = next((e for e in extensions(cert) if isinstance(e.value, x509.SubjectAlternativeName)), None)
    if names is None:
        return "X.509 Certificate is incomplete: subject field is empty, and SubjectAlternativeName extension is absent"
    if not list(cast(x509.SubjectAlternativeName, names.value)):
        return "X.509 Certificate is incomplete: subject field is empty, and SubjectAlternativeName extension is empty"
    if not names.critical:
        return "X.509 Certificate is incomplete: SubjectAlternativeName extension MUST be marked critical when " \
               "subject field is empty"
    return None


def _tbs_fields(data: bytes) -> list[tuple[int, bytes]]:
    try:
        return der.items(der.items(der.decode(data, der.SEQUENCE))[0][1])
    except (der.DerError, ValueError, IndexError):
        return []


def _has_extensions(data: bytes) -> bool:
    fields = _tbs_fields(data)
    return bool(fields) and fields[-1][0] == der.context(3)


def key_algorithm(data: bytes) -> list[tuple[int, bytes]]:
    """A certificate's key AlgorithmIdentifier, read from its DER: (tag, content) of its OID and parameters, as
    Java's X509Key reads them ([] when the DER cannot be read)."""
    fields = _tbs_fields(data)
    at = 6 if fields and fields[0][0] == der.context(0) else 5
    try:
        return der.items(der.items(fields[at][1])[0][1])
    except (der.DerError, ValueError, IndexError):
        return []


def _ec_parameters(data: bytes) -> tuple[int, bytes] | None:
    """(tag, content) of the parameters of a certificate's EC key: a curve's OID, or the curve spelt out
    (a SEQUENCE); None for another kind of key."""
    algorithm = key_algorithm(data)
    try:
        return algorithm[1] if der.to_oid(algorithm[0][1]) == _EC_KEY and len(algorithm) > 1 else None
    except (der.DerError, IndexError):
        return None


def named_curve(data: bytes) -> str | None:
    """The OID naming the curve of a certificate's EC key (None: not an EC key, or a curve spelt out)."""
    parameters = _ec_parameters(data)
    try:
        return der.to_oid(parameters[1]) if parameters is not None and parameters[0] == der.OID else None
    except der.DerError:
        return None


def _explicit_curve(data: bytes) -> bool:
    """An EC key whose curve is spelt out (a SEQUENCE of parameters) rather than named by an OID."""
    parameters = _ec_parameters(data)
    return parameters is not None and parameters[0] == der.SEQUENCE


def extensions(cert: x509.Certificate) -> list[x509.Extension[x509.ExtensionType]]:
    """A certificate's extensions; when cryptography refuses the set, each read on its own and the ones it
    cannot read left out. Java, too, reads each extension apart and sets aside one it cannot read
    (sun.security.x509.CertificateExtensions.parseExtension), and it reads some that cryptography refuses
    (name constraints of NULL subtrees, an IP constraint whose mask is no prefix): one malformed extension
    hides only itself."""
    try:
        return list(cert.extensions)
    except UNPARSEABLE:
        return list(_one_by_one(cert.public_bytes(Encoding.DER)))


def unreadable(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bool:
    """Whether the certificate carries extension `oid` in a form that cannot be read."""
    if any(e.oid == oid for e in extensions(cert)):
        return False
    fields = _tbs_fields(cert.public_bytes(Encoding.DER))
    try:
        each = der.items(der.decode(fields[-1][1], der.SEQUENCE)) if fields[-1][0] == der.context(3) else []
        return any(der.to_oid(der.items(content)[0][1]) == oid.dotted_string for _, content in each)
    except (der.DerError, ValueError, IndexError):
        return False


@lru_cache(maxsize=256)
def _one_by_one(data: bytes) -> tuple[x509.Extension[x509.ExtensionType], ...]:
    fields = _tbs_fields(data)
    if not fields or fields[-1][0] != der.context(3):
        return ()
    try:
        _, algorithm, signature = der.items(der.decode(data, der.SEQUENCE))
        head = [der.encode(*f) for f in fields[:-1]]
        each = der.items(der.decode(fields[-1][1], der.SEQUENCE))
    except (der.DerError, ValueError):
        return ()
    found = []
    for extension in each:
        alone = der.sequence(der.sequence(*head, der.explicit(3, der.sequence(der.encode(*extension)))),
                             der.encode(*algorithm), der.encode(*signature))
        try:
            found.append(x509.load_der_x509_certificate(alone).extensions[0])
        except (*PARSE_ERRORS, *UNPARSEABLE, IndexError):
            empty = _empty_key_usages(extension[1])
            if empty is not None:
                found.append(empty)
    return tuple(found)


class _NoPurposes(x509.ExtendedKeyUsage):
    """An extended key usage that lists no purpose, as Java reads one (and then allows no purpose): from 51 on,
    cryptography refuses to make an empty ExtendedKeyUsage, so this one is made without its check."""

    def __init__(self) -> None:
        self._usages: list[x509.ObjectIdentifier] = []


def _empty_key_usages(content: bytes) -> x509.Extension[x509.ExtensionType] | None:
    """An extended key usage of no purposes, which cryptography refuses and Java reads (and then finds no
    purpose it allows)."""
    try:
        parts = der.items(content)
        critical = len(parts) == 3 and parts[1] == (0x01, b"\xff")
        empty = der.to_oid(parts[0][1]) == _EKU and parts[-1][1] == der.sequence()
    except (der.DerError, ValueError, IndexError):
        return None
    return x509.Extension(x509.ObjectIdentifier(_EKU), critical, _NoPurposes()) if empty else None


def _without_null_parameters(data: bytes) -> tuple[bytes, bytes] | None:
    """(the certificate with NULL parameters dropped from its signature algorithms, the original signed
    part), or None when there is nothing of the kind to drop."""
    try:
        tbs, algorithm, signature = der.items(der.decode(data, der.SEQUENCE))
        fields = der.items(tbs[1])
        at = 2 if fields and fields[0][0] == der.context(0) else 1
        fixed_tbs = [_algorithm(v) if i == at and t == der.SEQUENCE else der.encode(t, v)
                     for i, (t, v) in enumerate(fields)]
        fixed = der.sequence(der.sequence(*fixed_tbs), _algorithm(algorithm[1]), der.encode(*signature))
    except (der.DerError, ValueError, IndexError):
        return None
    return (fixed, der.encode(der.SEQUENCE, tbs[1])) if fixed != data else None


def _algorithm(content: bytes) -> bytes:
    parts = der.items(content)
    if len(parts) == 2 and parts[0][0] == der.OID and parts[1] == (der.NULL, b"") \
            and der.to_oid(parts[0][1]).startswith(_ABSENT_PARAMETERS):
        return der.sequence(der.encode(*parts[0]))
    return der.encode(der.SEQUENCE, content)
