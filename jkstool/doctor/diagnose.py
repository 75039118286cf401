"""Each endpoint's stores opened as its application opens them, then verify-pair's checks against a peer.

What the application does, from the JDK's code: KeyStore.getInstance(declared type) reads a file
of another type only where keystore.type.compat allows it (JKS and PKCS12 read each other);
the SunX509 key manager recovers every key with one password (the key password, else the store
password) and fails to start when one does not open; with no truststore configured the JDK's
cacerts decides; a server that does not require client certificates lets clients in without one.
"""

import grp
import os
import pwd
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

from .. import files, formats
from ..errors import JkstoolError, PasswordError
from ..formats import compat
from ..model import Loaded, PrivateKeyEntry, Store
from ..mtls import jdk as jdks
from ..mtls import pkix, verdict
from ..mtls.checks import StoreInput, verify
from ..mtls.findings import ERROR, Finding, finding
from ..mtls.peer import end_entity
from ..pki import certs
from .config import EITHER, Endpoint, Setting, StoreConfig

if TYPE_CHECKING:
    from cryptography import x509

_WRITABLE = {"JKS", "PKCS12"}  # the declared types jkstool can convert a store to
_Add = Callable[[Finding], None]
"""Where a check puts what it finds (the diagnosis's list)."""


@dataclass
class Diagnosis:
    endpoint: Endpoint
    findings: list[Finding] = field(default_factory=list)
    stores: dict[str, StoreInput] = field(default_factory=dict)
    """The stores as opened: keystore and truststore (by our role names)."""
    decided_by: str | None = None
    """Who judged the pair with the peer's stores (as verify-pair's report says); None without them."""
    assumed: str | None = None
    """Of a configuration that does not say its side (JVM flags): the side(s) it was checked as, and why."""

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    def to_dict(self) -> dict[str, object]:
        """The endpoint's verdict as doctor --json prints it."""
        return {"name": self.endpoint.name, "side": self.endpoint.side, "source": self.endpoint.source,
                "ok": self.ok, "decided_by": self.decided_by, "findings": [f.to_dict() for f in self.findings]}


@dataclass
class Checkup:
    """doctor's verdict: each endpoint the configurations set up, judged by one JDK's rules."""

    diagnoses: list[Diagnosis]
    rules: str
    """Whose rules decided: the target JDK and where its settings came from."""

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.diagnoses)

    def to_dict(self) -> dict[str, object]:
        """As doctor --json prints it."""
        return {"ok": self.ok, "rules": self.rules, "endpoints": [d.to_dict() for d in self.diagnoses]}


def diagnose(endpoint: Endpoint, peer: dict[str, Path] | None, peer_password: str | None,
             user: str | None = None, jdk: jdks.Jdk | None = None, peer_truststore: StoreInput | None = None,
             peer_url: tuple[str, int] | None = None) -> Diagnosis:
    """Open the endpoint's stores as its application would and check them against the peer: its layout's
    stores (the whole pair), its truststore alone (this side's chain), or a live server (a probe). An
    endpoint of either side is checked as the side(s) its keystore fits."""
    jdk = jdk or jdks.find()
    if endpoint.side == EITHER:
        return _either_side(endpoint, lambda side: diagnose(side, peer, peer_password, user, jdk, peer_truststore,
                                                            peer_url))
    result = Diagnosis(endpoint)
    add = result.findings.append
    if endpoint.missing_bundle is not None:
        add(finding("config-no-keystore", endpoint.missing_bundle.where, None,
                    f"{endpoint.name}: server.ssl.bundle names '{endpoint.missing_bundle.value}', which no "
                    "spring.ssl.bundle.jks.* or .pem.* defines: Spring fails to start ('SSL bundle name ... cannot "
                    "be found')", "name a bundle the configuration defines"))
        return result
    if endpoint.old_attributes is not None:
        add(finding("config-tomcat-old-attributes", endpoint.old_attributes.where, None,
                    f"{endpoint.name}: {endpoint.old_attributes.key} is one of the connector's TLS attributes of "
                    "Tomcat 9 and before: Tomcat 10.1 and later ignore them ('failed to set property') and open "
                    "no TLS port ('No SSLHostConfig element was found')"))
    keystore = _open(endpoint, "keystore", endpoint.keystore, add, user, jdk)
    truststore = _open(endpoint, "truststore", endpoint.truststore, add, user, jdk)
    if truststore is None and endpoint.truststore.location is None:
        truststore = _cacerts(endpoint, jdk, add)
    _client_auth(endpoint, add)
    _protocols(endpoint, jdk, add)
    if endpoint.reload_on_update is not None and endpoint.reload_on_update.value.lower() == "true":
        add(finding("config-reload-on-update", endpoint.reload_on_update.where, None,
                    f"{endpoint.name}: the bundle is reloaded when its files change: Spring reloads on the first "
                    "change it sees, so a store copied over in place can be read half-written"))
    if keystore is not None:
        keystore = _keys(endpoint, keystore, add)
    if keystore is not None:
        result.stores["keystore"] = keystore
    if truststore is not None:
        result.stores["truststore"] = truststore
    if keystore is not None:
        _ciphers(endpoint, jdk, _server_key(endpoint, keystore, peer, peer_password), add)
    if keystore is not None and peer is None and peer_truststore is None and peer_url is None:
        _dates(endpoint, keystore, add)  # no peer to check the chain against: its dates at least
    if keystore is None or truststore is None or not result.ok:
        return result
    if peer is not None:
        result.decided_by = _pair(endpoint, keystore, truststore, peer, peer_password, jdk, add)
    if peer_truststore is not None:
        _trusted_by(endpoint, keystore, peer_truststore, jdk, add)
    if peer_url is not None:
        _probe(endpoint, keystore, truststore, peer_url, add)
    return result


