"""Whose rules decide: a target JDK's algorithm constraints and the TLS facts that differ by release.

A verdict depends on the JDK that will run the handshake. With a JDK at
hand, its own `conf/security/java.security` is read (and a file given with
`-Djava.security.properties`, as `--java-security`); with a release number,
that release's defaults come from `RELEASES` below, each with its source.

Constraint syntax and semantics follow sun.security.util.DisabledAlgorithmConstraints:
an entry is `Algorithm [keySize OP N] [& jdkCA] [& denyAfter DATE] [& usage U...]`,
an algorithm (or any part of a signature name, split at "with"/"and") matches an
entry case-insensitively, and an entry disables it only when every condition of
the entry holds. `jdkCA` holds when the chain's anchor is one of the CAs the JDK
ships marked " [jdk" in its cacerts (Debian's cacerts marks none).
"""

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

from ..errors import JkstoolError

# Default java.security values and TLS facts, by release: each one measured (the JDK's own
# conf/security/java.security, and a JSSE handshake of tests/test_jsse_rules.py). A release between two
# of these takes the rules of the newest one at or below it; a bare feature release (`--jdk 17`), the
# newest of its line. Sources: Debian openjdk-17 17.0.15+6 and 17.0.19+10 (17.0.21.1 agrees with
# 17.0.19), openjdk/jdk21u-dev at 03ced2e3 for 21, Temurin 25.0.3 for 25.
_CERTPATH = ("MD2, MD5, SHA1 jdkCA & usage TLSServer, RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224, "
             "SHA1 usage SignedJAR & denyAfter 2019-01-01")
_TLS_BEFORE_SCOPES = ("SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, "
                      "3DES_EDE_CBC, anon, NULL, ECDH")
_TLS = (f"{_TLS_BEFORE_SCOPES}, TLS_RSA_*, rsa_pkcs1_sha1 usage HandshakeSignature, "
        "ecdsa_sha1 usage HandshakeSignature, dsa_sha1 usage HandshakeSignature")


@dataclass(frozen=True)
class Release:
    """What one JDK release ships: its java.security values, and whether its JSSE scopes signature schemes
    by TLS version for certificates (JDK-8349583)."""

    tls_disabled: str
    scoped: bool

    @property
    def properties(self) -> dict[str, str]:
        return {"jdk.certpath.disabledAlgorithms": _CERTPATH, "jdk.tls.disabledAlgorithms": self.tls_disabled,
                "jdk.disabled.namedCurves": "", "ssl.KeyManagerFactory.algorithm": "SunX509"}


RELEASES: dict[tuple[int, ...], Release] = {
    (17, 0, 15): Release(_TLS_BEFORE_SCOPES, scoped=False),
    (17, 0, 19): Release(_TLS, scoped=True),
    (21,): Release(_TLS, scoped=True),
    (25,): Release(_TLS, scoped=True),
}
DEFAULT_VERSION = 17

# sun.security.util.HostnameChecker: JDK 17 matches wildcards in any label (matchAllWildcards), later
# releases in the leftmost label only (matchLeftmostWildcard; JDK 25 source).
_LEFTMOST_WILDCARD_FROM = 21

# NameConstraintsExtension.verify from 17.0.21 (its source against 17.0.19's): an excluded DNS subtree
# also matches a wildcard SAN that covers it (DNSName.constrains(name, true): HostnameChecker.isMatched
# of the excluded name against the SAN). Measured on 17.0.21.1; 25.0.3 does not; which 21 and 25 updates
# do is not measured, so they are taken as 25.0.3.
_WILDCARDS_EXCLUDED_FROM = (17, 0, 21)

# The certificate signature algorithms a JDK offers in signature_algorithms_cert
# (sun.security.ssl.SignatureScheme). With scopes (JDK-8349583: 17.0.19, 21, 25 measured), a TLS 1.3
# handshake offers only the schemes whose certificate scope includes TLS 1.3; before them, every scheme
# of any enabled protocol (TLS 1.2's SHA-224 and DSA ones too). A certificate signed otherwise fails
# "Algorithm constraints check failed on signature algorithm" in a TLS 1.3 handshake.
TLS13_CERT_SIGNATURES = {
    "SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA", "Ed25519", "Ed448", "RSASSA-PSS",
    "SHA256withRSA", "SHA384withRSA", "SHA512withRSA", "SHA1withECDSA", "SHA1withRSA",
}
TLS12_CERT_SIGNATURES = TLS13_CERT_SIGNATURES | {
    "SHA256withDSA", "SHA224withECDSA", "SHA224withRSA", "SHA224withDSA", "SHA1withDSA", "MD5withRSA",
}
# The key types a TLS 1.3 peer can sign a handshake with, in the order JSSE asks its key manager
# (X509Authentication, SignatureScheme): EC on the three named curves, EdDSA, RSA and RSASSA-PSS.
TLS13_KEY_TYPES = ("EC", "EdDSA", "RSA", "RSASSA-PSS")
TLS13_CURVES = {"secp256r1", "secp384r1", "secp521r1"}

