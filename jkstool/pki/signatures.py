"""Does a certificate's signature verify with a given issuer's key? Whatever its algorithm, never raising.

cryptography's `verify_directly_issued_by` refuses some schemes outright
(DSA, MD5 in some builds, mismatched key types) and raises
`InvalidSignature` for a bad one; Java instead tries every candidate issuer
and moves on when a signature does not verify. So this answers yes or no, for
RSA (PKCS#1 v1.5 with any hash, including MD5 and SHA-1, and RSA-PSS),
ECDSA, EdDSA and DSA: whether the algorithm is *allowed* is a separate
question (the JDK's algorithm constraints, see jkstool.mtls.jdk).
"""

from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from .parse import tbs_bytes

_RSA, _ECDSA = "1.2.840.113549.1.1.", "1.2.840.10045.4."


@lru_cache(maxsize=4096)
def verifies(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer`'s key made `cert`'s signature (names are not compared)."""
    try:
        key = issuer.public_key()
        oid = cert.signature_algorithm_oid.dotted_string
        parameters = cert.signature_algorithm_parameters
        digest = cert.signature_hash_algorithm
        data, signature = tbs_bytes(cert), cert.signature
        if parameters is None and digest is not None and oid.startswith(_RSA):  # older hashes come without
            parameters = padding.PKCS1v15()
        if parameters is None and digest is not None and oid.startswith(_ECDSA):
            parameters = ec.ECDSA(digest)
        if isinstance(key, rsa.RSAPublicKey) and isinstance(parameters, (padding.PKCS1v15, padding.PSS)) \
                and digest is not None:
            key.verify(signature, data, parameters, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(parameters, ec.ECDSA):
            key.verify(signature, data, parameters)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)) and digest is None:
            key.verify(signature, data)
        elif isinstance(key, dsa.DSAPublicKey) and digest is not None and parameters is None:
            key.verify(signature, data, digest)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True