def _either_side(endpoint: Endpoint, check: Callable[[Endpoint], Diagnosis]) -> Diagnosis:
    """JVM flags say nothing of the side the JVM plays: checked as the side its keystore's certificate is
    for, or as both when it fits both (or says nothing), and then only what holds as both is reported: an
    error of one side alone is a guess's, not the configuration's."""
    sides, why = _plausible_sides(endpoint)
    results = [check(one) for one in endpoint.sides if one.side in sides]
    if len(results) == 1:
        results[0].assumed = f"checked as a {sides[0]}, {why}"
        return results[0]
    first, second = results
    shared = {_identity(f) for f in second.findings}
    decided = first.decided_by if first.decided_by == second.decided_by else "; ".join(
        f"as a {r.endpoint.side}, {r.decided_by}" for r in results if r.decided_by)
    return Diagnosis(endpoint, [f for f in first.findings if _identity(f) in shared], first.stores, decided or None,
                     f"checked as a client and as a server ({why}): only what holds as both is reported")


def _identity(found: Finding) -> tuple[str, str, str, str | None]:
    """A finding as the same on either side: its severity, code, store and alias (the words may differ)."""
    return found.severity, found.code, found.store, found.alias


def _plausible_sides(endpoint: Endpoint) -> tuple[list[str], str]:
    """The sides the key certificates of the keystore are for (their extended key usage, as JSSE's
    EndEntityChecker reads it), and why; both when they say nothing, or the keystore cannot be read (each
    side's check then finds the same)."""
    config = endpoint.keystore
    both = ["client", "server"]
    if config.location is None or any(s.unresolved for s in (config.location, config.password) if s):
        return both, "no keystore whose certificate says which"
    try:
        loaded = formats.load(files.read_bytes(config.location.value), _password(endpoint, "keystore"), keys=False,
                              strict=False)
        fits = {side for entry in loaded.store.key_entries() if entry.chain for side in _sides_of(entry.chain[0])}
    except JkstoolError:
        return both, "its keystore cannot be read"
    if len(fits) == 1:
        (side,) = fits
        return [side], "the only side the certificate of its keystore is for (by its extended key usage)"
    return both, "the certificate of its keystore fits both" if fits else "no certificate of its keystore fits either"


def _sides_of(leaf: bytes) -> list[str]:
    """The sides a certificate may authenticate, as JSSE checks the peer's: its extended key usage and
    Netscape certificate type."""
    return [side for side in ("client", "server") if not any(
        p.code in (f"{side}-eku", "netscape-cert-type") for p in end_entity(leaf, f"tls {side}"))]


def _where(setting: Setting | None, endpoint: Endpoint, near: Setting | None = None) -> str:
    """Where a setting is written; for one left out, the line of the store it belongs to."""
    return setting.where if setting is not None else near.where if near is not None else endpoint.source


