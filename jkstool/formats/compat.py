"""Which runtimes can load a store as it is, from its real algorithms, and what to convert it to.

One table, RUNTIMES, says what each runtime reads, each rule with its source, and _java_limits
what else Java refuses (short salts, passwords that are not ASCII, X9.42 DH keys); `compat`
judges a store read by jkstool against both, `list` says which Java releases refuse it
(java_refusals), and docs/formats.md's matrix is rendered from the table (a test keeps the
two equal). The answer for a runtime on this machine can be checked by running it
(tests/test_compat.py does, for keytool 17 and 25, openssl 3.0 and cryptography).
"""

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from .. import der
from ..errors import JkstoolError
from ..model import Loaded, Protection

if TYPE_CHECKING:
    from .pkcs12 import Profile

_PBES2 = frozenset({"aes-128-cbc", "aes-192-cbc", "aes-256-cbc"})
_PKCS12_PBE = frozenset({"pbe-sha1-3des", "pbe-sha1-2des", "pbe-sha1-rc2-40", "pbe-sha1-rc2-128", "pbe-sha1-rc4-128",
                         "pbe-sha1-rc4-40"})
_RC2 = frozenset({"pbe-sha1-rc2-40", "pbe-sha1-rc2-128", "pbe-sha1-rc4-128", "pbe-sha1-rc4-40"})
"""RC2 and RC4: OpenSSL 3's legacy provider holds them."""
_HMACS = frozenset({"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"})


@dataclass(frozen=True)
class Runtime:
    name: str
    types: frozenset[str]
    """Store types it loads."""
    keys: frozenset[str]
    """Encryptions of PKCS12 private keys it decrypts ("none": a KeyBag, in the clear)."""
    certificates: frozenset[str]
    """Encryptions of PKCS12 certificate bags it decrypts ("none": in the clear)."""
    integrity: frozenset[str | None]
    """PKCS12 integrity checks it verifies (None: no MAC, a password-less store)."""
    java: bool
    """Java's KeyStore: it keeps secret keys, and sees only certificates that are a key's chain or carry
    Java's trusted-certificate attribute (jkstool reads a store as Java does). Java's own limits come with it
    (see _java_limits)."""
    source: str
    ascii_only: frozenset[str] = frozenset()
    """The integrity checks and encryptions it keys right only from an ASCII password."""


_JAVA = frozenset({"JKS", "JCEKS", "PKCS12"})
_OLD = _PKCS12_PBE  # what Java 8 before 8u301 decrypts
_ALL = _PKCS12_PBE | _PBES2
_CLEAR = frozenset({"none"})
_GO = frozenset({"pbe-sha1-3des", "pbe-sha1-rc2-40"})
_JAVA_KEYS = "; Java's PKCS12KeyStore reads shrouded keys only (a KeyBag in the clear is skipped)"
# A password that is not ASCII: Java keys nothing with one before JDK 25 ("Password is not ASCII": its PBEKey took
# ASCII only until JDK-8348732); JDK 25 keys PBES2 and the MAC right, and the PKCS #12 ciphers wrongly (the file
# OpenSSL wrote fails with a bad padding). Measured with keytool 17 and 25; 26 is taken to be as 25.
_ASCII_BEFORE_25 = _ALL | _HMACS
_ASCII_FROM_25 = _PKCS12_PBE

