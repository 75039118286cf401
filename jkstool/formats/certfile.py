"""Certificates, CA keys and requests from the files CAs and partners hand out.

A CA's reply, a partner's CA or a bundle comes as PEM, DER or PKCS#7 (PEM or
DER), and the name of the file says nothing reliable about which: the bytes
decide. Errors name the file they are about, the key file for a key problem
and the certificate file for a certificate problem.
"""

from pathlib import Path

from cryptography import x509

from .. import files
from ..errors import JkstoolError
from ..pki import certs, issue


def parse_certificates(data: bytes) -> list[bytes]:
    """The certificates (DER) of a PEM bundle, a DER certificate, or a PKCS#7 bundle (PEM or DER)."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    from . import detect, pem
    if b"-----BEGIN PKCS7-----" in data:
        try:
            return [c.public_bytes(Encoding.DER) for c in pkcs7.load_pem_pkcs7_certificates(data)]
        except certs.PARSE_ERRORS:
            raise JkstoolError("the PKCS#7 bundle cannot be read", "export it again") from None
    if pem.is_pem(data):
        found = pem.certificate_blocks(data)
        if not found:
            raise JkstoolError("no certificate in this PEM file",
                               "give a file with -----BEGIN CERTIFICATE----- blocks")
        return found
    try:
        certs.load(data)
        return [data]
    except JkstoolError:
        pass
    try:
        return [c.public_bytes(Encoding.DER) for c in pkcs7.load_der_pkcs7_certificates(data)]
    except certs.PARSE_ERRORS:
        pass
    try:
        kind = detect(data)
    except JkstoolError:
        kind = None
    if kind in ("JKS", "JCEKS", "PKCS12"):
        raise JkstoolError(f"this is a {kind} store, not a certificate file",
                           "give trusted_in(...) to import its trusted certificates")
    raise JkstoolError("neither a PEM bundle, a DER certificate nor a PKCS#7 bundle",
                       "give certificates in PEM, DER or PKCS#7")


def read_certificates(path: Path | str) -> list[bytes]:
    """`parse_certificates` of a file; errors name it."""
    try:
        return parse_certificates(files.read_bytes(path))
    except JkstoolError as e:
        raise e.at(path=path) from None


def read_issuer(cert_path: Path | str, key_path: Path | str, password: str | None,
                given_as: str = "ca_password=...") -> issue.Issuer:
    """A CA that signs: its certificate file (the CA first, then its issuers, PEM) and its key (PEM), opened
    with `password` (`given_as`: the API parameter that gives it, as errors name it)."""
    try:
        chain = issue.load_ca_chain(files.read_bytes(cert_path))
    except JkstoolError as e:
        raise e.at(path=cert_path) from None
    try:
        key = issue.load_private_key(files.read_bytes(key_path), password, given_as)
    except JkstoolError as e:
        raise e.at(path=key_path) from None
    if not certs.public_key_matches(key, issue.der(chain[0])):
        raise JkstoolError(f"the CA key does not belong to the first certificate of {cert_path}",
                           "give the issuing CA first in its file, and that CA's own key", path=str(key_path))
    return issue.Issuer.of(key, chain)


def read_request(path: Path | str) -> x509.CertificateSigningRequest:
    """A PKCS#10 request file, PEM or DER."""
    try:
        return issue.load_request(files.read_bytes(path))
    except JkstoolError as e:
        raise e.at(path=path) from None