def _open(endpoint: Endpoint, role: str, config: StoreConfig, add: _Add, user: str | None,
          jdk: jdks.Jdk) -> StoreInput | None:
    """A store opened as KeyStore.getInstance(declared type).load(file, password) opens it: its keys stay
    encrypted here (the key manager's one password opens them in _keys)."""
    location = config.location
    if location is None:
        if role == "keystore":
            add(finding("config-no-keystore", endpoint.source, None,
                        f"{endpoint.name}: no keystore is configured, so it has no certificate to present"))
        return None
    for setting in (location, config.type, config.password, config.key_password, config.alias, config.key_file):
        if setting is not None and setting.unresolved:
            add(finding("config-unresolved", setting.where, None,
                        f"{endpoint.name}: the {role} setting uses ${{{setting.unresolved[0]}}}, {setting.why}: "
                        "the application fails to start (or starts with the placeholder as the value)",
                        setting.fix or None))
            return None
    _trailing_whitespace(endpoint, role, config, add)
    secrets = {s.value for s in (config.password, config.key_password) if s is not None and s.value}
    if not location.value.strip() or location.value in secrets:  # never print a password as a path
        add(finding("config-store-missing", location.where, None,
                    f"{endpoint.name}: the {role} setting is "
                    + ("empty" if not location.value.strip() else "the same as its password setting: swapped?")))
        return None
    path = Path(location.value)
    if config.password is not None and config.password.inline:
        _inline_password(endpoint, config.password, add)
    try:
        data = files.read_bytes(path)
        if config.key_file is not None:  # a PEM bundle: the key in a file of its own
            data += b"\n" + files.read_bytes(config.key_file.value)
    except JkstoolError as e:
        add(finding("config-store-missing", location.where, None,
                    f"{endpoint.name}: the {role} {e.path or path} cannot be read ({e.what})"))
        return None
    if user is not None:
        _readable_by(user, path, endpoint, role, location, add)
        if config.key_file is not None:
            _readable_by(user, Path(config.key_file.value), endpoint, f"{role}'s key", config.key_file, add)
    declared = (config.type.value if config.type else endpoint.defaults.get(f"{role}-type", "PKCS12")).upper()
    try:
        actual = formats.detect(data)
    except JkstoolError as e:
        add(finding("config-store-missing", location.where, None, f"{endpoint.name}: {path} is not a store ({e.what})"))
        return None
    if not compat.opens_as(declared, actual, jdk.version):
        add(finding("config-type-mismatch", _where(config.type, endpoint, location), None,
                    f"{endpoint.name}: the {role} {path} is {actual}, declared {declared}: Java fails with "
                    f"'{compat.refusal(declared, actual)}' (only JKS and PKCS12 read each other, and JCEKS reads JKS)",
                    f"declare its type as {actual}" + (f", or convert it: jkstool convert {path} OUT --store-type "
                                                       f"{declared.lower()}" if declared in _WRITABLE else "")))
        return None
    password = _password(endpoint, role)
    try:
        loaded = formats.load(data, password, keys=False, strict=False)
    except PasswordError:
        add(finding("config-password-wrong", _where(config.password, endpoint, location), None,
                    f"{endpoint.name}: the {role} {path} does not open with the password configured"
                    + ("" if config.password else " (none is: the runtime's default is used)")))
        return None
    except JkstoolError as e:
        add(finding("config-store-missing", location.where, None, f"{endpoint.name}: {path}: {e.what}"))
        return None
    if config.key_file is not None:
        loaded = _as_spring_pem(loaded, config)
    if role == "truststore" and password is None and actual == "PKCS12" and not loaded.store:
        add(finding("config-password-wrong", endpoint.source, None,
                    f"{endpoint.name}: no truststore password is set, and the certificates of {path} are "
                    "encrypted: Java finds no trust anchor in it", "set the truststore password"))
        return None
    return StoreInput(f"{endpoint.side}-{role}", str(path), loaded, data)