_DECOMPOSE = re.compile(r"with|and|(?<!padd)in", re.I)
_OPERATORS = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__, "==": int.__eq__,
              "!=": int.__ne__}


@dataclass(frozen=True)
class Condition:
    kind: str  # keySize, jdkCA, usage, denyAfter
    operator: str = ""
    number: int = 0
    usages: frozenset[str] = frozenset()
    after: date | None = None


@dataclass(frozen=True)
class Entry:
    """One entry of a disabledAlgorithms property: an algorithm and the conditions that must all hold."""

    text: str
    algorithm: str
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Use:
    """What a constraint is checked against: the variant and the anchor, the key, the date."""

    variant: str  # "tls server" (a server's chain) or "tls client"
    jdk_ca: bool = False
    key_algorithm: str = ""
    """The certificate key's algorithm: keySize constraints apply to keys of their own algorithm only."""
    key_size: int | None = None
    when: date | None = None


def parse(value: str, named_curves: str = "") -> list[Entry]:
    """The entries of a jdk.*.disabledAlgorithms value."""
    entries = []
    for text in (part.strip().strip('"').strip() for part in value.split(",")):
        if not text:
            continue
        if text.lower() == "include jdk.disabled.namedcurves":
            entries += parse(named_curves)
            continue
        algorithm, _, rest = text.partition(" ")
        entries.append(Entry(text, algorithm, tuple(_condition(c.strip(), text) for c in rest.split("&") if rest)))
    return entries


def _condition(text: str, entry: str) -> Condition:
    words = text.split()
    if words[0] == "keySize" and len(words) == 3 and words[1] in _OPERATORS and words[2].isdigit():
        return Condition("keySize", words[1], int(words[2]))
    if words == ["jdkCA"]:
        return Condition("jdkCA")
    if words[0] == "usage" and len(words) > 1:
        return Condition("usage", usages=frozenset(w.lower() for w in words[1:]))
    if words[0] == "denyAfter" and len(words) == 2:
        try:
            return Condition("denyAfter", after=date.fromisoformat(words[1]))
        except ValueError:
            pass
    raise JkstoolError(f"the constraint {entry!r} cannot be read", "check the java.security file")


def _holds(condition: Condition, use: Use, algorithm: str) -> bool:
    if condition.kind == "keySize":
        return use.key_algorithm.upper() == algorithm.upper() and use.key_size is not None and use.key_size >= 0 \
            and (use.key_size == 0 or _OPERATORS[condition.operator](use.key_size, condition.number))
    if condition.kind == "jdkCA":
        return use.jdk_ca
    if condition.kind == "usage":
        return use.variant.replace(" ", "") in condition.usages
    if condition.kind == "denyAfter":
        when = use.when or datetime.now(timezone.utc).date()
        return condition.after is not None and when > condition.after
    return False


def decompose(algorithm: str) -> set[str]:
    """A signature algorithm and its parts, as Java's AlgorithmDecomposer splits it (SHA256withRSA ->
    SHA256, RSA), with SHA-256-style aliases."""
    parts = {algorithm}
    for token in algorithm.split("/"):
        parts |= {p for p in _DECOMPOSE.split(token) if p}
    parts |= {p.replace("SHA-", "SHA") for p in parts} | {re.sub(r"^SHA(\d)", r"SHA-\1", p) for p in parts}
    return parts


def disabling(entries: list[Entry], names: set[str], use: Use) -> Entry | None:
    """The first entry that disables any of `names` for this use; None when all are permitted."""
    wanted = {n.upper().replace("-", "") for n in names}
    for entry in entries:
        if entry.algorithm.upper().replace("-", "") not in wanted:
            continue
        if all(_holds(c, use, entry.algorithm) for c in entry.conditions):
            return entry
    return None


