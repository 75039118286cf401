"""Does JSSE's default trust manager accept a peer's chain? sun.security.validator.PKIXValidator, re-enacted.

The peer's first certificate, if trusted as it is, is accepted with no check
at all (a pinned peer). Otherwise the chain is walked while each certificate
names the next as its issuer; it is cut at the first certificate that is
trusted (or has a trusted certificate's name and key), and what the peer sent
after it is ignored. If the last certificate's issuer is a trusted name, the
chain is validated against every trust anchor of that name (key identifiers
filter them) — and only that; otherwise a path is built, depth first, from
the sent certificates and the trust anchors, trying every candidate issuer,
within a budget (limits.PATH_CANDIDATES, limits.PATH_SIGNATURES, and the
deadline of `within`): CAs of one name that can each issue another make
every order of them a path, so a search that spends it ends, no path found.
Each certificate on the path (never the anchor, whose dates Java ignores) is
checked as sun.security.provider.certpath's checkers do: algorithm
constraints, CA key usage, basic constraints and pathLen, name constraints,
validity, the signature, TLS 1.3's certificate signature schemes, and
critical extensions Java does not recognise; then the path's certificate
policies (policies.py). The anchor, finally, must be a CA (version 3) with
keyCertSign when it has a key usage. A certificate Java's CertificateFactory
will not read (pki.parse.java_refuses) refuses the whole chain first.
"""

import ipaddress
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from .. import limits
from ..errors import JkstoolError
from ..pki import certs
from ..pki.parse import java_refuses
from ..pki.signatures import verifies
from . import hostname as hostnames
from . import jdk as jdks
from . import policies

_MAX_INTERMEDIATES = 5  # PKIXBuilderParameters' default maxPathLength
_RECOGNISED = {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.NAME_CONSTRAINTS, ExtensionOID.KEY_USAGE,
               ExtensionOID.EXTENDED_KEY_USAGE, ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
               ExtensionOID.CERTIFICATE_POLICIES, ExtensionOID.POLICY_MAPPINGS, ExtensionOID.POLICY_CONSTRAINTS,
               ExtensionOID.INHIBIT_ANY_POLICY}
# Java's names for signature algorithms (X509Certificate.getSigAlgName), by OID.
SIGNATURE_NAMES = {
    "1.2.840.113549.1.1.2": "MD2withRSA", "1.2.840.113549.1.1.4": "MD5withRSA",
    "1.2.840.113549.1.1.5": "SHA1withRSA", "1.2.840.113549.1.1.14": "SHA224withRSA",
    "1.2.840.113549.1.1.11": "SHA256withRSA", "1.2.840.113549.1.1.12": "SHA384withRSA",
    "1.2.840.113549.1.1.13": "SHA512withRSA", "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.2.840.10045.4.1": "SHA1withECDSA", "1.2.840.10045.4.3.1": "SHA224withECDSA",
    "1.2.840.10045.4.3.2": "SHA256withECDSA", "1.2.840.10045.4.3.3": "SHA384withECDSA",
    "1.2.840.10045.4.3.4": "SHA512withECDSA", "1.2.840.10040.4.3": "SHA1withDSA",
    "2.16.840.1.101.3.4.3.1": "SHA224withDSA", "2.16.840.1.101.3.4.3.2": "SHA256withDSA",
    "1.3.101.112": "Ed25519", "1.3.101.113": "Ed448",
}


@dataclass(frozen=True)
class Problem:
    """Why a path fails: a finding code, the certificate it is about, what is wrong, and JSSE's words."""

    code: str
    cert: bytes
    what: str
    java: str
    fix: str = ""
    """What to do, where it differs from the code's usual advice."""


@dataclass
class Verdict:
    ok: bool
    path: list[bytes]
    """The certificates validated, leaf first; the anchor is not among them."""
    anchor: bytes | None = None
    pinned: bool = False
    problem: Problem | None = None
    built: bool = False
    """Whether the path was built (Java then reports one generic message for every failure)."""


def _unparseable(chain: Sequence[bytes], variant: str) -> Problem | None:
    """The first certificate Java's CertificateFactory refuses (cryptography refusing it too, or not)."""
    side = variant.removeprefix("tls ")
    for der in chain:
        try:
            why = java_refuses(der)
        except JkstoolError as e:
            why = e.what
        if why:
            return Problem("cert-unparseable", der, why, f"Failed to parse {side} certificates")
    return None