def _trailing_whitespace(endpoint: Endpoint, role: str, config: StoreConfig, add: _Add) -> None:
    """A store setting whose value ends in whitespace, which the runtime keeps (Spring Boot, Tomcat, the JVM;
    Kafka's reader trims its values, as Kafka's ConfigDef does): Java is given the value as written. Said as a
    warning: the store may really have such a password; one that does not fails to open, an error."""
    settings = (config.location, config.key_file, config.type, config.password, config.key_password, config.alias)
    kept = {(s.where, s.key): s for s in settings if s is not None and s.value != s.value.rstrip()}
    for setting in kept.values():
        name = setting.key or f"a {role} setting"
        add(finding("config-trailing-whitespace", setting.where, None,
                    f"{endpoint.name}: the value of {name} ends in whitespace, which the application keeps: the "
                    f"{role} is opened with the value whitespace and all",
                    f"remove the whitespace at the end of {name}"))


def _as_spring_pem(loaded: Loaded, config: StoreConfig) -> Loaded:
    """A PEM bundle as Spring's PemSslStore makes its KeyStore: the key with the certificate file's chain, in
    file order, whether they belong together or not (the checks then say so)."""
    keys = loaded.store.key_entries()
    chain = tuple(cert for entry in loaded.store for cert in entry.certificates)
    if len(keys) != 1:
        return loaded
    alias = config.alias.value if config.alias else "ssl"
    entry = PrivateKeyEntry(alias, keys[0].key, chain or keys[0].chain, keys[0].created)
    return Loaded(loaded.type, Store([entry]), loaded.verified, loaded.warnings, protection=loaded.protection)


def _dates(endpoint: Endpoint, keystore: StoreInput, add: _Add) -> None:
    """The certificates of the keystore's chains outside their validity now, when no key has a chain within
    it (the key manager would choose that one): any peer refuses them."""
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    found = []
    for entry in keystore.loaded.store.key_entries():
        dated = [(entry.alias, cert) for cert in map(certs.load, entry.chain)
                 if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc]
        if not dated:
            return
        found += dated
    for alias, cert in found:
        if cert.not_valid_after_utc < now:
            add(finding("cert-expired", keystore.path, alias, f"{endpoint.name}: {certs.subject_of(cert)} expired "
                        f"on {cert.not_valid_after_utc:%Y-%m-%d}: every peer refuses this chain"))
        else:
            add(finding("cert-not-yet-valid", keystore.path, alias, f"{endpoint.name}: {certs.subject_of(cert)} is "
                        f"valid from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC only: every peer refuses it"))


def _keys(endpoint: Endpoint, keystore: StoreInput, add: _Add) -> StoreInput | None:
    """The key entry the application presents: the alias configured, else the key manager's choice
    (verify-pair makes it); every key must open with the key password (else the store password)."""
    config = endpoint.keystore
    store = keystore.loaded.store
    alias = config.alias.value if config.alias else None
    if config.alias is not None and alias is not None:
        entry = store[alias] if alias in store else None
        if not isinstance(entry, PrivateKeyEntry):
            add(finding("config-alias-missing", config.alias.where, alias,
                        f"{endpoint.name}: {keystore.path} has no key entry '{alias}'"
                        + (f" (its key entries: {', '.join(e.alias for e in store.key_entries())})"
                           if store.key_entries() else "")))
            return None
    key_password = (config.key_password or config.password)
    password = key_password.value if key_password else endpoint.defaults.get("keystore-password")
    store_password = _password(endpoint, "keystore")
    loaded = formats.load(keystore.data or files.read_bytes(keystore.path), store_password, password,
                          strict=False, one_key_password=True)
    if config.key_file is not None:
        loaded = _as_spring_pem(loaded, config)
    unopened = {*loaded.locked, *(e.alias for e in loaded.store.key_entries() if e.key is None)}
    locked = sorted(a for a in unopened if alias is None or a.lower() == alias.lower())
    if locked:
        add(finding("config-key-password", _where(key_password, endpoint, config.location),
                    locked[0] if locked else alias,
                    f"{endpoint.name}: the key{'s' if len(locked) > 1 else ''} of {keystore.path} "
                    f"{'do' if len(locked) > 1 else 'does'} not open with the "
                    f"{'key' if config.key_password else 'store'} password: the key manager fails to start "
                    "('Cannot recover key')", "set the key password, or give every key the store's password "
                    "(jkstool passwd STORE --alias ALIAS --new-keypass ...)"))
        return None
    if alias is not None:  # the key manager is asked for that alias alone
        loaded = Loaded(loaded.type, Store([loaded.store[alias]]), loaded.verified, loaded.warnings,
                        protection=loaded.protection)
    return StoreInput(keystore.role, keystore.path, loaded)


