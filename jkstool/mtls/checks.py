"""verify-pair's checks: will two sides complete a mutual-TLS handshake, as the target JDK's JSSE decides it?

For each side: which key entry the default key manager presents (keychoice),
whether the other side's trust manager accepts the chain it sends (pkix),
what the end-entity certificate may be used for, and — for the server, with
a host name — Java's HTTPS identity check (hostname). The rules are the
target JDK's (jdk: its algorithm constraints and release). Each finding
names the certificate, the store and the fix; its code, severity and meaning
come from the table in findings.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from ..errors import JkstoolError
from ..model import SIDES, Loaded, PrivateKeyEntry, TrustedCertEntry
from ..pki import certs
from . import hostname as hostnames
from . import jdk as jdks
from . import keychoice, peer, pkix
from .findings import ERROR, WARNING, Finding, finding

_PEER = {"server": "client", "client": "server"}
_VARIANT = {"server": "tls server", "client": "tls client"}


@dataclass
class StoreInput:
    """One of the four stores, as read."""

    role: str  # server-keystore, server-truststore, client-keystore, client-truststore
    path: str
    loaded: Loaded
    data: bytes = b""
    """The bytes read, where the store was not one file alone (doctor: a PEM bundle's key file)."""

    @property
    def anchors(self) -> list[TrustedCertEntry]:
        """What Java's trust manager trusts in this store: its trusted certificates, and the certificate of
        each key entry (TrustStoreUtil.getTrustedCerts), as trusted entries of the same alias."""
        found = []
        for entry in self.loaded.store:
            if isinstance(entry, TrustedCertEntry):
                found.append(entry)
            elif isinstance(entry, PrivateKeyEntry) and entry.chain:
                found.append(TrustedCertEntry(entry.alias, entry.chain[0], entry.created))
        return found


@dataclass
class TrustPath:
    """How one side's chain fares against the other side's truststore."""

    ok: bool
    certificates: list[bytes]  # from the leaf to the anchor, or to where the path breaks
    anchor: TrustedCertEntry | None = None
    broken_at: bytes | None = None
    pinned: bool = False


@dataclass
class Outcome:
    """A real handshake between the stores (handshake): Java's verdict where it ran."""

    ok: bool
    engine: str
    """Who ran it: "JSSE (java 17.0.15)", or "OpenSSL 3.0.13 (Python ssl)"."""
    detail: str
    """The protocol and cipher suite, or what each side saw (Java's own words)."""


@dataclass(frozen=True)
class Ending:
    """Something that ends: a certificate (its subject, where it is) or a CRL."""

    at: datetime
    what: str
    where: str

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "where": self.where, "at": iso(self.at)}


