"""Java's HTTPS host name check (sun.security.util.HostnameChecker, TYPE_TLS), as a client applies it.

An IP address matches IP SANs only, never the CN. A DNS name matches the DNS
SANs when the certificate has any, else its most specific CN. A wildcard may
stand for part of a label (`f*.example.com`), never for a dot; JDK 17 takes
wildcards in any label of the same count, later releases in the leftmost
label only. (With a JDK that marks its own public CAs, `*.com`-style
wildcards under them are refused too; Debian's cacerts marks none.)
"""

import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from ..pki import certs


@dataclass(frozen=True)
class Match:
    ok: bool
    by_cn: bool = False
    """Matched by the CN, as Java alone still does."""
    java: str = ""
    """What JSSE says when it does not match."""


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def check(cert: x509.Certificate, name: str, leftmost_only: bool) -> Match:
    """Whether `cert` passes Java's HTTPS identity check for `name`."""
    name = name.rstrip(".")
    sans = certs.extension(cert, x509.SubjectAlternativeName)
    if is_ip(name):
        wanted = ipaddress.ip_address(name.strip("[]"))
        if sans is None:
            return Match(False, java="No subject alternative names present")
        if wanted in sans.get_values_for_type(x509.IPAddress):
            return Match(True)
        return Match(False, java=f"No subject alternative names matching IP address {name} found")
    dns = sans.get_values_for_type(x509.DNSName) if sans is not None else []
    if dns:
        if any(matches(name, template, leftmost_only) for template in dns):
            return Match(True)
        return Match(False, java=f"No subject alternative DNS name matching {name} found.")
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if cns and matches(name, str(cns[-1].value), leftmost_only):
        return Match(True, by_cn=True)
    return Match(False, java=f"No name matching {name} found")


def matches(name: str, template: str, leftmost_only: bool) -> bool:
    """HostnameChecker.isMatched: case-insensitive; `*` within one label; at least one dot after the last `*`."""
    name, template = name.lower(), template.lower()
    if template in ("*", "*.") or ("*" in template and "." not in template[template.rindex("*"):]):
        return False
    if leftmost_only:
        first, _, rest = template.partition(".")
        name_first, _, name_rest = name.partition(".")
        return rest == name_rest and _wildcards(name_first, first)
    labels, wanted = template.split("."), name.split(".")
    return len(labels) == len(wanted) and all(_wildcards(n, t) for n, t in zip(wanted, labels, strict=True))


def _wildcards(label: str, template: str) -> bool:
    """HostnameChecker.matchWildCards: `*` is any run of characters (even none) inside one label."""
    if "*" not in template:
        return label == template
    first, *middle, last = template.split("*")
    if not label.startswith(first):
        return False
    rest = label[len(first):]
    for part in middle:
        at = rest.find(part)
        if at < 0:
            return False
        rest = rest[at + len(part):]
    return rest.endswith(last)