def _cacerts(endpoint: Endpoint, jdk: jdks.Jdk, add: _Add) -> StoreInput | None:
    """No truststore configured: the JDK's cacerts decides (jssecacerts first, as the JDK looks)."""
    home = jdk.home
    for name in ("jssecacerts", "cacerts"):
        path = home / "lib" / "security" / name if home else None
        if path is not None and path.is_file():
            add(finding("config-default-truststore", endpoint.source, None,
                        f"{endpoint.name}: no truststore is configured, so the JDK's {path} decides: it trusts "
                        "public CAs, not a private CA"))
            return StoreInput(f"{endpoint.side}-truststore", str(path),
                              formats.load(files.read_bytes(path), None, strict=False))
    return None


def _client_auth(endpoint: Endpoint, add: _Add) -> None:
    if endpoint.side != "server" or not endpoint.client_auth_configured:
        return
    mode = endpoint.client_auth.value.lower() if endpoint.client_auth else "none"
    if mode == "need" and endpoint.truststore.location is None:
        add(finding("config-client-auth", _where(endpoint.client_auth, endpoint), None,
                    f"{endpoint.name}: client certificates are required but no truststore is configured, so the "
                    "JDK's cacerts decides which clients get in: any holder of a public CA's certificate, and no "
                    "client of a private CA"))
    elif mode != "need":
        add(finding("config-client-auth", _where(endpoint.client_auth, endpoint), None,
                    f"{endpoint.name}: client authentication is '{mode}', so clients get in without a "
                    "certificate" + (" (a truststore is configured: it is asked of nobody)"
                                     if endpoint.truststore.location and mode == "none" else "")))


_TLS = ("TLSv1.3", "TLSv1.2")  # what a JSSE peer of today enables


def _protocols(endpoint: Endpoint, jdk: jdks.Jdk, add: _Add) -> None:
    """The TLS versions configured, less those jdk.tls.disabledAlgorithms takes away, must meet a peer's."""
    if endpoint.protocols is None:
        return
    named = re.findall(r"[^\s,]+", endpoint.protocols.value)  # Tomcat's +/- syntax is read into such a list
    disabled = {entry.algorithm for entry in jdk.tls if not entry.conditions}
    usable = [p for p in named if p in _TLS and p not in disabled]
    if not usable:
        add(finding("config-protocols", endpoint.protocols.where, None,
                    f"{endpoint.name}: the protocols enabled ({', '.join(named) or 'none'}) leave no TLS version a "
                    f"peer of {jdk.describe()} speaks (TLSv1.2, TLSv1.3; older ones are in "
                    "jdk.tls.disabledAlgorithms): the handshake fails with 'No appropriate protocol'"))


_TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
_AUTH = {"EC": "ECDSA", "Ed25519": "ECDSA", "Ed448": "ECDSA", "RSA": "RSA", "RSASSA-PSS": "RSA"}


def _server_key(endpoint: Endpoint, keystore: StoreInput, peer: dict[str, Path] | None,
                peer_password: str | None) -> str | None:
    """The key algorithm of the server's certificate, which TLS 1.2 suites must match (ECDSA or RSA)."""
    if endpoint.side == "server":
        entry = _presented(keystore)
    elif peer is not None:
        try:
            entry = _presented(StoreInput("server-keystore", str(peer["server-keystore"]),
                                          formats.read_store(peer["server-keystore"], peer_password, keys=False)))
        except JkstoolError:
            return None
    else:
        return None
    return pkix.key_facts(certs.load(entry.chain[0]))[0] if entry and entry.chain else None


