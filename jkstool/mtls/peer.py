"""A peer's chain as JSSE's default trust manager judges it in a TLS 1.3 handshake.

sun.security.ssl.X509TrustManagerImpl.checkTrusted: the validator builds and
checks the path (PKIXValidator, re-enacted in pkix); unless the peer's own
certificate is trusted as it is, sun.security.validator.EndEntityChecker then
checks what the leaf may be used for (TLS 1.3 passes the auth type "UNKNOWN",
which asks for a digital signature); last, a server dialled by name under HTTPS
endpoint identification must carry that name (HostnameChecker).
"""

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..pki import certs
from . import hostname as hostnames
from . import jdk as jdks
from .pkix import Problem, validate

_EKUS = {
    "tls server": {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
                   x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),  # Microsoft and Netscape SGC,
                   x509.ObjectIdentifier("2.16.840.1.113730.4.1")},  # taken for serverAuth
    "tls client": {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE},
}
_NETSCAPE_CERT_TYPE = x509.ObjectIdentifier("2.16.840.1.113730.1.1")
_NETSCAPE_SSL = {"tls client": 0x80, "tls server": 0x40}  # bits 0 and 1 of the BIT STRING


def end_entity(der: bytes, variant: str) -> list[Problem]:
    """What EndEntityChecker.checkTLSServer (checkTLSClient) refuses in a leaf, in the order it checks;
    Java stops at the first."""
    leaf = certs.load(der)
    side = variant.removeprefix("tls ")
    found = []
    key_usage = certs.extension(leaf, x509.KeyUsage)
    if key_usage is not None and not key_usage.digital_signature:
        found.append(Problem("key-usage", der, "its key usage lacks digitalSignature, which every TLS 1.3 "
                             "handshake needs", "KeyUsage does not allow digital signatures"))
    usages = certs.extension(leaf, x509.ExtendedKeyUsage)
    if usages is not None and not _EKUS[variant] & set(usages):
        names = ", ".join(getattr(u, "_name", u.dotted_string) for u in usages)
        found.append(Problem(f"{side}-eku", der, f"its extended key usage ({names}) does not allow TLS {side} "
                             "authentication", f"Extended key usage does not permit use for TLS {side} "
                             "authentication"))
    if not _netscape_allows(leaf, variant):
        found.append(Problem("netscape-cert-type", der, f"its Netscape certificate type does not allow SSL {side} "
                             "use", f"Netscape cert type does not permit use for SSL {side}"))
    return found


def _netscape_allows(leaf: x509.Certificate, variant: str) -> bool:
    """SimpleValidator.getNetscapeCertTypeBit: without the extension any use is allowed; with it, the SSL
    client (server) bit must be set."""
    value = next((e.value for e in certs.extensions(leaf) if e.oid == _NETSCAPE_CERT_TYPE), None)
    if value is None:
        return True
    data = getattr(value, "value", b"")
    if len(data) < 3 or data[0] != 0x03:  # not a BIT STRING: Java fails to parse it, not this check
        return True
    return len(data) > 3 and bool(data[3] & _NETSCAPE_SSL[variant])


def judge(chain: Sequence[bytes], trusted: Sequence[bytes], variant: str, jdk: jdks.Jdk, at: datetime,
          hostname: str | None = None, *, sent: bool = True) -> Problem | None:
    """Why JSSE refuses `chain` (the peer's certificate first) against `trusted`, or None when it accepts
    it; `hostname` is the name a client dialled (servers check no name); `sent` as pkix.validate takes it."""
    verdict = validate(chain, trusted, variant, jdk, at, sent=sent)
    if not verdict.ok:
        return verdict.problem
    if not verdict.pinned:  # "omit EE extension check if EE cert is also trust anchor"
        refused = end_entity(chain[0], variant)
        if refused:
            return refused[0]
    if hostname is not None and variant == "tls server":
        match = hostnames.check(certs.load(chain[0]), hostname, jdk.leftmost_wildcard_only,
                                names_constrained(verdict.path), jdk.unreadable_sans_throw)
        if not match.ok:
            return Problem("hostname-mismatch", chain[0], f"it does not cover {hostname}", match.java)
    return None


def names_constrained(path: Sequence[bytes]) -> bool:
    """Whether a CA of a validated path (the leaf first, no anchor: Java ignores an anchor's constraints)
    has name constraints, so that Java checked the leaf against them (see hostname.check's cn_as_san)."""
    return any(certs.extension(certs.load(ca), x509.NameConstraints) is not None for ca in path[1:])