RUNTIMES = [
    Runtime("Java 8 before 8u301", _JAVA, _OLD, _OLD | _CLEAR, frozenset({"hmac-sha1"}), True,
            "PBES2 and HMAC-SHA256 in PKCS12 came with JDK-8153005, password-less stores with JDK-8076190 "
            "(JDK 12, backported to 11.0.12 and 8u301)" + _JAVA_KEYS, _ASCII_BEFORE_25),
    Runtime("Java 8u301+", _JAVA, _ALL, _ALL | _CLEAR, _HMACS | {None}, True, "JDK-8153005, JDK-8076190 (8u301)",
            _ASCII_BEFORE_25),
    Runtime("Java 11", _JAVA, _ALL, _ALL | _CLEAR, _HMACS | {None}, True, "JDK-8153005, JDK-8076190 (11.0.12)",
            _ASCII_BEFORE_25),
    Runtime("Java 17", _JAVA, _ALL, _ALL | _CLEAR, _HMACS | {None}, True, "JDK-8153005 (JDK 12)", _ASCII_BEFORE_25),
    Runtime("Java 21", _JAVA, _ALL, _ALL | _CLEAR, _HMACS | {None}, True, "JDK-8153005 (JDK 12)", _ASCII_BEFORE_25),
    Runtime("Java 25", _JAVA, _ALL, _ALL | _CLEAR, _HMACS | {None}, True, "JDK-8153005 (JDK 12)", _ASCII_FROM_25),
    Runtime("Java 26", _JAVA, _ALL, _ALL | _CLEAR, _HMACS | {None, "pbmac1"}, True,
            "PBMAC1 integrity: JDK-8370042 (JDK 26)", _ASCII_FROM_25),
    Runtime("OpenSSL 1.1.1", frozenset({"PKCS12"}), _ALL | _CLEAR, _ALL | _CLEAR, _HMACS | {None}, False,
            "OpenSSL 1.1.1 reads RC2 and 3DES natively"),
    Runtime("OpenSSL 3.0-3.3", frozenset({"PKCS12"}), (_ALL | _CLEAR) - _RC2, (_ALL | _CLEAR) - _RC2,
            _HMACS | {None}, False, "RC2 and RC4 moved to the legacy provider in OpenSSL 3.0 (migration guide)"),
    Runtime("OpenSSL 3.0-3.3 -legacy", frozenset({"PKCS12"}), _ALL | _CLEAR, _ALL | _CLEAR, _HMACS | {None}, False,
            "the legacy provider loaded (openssl pkcs12 -legacy)"),
    Runtime("OpenSSL 3.4+", frozenset({"PKCS12"}), (_ALL | _CLEAR) - _RC2, (_ALL | _CLEAR) - _RC2,
            _HMACS | {None, "pbmac1"}, False,
            "PBMAC1 since OpenSSL 3.4 (CHANGES.md); RC2 and RC4 still need the legacy provider"),
    Runtime("Go x/crypto/pkcs12", frozenset({"PKCS12"}), _GO, _GO | _CLEAR, frozenset({"hmac-sha1"}), False,
            "golang.org/x/crypto/pkcs12: 3DES, RC2-40 and an SHA-1 MAC only (frozen package)"),
    Runtime("Python cryptography", frozenset({"PKCS12"}), _ALL | _CLEAR, _ALL | _CLEAR, _HMACS | {None, "pbmac1"},
            False, "load_pkcs12, on the OpenSSL 3.4+ of its wheels, legacy provider included"),
]


@dataclass(frozen=True)
class Verdict:
    runtime: str
    loads: bool
    why: str
    """What stops it (empty when it loads); a secret key it cannot use is said here too."""
    fix: str
    """The conversion that makes the store load there (empty when it loads)."""


JDKS = {"8": "Java 8 before 8u301", "8u301": "Java 8u301+", "11": "Java 11", "17": "Java 17", "21": "Java 21",
        "25": "Java 25", "26": "Java 26"}
"""The Java releases a pre-deploy check names (`compat --jdk`), and the runtime each is judged as."""
LISTED_JDKS = tuple(jdk for jdk in JDKS if jdk != "8")
"""The Java releases `list` speaks for: all but Java 8 before 8u301, which reads none of today's defaults (every
PKCS12 keytool 17 writes would draw a line; `compat --jdk 8` judges it)."""
DECLARED_TYPES = ("JKS", "PKCS12", "JCEKS")
"""The store types an application declares (javax.net.ssl.trustStoreType...) that Java knows."""