def _ciphers(endpoint: Endpoint, jdk: jdks.Jdk, key: str | None, add: _Add) -> None:
    """The suites configured, less those jdk.tls.disabledAlgorithms takes away (and, for TLS 1.2, those
    whose authentication is not the server key's), must leave one; OpenSSL-style strings (Tomcat's
    HIGH:!aNULL) are OpenSSL's to expand and are left alone."""
    if endpoint.ciphers is None:
        return
    named = re.findall(r"[^\s,]+", endpoint.ciphers.value)
    if not named or not all(n.startswith(("TLS_", "SSL_")) for n in named):
        return
    protocols = re.findall(r"[^\s,]+", endpoint.protocols.value) if endpoint.protocols else ["TLSv1.3", "TLSv1.2"]
    disabled = [entry.algorithm for entry in jdk.tls if not entry.conditions]

    def usable(suite: str) -> bool:
        if suite in _TLS13_SUITES:
            return "TLSv1.3" in protocols
        match = re.fullmatch(r"TLS_(ECDHE|DHE)_(ECDSA|RSA)_WITH_(\w+)", suite)
        if "TLSv1.2" not in protocols or match is None:
            return False  # static RSA, ECDH, anonymous, export: none is enabled by a JDK of today
        if key is not None and _AUTH.get(key) != match.group(2):
            return False
        return not any(fnmatch(suite, d) if "*" in d else f"_{d}_" in f"_{suite}_" for d in disabled)
    if not any(usable(suite) for suite in named):
        add(finding("config-ciphers", endpoint.ciphers.where, None,
                    f"{endpoint.name}: none of the cipher suites configured ({', '.join(named)}) is one "
                    f"{jdk.describe()} enables with TLS {'/'.join(p.removeprefix('TLSv') for p in protocols)}"
                    + (f" and a server key of {key}" if key else "")
                    + ": the handshake fails with 'no cipher suites in common'"))


def _inline_password(endpoint: Endpoint, setting: Setting, add: _Add) -> None:
    """A password written in a file that other users can read."""
    source = Path(setting.where.rsplit(":", 1)[0])
    try:
        mode = files.mode(source)
    except OSError:
        return
    if mode & 0o004:
        what = setting.key or "a store password"  # two on one line (JVM flags) are two findings, each named
        add(finding("config-inline-password", setting.where, None,
                    f"{endpoint.name}: {what} is written in {source}, which every local user can read "
                    f"(mode {mode:04o})", _FROM_ENVIRONMENT.get(endpoint.name.split()[0])))


_FROM_ENVIRONMENT = {
    "Kafka": "take it from the environment, `${env:STOREPASS}` with `config.providers=env` and "
             "`config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider`, "
             "or `chmod 640` the file",
    "Tomcat": "take it from the environment, `${STOREPASS}` with `-Dorg.apache.tomcat.util.digester."
              "PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource`, or `chmod 640` the file",
    "JVM": "`chmod 640` the file: a JVM flag takes nothing from the environment",
}
"""How each server takes a password from the environment, where it differs from Spring's `${STOREPASS}`."""


def _readable_by(user: str, path: Path, endpoint: Endpoint, role: str, location: Setting, add: _Add) -> None:
    """Whether `user` can read `path`, every folder above it searchable, by the mode bits (root aside), from
    the passwd and group databases."""
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise JkstoolError(f"user=... {user}: no such user", "give the user the service runs as") from None
    groups = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}

    def may(info: os.stat_result, owner: int, group: int, other: int) -> bool:
        if account.pw_uid == 0:
            return True
        if info.st_uid == account.pw_uid:
            return bool(info.st_mode & owner)
        if info.st_gid in groups:
            return bool(info.st_mode & group)
        return bool(info.st_mode & other)
    resolved = path.resolve()
    blocked = next((folder for folder in reversed(resolved.parents)
                    if not may(folder.stat(), stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)), None)
    info = resolved.stat()
    if blocked is not None or not may(info, stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH):
        why = f"the folder {blocked} is closed to it" if blocked else \
            f"owner uid {info.st_uid}, gid {info.st_gid}, mode {stat.S_IMODE(info.st_mode):04o}"
        add(finding("config-unreadable-by-user", location.where, None,
                    f"{endpoint.name}: the {role} {path} is not readable by {user} ({why}): the service fails "
                    "to start"))


def _presented(keystore: StoreInput) -> PrivateKeyEntry | None:
    """The key entry presented: the one left when an alias is configured, else the first (the key manager's
    finer choice between several is verify-pair's, with the whole pair)."""
    keys = keystore.loaded.store.key_entries()
    return keys[0] if keys else None


