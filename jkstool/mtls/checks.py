"""verify-pair's checks: will two sides complete a mutual-TLS handshake, the way JSSE does it?

Each check names the certificate, the store and the fix. The rules are
JSSE's: a peer is trusted when the chain it sends leads, certificate by
certificate, to a certificate in the other side's truststore (an anchor);
a JSSE server names its truststore's subjects as acceptable client issuers,
and a JSSE client whose chain has no certificate issued by one of them sends
no certificate at all; JSSE's default key manager opens keys with the store
password. Every finding code is documented in docs/findings.md.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from ..model import Loaded, PrivateKeyEntry, TrustedCertEntry
from ..pki import certs
from .findings import CODES, ERROR, INFO, WARNING, Finding

CRL_NEAR = timedelta(days=3)
SIDES = ("server", "client")
_PEER = {"server": "client", "client": "server"}
_EKU = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}


@dataclass
class StoreInput:
    """One of the four stores, as read."""

    role: str  # server-keystore, server-truststore, client-keystore, client-truststore
    path: str
    loaded: Loaded

    @property
    def anchors(self) -> list[TrustedCertEntry]:
        return [e for e in self.loaded.store if isinstance(e, TrustedCertEntry)]


@dataclass
class TrustPath:
    """How one side's chain fares against the other side's truststore."""

    ok: bool
    certificates: list[bytes]  # from the leaf to the anchor, or to where the path breaks
    anchor: TrustedCertEntry | None = None
    broken_at: bytes | None = None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    paths: dict[str, TrustPath] = field(default_factory=dict)  # "server" -> server chain vs client truststore
    stores: dict[str, StoreInput] = field(default_factory=dict)
    """The four stores checked, by role."""

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def _subject(data: bytes) -> str:
    return certs.subject_of(certs.load(data))


def verify(stores: dict[str, StoreInput], hostname: str | None = None, at: datetime | None = None,
           warn_days: int = 30, crls: Sequence[tuple[str, x509.CertificateRevocationList]] = ()) -> Report:
    """Check the four stores (keyed by role) as a JSSE server and client would use them;
    with `crls` ((file, CRL) pairs), revocation too."""
    check = _Checks(at, warn_days, list(crls))
    entries = {side: check.key_entry(stores[f"{side}-keystore"], side) for side in SIDES}
    for side in SIDES:
        check.truststore(stores[f"{side}-truststore"])
    jks = [store for store in stores.values() if store.loaded.type == "JKS"]
    if jks:
        check.add(INFO, "jks-format", jks[0], None,
                  f"{len(jks)} of the stores are JKS ({', '.join(s.path for s in jks)}), a format only Java "
                  "reads; PKCS12 is Java's default since Java 9",
                  f"convert them when convenient: jkstool convert {jks[0].path} <name>.p12")
    for side in SIDES:
        entry = entries[side]
        if entry is None:
            continue
        keystore, peer_truststore = stores[f"{side}-keystore"], stores[f"{_PEER[side]}-truststore"]
        path = check.trust(side, entry, keystore, peer_truststore)
        check.report.paths[side] = path
        check.purpose(side, entry, keystore)
        check.certificates_on(path, keystore, peer_truststore)
        if side == "client":
            check.client_selection(entry, keystore, peer_truststore)
        elif hostname:
            check.hostname(entry, keystore, hostname)
    check.crl_freshness()
    check.report.stores = dict(stores)
    return check.report


class _Checks:
    def __init__(self, at: datetime | None, warn_days: int, crls=()):
        self.crls = crls
        self.at = at or datetime.now(timezone.utc)
        self.when = f"on {at:%Y-%m-%d}" if at else "now"
        self.warn_days, self.report = warn_days, Report()

    def add(self, severity, code, store: StoreInput | str, alias, message, fix) -> None:
        assert code in CODES, code
        where = store.path if isinstance(store, StoreInput) else store
        self.report.findings.append(Finding(severity, code, where, alias, message, fix))

    # -- keystores ------------------------------------------------------------------

    def key_entry(self, store: StoreInput, side: str) -> PrivateKeyEntry | None:
        """The key entry JSSE's default key manager would use, after checking the keystore."""
        keys = [e for e in store.loaded.store if isinstance(e, PrivateKeyEntry)]
        if not keys:
            self.add(ERROR, "no-key-entry", store, None,
                     f"the {side} keystore holds no private-key entry, so the {side} has no certificate "
                     "to present",
                     "import the key with its certificate chain (jkstool convert, or keytool -importkeystore)")
            return None
        entry = keys[0]
        if len(keys) > 1:
            self.add(WARNING, "several-key-entries", store, entry.alias,
                     f"{len(keys)} private-key entries ({', '.join(e.alias for e in keys)}): JSSE's default "
                     "key manager uses the first suitable one it meets, in an order the store does not "
                     f"define; these checks used '{entry.alias}'",
                     "keep one key entry per keystore, or name the alias in the configuration "
                     "(Spring Boot: server.ssl.key-alias)")
        if entry.alias in store.loaded.locked:
            self.add(ERROR, "key-password-differs", store, entry.alias,
                     "the key does not open with the store password: JSSE's default key manager uses "
                     "the store password for keys and fails with 'UnrecoverableKeyException: Cannot "
                     "recover key'",
                     f"give the key the store's password: keytool -keypasswd -keystore {store.path} "
                     f"-alias {entry.alias}")
        if not entry.chain:
            self.add(ERROR, "no-certificate", store, entry.alias, "the key entry has no certificate",
                     "install the certificate issued for this key")
            return None
        if entry.key is not None and not certs.public_key_matches(_private_key(entry.key), entry.chain[0]):
            self.add(ERROR, "key-cert-mismatch", store, entry.alias,
                     f"the private key does not belong to the certificate {_subject(entry.chain[0])}",
                     "install the certificate issued for this key, or the key that goes with it")
        self.chain_order(entry, store)
        return entry

    def chain_order(self, entry: PrivateKeyEntry, store: StoreInput) -> None:
        for position, (cert, issuer) in enumerate(zip(entry.chain, entry.chain[1:], strict=False), 1):
            if not _issued_by(cert, issuer):
                self.add(ERROR, "chain-order", store, entry.alias,
                         f"certificate {position} of the chain ({_subject(cert)}) is not issued by certificate "
                         f"{position + 1} ({_subject(issuer)}): the peer cannot follow the chain",
                         "import the chain again, leaf first, each certificate followed by its issuer")
                return

    def truststore(self, store: StoreInput) -> None:
        if not store.anchors:
            self.add(ERROR, "truststore-empty", store, None, "the truststore trusts no certificate",
                     f"import the peer's CA: jkstool import-ca {store.path} <peer CA>.pem")
        keys = [e.alias for e in store.loaded.store if not isinstance(e, TrustedCertEntry)]
        if keys:
            self.add(WARNING, "truststore-has-keys", store, keys[0],
                     f"the truststore also holds key entries ({', '.join(keys)}): it is deployed where "
                     "keys should not be",
                     "keep keys in the keystore only: move them out (jkstool convert) and delete them here")

    # -- trust --------------------------------------------------------------------------

    def trust(self, side, entry, keystore: StoreInput, truststore: StoreInput) -> TrustPath:
        """Follow the chain `side` sends to an anchor of the peer's truststore."""
        path = trust_path(list(entry.chain), truststore.anchors)
        if not path.ok:
            cert = certs.load(path.broken_at)
            aki = certs.authority_key_id(cert)
            peer = _PEER[side]
            symptom = ("'PKIX path building failed: unable to find valid certification path to requested "
                       "target'" if side == "server" else "'PKIX path validation failed' or 'Empty client "
                       "certificate chain'")
            self.add(ERROR, f"{side}-untrusted", truststore, None,
                     f"the {side}'s chain does not lead to a certificate the {peer} trusts: it breaks at "
                     f"{certs.subject_of(cert)}, whose issuer {certs.issuer_of(cert)}"
                     f"{f' (key id {aki.hex()})' if aki else ''} is neither sent by the {side} nor in the "
                     f"{peer} truststore; the {peer} fails with {symptom}",
                     f"trust the {side}'s CA: jkstool import-ca {truststore.path} <CA>.pem; or, if "
                     f"{certs.issuer_of(cert)} is an intermediate CA, add it to the chain in {keystore.path}")
        return path

    def client_selection(self, entry, keystore: StoreInput, server_truststore: StoreInput) -> None:
        """JSSE's key manager sends a client certificate only if its chain names an acceptable issuer."""
        accepted = {certs.load(a.cert).subject for a in server_truststore.anchors}
        if not accepted:
            return
        if any(certs.load(c).issuer in accepted for c in entry.chain):
            return
        names = "; ".join(sorted(n.rfc4514_string() for n in accepted)[:3])
        self.add(ERROR, "client-cert-not-sent", keystore, entry.alias,
                 f"the server names the subjects of its truststore as acceptable issuers ({names}"
                 f"{'...' if len(accepted) > 3 else ''}) and no certificate in the client's chain is issued "
                 "by one of them, so a JSSE client sends no certificate at all: the server fails with 'Empty "
                 "client certificate chain', the client sees 'bad_certificate'",
                 f"trust the client's CA ({certs.issuer_of(certs.load(entry.chain[-1]))}) in "
                 f"{server_truststore.path}")

    # -- certificates ----------------------------------------------------------------------

    def certificates_on(self, path: TrustPath, keystore: StoreInput, truststore: StoreInput) -> None:
        """Validity, CA constraints and algorithms of every certificate on a path, anchor included."""
        for position, data in enumerate(path.certificates):
            anchor = path.anchor if path.anchor is not None and data == path.anchor.cert else None
            is_anchor = anchor is not None
            store = truststore if is_anchor else keystore
            alias = anchor.alias if anchor else None
            self.validity(data, store, alias)
            self.algorithms(data, store, alias, signature=not is_anchor)
            if not is_anchor and position + 1 < len(path.certificates):
                self.revocation(data, path.certificates[position + 1], store)
            if 0 < position and not is_anchor:
                self.ca_constraints(data, store, below=position - 1)

    def validity(self, data: bytes, store: StoreInput, alias) -> None:
        cert = certs.load(data)
        start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
        when = self.when
        if end < self.at:
            self.add(ERROR, "cert-expired", store, alias,
                     f"{certs.subject_of(cert)} expired on {end:%Y-%m-%d} (checked {when}): the peer fails with "
                     "'PKIX path validation failed: ... validity check failed'",
                     "renew it (jkstool renew, or a new certificate from its CA)")
        elif start > self.at:
            self.add(ERROR, "cert-not-yet-valid", store, alias,
                     f"{certs.subject_of(cert)} is valid only from {start:%Y-%m-%d %H:%M} UTC (checked {when})",
                     "check the clocks of the machine that issued it and of the peers, or wait")
        elif end < self.at + timedelta(days=self.warn_days):
            self.add(WARNING, "cert-expiring", store, alias,
                     f"{certs.subject_of(cert)} expires on {end:%Y-%m-%d}, within {self.warn_days} days",
                     "renew it before then (jkstool renew)")

    def revocation(self, data: bytes, issuer: bytes, store: StoreInput) -> None:
        from ..pki.crl import revoked_by
        crl = revoked_by([c for _, c in self.crls], certs.load(data), certs.load(issuer))
        if crl is not None:
            path = next(p for p, c in self.crls if c is crl)
            self.add(ERROR, "cert-revoked", store, None,
                     f"{_subject(data)} is revoked by {path}: a server that loads this CRL refuses it",
                     "issue a new certificate (jkstool renew) and deploy it")

    def crl_freshness(self) -> None:
        if not self.crls:
            return
        for path, crl in self.crls:
            next_update = crl.next_update_utc
            if next_update is not None and next_update < self.at:
                self.add(WARNING, "crl-stale", path, None,
                         f"the CRL of {crl.issuer.rfc4514_string()} was due for renewal on {next_update:%Y-%m-%d}: "
                         "a server that checks it refuses every client once it is stale",
                         "publish a new CRL: jkstool revoke ... (even with nothing new to revoke)")
            elif next_update is not None and next_update < self.at + CRL_NEAR:
                self.add(WARNING, "crl-expiring", path, None,
                         f"the CRL of {crl.issuer.rfc4514_string()} is due for renewal on {next_update:%Y-%m-%d}",
                         "publish a new CRL before then: jkstool revoke ...")
        self.add(INFO, "crl-not-enforced", self.crls[0][0], None,
                 "servers enforce revocation only when configured to load the CRL (Tomcat: "
                 "certificateRevocationListFile; JSSE: -Dcom.sun.net.ssl.checkRevocation=true with a "
                 "CertPathValidator that loads it; nginx: ssl_crl)", "configure the servers to load it")

    def algorithms(self, data: bytes, store: StoreInput, alias, signature: bool) -> None:
        cert = certs.load(data)
        subject = certs.subject_of(cert)
        algorithm, size = certs.public_key_description(cert)
        minimum = {"RSA": 1024, "DSA": 1024, "EC": 224}.get(algorithm)
        if minimum and size and size < minimum:
            self.add(ERROR, "weak-key", store, alias,
                     f"{subject} has a {size}-bit {algorithm} key, which JDK 17 rejects "
                     "(jdk.certpath.disabledAlgorithms)", "issue a new certificate with a stronger key")
        elif algorithm == "RSA" and size and size < 2048:
            self.add(WARNING, "weak-key", store, alias,
                     f"{subject} has a {size}-bit RSA key: Java accepts it, but it is weak",
                     "issue a new certificate with RSA 2048 or more, or EC")
        if not signature:
            return
        hash_name = _hash_name(cert)
        if hash_name in ("md2", "md5"):
            self.add(ERROR, "weak-signature", store, alias,
                     f"{subject} is signed with {hash_name.upper()}, which JDK 17 rejects",
                     "have it signed again with SHA-256")
        elif hash_name == "sha1":
            self.add(WARNING, "weak-signature", store, alias,
                     f"{subject} is signed with SHA-1: Java accepts it for private CAs, but it is weak "
                     "(and refused for chains to public roots)", "have it signed again with SHA-256")

    def ca_constraints(self, data: bytes, store: StoreInput, below: int) -> None:
        """An intermediate must be a CA, and allow the `below` CAs under it (pathLen)."""
        cert = certs.load(data)
        constraints = certs.extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
        subject = certs.subject_of(cert)
        if constraints is None or not constraints.ca:
            self.add(ERROR, "ca-not-ca", store, None,
                     f"{subject} issues certificates on this path but is not a CA (no basicConstraints "
                     "CA:true): PKIX validation fails", "use a proper CA certificate to issue from")
        elif constraints.path_length is not None and below > constraints.path_length:
            self.add(ERROR, "path-length", store, None,
                     f"{subject} allows {constraints.path_length} CA(s) below it (pathLen) but has {below}",
                     "issue from a CA whose path length allows this chain")

    def purpose(self, side, entry: PrivateKeyEntry, keystore: StoreInput) -> None:
        leaf = certs.load(entry.chain[0])
        subject = certs.subject_of(leaf)
        usages = certs.extension(leaf, ExtensionOID.EXTENDED_KEY_USAGE)
        wanted = _EKU[side]
        if usages is not None and wanted not in usages and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in usages:
            java = ("'Extended key usage does not permit use for TLS server authentication'" if side == "server"
                    else "'Extended key usage does not permit use for TLS client authentication'")
            names = ", ".join(getattr(u, "_name", u.dotted_string) for u in usages)
            self.add(ERROR, f"{side}-eku", keystore, entry.alias,
                     f"{subject}'s extended key usage ({names}) does not allow TLS {side} authentication: the "
                     f"peer fails with {java}",
                     f"issue it with extended key usage {side}Auth (jkstool sign --profile {side})")
        key_usage = certs.extension(leaf, ExtensionOID.KEY_USAGE)
        if key_usage is None:
            return
        if not key_usage.digital_signature:
            self.add(ERROR, "key-usage", keystore, entry.alias,
                     f"{subject}'s key usage lacks digitalSignature, which every TLS 1.3 handshake needs: the "
                     "peer fails with 'KeyUsage does not allow digital signatures'",
                     f"issue it with key usage digitalSignature (jkstool sign --profile {side})")
        if side == "server" and isinstance(leaf.public_key(), rsa.RSAPublicKey) and not key_usage.key_encipherment:
            self.add(WARNING, "key-usage", keystore, entry.alias,
                     f"{subject}'s key usage lacks keyEncipherment: TLS 1.2 cipher suites with RSA key "
                     "exchange (off by default) cannot use it", "add keyEncipherment when you reissue it")

    def hostname(self, entry: PrivateKeyEntry, keystore: StoreInput, hostname: str) -> None:
        leaf = certs.load(entry.chain[0])
        names = certs.extension(leaf, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        subject = certs.subject_of(leaf)
        if names is None:
            self.add(ERROR, "hostname-no-san", keystore, entry.alias,
                     f"{subject} has no subject alternative names: browsers, curl, Go and Python ignore the CN "
                     "(Java alone still falls back to it for DNS names)",
                     f"issue it with --san DNS:{hostname}")
        elif not hostname_matches(names, hostname):
            listed = ", ".join(certs.general_name(n) for n in names) or "none"
            self.add(ERROR, "hostname-mismatch", keystore, entry.alias,
                     f"{subject}'s subject alternative names ({listed}) do not cover {hostname}: an HTTPS client "
                     f"fails with 'No subject alternative {'names' if is_ip(hostname) else 'DNS name'} "
                     f"matching {hostname} found'",
                     f"issue it with --san {'IP' if is_ip(hostname) else 'DNS'}:{hostname}")


def _private_key(pkcs8: bytes):
    from cryptography.hazmat.primitives.serialization import load_der_private_key
    return load_der_private_key(pkcs8, None)


def _hash_name(cert: x509.Certificate) -> str | None:
    """The signature's hash (md5, sha1, sha256...), or None for Ed25519 and unknown schemes."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return algorithm.name if algorithm else None


def _issued_by(cert_data: bytes, issuer_data: bytes) -> bool:
    return certs.issued_by(certs.load(cert_data), certs.load(issuer_data))


def trust_path(chain: list[bytes], anchors: list[TrustedCertEntry]) -> TrustPath:
    """PKIX as JSSE applies it: walk the sent chain until a certificate is, or is issued by, an anchor."""
    walked = []
    for position, data in enumerate(chain):
        walked.append(data)
        for anchor in anchors:
            if anchor.cert == data:
                return TrustPath(True, walked, anchor)
        for anchor in anchors:
            if _issued_by(data, anchor.cert):
                return TrustPath(True, [*walked, anchor.cert], anchor)
        if position + 1 < len(chain) and _issued_by(data, chain[position + 1]):
            continue
        return TrustPath(False, walked, broken_at=data)
    return TrustPath(False, walked, broken_at=chain[-1])


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def hostname_matches(names: x509.SubjectAlternativeName, hostname: str) -> bool:
    """RFC 6125: IP addresses exactly; DNS names case-insensitively, a wildcard standing for
    exactly one whole leftmost label."""
    if is_ip(hostname):
        return ipaddress.ip_address(hostname) in names.get_values_for_type(x509.IPAddress)
    wanted = hostname.rstrip(".").lower().split(".")
    for pattern in names.get_values_for_type(x509.DNSName):
        labels = pattern.rstrip(".").lower().split(".")
        if len(labels) != len(wanted):
            continue
        if labels[0] == "*" and len(labels) > 2 and labels[1:] == wanted[1:] and wanted[0]:
            return True
        if labels == wanted:
            return True
    return False