@dataclass
class CompatReport:
    """Which runtimes load a store as it is (`jkstool compat`): one verdict a runtime, in RUNTIMES' order."""

    type: str
    """JKS, JCEKS, PKCS12 or PEM."""
    protection: Protection | None
    """A PKCS12 store's integrity check and encryption schemes, as read."""
    type_mismatch: str | None
    """What Java does with a store declared (or named) as another type than its bytes are."""
    verdicts: list[Verdict]
    jdk: str | None = None
    """The Java release `ok` answers for (a key of JDKS)."""
    warnings: list[str] = field(default_factory=list)
    """What the reader noticed."""

    def verdict(self, runtime: str) -> Verdict:
        """The verdict of a runtime, by its name ("Java 17", "OpenSSL 3.4+"...) or its Java release ("17")."""
        name = JDKS.get(runtime, runtime)
        found = next((v for v in self.verdicts if v.runtime == name), None)
        if found is None:
            raise JkstoolError(f"no runtime is named {runtime!r}",
                               "give a Java release (" + ", ".join(JDKS) + ") or a runtime of the report")
        return found

    @property
    def ok(self) -> bool:
        """Whether the Java release `jdk` loads the store (True when none was named)."""
        return self.jdk is None or self.verdict(self.jdk).loads

    def fixes(self) -> dict[str, list[str]]:
        """Each conversion that makes the store load somewhere, and the runtimes it serves, in order."""
        found: dict[str, list[str]] = {}
        for v in self.verdicts:
            if v.fix:
                found.setdefault(v.fix, []).append(v.runtime)
        return found

    def to_dict(self) -> dict[str, object]:
        """`compat --json`: type, integrity, keys, certificates, type_mismatch, and each runtime's verdict."""
        protection = self.protection
        return {
            "type": self.type, "integrity": protection.integrity if protection else None,
            "keys": sorted(protection.keys) if protection else [],
            "certificates": sorted(protection.certificates) if protection else [], "type_mismatch": self.type_mismatch,
            "runtimes": [{"runtime": v.runtime, "loads": v.loads, "why": v.why, "fix": v.fix} for v in self.verdicts]}


def validate(declared: str | None = None, jdk: str | None = None) -> None:
    """Refuse a declared type Java does not know, or a Java release RUNTIMES does not judge."""
    if jdk is not None and jdk not in JDKS:
        raise JkstoolError(f"no Java release {jdk!r} is judged", f"give one of {', '.join(JDKS)}")
    if declared is not None and declared.upper() not in DECLARED_TYPES:
        raise JkstoolError(f"the declared type {declared} is not a Java store type",
                           "give JKS, PKCS12 or JCEKS, as the application declares it")


def report(loaded: Loaded, path: str, declared: str | None = None, jdk: str | None = None) -> CompatReport:
    """`judge`'s verdicts on a store read from `path` (which the fixes name), and what its declared type (else
    its name) means to Java; `jdk`, a key of JDKS, is the release `ok` answers for."""
    validate(declared, jdk)
    return CompatReport(loaded.type, loaded.protection, type_mismatch(path, loaded.type, declared),
                        judge(loaded, path, declared), jdk, list(loaded.warnings))


class Refusal(NamedTuple):
    """A Java release that refuses a store as it is, and why (`list` says each)."""

    jdk: str
    """A key of JDKS ("17")."""
    why: str


def judge(loaded: Loaded, path: str, declared: str | None = None) -> list[Verdict]:
    """Each runtime's verdict on a store as read; with `declared`, as an application declaring that store
    type (KeyStore.getInstance) opens it."""
    x942 = _x942_certificates(loaded)
    return [_judge(runtime, loaded, path, declared, x942) for runtime in RUNTIMES]


def java_refusals(loaded: Loaded) -> list[Refusal]:
    """Each Java release of LISTED_JDKS that refuses a store as it is, and why: it fails to load it, or to decrypt
    a key of it. Not what Java loads without seeing (a key in the clear...): the reader warns of that. None for a
    PEM file, which is no Java store."""
    if loaded.type not in _JAVA:
        return []
    x942 = _x942_certificates(loaded)
    runtimes = {runtime.name: runtime for runtime in RUNTIMES}
    found = []
    for jdk in LISTED_JDKS:
        reasons = _refusals(runtimes[JDKS[jdk]], loaded, None, x942)
        if reasons:
            found.append(Refusal(jdk, "; ".join(reasons)))
    return found


def _judge(runtime: Runtime, loaded: Loaded, path: str, declared: str | None, x942: int) -> Verdict:
    protection = loaded.protection
    # What Java does not see (keys in a KeyBag; certificates with no trusted attribute and no key):
    # jkstool reads as Java does and cannot convert it, so the fix takes it out with OpenSSL first.
    clear_keys = bool(protection and "none" in protection.keys)
    unseen = bool(protection and protection.certificates and not loaded.store and not clear_keys)
    reasons = _refusals(runtime, loaded, declared, x942)
    if runtime.java:
        reasons += [unread for unread, applies in (
            ("keys in the clear", clear_keys),
            ("it finds no entry: the certificates carry no Java trusted-certificate attribute (openssl pkcs12 "
             "-export -nokeys writes them so)", unseen)) if applies]
    secret = any(e.kind == "secret-key" for e in loaded.store)
    if not reasons:
        note = "" if runtime.java or not secret else "loads, but a secret key is of use to Java only"
        return Verdict(runtime.name, True, note, "")
    fix = _fix(_fitting_profile(runtime, loaded), shlex.quote(path), clear_keys, unseen,
               protection is None or protection.ascii_password)
    if runtime.java and x942:  # a conversion keeps the entries, and drops only the certificates none holds
        fix = " && ".join([*(f"jkstool delete {shlex.quote(path)} --alias {shlex.quote(alias)}"
                             for alias in _x942_aliases(loaded)), fix])
    return Verdict(runtime.name, False, "; ".join(reasons), fix)