def signature_name(cert: x509.Certificate) -> str:
    return SIGNATURE_NAMES.get(cert.signature_algorithm_oid.dotted_string, cert.signature_algorithm_oid.dotted_string)


def key_facts(cert: x509.Certificate) -> tuple[str, int | None]:
    """(key algorithm as Java's constraints name it, its size) of a certificate's key."""
    try:
        key = cert.public_key()
    except ValueError:
        return cert.public_key_algorithm_oid.dotted_string, None
    if isinstance(key, rsa.RSAPublicKey):
        name = "RSASSA-PSS" if cert.public_key_algorithm_oid.dotted_string == "1.2.840.113549.1.1.10" else "RSA"
        return name, key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 255
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 448
    return type(key).__name__, None


@dataclass
class _Context:
    trusted: list[bytes]
    variant: str  # "tls server": a server's chain, checked by a client; "tls client"
    jdk: jdks.Jdk
    at: datetime
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    search: "_Search | None" = None
    """The path search under way (_build), whose budget and memos signature checks go through."""

    def record(self, depth: int, problem: Problem) -> None:
        self.problems.append((depth, problem))

    def signed(self, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
        """Whether `issuer`'s key made `cert`'s signature; counted against the path search's budget."""
        return verifies(cert, issuer) if self.search is None else self.search.verifies(cert, issuer)

    def best(self) -> Problem | None:
        """The failure of the path that got furthest."""
        return max(self.problems, key=lambda item: item[0])[1] if self.problems else None


def validate(chain: Sequence[bytes], trusted: Sequence[bytes], variant: str, jdk: jdks.Jdk,
             at: datetime, *, sent: bool = True) -> Verdict:
    """JSSE's verdict on `chain` (what a peer sends, leaf first) against `trusted` (a truststore's trusted
    certificates and its key entries' own certificates). `sent`: the chain came in a Certificate message,
    whose length JSSE limits before any trust manager sees it."""
    context = _Context(list(dict.fromkeys(trusted)), variant, jdk, at)
    limit = 8 if variant == "tls client" and jdk.version >= 25 else 10
    if sent and len(chain) > limit:
        return Verdict(False, list(chain), problem=Problem(
            "chain-too-long", chain[0], f"the chain has {len(chain)} certificates, JDK {jdk.version} takes {limit}",
            f"The certificate chain length ({len(chain)}) exceeds the maximum allowed length ({limit})"))
    if chain[0] in context.trusted:
        return Verdict(True, [chain[0]], chain[0], pinned=True)
    unparseable = _unparseable(chain, variant)
    if unparseable:  # CertificateMessage: the whole message is refused, before any trust check
        return Verdict(False, list(chain), problem=unparseable)
    loaded = [certs.load(c) for c in chain]
    trusted_keys = {(certs.name_key(certs.load(t).subject), _spki(certs.load(t))) for t in context.trusted}
    for i in range(1, len(chain)):
        if not certs.same_name(loaded[i].subject, loaded[i - 1].issuer):
            return _build(chain, context)
        if chain[i] in context.trusted or (certs.name_key(loaded[i].subject), _spki(loaded[i])) in trusted_keys:
            return _validate(list(chain[:i]), context)
    if any(certs.same_name(certs.load(t).subject, loaded[-1].issuer) for t in context.trusted):
        return _validate(list(chain), context)
    return _build(chain, context)


def _spki(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    try:
        return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except ValueError:
        return b""


# -- validating a chain as sent (PKIXCertPathValidator) ---------------------------------------------

def _validate(path: list[bytes], context: _Context) -> Verdict:
    top = certs.load(path[-1])
    anchors = [t for t in context.trusted if _may_anchor(certs.load(t), top)]
    if not anchors:
        return Verdict(False, path, problem=_no_anchor(path[-1], top, context))
    problem: Problem | None = None
    for anchor in anchors:
        problem = _check_path(path, anchor, context)
        if problem is None:
            return _anchored(Verdict(True, path, anchor), context)
    return Verdict(False, path, problem=problem)


def _no_anchor(der: bytes, top: x509.Certificate, context: _Context) -> Problem:
    """Trusted certificates bear the issuer's name, and their key identifiers rule each one out."""
    java = "Path does not chain with any of the trust anchors"
    named = [certs.load(t) for t in context.trusted if certs.same_name(certs.load(t).subject, top.issuer)]
    signer = next((t for t in named if verifies(top, t)), None)
    aki = certs.extension(top, x509.AuthorityKeyIdentifier)
    if signer is None or aki is None or aki.key_identifier is None:
        return Problem("untrusted", der, f"a certificate named {certs.issuer_of(top)} is trusted, but not the one "
                       "that signed it (another key identifier: a CA made again under the same name?)", java)
    ski = certs.key_id(signer)
    return Problem("untrusted", der, f"its authority key identifier ({aki.key_identifier.hex(':')}) is not the "
                   f"subject key identifier of the trusted {certs.subject_of(signer)} "
                   f"({ski.hex(':') if ski else 'none'}), though that CA's key signed it: Java matches the "
                   "identifiers first and finds no anchor", java,
                   "reissue the certificate with its CA's subject key identifier as its authority key identifier")


def _may_anchor(anchor: x509.Certificate, issued: x509.Certificate) -> bool:
    """AdaptableX509CertSelector: the issuer's name, and its key identifier and serial when the
    issued certificate's authority key identifier names them."""
    if not certs.same_name(anchor.subject, issued.issuer):
        return False
    aki = certs.extension(issued, x509.AuthorityKeyIdentifier)
    if aki is None:
        return True
    ski = certs.key_id(anchor)
    if aki.key_identifier is not None and ski is not None and aki.key_identifier != ski:
        return False
    serial = aki.authority_cert_serial_number
    return serial is None or anchor.version != x509.Version.v3 or anchor.serial_number == serial


def _anchored(verdict: Verdict, context: _Context) -> Verdict:
    """PKIXValidator.verifyTrustAnchor: a version 3 anchor must be a CA, with keyCertSign if it has a key usage."""
    assert verdict.anchor is not None
    anchor = certs.load(verdict.anchor)
    if anchor.version != x509.Version.v3:
        return verdict
    subject = certs.subject_of(anchor)
    constraints = certs.extension(anchor, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        problem = Problem("anchor-not-ca", verdict.anchor, "it is trusted as the anchor but is not a CA certificate",
                          f'TrustAnchor with subject "{subject}" is not a CA certificate')
    else:
        usage = certs.extension(anchor, x509.KeyUsage)
        if usage is None or usage.key_cert_sign:
            return verdict
        problem = Problem("anchor-not-ca", verdict.anchor, "it anchors the path but its key usage lacks keyCertSign",
                          f'TrustAnchor with subject "{subject}" does not have keyCertSign bit set in KeyUsage '
                          "extension")
    return Verdict(False, verdict.path, verdict.anchor, problem=problem, built=verdict.built)


# -- building a path (SunCertPathBuilder) -------------------------------------------------------------

@dataclass
class Within:
    """A deadline (time.monotonic()) for the path searches run inside `within`, and what each one cut off
    there said."""

    deadline: float
    cut: list[str] = field(default_factory=list)


_WITHIN: ContextVar[Within | None] = ContextVar("jkstool_path_deadline", default=None)


@contextmanager
def within(deadline: float) -> Iterator[Within]:
    """Path building inside ends by `deadline` (time.monotonic()), as it ends at its budget: a search still
    running then stops, and its verdict is that no path was found. A search checks the time every
    _CLOCK_EVERY steps, so one that needs fewer (every real chain) ends whenever it is run."""
    bounds = Within(deadline)
    token = _WITHIN.set(bounds)
    try:
        yield bounds
    finally:
        _WITHIN.reset(token)


_CLOCK_EVERY = 32
_CUT_FIX = ("send the path's certificates once each, and no other CA certificate of the same name: remove the "
            "extra ones from the chain (or the truststore)")


class _CutOff(Exception):
    """A path search spent its budget (limits.PATH_CANDIDATES, limits.PATH_SIGNATURES) or ran to the deadline."""


@dataclass(frozen=True)
class _Vertex:
    """What SunCertPathBuilder compares to keep a certificate out of a path twice: subject, key and SANs."""

    subject: x509.Name
    name: certs.NameKey
    spki: bytes
    sans: x509.SubjectAlternativeName | None

    def same(self, other: "_Vertex") -> bool:
        return (self.subject == other.subject or self.name == other.name) and self.spki == other.spki \
            and self.sans == other.sans


class _Search:
    """One path search: what it may still spend, and its memos. Every order of same-named CAs that can issue
    one another is a path to try, so without a budget a chain of ten certificates is a search of minutes;
    each signature is verified once, each certificate's vertex worked out once, and the trusted certificates
    are found by name, not scanned at every step."""

    def __init__(self, context: _Context):
        self.context = context
        self.within = _WITHIN.get()
        self.tried = 0
        self.verified: dict[tuple[x509.Certificate, x509.Certificate], bool] = {}
        self.trusted = set(context.trusted)
        self._steps = 0
        self._vertices: dict[bytes, _Vertex] = {}
        self._by_key: dict[certs.NameKey, list[int]] = {}
        self._by_name: dict[x509.Name, list[int]] = {}
        for position, der in enumerate(context.trusted):
            subject = certs.load(der).subject
            self._by_key.setdefault(certs.name_key(subject), []).append(position)
            self._by_name.setdefault(subject, []).append(position)

    def named(self, name: x509.Name) -> list[bytes]:
        """The trusted certificates whose subject is `name` (certs.same_name), in the truststore's order."""
        positions = set(self._by_key.get(certs.name_key(name), ())) | set(self._by_name.get(name, ()))
        return [self.context.trusted[p] for p in sorted(positions)]

    def vertex(self, der: bytes) -> _Vertex:
        found = self._vertices.get(der)
        if found is None:
            cert = certs.load(der)
            found = self._vertices[der] = _Vertex(cert.subject, certs.name_key(cert.subject), _spki(cert),
                                                  certs.extension(cert, x509.SubjectAlternativeName))
        return found

    def candidate(self) -> None:
        """One more candidate issuer tried (an anchor checked, or an intermediate followed)."""
        self.tried += 1
        if self.tried > limits.PATH_CANDIDATES:
            raise _CutOff(f"after trying {limits.PATH_CANDIDATES:,} candidate issuers (its limit)")
        self._step()

    def verifies(self, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
        key = (cert, issuer)
        known = self.verified.get(key)
        if known is None:
            if len(self.verified) >= limits.PATH_SIGNATURES:
                raise _CutOff(f"after verifying {limits.PATH_SIGNATURES:,} signatures (its limit)")
            self._step()
            known = self.verified[key] = verifies(cert, issuer)
        return known

    def _step(self) -> None:
        self._steps += 1
        if self.within is not None and self._steps % _CLOCK_EVERY == 0 and time.monotonic() > self.within.deadline:
            raise _CutOff(f"at the deadline, after trying {self.tried:,} candidate issuers")


def _build(chain: Sequence[bytes], context: _Context) -> Verdict:
    sent = list(dict.fromkeys(chain))
    target = certs.load(chain[0])
    invalid = _validity(chain[0], target, context.at)
    if invalid:
        return Verdict(False, [chain[0]], problem=invalid, built=True)
    search = context.search = _Search(context)
    try:
        found = _search([chain[0]], 0, sent, context)
    except _CutOff as e:
        what = (f"jkstool stopped building its path {e}: CAs of one name that can each issue another (sent or "
                "trusted) make every order of them a path to try, and Java's builder tries them all, for minutes")
        if search.within is not None:
            search.within.cut.append(what)
        problem = Problem("untrusted", chain[0], what, "unable to find valid certification path to requested target",
                          _CUT_FIX)
        return Verdict(False, [chain[0]], problem=problem, built=True)
    finally:
        context.search = None
    if found is not None:
        return _anchored(Verdict(True, found[0], found[1], built=True), context)
    problem = context.best() or _missing_issuer([chain[0]], sent, context)
    return Verdict(False, [chain[0]], problem=problem, built=True)


def _search(path: list[bytes], cas: int, sent: list[bytes], context: _Context) -> tuple[list[bytes], bytes] | None:
    """Depth first, as ForwardBuilder: trusted issuers of the last certificate, then sent ones."""
    assert context.search is not None
    search = context.search
    cert = certs.load(path[-1])
    for candidate in _candidates(cert, path, cas, sent, context):
        search.candidate()
        if candidate in search.trusted:
            problem = _check_path(path, candidate, context)
            if problem is None:
                return path, candidate
            context.record(len(path), problem)
            continue
        issued = certs.load(candidate)
        found = _search([*path, candidate], cas + (0 if _self_issued(issued) else 1), sent, context)
        if found is not None:
            return found
    return None


def _candidates(cert: x509.Certificate, path: list[bytes], cas: int, sent: list[bytes],
                context: _Context) -> list[bytes]:
    assert context.search is not None
    search = context.search
    aki = certs.authority_key_id(cert)
    named = [t for t in search.named(cert.issuer)
             if certs.load(t).version == x509.Version.v3 or _covers(certs.load(t), cert)]
    if cas < _MAX_INTERMEDIATES:
        issuer_name = certs.name_key(cert.issuer)
        for candidate in sent:
            if candidate in path:
                continue
            vertex = search.vertex(candidate)
            if not (vertex.subject == cert.issuer or vertex.name == issuer_name) or any(
                    vertex.same(search.vertex(p)) for p in path):
                continue
            issuer = certs.load(candidate)
            # ForwardBuilder.verifyCert checks the signature with each candidate's key as it goes,
            # so a same-named CA with another key ends its branch at once.
            problem = _signature(path[-1], cert, issuer, context) or _as_intermediate(candidate, issuer, cas, context)
            if problem is None:
                named.append(candidate)
            else:
                context.record(len(path) + 1, problem)
    return sorted(named, key=lambda c: (certs.key_id(certs.load(c)) != aki if aki else False,
                                        c not in search.trusted))


def _covers(anchor: x509.Certificate, cert: x509.Certificate) -> bool:
    """A version 1 anchor must be valid on both dates of the certificate it issued (the builder's only check)."""
    return (anchor.not_valid_before_utc <= cert.not_valid_before_utc
            and cert.not_valid_after_utc <= anchor.not_valid_after_utc)


def _as_intermediate(der: bytes, cert: x509.Certificate, cas: int, context: _Context) -> Problem | None:
    """Why a sent certificate cannot be an intermediate here (the builder's selectors and verifyCert)."""
    invalid = _validity(der, cert, context.at)
    if invalid:
        return invalid
    return _critical(der, cert) or _ca(der, cert, below=cas) or _ca_key_usage(der, cert)


def _missing_issuer(path: list[bytes], sent: list[bytes], context: _Context) -> Problem:
    """The certificate where the chain breaks: the last one whose issuer is neither sent nor trusted."""
    current = path[-1]
    while True:
        cert = certs.load(current)
        following = [s for s in sent if s != current and certs.same_name(certs.load(s).subject, cert.issuer)
                     and s not in path]
        if not following:
            if _self_issued(cert):  # a root: nothing above it to send, and not trusted here
                return Problem("untrusted", current, "it is a root (self-signed) that the truststore does not hold",
                               "unable to find valid certification path to requested target")
            aki = certs.authority_key_id(cert)
            return Problem("untrusted", current, f"its issuer {certs.issuer_of(cert)}"
                           f"{f' (key id {aki.hex()})' if aki else ''} is neither sent by the peer nor trusted",
                           "unable to find valid certification path to requested target")
        path = [*path, following[0]]
        current = following[0]


# -- the checkers, anchor side first (PKIXMasterCertPathValidator) --------------------------------------

def _check_path(path: list[bytes], anchor_der: bytes, context: _Context) -> Problem | None:
    anchor = certs.load(anchor_der)
    weak_anchor = _anchor_key(anchor_der, anchor, certs.load(path[-1]), context)
    if weak_anchor:
        return weak_anchor
    previous, room = anchor, len(path)
    constraints: list[x509.NameConstraints] = []
    ordered = list(reversed(path))
    for position, der in enumerate(ordered, 1):
        cert = certs.load(der)
        leaf = position == len(ordered)
        problem = _algorithms(der, cert, context, anchor_der, position == 1)
        if not problem and not leaf:
            problem = _ca_key_usage(der, cert) or _ca(der, cert, room_left=room, first=position == 1)
            if not _self_issued(cert):
                room -= 1
            room = min(room, _path_len(cert, position == 1))
        if not problem and constraints and (leaf or not _self_issued(cert)):
            problem = _name_constraints(der, cert, constraints, context.jdk)
        if not problem:
            problem = _validity(der, cert, context.at) or _signature(der, cert, previous, context) \
                or _tls_signature(der, cert, context, position == 1) or _critical(der, cert)
        if problem:
            return problem
        own = certs.extension(cert, x509.NameConstraints)
        if own is not None:
            constraints.append(own)
        previous = cert
    refused = policies.check([certs.load(c) for c in ordered])
    if refused:
        return Problem("cert-policy", path[0], "the certificate policies along its path do not satisfy what a CA "
                       f"on it requires ({refused})", refused)
    return None


def _validity(der: bytes, cert: x509.Certificate, at: datetime) -> Problem | None:
    if cert.not_valid_after_utc < at:
        return Problem("cert-expired", der, f"it expired on {cert.not_valid_after_utc:%Y-%m-%d}",
                       "validity check failed")
    if cert.not_valid_before_utc > at:
        return Problem("cert-not-yet-valid", der,
                       f"it is valid only from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
                       "validity check failed")
    return None


def _signature(der: bytes, cert: x509.Certificate, issuer: x509.Certificate, context: _Context) -> Problem | None:
    if context.signed(cert, issuer):
        return None
    return Problem("signature-invalid", der, f"its signature does not verify with the key of "
                   f"{certs.subject_of(issuer)}", "signature check failed")


def _self_issued(cert: x509.Certificate) -> bool:
    return certs.same_name(cert.subject, cert.issuer)


def _path_len(cert: x509.Certificate, first: bool) -> int:
    """X509Certificate.getBasicConstraints as ConstraintsChecker reads it (-1: not a CA)."""
    if cert.version != x509.Version.v3:
        return 1 << 30 if first and _self_issued(cert) else -1
    constraints = certs.extension(cert, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        return -1
    return 1 << 30 if constraints.path_length is None else constraints.path_length


def _ca(der: bytes, cert: x509.Certificate, *, room_left: int | None = None, first: bool = False,
        below: int | None = None) -> Problem | None:
    """basicConstraints of a certificate that issues another: a CA, with room for the CAs below it."""
    length = _path_len(cert, first)
    if length < 0:
        return Problem("ca-not-ca", der, "it issues a certificate on the path but is not a CA",
                       "basic constraints check failed: this is not a CA certificate")
    if room_left is not None and room_left <= 0 and not _self_issued(cert):
        return Problem("path-length", der, "its issuer's pathLen allows no further CA below it",
                       "basic constraints check failed: pathLenConstraint violated - this cert must be the last "
                       "cert in the certification path")
    if below is not None and length < below:
        return Problem("path-length", der, f"its pathLen {length} allows fewer CAs than the {below} below it",
                       "unable to find valid certification path to requested target")
    return None


def _ca_key_usage(der: bytes, cert: x509.Certificate) -> Problem | None:
    usage = certs.extension(cert, x509.KeyUsage)
    if usage is None or usage.key_cert_sign:
        return None
    return Problem("ca-key-usage", der, "it is a CA on the path but its key usage lacks keyCertSign",
                   "CA key usage check failed: keyCertSign bit is not set")


def _critical(der: bytes, cert: x509.Certificate) -> Problem | None:
    unknown = [e.oid.dotted_string for e in certs.extensions(cert) if e.critical and e.oid not in _RECOGNISED]
    if unknown:
        return Problem("critical-extension", der, f"it has critical extension(s) Java does not recognise: "
                       f"{', '.join(unknown)}", "unrecognized critical extension(s)")
    return _policy_qualifiers(der, cert)


def _policy_qualifiers(der: bytes, cert: x509.Certificate) -> Problem | None:
    """JSSE's PKIX runs PolicyChecker with rejectPolicyQualifiers on: a critical certificatePolicies
    extension that carries qualifiers (a CPS URI, a user notice) fails the path."""
    policies = next((e for e in certs.extensions(cert) if isinstance(e.value, x509.CertificatePolicies)), None)
    if policies is None or not policies.critical or \
            not any(p.policy_qualifiers for p in cast(x509.CertificatePolicies, policies.value)):
        return None
    return Problem("critical-extension", der, "its critical certificate policies carry qualifiers (a CPS URI or "
                   "user notice), which the PKIX validation of JSSE refuses", "critical policy qualifiers present "
                   "in certificate")


def _algorithms(der: bytes, cert: x509.Certificate, context: _Context, anchor_der: bytes,
                first: bool) -> Problem | None:
    """jdk.certpath.disabledAlgorithms on the signature (and its parts) and on the certificate's own key."""
    name = signature_name(cert)
    algorithm, size = key_facts(cert)
    jdk_ca = context.jdk.is_jdk_ca(anchor_der) if _needs_anchor(context.jdk) else False
    use = jdks.Use(context.variant, jdk_ca, algorithm, size, context.at.date())
    entry = jdks.disabling(context.jdk.certpath, jdks.decompose(name) | {algorithm}, use)
    if entry is None:
        return None
    if any(c.kind == "keySize" for c in entry.conditions):
        return _weak_key(der, algorithm, size, context, entry, cert)
    return Problem("weak-signature", der, f"it is signed with {name}, which {context.jdk.describe()} refuses "
                   f"({entry.text})", _refused_signature(name, cert, context.jdk, first, entry.algorithm))


def _worded_since_18(jdk: jdks.Jdk) -> bool:
    """Whether the JDK words certificate constraint failures as DisabledAlgorithmConstraints does since 18
    (AlgorithmChecker hands it the certificate): 17 names the signature algorithm where 18+ names the
    disabled part, and adds the certificate's subject."""
    return jdk.release[0] >= 18


def _refused_signature(name: str, cert: x509.Certificate, jdk: jdks.Jdk, first: bool,
                       disabled: str | None = None) -> str:
    """JSSE's words for a certificate whose signature its JDK refuses (sun.security.provider.certpath.
    AlgorithmChecker): `disabled` is the jdk.certpath entry that refused it, None for the TLS 1.3 rule.
    17 always names the signature; 18+ names a disabled part and the certificate, and words a TLS 1.3
    refusal below the anchor's own certificate by the certificate's key (sic: no space)."""
    if not _worded_since_18(jdk):
        return f"Algorithm constraints check failed on signature algorithm: {name}"
    if disabled is not None:
        return (f"Algorithm constraints check failed on disabled algorithm: {disabled} used with certificate: "
                f"{_principal(cert)}")
    if first:
        return f"Algorithm constraints check failed on signature algorithm: {name}"
    algorithm, size = key_facts(cert)
    return f"Algorithm constraints check failed on {name}signature and {algorithm} key with size of {size}bits"


def _principal(cert: x509.Certificate) -> str:
    """A subject as X500Principal.toString() writes it in JSSE's messages: most specific first, ", " between."""
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(cert.subject.rdns))


def _needs_anchor(jdk: jdks.Jdk) -> bool:
    return any(c.kind == "jdkCA" for entry in jdk.certpath for c in entry.conditions)


def _anchor_key(anchor_der: bytes, anchor: x509.Certificate, signed: x509.Certificate,
                context: _Context) -> Problem | None:
    """The anchor's key against the key size constraints (its signature is never checked). JDK 17 refuses it
    as it checks the signature the anchor made on `signed`, and names that signature."""
    algorithm, size = key_facts(anchor)
    use = jdks.Use(context.variant, False, algorithm, size, context.at.date())
    keyed = [e for e in context.jdk.certpath + context.jdk.tls if any(c.kind == "keySize" for c in e.conditions)]
    entry = jdks.disabling(keyed, {algorithm}, use)
    if entry is None:
        return None
    if _worded_since_18(context.jdk):
        return _weak_key(anchor_der, algorithm, size, context, entry)
    return replace(_weak_key(anchor_der, algorithm, size, context, entry),
                   java=f"Algorithm constraints check failed on signature algorithm: {signature_name(signed)}")


def _weak_key(der: bytes, algorithm: str, size: int | None, context: _Context, entry: jdks.Entry,
              cert: x509.Certificate | None = None) -> Problem:
    """A key its JDK's constraints refuse: `cert` holds it on the path (None: the anchor, whose subject
    JSSE does not name)."""
    java = f"Algorithm constraints check failed on keysize limits: {algorithm} {size} bit key"
    if cert is not None:
        java += f" used with certificate: {_principal(cert)}"
    elif _worded_since_18(context.jdk):
        java += "."
    return Problem("weak-key", der, f"its {size}-bit {algorithm} key is refused by {context.jdk.describe()} "
                   f"({entry.text})", java)


def _tls_signature(der: bytes, cert: x509.Certificate, context: _Context, first: bool) -> Problem | None:
    """The TLS layer's check of each certificate's signature: a TLS 1.3 certificate signature scheme that
    jdk.tls.disabledAlgorithms allows."""
    name = signature_name(cert)
    algorithm, size = key_facts(cert)
    keyed = jdks.disabling([e for e in context.jdk.tls if any(c.kind == "keySize" for c in e.conditions)],
                           {algorithm}, jdks.Use(context.variant, False, algorithm, size))
    if keyed is not None:
        return Problem("weak-key", der, f"its {size}-bit {algorithm} key is refused by {context.jdk.describe()} "
                       f"({keyed.text})", f"Algorithm constraints check failed on {algorithm} key with size of "
                       f"{size}bits" if _worded_since_18(context.jdk) else
                       f"Algorithm constraints check failed on key {algorithm} with size of {size}bits")
    entry = jdks.disabling([e for e in context.jdk.tls if not e.conditions], jdks.decompose(name),
                           jdks.Use(context.variant))
    if name in context.jdk.tls13_cert_signatures and entry is None:
        return None
    why = f"jdk.tls.disabledAlgorithms: {entry.text}" if entry else "TLS 1.3 has no certificate signature scheme for it"
    return Problem("weak-signature", der, f"it is signed with {name}, which a {context.jdk.describe()} TLS 1.3 "
                   f"handshake refuses ({why})", _refused_signature(name, cert, context.jdk, first))


# -- name constraints (ConstraintsChecker, NameConstraintsExtension.verify) ----------------------------

def _name_constraints(der: bytes, cert: x509.Certificate, constraints: list[x509.NameConstraints],
                      jdk: jdks.Jdk) -> Problem | None:
    for name in _names(cert):
        for constraint in constraints:
            if not _permitted(constraint, name, jdk):
                return Problem("name-constraints", der, f"its name {certs.general_name(name)} is outside the "
                               "names a CA above it may certify", "name constraints check failed")
    return None


def _names(cert: x509.Certificate) -> list[x509.GeneralName]:
    """The names name constraints apply to: the subject, every SAN, e-mail attributes when there is no SAN
    extension, and the most specific CN as an IP address or a DNS name when no SAN of that kind exists."""
    names: list[x509.GeneralName] = [x509.DirectoryName(cert.subject)] if len(cert.subject) else []
    sans = certs.extension(cert, x509.SubjectAlternativeName)
    names += list(sans) if sans is not None else \
        [x509.RFC822Name(str(a.value)) for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    kinds = {type(n) for n in sans or ()}
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = str(cns[-1].value) if cns else ""
    try:
        address = ipaddress.ip_address(cn)
    except ValueError:
        if cn and x509.DNSName not in kinds and _dns_like(cn):
            names.append(x509.DNSName(cn))
    else:
        if x509.IPAddress not in kinds:
            names.append(x509.IPAddress(address))
    return names


def _dns_like(text: str) -> bool:
    labels = text.replace("*", "z").split(".")
    return len(text) <= 253 and all(0 < len(label) <= 63 and label.replace("-", "").isalnum() and label[0] != "-"
                                    and label[-1] != "-" for label in labels)


def _permitted(constraint: x509.NameConstraints, name: x509.GeneralName, jdk: jdks.Jdk) -> bool:
    if any(_within(name, subtree) or _wildcard_covers(name, subtree, jdk)
           for subtree in constraint.excluded_subtrees or ()):
        return False
    same = [s for s in constraint.permitted_subtrees or () if type(s) is type(name)]
    return not same or any(_within(name, subtree) for subtree in same)


def _wildcard_covers(name: x509.GeneralName, subtree: x509.GeneralName, jdk: jdks.Jdk) -> bool:
    """A wildcard DNS SAN that matches an excluded DNS name, where the JDK counts that (17.0.21+)."""
    return (jdk.excluded_subtrees_match_wildcards and isinstance(name, x509.DNSName)
            and isinstance(subtree, x509.DNSName) and "*" in name.value
            and hostnames.matches(str(subtree.value), name.value, jdk.leftmost_wildcard_only))


def _within(name: x509.GeneralName, subtree: x509.GeneralName) -> bool:
    if type(name) is not type(subtree):
        return False
    if isinstance(name, x509.DNSName):
        value, base = name.value.lower(), str(subtree.value).lower()
        if base.startswith("."):
            return value.endswith(base)
        return value == base or value.endswith("." + base)
    if isinstance(name, x509.RFC822Name):
        value, base = name.value.lower(), str(subtree.value).lower()
        if "@" in base:
            return value == base
        if base.startswith("."):
            return value.endswith(base)
        return value == base or value.endswith("@" + base)
    if isinstance(name, x509.IPAddress) and isinstance(subtree, x509.IPAddress):
        # IPAddressName.constrains: a SAN may hold a network too (8 or 32 bytes)
        network, address = subtree.value, name.value
        if not isinstance(network, (ipaddress.IPv4Network, ipaddress.IPv6Network)) or \
                address.version != network.version:
            return False
        if isinstance(address, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return address.subnet_of(network)  # type: ignore[arg-type]
        return address in network
    if isinstance(name, x509.DirectoryName):
        prefix = list(subtree.value.rdns)
        return list(name.value.rdns)[:len(prefix)] == prefix
    if isinstance(name, x509.UniformResourceIdentifier):
        from urllib.parse import urlsplit
        host, base = (urlsplit(name.value).hostname or "").lower(), str(subtree.value).lower()
        return host.endswith(base) if base.startswith(".") else host == base
    return True
