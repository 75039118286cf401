"""Certificate revocation lists: a CA's list of certificates it no longer vouches for.

A server enforces revocation only when it is configured to load the CRL,
and refuses every client once that CRL is past its nextUpdate: both are said
wherever CRLs are checked.
"""

import datetime
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..errors import JkstoolError
from . import certs, issue

NEAR = datetime.timedelta(days=3)
"""How close a CRL's nextUpdate is when it is time to publish the next: verify-pair warns, expiry's gate fails."""


def load(data: bytes) -> x509.CertificateRevocationList:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except certs.PARSE_ERRORS:
        raise JkstoolError("not a certificate revocation list (CRL)", "give the CRL file, PEM or DER") from None


def load_all(data: bytes) -> list[x509.CertificateRevocationList]:
    """Every CRL of a file: a PEM bundle (what Tomcat's certificateRevocationListFile and nginx's ssl_crl
    load) or one CRL, PEM or DER."""
    blocks = re.findall(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", data, re.S)
    return [load(block) for block in blocks] if blocks else [load(data)]


def _number(crl: x509.CertificateRevocationList | None) -> int:
    if crl is None:
        return 0
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return 0


def revoke(issuer: issue.Issuer, existing: x509.CertificateRevocationList | None, revoked: list[bytes],
           days: int) -> tuple[bytes, list[bytes], list[bytes]]:
    """A new CRL signed by `issuer`: the existing one's entries plus `revoked`, the CRL number one higher.

    Returns (the CRL in PEM, the certificates newly revoked, those already on the list)."""
    issuer_key = issue.issuer_public_key(issuer.cert)
    if existing is not None and not existing.is_signature_valid(issuer_key):
        raise JkstoolError("the existing CRL is not signed by this CA", "give this CA's CRL, or a new crl=... file")
    now = datetime.datetime.now(datetime.timezone.utc)
    listed = {r.serial_number: r for r in existing} if existing is not None else {}
    added, already = [], []
    for data in revoked:
        cert = certs.load(data)
        if not certs.issued_by(cert, issuer.cert):
            raise JkstoolError(f"{certs.subject_of(cert)} is not issued by this CA, so its CRL cannot revoke it",
                               "give the CA that issued it")
        if cert.serial_number in listed:
            already.append(data)
            continue
        listed[cert.serial_number] = (x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                                      .revocation_date(now).build())
        added.append(data)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer.cert.subject)
               .last_update(now)
               .next_update(issue.days_after(now, days))
               .add_extension(x509.CRLNumber(_number(existing) + 1), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key),
                              critical=False))
    for entry in listed.values():
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(issuer.key, issue.signature_hash(issuer.key))
    return crl.public_bytes(serialization.Encoding.PEM), added, already


def signer_among(crl: x509.CertificateRevocationList,
                 cas: list[x509.Certificate]) -> x509.Certificate | None:
    """The CA of `cas` that issued `crl`: its name, and its key the signature's."""
    return next((ca for ca in cas if certs.same_name(crl.issuer, ca.subject)
                 and crl.is_signature_valid(issue.issuer_public_key(ca))), None)


def signs_crls_for_java(ca: x509.Certificate) -> bool:
    """Whether Java verifies a CRL with this CA's key directly: its key usage names cRLSign. Without a key
    usage extension it does not (RevocationChecker.certCanSignCrl), and verifies the CRL through a path of
    its own to the CA, checking that path's revocation at every level."""
    usage = certs.extension(ca, x509.KeyUsage)
    return usage is not None and usage.crl_sign


def covering(crls: list[x509.CertificateRevocationList], cert: x509.Certificate,
             issuer: x509.Certificate | None) -> list[x509.CertificateRevocationList]:
    """The CRLs (of those given) that speak for `cert`: issued under its issuer's name and, when the issuer
    is known, signed by it."""
    return [crl for crl in crls if certs.same_name(crl.issuer, cert.issuer)
            and (issuer is None or crl.is_signature_valid(issue.issuer_public_key(issuer)))]


def revoked_by(crls: list[x509.CertificateRevocationList], cert: x509.Certificate,
               issuer: x509.Certificate | None) -> x509.CertificateRevocationList | None:
    """The CRL (of those given) that lists `cert` as revoked, if any."""
    return next((crl for crl in covering(crls, cert, issuer)
                 if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None), None)