@dataclass
class Jdk:
    """A target JDK's rules: its release and the constraint properties in force."""

    release: tuple[int, ...]
    """Its exact release where known (17, 0, 15), else the feature release alone (17,)."""
    source: str
    """Where the rules come from: a java.security file, or a release's defaults."""
    properties: dict[str, str]
    scoped: bool
    """Whether its JSSE scopes certificate signature schemes by TLS version (JDK-8349583)."""
    home: Path | None = None
    _jdk_cas: frozenset[bytes] | None = field(default=None, repr=False)

    @property
    def version(self) -> int:
        return self.release[0]

    @property
    def certpath(self) -> list[Entry]:
        return parse(self.properties.get("jdk.certpath.disabledAlgorithms", ""),
                     self.properties.get("jdk.disabled.namedCurves", ""))

    @property
    def tls(self) -> list[Entry]:
        return parse(self.properties.get("jdk.tls.disabledAlgorithms", ""),
                     self.properties.get("jdk.disabled.namedCurves", ""))

    @property
    def tls13_cert_signatures(self) -> set[str]:
        return TLS13_CERT_SIGNATURES if self.scoped else TLS12_CERT_SIGNATURES

    @property
    def leftmost_wildcard_only(self) -> bool:
        return self.version >= _LEFTMOST_WILDCARD_FROM

    @property
    def excluded_subtrees_match_wildcards(self) -> bool:
        return self.release[0] == 17 and self.release >= _WILDCARDS_EXCLUDED_FROM

    @property
    def unreadable_sans_throw(self) -> bool:
        """X509CertImpl.getSubjectAlternativeNames throws for an extension it could not parse (measured:
        JDK 25 does, 17 does not; 21 is not measured and taken as 17)."""
        return self.version >= 25

    @property
    def key_manager(self) -> str:
        return self.properties.get("ssl.KeyManagerFactory.algorithm", "SunX509")

    @property
    def leaf_revocation_only(self) -> bool:
        """com.sun.security.onlyCheckRevocationOfEECert=true: the PKIX revocation checker (a server that loads
        CRLs, as Tomcat does) checks the end-entity certificate only (RevocationChecker)."""
        return self.properties.get("com.sun.security.onlyCheckRevocationOfEECert", "").strip().lower() == "true"

    def is_jdk_ca(self, cert_der: bytes) -> bool:
        """Whether `cert_der` is one of the CAs this JDK ships (cacerts aliases marked " [jdk")."""
        if self._jdk_cas is None:
            self._jdk_cas = _jdk_cas(self.home)
        return cert_der in self._jdk_cas

    def describe(self) -> str:
        return f"JDK {'.'.join(map(str, self.release))} ({self.source})"


def _jdk_cas(home: Path | None) -> frozenset[bytes]:
    cacerts = home / "lib" / "security" / "cacerts" if home else None
    if cacerts is None or not cacerts.is_file():
        return frozenset()
    return _read_jdk_cas(*_version_of(cacerts))


def _version_of(path: Path) -> tuple[str, int, int]:
    """A file's path and the stat fields that change with its content: the key of the caches below, which
    spare a fleet of pairs (verify-pair --all) reading the same JDK files for each."""
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=8)
def _read_jdk_cas(path: str, mtime_ns: int, size: int) -> frozenset[bytes]:
    from .. import formats
    try:
        store = formats.read_store(path, None, keys=False).store
    except JkstoolError:
        return frozenset()
    return frozenset(e.cert for e in store.trusted_entries() if " [jdk" in e.alias)


@lru_cache(maxsize=8)
def _read_conf(path: str, mtime_ns: int, size: int) -> tuple[dict[str, str], bool]:
    """A JDK's java.security: its properties, and whether it documents the CertificateSignature usage
    type of jdk.tls.disabledAlgorithms, which JDK-8349583 added together with the scoping it names."""
    return read_properties(Path(path)), "CertificateSignature" in Path(path).read_text("latin-1")


def find(spec: str | None = None, java_security: Path | None = None, installed: bool = False) -> Jdk:
    """The target JDK: `spec` is a JDK folder, a release (17, 17.0.15, 21, 25) or None for the JDK on this
    machine (JAVA_HOME, else the java on PATH), else 17's defaults. For a release, `installed` asks for a
    JDK of that release on this machine first (its own java.security, its own classes to judge); else
    the release's defaults decide. `java_security` overrides properties, as -Djava.security.properties
    does."""
    if spec and re.fullmatch(r"\d+(\.\d+)*", spec):
        release = tuple(int(n) for n in spec.split("."))
        home = installed_release(release) if installed else None
        jdk = _from_home(home) if home else _from_release(release)
    else:
        home = Path(spec) if spec else home_on_machine()
        jdk = _from_home(home) if home else _from_release((DEFAULT_VERSION,), ": no JDK found")
    if java_security is not None:
        jdk.properties.update(read_properties(java_security))
        jdk.source += f" + {java_security}"
    return jdk