def _refusals(runtime: Runtime, loaded: Loaded, declared: str | None, x942: int) -> list[str]:
    """Why `runtime` fails to load the store, or to decrypt a key of it ([] when it does both); for Java, not
    the keys in the clear it skips (which _judge adds)."""
    protection = loaded.protection
    reasons = []
    if loaded.type not in runtime.types:
        reasons.append(f"it reads no {loaded.type}")
    elif protection is not None:
        if protection.integrity not in runtime.integrity:
            reasons.append(f"its integrity check {protection.integrity or '(none: no password)'} is not read")
        skipped = _CLEAR if runtime.java else frozenset()
        for what, schemes, known in (("keys", protection.keys, runtime.keys | skipped),
                                     ("certificates", protection.certificates, runtime.certificates)):
            unknown = sorted(schemes - known)
            if unknown:
                reasons.append(f"{what} " + ", ".join("in the clear" if u == "none" else f"encrypted with {u}"
                                                     for u in unknown))
    release = 8 if runtime.name.startswith("Java 8") else 9
    if runtime.java and declared and not opens_as(declared.upper(), loaded.type, release):
        reasons.append(f"declared {declared.upper()}, it fails with '{refusal(declared.upper(), loaded.type)}'")
    if runtime.java and loaded.type in runtime.types:
        reasons += _java_limits(runtime, protection, x942)
    return reasons


_JAVA_SALT = 8


def _java_limits(runtime: Runtime, protection: Protection | None, x942: int) -> list[str]:
    """What stops Java beyond the algorithms it reads, each measured with keytool 17 and 25
    (tests/test_java_refuses.py): a salt under 8 bytes, in a MAC or an encryption, PBES1 and PBES2 alike; a
    password that is not ASCII, for what the release keys with ASCII only; a certificate with an X9.42 DH key,
    whose parameters Java's DH key parser reads as PKCS #3's (p, g, l), so the certificate, and the store, fail."""
    reasons = []
    if protection is not None and protection.salt is not None and protection.salt < _JAVA_SALT:
        reasons.append(f"a {protection.salt}-byte salt, where Java takes {_JAVA_SALT} bytes or more ('Salt must be "
                       "at least 8 bytes long')")
    used = {protection.integrity, *protection.keys, *protection.certificates} if protection else set()
    keyed = sorted(s for s in used & runtime.ascii_only if s is not None)
    if protection is not None and not protection.ascii_password and keyed:
        reasons.append(f"the password is not ASCII, and it derives the keys of {', '.join(keyed)} right from ASCII "
                       "passwords only")
    if x942:
        reasons.append(f"{x942} certificate(s) with an X9.42 DH key, which it cannot parse ('Integer exceeds "
                       "maximum valid value')")
    return reasons


_X942_DH = der.oid("1.2.840.10046.2.1")  # dhpublicnumber, as DER


def _x942_certificates(loaded: Loaded) -> int:
    """How many certificates of the file have an X9.42 DH key, those no entry holds too."""
    found = {cert for entry in loaded.store for cert in entry.certificates if _x942(cert)}
    return len(found | {cert for cert in loaded.stray_certificates if _x942(cert)})


def _x942_aliases(loaded: Loaded) -> list[str]:
    """The entries holding a certificate with an X9.42 DH key: Java loads the store once they are deleted."""
    return [entry.alias for entry in loaded.store if any(_x942(cert) for cert in entry.certificates)]


def _x942(cert: bytes) -> bool:
    """Whether a certificate's key is X9.42 DH. The OID's bytes are sought first, and the DER read only where
    they are: `list` judges a 10,000-certificate store at every call."""
    from ..pki.parse import key_algorithm
    return _X942_DH in cert and key_algorithm(cert)[:1] == [(der.OID, _X942_DH[2:])]