@dataclass(frozen=True)
class Break:
    at: datetime
    """The first moment the verdict is a failure (now, if it already is)."""
    endings: tuple[Ending, ...]
    """What ended just before it."""
    findings: tuple[Finding, ...]
    """The errors found at that moment that were not there before."""

    def to_dict(self) -> dict[str, object]:
        """As --json prints it: when, what ended, and the findings it brings."""
        return {"at": iso(self.at), "ended": [e.to_dict() for e in self.endings],
                "findings": [f.to_dict() for f in self.findings]}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    paths: dict[str, TrustPath] = field(default_factory=dict)  # "server" -> server chain vs client truststore
    stores: dict[str, StoreInput] = field(default_factory=dict)
    """The four stores checked, by role."""
    presented: dict[str, str] = field(default_factory=dict)
    """side -> the alias of the key entry its key manager presents."""
    rules: str = ""
    """Whose rules decided: the target JDK and where its settings came from."""
    first_break: Break | None = None
    """When asked for: the first moment the pair fails if nothing is done (firstbreak)."""
    first_break_asked: bool = False
    """Whether the first break was looked for (None in `first_break` then means: none is known)."""
    decided_by: str = "jkstool's model"
    """Whose verdict `ok` is: the target JDK's own handshake ("JSSE (java 17.0.15)"), else jkstool's model
    and why it decided alone (verdict)."""
    java: "Outcome | None" = None
    """The target JDK's handshake, where it ran."""
    target: "jdks.Jdk | None" = None
    """The JDK whose rules decided, and the java.security file given with it: a handshake asked for
    (run_handshake) runs in that JDK where it is installed, under that file."""
    java_security: Path | None = None
    about: dict[tuple[str, str, str | None, str], bytes] = field(default_factory=dict)
    """The certificate (DER) each finding that concerns one is about, by the finding's `key` (a picture of the
    pair puts the finding on that certificate: jkstool.draw)."""
    crls: list[tuple[str, bytes]] = field(default_factory=list)
    """The CRLs checked: (file, DER)."""

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def error_count(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warning_count(self) -> int:
        return sum(f.severity == WARNING for f in self.findings)

    def certificate_of(self, found: Finding) -> bytes | None:
        """The certificate `found` is about (DER), where it is about one."""
        return self.about.get(key(found))

    def trust(self) -> dict[str, dict[str, object]]:
        """Each side's chain against the other side's truststore: trusted or not, the alias presented,
        pinned, the anchor's subject or where the path broke."""
        found: dict[str, dict[str, object]] = {}
        for side in ("server", "client"):
            path = self.paths.get(side)
            found[side] = {
                "to": f"{_PEER[side]}-truststore", "ok": bool(path and path.ok), "presented": self.presented.get(side),
                "pinned": bool(path and path.pinned),
                "anchor": certs.subject_of(certs.load(path.anchor.cert)) if path and path.anchor else None,
                "broken_at": certs.subject_of(certs.load(path.broken_at)) if path and path.broken_at else None}
        return found

    def to_dict(self) -> dict[str, object]:
        """The report as verify-pair --json prints it; `first_break` only when it was looked for."""
        java = {"ok": self.java.ok, "engine": self.java.engine, "detail": self.java.detail} if self.java else None
        return {"ok": self.ok, "rules": self.rules, "decided_by": self.decided_by, "java": java, "trust": self.trust(),
                "findings": [f.to_dict() for f in self.findings],
                **({"first_break": self.first_break.to_dict() if self.first_break else None}
                   if self.first_break_asked else {})}


def key(found: Finding) -> tuple[str, str, str | None, str]:
    """A finding as `Report.about` knows it, whatever severity Java's verdict gives it later."""
    return found.code, found.store, found.alias, found.message


def iso(moment: datetime) -> str:
    """A moment as reports write it: UTC, to the second (2027-06-30T12:00:00Z)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _subject(data: bytes) -> str:
    return certs.facts(data).subject or "a certificate no parser reads"


def verify(stores: dict[str, StoreInput], hostname: str | None = None, at: datetime | None = None,
           warn_days: int = 30, crls: Sequence[tuple[str, x509.CertificateRevocationList]] = (),
           jdk: jdks.Jdk | None = None) -> Report:
    """Check the four stores (keyed by role) as a JSSE server and client of `jdk` (default: the JDK on this
    machine) would use them; with `crls` ((file, CRL) pairs), revocation too."""
    jdk = jdk or jdks.find()
    for store in stores.values():
        _loadable(store)
    check = _Checks(jdk, at, warn_days, list(crls))
    for side in SIDES:
        check.truststore(stores[f"{side}-truststore"])
    check.formats(list(stores.values()))
    for side in SIDES:
        keystore, peer_truststore = stores[f"{side}-keystore"], stores[f"{_PEER[side]}-truststore"]
        entry = check.key_manager(side, keystore, stores["server-truststore"])
        if entry is None:
            continue
        check.report.presented[side] = entry.alias
        path = check.trust(side, entry, keystore, peer_truststore)
        check.report.paths[side] = path
        if side == "server" and hostname:
            check.hostname(entry, keystore, hostname, path)
    check.crl_freshness()
    check.report.stores = dict(stores)
    check.report.crls = [(path, crl.public_bytes(Encoding.DER)) for path, crl in crls]
    check.report.rules = jdk.describe()
    return check.report


def _loadable(store: StoreInput) -> None:
    """Every certificate of a store parses, or the store cannot be checked (Java parses them all as it loads
    a store: one it cannot parse either, such as a version 4 certificate, fails the whole store)."""
    for entry in store.loaded.store:
        for cert in entry.certificates:
            try:
                certs.load(cert)
            except JkstoolError as e:
                raise JkstoolError(f"{e.what}, so the store cannot be checked",
                                   f"see whether Java reads it with keytool -list -keystore {store.path}, and replace "
                                   "the certificate", path=store.path, alias=entry.alias) from None


class _Checks:
    def __init__(self, jdk: jdks.Jdk, at: datetime | None, warn_days: int,
                 crls: list[tuple[str, x509.CertificateRevocationList]]):
        self.jdk, self.crls = jdk, crls
        self.at = at or datetime.now(timezone.utc)
        self.when = f"on {at:%Y-%m-%d}" if at else "now"
        self.warn_days, self.report = warn_days, Report()

    def add(self, code: str, store: StoreInput | str, alias: str | None, message: str,
            fix: str | None = None, cert: bytes | None = None) -> None:
        """A finding; `cert`: the certificate it is about (Report.about)."""
        where = store.path if isinstance(store, StoreInput) else store
        found = finding(code, where, alias, message, fix)
        self.report.findings.append(found)
        if cert is not None:
            self.report.about[key(found)] = cert

    # -- stores -----------------------------------------------------------------------------------

    def truststore(self, store: StoreInput) -> None:
        if not store.anchors:
            self.add("truststore-empty", store, None, "the truststore trusts no certificate: JSSE refuses every "
                     "peer ('the trustAnchors parameter must be non-empty')",
                     f"import the peer's CA: jkstool import-ca {store.path} <peer CA>.pem")
        keys = [e.alias for e in store.loaded.store if not isinstance(e, TrustedCertEntry)]
        if keys:
            self.add("truststore-has-keys", store, keys[0],
                     f"the truststore also holds key entries ({', '.join(keys)}); Java trusts their certificates, "
                     "and their keys are deployed where keys should not be",
                     "keep keys in the keystore only: move them out (jkstool convert) and delete them here")

    def formats(self, stores: list[StoreInput]) -> None:
        from ..formats import compat
        runtime = f"Java {self.jdk.version}"
        for store in stores:
            if store.loaded.type == "PEM":  # loaded by what reads PEM (a Spring PEM bundle, nginx), not a KeyStore
                continue
            verdict = next((v for v in compat.judge(store.loaded, store.path) if v.runtime == runtime), None)
            if verdict is not None and not verdict.loads:
                self.add("store-unreadable", store, None,
                         f"{runtime} cannot load this store: {verdict.why}", verdict.fix)
        jks = [store for store in stores if store.loaded.type == "JKS"]
        if jks:
            self.add("jks-format", jks[0], None,
                     f"{len(jks)} of the stores are JKS ({', '.join(s.path for s in jks)}), a format only Java "
                     "reads; PKCS12 is Java's default since Java 9",
                     f"convert them when convenient: jkstool convert {jks[0].path} <name>.p12")

    # -- the key manager ----------------------------------------------------------------------------

    def key_manager(self, side: str, store: StoreInput, server_truststore: StoreInput) -> PrivateKeyEntry | None:
        """The key entry the default key manager presents, after the checks of its keystore."""
        keys = store.loaded.store.key_entries()
        if not keys:
            self.add("no-key-entry", store, None,
                     f"the {side} keystore holds no private-key entry, so the {side} has no certificate to present",
                     "import the key with its certificate chain (jkstool convert, or keytool -importkeystore)")
            return None
        for alias in store.loaded.locked:
            self.add("key-password-differs", store, alias,
                     f"the key '{alias}' does not open with the store password: JSSE's default key manager opens "
                     "every key of the keystore with it and fails for the whole keystore "
                     "('UnrecoverableKeyException: Cannot recover key')",
                     f"give the key the store's password: keytool -keypasswd -keystore {store.path} -alias {alias}")
        if store.loaded.locked and self.jdk.key_manager == "SunX509":
            return None  # the key manager is never built: no key is chosen, nothing is presented
        issuers = None if side == "server" else [certs.load(a.cert).subject.public_bytes()
                                                  for a in server_truststore.anchors]
        if issuers and not keychoice.names_fit(issuers):
            self.add("ca-names-too-long", server_truststore, None,
                     f"the server truststore's CA names take {sum(map(len, issuers)):,} bytes, more than a TLS 1.3 "
                     "certificate request carries (65,535): the server sends no list of acceptable issuers, so a "
                     "client presents the first key its key manager finds usable, whoever issued it",
                     "keep in the server truststore only the CAs that issue client certificates")
        choice = keychoice.choose(keys, store.loaded.type, issuers)
        if len(keys) > 1:
            self.add("several-key-entries", store, choice.entry.alias if choice.entry else None,
                     f"{len(keys)} private-key entries ({', '.join(e.alias for e in keys)}): "
                     + _choice_text(side, choice))
        if choice.entry is None:
            self._nothing_presented(side, keys, store, server_truststore)
            return None
        entry = choice.entry
        if not choice.usable:
            self.add("key-type-unusable", store, entry.alias,
                     f"the {side} presents '{entry.alias}', an EC key on {keychoice.curve(entry.chain[0])}, a curve "
                     "TLS 1.3 has no signature scheme for: "
                     + ("'No supported CertificateVerify signature algorithm for EC  key'" if side == "server" else
                        "the client sends the certificate, then fails to sign the handshake ('No supported "
                        "CertificateVerify signature algorithm for EC  key')"), cert=entry.chain[0])
        return self._entry_checks(entry, store)

    def _nothing_presented(self, side: str, keys: list[PrivateKeyEntry], store: StoreInput,
                           server_truststore: StoreInput) -> None:
        types = sorted({keychoice.java_key_type(e.chain[0]) for e in keys if e.chain})
        if not any(t in jdks.TLS13_KEY_TYPES for t in types):
            java = ("'No available authentication scheme'" if side == "server"
                    else "no certificate, and the server fails with 'Empty client certificate chain'")
            self.add("key-type-unusable", store, keys[0].alias,
                     f"the {side} keystore holds only {', '.join(types) or 'unreadable'} keys, which cannot sign a "
                     f"TLS 1.3 handshake: the {side} presents {java}")
            return
        accepted = sorted(certs.load(a.cert).subject.rfc4514_string() for a in server_truststore.anchors)
        names = "; ".join(accepted[:3]) + ("..." if len(accepted) > 3 else "")
        issuers = sorted({certs.issuer_of(certs.load(c)) for e in keys for c in e.chain})
        self.add("client-cert-not-sent", store, keys[0].alias,
                 f"the server names the subjects of its truststore as acceptable issuers ({names}) and no key entry's "
                 "chain is issued by one of them, so a JSSE client sends no certificate at all: the server fails "
                 f"with 'Empty client certificate chain', the client sees '{self._missing_certificate_alert()}'",
                 f"trust the client's CA ({issuers[-1] if issuers else 'its issuer'}) in {server_truststore.path}")

    def _missing_certificate_alert(self) -> str:
        """The alert a JSSE server sends for a TLS 1.3 handshake without a client certificate: certificate_required
        since JDK-8311644 (JDK 23, backported to 17.0.19 and 21.0.10), bad_certificate before ("17" or "21"
        alone: the newest update's defaults)."""
        release = self.jdk.release
        fixed = {17: (17, 0, 19), 21: (21, 0, 10)}.get(release[0], (23,))
        newest = release in ((17,), (21,))
        return "certificate_required" if release >= fixed or newest else "bad_certificate"

    def _entry_checks(self, entry: PrivateKeyEntry, store: StoreInput) -> PrivateKeyEntry | None:
        if not entry.chain:
            self.add("no-certificate", store, entry.alias, "the key entry has no certificate")
            return None
        if entry.key is not None and not certs.public_key_matches(_private_key(entry.key), entry.chain[0]):
            self.add("key-cert-mismatch", store, entry.alias,
                     f"the private key does not belong to the certificate {_subject(entry.chain[0])}",
                     cert=entry.chain[0])
        for position, (cert, issuer) in enumerate(zip(entry.chain, entry.chain[1:], strict=False), 1):
            if not certs.issued_by(certs.load(cert), certs.load(issuer)):
                self.add("chain-order", store, entry.alias,
                         f"certificate {position} of the chain ({_subject(cert)}) is not issued by certificate "
                         f"{position + 1} ({_subject(issuer)}): Java's peers build their path from it anyway, "
                         "other TLS stacks may not follow the chain as it is sent", cert=cert)
                break
        return entry

    # -- trust --------------------------------------------------------------------------------------

    def trust(self, side: str, entry: PrivateKeyEntry, keystore: StoreInput, truststore: StoreInput) -> TrustPath:
        """The other side's trust manager on the chain `side` sends, and the end-entity checks after it."""
        anchors = truststore.anchors
        if not anchors:
            return TrustPath(False, list(entry.chain), broken_at=entry.chain[0])
        verdict = pkix.validate(list(entry.chain), [a.cert for a in anchors], _VARIANT[side], self.jdk, self.at)
        anchor = next((a for a in anchors if a.cert == verdict.anchor), None)
        path = TrustPath(verdict.ok, [*verdict.path, *([verdict.anchor] if verdict.anchor else [])], anchor,
                         None if verdict.ok else (verdict.problem.cert if verdict.problem else entry.chain[0]),
                         verdict.pinned)
        if verdict.problem is not None:
            self._problem(side, verdict, keystore, truststore)
            return path
        if verdict.pinned:
            self.add("pinned-peer", truststore, anchor.alias if anchor else None,
                     f"the {side}'s own certificate {_subject(entry.chain[0])} is in the {_PEER[side]} truststore: "
                     "JSSE accepts it as it is, without checking its dates, key usage or extended key usage",
                     cert=entry.chain[0])
            return path
        self.purpose(side, entry, keystore)
        self.certificates_on(path, keystore, truststore)
        return path

    def _problem(self, side: str, verdict: pkix.Verdict, keystore: StoreInput, truststore: StoreInput) -> None:
        problem = verdict.problem
        assert problem is not None
        peer = _PEER[side]
        in_truststore = any(a.cert == problem.cert for a in truststore.anchors)
        store = truststore if in_truststore else keystore
        if verdict.built:
            java = "PKIX path building failed: ... unable to find valid certification path to requested target"
        else:
            java = f"PKIX path validation failed: ... {problem.java}"
        if problem.code == "untrusted":
            broken = certs.load(problem.cert)
            issuer = certs.issuer_of(broken)
            fix = problem.fix or f"trust the {side}'s CA: jkstool import-ca {truststore.path} <CA>.pem"
            if not problem.fix and broken.issuer != broken.subject:  # a root has no issuer to add to the chain
                fix += f"; or, if {issuer} is an intermediate CA, add it to the chain in {keystore.path}"
            self.add(f"{side}-untrusted", truststore, None,
                     f"the {side}'s chain does not lead to a certificate the {peer} trusts: it breaks at "
                     f"{_subject(problem.cert)}: {problem.what}; the {peer} fails with '{java}'", fix,
                     cert=problem.cert)
            return
        if problem.code in ("chain-too-long", "cert-unparseable"):  # refused before any path is validated
            java = problem.java
        alias = next((a.alias for a in truststore.anchors if a.cert == problem.cert), None)
        self.add(problem.code, store, alias,
                 f"{_subject(problem.cert)}, on the {side}'s path to the {peer} truststore: {problem.what}; "
                 f"the {peer} fails with '{java}'", cert=problem.cert)

    def purpose(self, side: str, entry: PrivateKeyEntry, keystore: StoreInput) -> None:
        """EndEntityChecker: what the leaf may be used for (TLS 1.3: digital signatures)."""
        leaf = certs.load(entry.chain[0])
        subject = certs.subject_of(leaf)
        fixes = {"key-usage": "issue it with key usage digitalSignature",
                 f"{side}-eku": f"issue it with extended key usage {side}Auth",
                 "netscape-cert-type": f"issue it without that extension, or with the SSL {side} type"}
        for problem in peer.end_entity(entry.chain[0], _VARIANT[side]):
            self.add(problem.code, keystore, entry.alias,
                     f"{subject}'s {problem.what.removeprefix('its ')}: the peer fails with '{problem.java}'",
                     f"{fixes[problem.code]} (jkstool sign --profile {side})", cert=entry.chain[0])
        key_usage = certs.extension(leaf, x509.KeyUsage)
        if key_usage is not None and side == "server" and isinstance(leaf.public_key(), rsa.RSAPublicKey) \
                and not key_usage.key_encipherment:
            self.add("key-encipherment", keystore, entry.alias,
                     f"{subject}'s key usage lacks keyEncipherment: TLS 1.2 cipher suites with RSA key exchange "
                     "(off by default) cannot use it", cert=entry.chain[0])

    def certificates_on(self, path: TrustPath, keystore: StoreInput, truststore: StoreInput) -> None:
        """What JSSE accepts but should be known: expiry ahead, expired anchors, weak algorithms, revocation
        (of the leaf alone where the JDK is told to check only end entities and can verify the leaf's CRL with
        its issuer's key)."""
        from ..pki.crl import signs_crls_for_java
        leaf_only = self.jdk.leaf_revocation_only and len(path.certificates) > 1 and \
            signs_crls_for_java(certs.load(path.certificates[1]))
        for position, data in enumerate(path.certificates):
            is_anchor = path.anchor is not None and data == path.anchor.cert
            store = truststore if is_anchor else keystore
            alias = path.anchor.alias if is_anchor and path.anchor else None
            self.expiry(data, store, alias, is_anchor)
            self.legacy(data, store, alias, signature=not is_anchor)
            if not is_anchor and position + 1 < len(path.certificates) and (position == 0 or not leaf_only):
                self.revocation(data, path.certificates[position + 1], store)

    def expiry(self, data: bytes, store: StoreInput, alias: str | None, anchor: bool) -> None:
        cert = certs.load(data)
        end = cert.not_valid_after_utc
        if anchor and end < self.at:
            self.add("anchor-expired", store, alias,
                     f"{certs.subject_of(cert)} expired on {end:%Y-%m-%d}: JSSE does not check a trust anchor's dates "
                     "and accepts the path, but OpenSSL, Go and browsers refuse it", cert=data)
        elif end < self.at + timedelta(days=self.warn_days):
            self.add("cert-expiring", store, alias,
                     f"{certs.subject_of(cert)} expires on {end:%Y-%m-%d}, within {self.warn_days} days",
                     "renew it before then (jkstool renew)", cert=data)

    def legacy(self, data: bytes, store: StoreInput, alias: str | None, signature: bool) -> None:
        cert = certs.load(data)
        subject = certs.subject_of(cert)
        algorithm, size = pkix.key_facts(cert)
        if algorithm in ("RSA", "RSASSA-PSS", "DSA") and size and size < 2048:
            self.add("short-key", store, alias, f"{subject} has a {size}-bit {algorithm} key: Java accepts it, "
                     "but it is weak", cert=data)
        if signature and pkix.signature_name(cert).startswith("SHA1"):
            self.add("legacy-signature", store, alias,
                     f"{subject} is signed with {pkix.signature_name(cert)}: {self.jdk.describe()} accepts it under "
                     "a private CA, but it is weak", cert=data)

    def revocation(self, data: bytes, issuer: bytes, store: StoreInput) -> None:
        from ..pki.crl import covering, revoked_by
        loaded = [c for _, c in self.crls]
        if loaded and store.role == "client-keystore" and not covering(loaded, certs.load(data), certs.load(issuer)):
            self.add("crl-missing", store, None,
                     f"{_subject(data)} is on the client's path, and no CRL given is its issuer's "
                     f"({_subject(issuer)}): a server that checks revocation with these CRLs checks every "
                     "certificate of the path and refuses every client ('Could not determine revocation status'; "
                     "nginx: 'unable to get certificate CRL')",
                     f"give {_subject(issuer)}'s CRL too, where the server loads the others", cert=data)
        crl = revoked_by(loaded, certs.load(data), certs.load(issuer))
        if crl is not None:
            path = next(p for p, c in self.crls if c is crl)
            self.add("cert-revoked", store, None,
                     f"{_subject(data)} is revoked by {path}: a server that loads this CRL refuses it",
                     "issue a new certificate and deploy it (a layout's server or client: jkstool renew DIR "
                     "--side SIDE; a partner added later: jkstool add-client DIR --cn NAME)", cert=data)

    def crl_freshness(self) -> None:
        from ..pki.crl import NEAR
        for path, crl in self.crls:
            next_update = crl.next_update_utc
            if next_update is not None and next_update < self.at:
                self.add("crl-stale", path, None,
                         f"the CRL of {crl.issuer.rfc4514_string()} was due for renewal on {next_update:%Y-%m-%d}: "
                         "a server that checks it refuses every client once it is stale",
                         "publish a new CRL: jkstool revoke DIR (with nothing to revoke, it signs the CRLs anew)")
            elif next_update is not None and next_update < self.at + NEAR:
                self.add("crl-expiring", path, None,
                         f"the CRL of {crl.issuer.rfc4514_string()} is due for renewal on {next_update:%Y-%m-%d}",
                         "publish a new CRL before then: jkstool revoke DIR")
        if self.crls:
            self.add("crl-not-enforced", self.crls[0][0], None,
                     "servers enforce revocation only when configured to load the CRL (Tomcat: "
                     "certificateRevocationListFile; JSSE: -Dcom.sun.net.ssl.checkRevocation=true with a "
                     "CertPathValidator that loads it; nginx: ssl_crl)")

    # -- the host name ----------------------------------------------------------------------------------

    def hostname(self, entry: PrivateKeyEntry, keystore: StoreInput, hostname: str, path: TrustPath) -> None:
        leaf = certs.load(entry.chain[0])
        subject = certs.subject_of(leaf)
        validated = path.certificates[:-1] if path.anchor else path.certificates
        match = hostnames.check(leaf, hostname, self.jdk.leftmost_wildcard_only, peer.names_constrained(validated),
                                self.jdk.unreadable_sans_throw)
        kind = "IP" if hostnames.is_ip(hostname) else "DNS"
        if not match.ok:
            names = certs.extension(leaf, x509.SubjectAlternativeName)
            listed = ", ".join(certs.general_name(n) for n in names) if names is not None else "none"
            self.add("hostname-mismatch", keystore, entry.alias,
                     f"{subject} (SANs: {listed}) does not cover {hostname}: an HTTPS client fails with "
                     f"'{match.java}'", f"issue it with --san {kind}:{hostname}", cert=entry.chain[0])
        elif match.by_cn:
            self.add("hostname-no-san", keystore, entry.alias,
                     f"{subject} has no DNS subject alternative name: Java's HTTPS check falls back to the CN and "
                     "accepts it, but curl, browsers, Go and Python ignore the CN",
                     f"issue it with --san DNS:{hostname}", cert=entry.chain[0])


def _choice_text(side: str, choice: keychoice.Choice) -> str:
    if choice.entry is None:
        return "JSSE's default key manager (SunX509) presents none of them (see the next finding)"
    why = "whose chain names an issuer the server accepts, " if side == "client" else ""
    return (f"JSSE's default key manager (SunX509) presents '{choice.entry.alias}': the first {choice.key_type} "
            f"entry {why}in its order of key types (EC, EdDSA, RSA, RSASSA-PSS) and of aliases "
            f"({', '.join(choice.order)}); these checks judge '{choice.entry.alias}'")


def _private_key(pkcs8: bytes) -> "PrivateKeyTypes":
    from cryptography.hazmat.primitives.serialization import load_der_private_key
    return load_der_private_key(pkcs8, None)


def trust_path(chain: list[bytes], anchors: list[TrustedCertEntry], variant: str = "tls server",
               jdk: jdks.Jdk | None = None) -> TrustPath:
    """JSSE's trust verdict on a chain a peer sent, against `anchors` (for probe)."""
    verdict = pkix.validate(chain, [a.cert for a in anchors], variant, jdk or jdks.find(),
                            datetime.now(timezone.utc))
    anchor = next((a for a in anchors if a.cert == verdict.anchor), None)
    return TrustPath(verdict.ok, [*verdict.path, *([verdict.anchor] if verdict.anchor else [])], anchor,
                     None if verdict.ok or verdict.problem is None else verdict.problem.cert, verdict.pinned)