def _trusted_by(endpoint: Endpoint, keystore: StoreInput, peer_truststore: StoreInput, jdk: jdks.Jdk,
                add: _Add) -> None:
    """This side's chain against the peer's truststore alone, as the peer's trust manager checks it."""
    from datetime import datetime, timezone

    from ..mtls import pkix
    entry = _presented(keystore)
    if entry is None:
        return
    variant = "tls server" if endpoint.side == "server" else "tls client"
    verdict = pkix.validate(list(entry.chain), [a.cert for a in peer_truststore.anchors], variant, jdk,
                            datetime.now(timezone.utc))
    problem = verdict.problem
    if verdict.ok:
        return
    if problem is not None and problem.code != "untrusted":  # the path is there, and fails for another reason
        add(finding(problem.code, peer_truststore.path, entry.alias, f"{endpoint.name}: the chain of "
                    f"'{entry.alias}' ({keystore.path}) against {peer_truststore.path}: {problem.what}",
                    problem.fix or None))
        return
    broken = certs.subject_of(certs.load(problem.cert)) if problem is not None else "its first certificate"
    add(finding(f"{endpoint.side}-untrusted", peer_truststore.path, entry.alias,
                f"{endpoint.name}: the chain of '{entry.alias}' ({keystore.path}) does not lead to a certificate "
                f"in {peer_truststore.path}: it breaks at {broken}"))


def _probe(endpoint: Endpoint, keystore: StoreInput, truststore: StoreInput, url: tuple[str, int], add: _Add) -> None:
    """A client's stores against the live server: a handshake and a request (probe's checks)."""
    from ..net.probe import probe
    host, port = url
    result = probe(host, port, host, 10.0, _presented(keystore), truststore.anchors)
    for problem in result.problems(keystore_given=True, truststore_given=True):
        add(finding("config-peer-probe", f"{host}:{port}", None, f"{endpoint.name}: {problem}"))


def _pair(endpoint: Endpoint, keystore: StoreInput, truststore: StoreInput, peer: dict[str, Path],
          peer_password: str | None, jdk: jdks.Jdk, add: _Add) -> str:
    """verify-pair's checks with the peer layout's stores on the other side, Java deciding where it can:
    returns who decided."""
    other = "client" if endpoint.side == "server" else "server"
    inputs = {f"{endpoint.side}-keystore": keystore, f"{endpoint.side}-truststore": truststore}
    passwords = {f"{endpoint.side}-keystore": _password(endpoint, "keystore"),
                 f"{endpoint.side}-truststore": _password(endpoint, "truststore")}
    for kind in ("keystore", "truststore"):
        path = peer[f"{other}-{kind}"]
        inputs[f"{other}-{kind}"] = StoreInput(f"{other}-{kind}", str(path),
                                               formats.read_store(path, peer_password, strict=False))
        passwords[f"{other}-{kind}"] = peer_password
    hostname = endpoint.hostname.value if endpoint.hostname and endpoint.side == "client" else None
    report = verify(inputs, hostname=hostname, jdk=jdk, crls=_crls(endpoint))
    beyond = _beyond_defaults(endpoint)
    verdict.settle(report, jdk, None, beyond or ({role: Path(store.path) for role, store in inputs.items()},
                                                 passwords), hostname, None)
    for found in report.findings:
        if found.code == "jks-format" and found.store == truststore.path and truststore.path.endswith("cacerts"):
            continue  # the JDK's own cacerts: not the user's to convert
        add(found)
    return report.decided_by


def _crls(endpoint: Endpoint) -> "list[tuple[str, x509.CertificateRevocationList]]":
    """The CRLs the server is configured to check client certificates against (every one of its file)."""
    if endpoint.crl is None or endpoint.side != "server":
        return []
    from ..pki import crl
    try:
        return [(endpoint.crl.where, c) for c in crl.load_all(files.read_bytes(endpoint.crl.value, what="a CRL"))]
    except JkstoolError as e:
        raise e.at(path=endpoint.crl.value) from None


def _password(endpoint: Endpoint, role: str) -> str | None:
    """The store password the application opens `role` with: configured, else the runtime's default."""
    config = endpoint.keystore if role == "keystore" else endpoint.truststore
    return config.password.value if config.password else endpoint.defaults.get(f"{role}-password")


def _beyond_defaults(endpoint: Endpoint) -> str | None:
    """Why Java cannot be handed the endpoint's stores as JSSE's defaults take them (one password opening
    the store and its keys, the key manager choosing among all keys), or None when it can."""
    config = endpoint.keystore
    if config.key_file is not None:
        return "the key comes from PEM files, not a store"
    if config.alias is not None:
        return "the configuration picks the key by alias, which the default key manager does not"
    if config.key_password is not None and config.key_password.value != _password(endpoint, "keystore"):
        return "the key has its own password, which the default key manager is not given"
    return None