def opens_as(declared: str, actual: str, release: int) -> bool:
    """Whether Java `release`'s KeyStore.getInstance(declared) loads a file of type `actual`: by
    keystore.type.compat (JDK-8062552), a JKS KeyStore reads PKCS12 files (8u60+), a PKCS12 one JKS (9+)."""
    return declared == actual or (declared, actual) in (("JKS", "PKCS12"), ("JCEKS", "JKS")) or \
        ((declared, actual) == ("PKCS12", "JKS") and release >= 9)  # JceKeyStore takes JKS's magic too


def refusal(declared: str, actual: str) -> str:
    """What Java's KeyStore of the `declared` type says of a file of type `actual` it does not load: JKS and
    JCEKS check the magic number; PKCS12 parses DER, and a JKS or JCEKS file's second byte (0xFE, 0xCE) is
    an over-long length."""
    if declared != "PKCS12":
        return "Invalid keystore format"
    second = {"JKS": 0xFE, "JCEKS": 0xCE}.get(actual)
    return f"DerInputStream.getLength(): lengthTag={second & 0x7F}, too big." if second else "Invalid keystore format"


def _fix(profile: str | None, path: str, clear_keys: bool, unseen: bool, ascii_password: bool = True) -> str:
    """The commands that make the store load; with a password that is not ASCII, they give the new store an
    ASCII one (jkstool writes no PKCS12 password Java 17 refuses)."""
    if profile is None:
        return "no profile of jkstool fits it"
    new = "" if ascii_password else " --dest-storepass env:ASCII_STOREPASS"
    if clear_keys:
        return (f"(umask 077; openssl pkcs12 -in {path} -nodes -out key.pem) && jkstool convert key.pem OUT.p12 "
                f"--profile {profile}{new} && rm key.pem")
    if unseen:
        return (f"openssl pkcs12 -in {path} -nokeys -out cas.pem && jkstool import-ca OUT.p12 cas.pem "
                f"--profile {profile}{new.replace('--dest-', '--')}")
    return f"jkstool convert {path} OUT.p12 --profile {profile}{new}"


def _fitting_profile(runtime: Runtime, loaded: Loaded) -> str | None:
    """The write profile to convert to for this runtime: the first of java9 (the most widely read), legacy,
    modern that it reads (none-truststore for a truststore that only it fits)."""
    from .pkcs12 import PROFILES
    keys = any(e.kind != "trusted-cert" for e in loaded.store)
    for name in ("java9", "legacy", "modern", "none-truststore"):
        if name == "none-truststore" and keys:
            continue
        if reads(runtime, PROFILES[name]):
            return name
    return None


def reads(runtime: Runtime, shape: "Profile") -> bool:
    """Whether `runtime` loads a PKCS12 file written with the write profile `shape`."""
    return (shape.keys in runtime.keys and shape.certificates in runtime.certificates
            and shape.integrity in runtime.integrity)


_EXTENSION_TYPES = {".jks": "JKS", ".p12": "PKCS12", ".pfx": "PKCS12", ".jceks": "JCEKS"}


def type_mismatch(path: str, actual: str, declared: str | None = None) -> str | None:
    """What Java does with a store declared (by `declared`, e.g. a -Djavax.net.ssl.trustStoreType, else its
    file name) as another type than its bytes are; None when they agree."""
    from pathlib import PurePath
    by = "declared" if declared else "its name says"
    declared = (declared or _EXTENSION_TYPES.get(PurePath(path).suffix.lower(), actual)).upper()
    if declared == actual or actual == "PEM":
        return None
    said = f"the store is {actual}, though {by} {declared}"
    if {declared, actual} == {"JKS", "PKCS12"}:  # JDK-8062552: JKS reads PKCS12 since 8u60; both ways in 9+
        since = "Java 8u60+" if declared == "JKS" else "Java 9+"
        return (f"{said}: {since} reads it anyway (keystore.type.compat, on by default); older Java and a "
                "JDK with keystore.type.compat=false fail with 'Invalid keystore format'")
    if (declared, actual) == ("JCEKS", "JKS"):
        return f"{said}: Java's JCEKS KeyStore reads JKS files too, so it loads"
    return (f"{said}: Java opening it as {declared} (KeyStore.getInstance(\"{declared}\"), a keyStoreType "
            f"setting) fails with '{refusal(declared, actual)}', since only JKS and PKCS12 read each other (and "
            f"JCEKS reads JKS); KeyStore.getInstance(File) learns the type from the bytes and loads it")