def _from_release(release: tuple[int, ...], why: str = "") -> Jdk:
    """A release's defaults: those of the newest measured release of its line at or below it."""
    line = [known for known in RELEASES if known[0] == release[0] and (len(release) == 1 or known <= release)]
    if not line:
        features = sorted({known[0] for known in RELEASES})
        raise JkstoolError(f"jdk=... {'.'.join(map(str, release))}: jkstool knows the defaults of JDK "
                           f"{', '.join(map(str, features))}", "give one of them, or the JDK's folder")
    known = max(line)
    defaults = RELEASES[known]
    return Jdk(release, f"JDK {'.'.join(map(str, known))} defaults{why}", defaults.properties, defaults.scoped)


def home_on_machine() -> Path | None:
    """The JDK an application on this machine runs by default: JAVA_HOME, else the java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return Path(home)
    java = shutil.which("java")
    return Path(os.path.realpath(java)).parent.parent if java else None


CACERTS_PASSWORD = "changeit"
"""The password every JDK ships its cacerts with (keytool -cacerts)."""


def cacerts() -> Path:
    """The cacerts file of the JDK an application here runs by default (keytool -cacerts opens its own)."""
    home = home_on_machine()
    if home is None:
        raise JkstoolError("no JDK found for cacerts (no JAVA_HOME, no java on the PATH)",
                           "set JAVA_HOME to the JDK whose cacerts you mean, or give the store's path")
    return home / "lib" / "security" / "cacerts"


JDK_FOLDERS = ("/usr/lib/jvm", "/usr/java", "/opt/java", "/Library/Java/JavaVirtualMachines")
"""Where packages install JDKs (Debian and Ubuntu, RPM, container images, macOS)."""


def installed_release(release: tuple[int, ...]) -> Path | None:
    """A JDK of `release` (17 is any 17 update, 17.0.15 that update) on this machine: the one an application
    runs by default if it is one, else the newest installed."""
    homes = [home_on_machine()] + sorted(
        (h for folder in JDK_FOLDERS if Path(folder).is_dir() for h in Path(folder).iterdir()),
        key=lambda h: release_of(_home(h)), reverse=True)
    for home in (_home(h) for h in homes if h is not None):
        if (home / "bin" / "java").exists() and release_of(home)[:len(release)] == release:
            return home
    return None


def _home(folder: Path) -> Path:
    """A JDK's home: the folder itself, or macOS's Contents/Home inside it."""
    return folder / "Contents" / "Home" if (folder / "Contents" / "Home").is_dir() else folder


def _from_home(home: Path) -> Jdk:
    conf = home / "conf" / "security" / "java.security"
    if not conf.is_file():
        conf = home / "lib" / "security" / "java.security"  # JDK 8
    if not conf.is_file():
        raise JkstoolError("no conf/security/java.security in this folder: it is not a JDK",
                           "give the JDK's folder (JAVA_HOME), or a release: jdk='17'", path=str(home))
    properties, scoped = _read_conf(*_version_of(conf))
    return Jdk(release_of(home), str(conf.resolve()), dict(properties), scoped, home)


def release_of(home: Path) -> tuple[int, ...]:
    """A JDK's exact release from its `release` file (JAVA_VERSION="17.0.15", "1.8.0_402" is 8)."""
    release = home / "release"
    text = release.read_text(errors="replace") if release.is_file() else ""
    found = re.search(r'^JAVA_VERSION="(?:1\.)?(\d+(?:[._]\d+)*)', text, re.M)
    if not found:
        return (DEFAULT_VERSION,)
    return tuple(int(n) for n in re.split(r"[._]", found.group(1)))


def read_properties(path: Path) -> dict[str, str]:
    """A java.security file as the JDK reads it: Properties.load, each value trimmed as Security.getProperty
    trims it."""
    from .. import files
    from ..properties import MalformedEscape, java_trim, load
    try:
        return {key: java_trim(value) for key, (value, _) in load(files.read_bytes(path)).items()}
    except MalformedEscape as e:
        raise JkstoolError(f"{e}: Java refuses the file (Properties.load)", "write \\uXXXX with four hex digits",
                           path=str(path)) from None
