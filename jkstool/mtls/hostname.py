"""Java's HTTPS host name check (sun.security.util.HostnameChecker, TYPE_TLS), as a client applies it.

An IP address matches IP SANs only, never the CN. A DNS name matches the DNS
SANs when the certificate has any, else its most specific CN. A wildcard may
stand for part of a label (`f*.example.com`), never for a dot; JDK 17 takes
wildcards in any label of the same count, later releases in the leftmost
label only. (With a JDK that marks its own public CAs, `*.com`-style
wildcards under them are refused too; Debian's cacerts marks none.)
"""

import ipaddress
import re
import string
import stringprep
import unicodedata
from dataclasses import dataclass
from encodings import idna

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from ..pki import certs, parse

_LDH = frozenset(string.ascii_letters + string.digits + "-")
_DOTS = re.compile("[.\u3002\uff0e\uff61]")  # the label separators of IDN (RFC 3490, 3.1)


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


def check(cert: x509.Certificate, name: str, leftmost_only: bool, cn_as_san: bool = False,
          unreadable_sans_throw: bool = False) -> Match:
    """Whether `cert` passes Java's HTTPS identity check for `name`.

    `cn_as_san`: a CA on the validated path had name constraints. Checking them, Java's
    NameConstraintsExtension.verify adds the leaf's most specific CN to the leaf's own SAN list (as an IP
    address when it is one and the SANs hold none, else as a DNS name when they hold none), and the identity
    check that follows sees it there.
    `unreadable_sans_throw`: X509CertImpl.getSubjectAlternativeNames throws when the extension could not
    be parsed (JDK 25; JDK 17 answers as if there were none)."""
    if unreadable_sans_throw and parse.unreadable(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME):
        return Match(False, java="the certificate's subject alternative names cannot be parsed")
    return _check(cert, name, leftmost_only, cn_as_san)


def _check(cert: x509.Certificate, name: str, leftmost_only: bool, cn_as_san: bool) -> Match:
    name = name.rstrip(".")
    names = certs.extension(cert, x509.SubjectAlternativeName)
    ips = names.get_values_for_type(x509.IPAddress) if names is not None else []
    dns = names.get_values_for_type(x509.DNSName) if names is not None else []
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = str(cns[-1].value) if cns else None
    if cn_as_san and names is not None and cn is not None:
        if is_ip(cn) and not ips:
            ips = [ipaddress.ip_address(cn)]
        elif not is_ip(cn) and not dns:
            dns = [cn]
    if is_ip(name):
        wanted = ipaddress.ip_address(name.strip("[]"))
        if names is None:
            return Match(False, java="No subject alternative names present")
        if wanted in ips:
            return Match(True)
        return Match(False, java=f"No subject alternative names matching IP address {name} found")
    if _sni_ascii(name) is None:
        return Match(False, java=f"Illegal given domain name: {name}")
    if dns:
        if any(matches(name, template, leftmost_only) for template in dns):
            return Match(True)
        return Match(False, java=f"No subject alternative DNS name matching {name} found.")
    if cn is not None and unicodedata.normalize("NFKC", cn) != cn:
        return Match(False, java=f"Not a formal name {cn}")
    if cn is not None and matches(name, cn, leftmost_only):
        return Match(True, by_cn=True)
    return Match(False, java=f"No name matching {name} found")


def _sni_ascii(name: str) -> str | None:
    """The name as javax.net.ssl.SNIHostName takes it, or None when it refuses it: IDN.toASCII with STD3
    rules (each label, before its encoding, of letters, digits and inner hyphens; 1 to 63 characters after
    it), no trailing dot."""
    if not name or name.endswith("."):
        return None
    for label in _DOTS.split(name):
        if label.startswith("-") or label.endswith("-") or not all(c in _LDH or ord(c) > 0x7F for c in label):
            return None
    return _to_ascii(name)


def _to_ascii(name: str) -> str | None:
    """java.net.IDN.toASCII (IDNA 2003, as Python's idna codec; unassigned code points refused, as Java does
    without ALLOW_UNASSIGNED), or None where it throws."""
    labels = _DOTS.split(name)
    if any(stringprep.in_table_a1(c) for label in labels for c in label):
        return None
    try:
        return ".".join(idna.ToASCII(label).decode() for label in labels)
    except UnicodeError:
        return None


def _unicode(name: str) -> str | None:
    """IDN.toUnicode(IDN.toASCII(name)), which HostnameChecker.isMatched compares; toUnicode keeps a label
    it cannot decode as it is."""
    ascii_form = _to_ascii(name)
    if ascii_form is None:
        return None
    labels = []
    for label in ascii_form.split("."):
        try:
            labels.append(idna.ToUnicode(label))
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def matches(name: str, template: str, leftmost_only: bool) -> bool:
    """HostnameChecker.isMatched: both sides to Unicode (through IDN); case-insensitive; `*` within one label;
    at least one dot after the last `*`; the template, `*` read as a letter, a valid SNI host name."""
    unicode_name, unicode_template = _unicode(name), _unicode(template)
    if unicode_name is None or unicode_template is None:
        return False
    name, template = unicode_name.lower(), unicode_template.lower()
    if template in ("*", "*.") or ("*" in template and "." not in template[template.rindex("*"):]):
        return False
    if _sni_ascii(template.replace("*", "z")) is None:
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
