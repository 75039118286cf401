"""Reading a certificate's DER as leniently as Java reads it.

Real stores hold certificates strict parsers frown on, and Java reads them
without a word: roots with serial number 0 (the JDK's cacerts), country
names longer than two letters (keytool's default "Unknown"), and ECDSA,
EdDSA or DSA signature algorithms written with NULL parameters (older JDKs).
The warnings cryptography gives about the first two are silenced; a
certificate of the third kind is read from a repaired copy, its own bytes
kept for everything else (its SHA-256, its signature, the file written back).
"""

import warnings
from functools import lru_cache

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

from .. import der
from ..errors import JkstoolError

# What cryptography raises on malformed X.509 input: InvalidVersion is no ValueError (found by fuzzing).
PARSE_ERRORS = (ValueError, x509.InvalidVersion)

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
    raise JkstoolError(f"a certificate cannot be parsed ({reason})")


def parse_warning(cert: x509.Certificate) -> str | None:
    """What was unusual in a certificate read leniently (None for a well-formed one)."""
    return _REPAIRED[id(cert)][2] if id(cert) in _REPAIRED else None


def tbs_bytes(cert: x509.Certificate) -> bytes:
    """The signed part of a certificate, as its issuer signed it (the original bytes of a repaired one)."""
    return _REPAIRED[id(cert)][1] if id(cert) in _REPAIRED else cert.tbs_certificate_bytes


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
