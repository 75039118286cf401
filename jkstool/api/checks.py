"""Checks: whether a pair completes a mutual-TLS handshake as JSSE decides it, what expires when, and whether
an application's configuration opens its stores as meant (doctor).

Each check is one call, whatever the door: the command line resolves its options to passwords and
paths, then calls the function here; the rules (which stores a folder holds, which CRLs a layout
keeps, how certificates are counted) are applied here, once.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .. import files, formats
from ..errors import JkstoolError, PasswordNeeded
from ..fleet.pairs import Fleet, PairResult
from ..layout.manifest import MANIFEST, Layout, find_stores, generated_password
from ..model import ROLES, Loaded

if TYPE_CHECKING:  # the modules behind them import cryptography: each function imports what it needs
    from cryptography import x509

    from ..doctor.diagnose import Checkup as Checkup
    from ..doctor.diagnose import Diagnosis as Diagnosis
    from ..fleet.expiry import ExpiringCertificate as ExpiringCertificate
    from ..fleet.expiry import Scan as Scan
    from ..fleet.secrets import SecretFile as SecretFile
    from ..mtls.checks import Break as Break
    from ..mtls.checks import Report as Report
    from ..mtls.checks import StoreInput
    from ..mtls.findings import Finding as Finding

__all__ = ["pair_stores", "verify_pair", "run_handshake", "verify_fleet", "verify_secrets", "layout_crls", "read_crls",
           "expiry", "doctor", "PasswordChooser", "PairResult", "Fleet"]

StrPath = str | Path

PasswordChooser = Callable[[str, Path, bool], "str | None"]
"""`chooser(role, path, required)`: the password of the store `path` plays `role` in; `required` is False
for a PEM store, which opens without one (a password still opens its encrypted keys)."""


def pair_stores(folder: StrPath | None = None, stores: Mapping[str, StrPath | None] | None = None) -> dict[str, Path]:
    """A pair's four store paths, by role (server-keystore, server-truststore, client-keystore,
    client-truststore): each one `stores` gives, else `folder`'s (its layout.json's, else the files
    by their conventional names, server.keystore.p12 ...). What the folder need not give, it is not
    asked for.

    >>> sorted(pair_stores(stores={"server-keystore": "a.p12"}))
    Traceback (most recent call last):
    ...
    jkstool.errors.JkstoolError: no server truststore given (give a layout folder, or stores={'server-truststore': ...})
    """
    given = {role: Path(path) for role, path in (stores or {}).items() if path is not None}
    if all(role in given for role in ROLES):
        return {role: given[role] for role in ROLES}
    if folder is None:
        role = next(r for r in ROLES if r not in given)
        raise JkstoolError(f"no {role.replace('-', ' ')} given", f"give a layout folder, or stores={{{role!r}: ...}}")
    found = find_stores(Path(folder), skip=[role for role in ROLES if role in given])
    return {role: given.get(role) or found[role] for role in ROLES}


def verify_pair(stores: StrPath | Mapping[str, StrPath | None] | None = None, *, folder: StrPath | None = None,
                password: str | None = None, passwords: Mapping[str, str | None] | PasswordChooser | None = None,
                hostname: str | None = None, at: datetime | None = None, warn_days: int = 30,
                crls: Iterable[StrPath] = (), jdk: str | None = None, java_security: StrPath | None = None,
                first_break: bool = False, model_only: bool = False) -> "Report":
    """Whether a server and a client will complete a mutual-TLS handshake, as JSSE decides it.

    `stores` is a layout folder (its layout.json's stores, else the four files
    by their conventional names) or a mapping of the four roles
    (server-keystore, server-truststore, client-keystore, client-truststore) to
    paths; the roles a mapping leaves out come from `folder` (pair_stores). A
    folder's own CRLs (jkstool revoke) are checked with `crls`, and its
    `storepass` file opens the stores when no `password` is given. `passwords`
    gives a role its own password (a mapping), or is a function that chooses
    each store's (PasswordChooser: the command line's options, map and prompt).
    The report's findings say which certificate, which store and what to do.
    `jdk` is whose rules decide: a JDK folder, a release (17, 17.0.15, 25: an
    installed JDK of it, else its defaults), or the JDK on this machine (else
    17's defaults); `java_security` a properties file that overrides its
    java.security, as -Djava.security.properties does. Where that JDK is on
    this machine, it decides: its own handshake between the stores gives the
    verdict (`report.decided_by`, `report.java`), and the model's findings
    explain it; `model_only` asks the model alone (no JVM). With `first_break`,
    the report's `first_break` says when the pair first fails if nothing is
    done, and what ends then.

    >>> report = verify_pair("fixtures/no-such-layout")
    Traceback (most recent call last):
    ...
    jkstool.errors.JkstoolError: fixtures/no-such-layout: no such folder ...
    """
    if stores is not None and not isinstance(stores, Mapping):
        folder, stores = stores, None
    paths = pair_stores(folder, stores)
    from ..mtls.checks import StoreInput  # after the paths: a folder that holds no pair fails at once
    if folder is not None and password is None and not callable(passwords):
        password = generated_password(Path(folder))
    chosen = {role: _password(role, paths[role], passwords, password) for role in ROLES}
    if folder is not None:
        crls = [*crls, *layout_crls(Path(folder))]
    # Where the target JDK decides, it checks each PKCS12 file's MAC as it loads it: reading them here, the
    # model leaves that key derivation, the costliest part of a read, to Java.
    integrity = model_only or not _java_will_read(paths, at, jdk, java_security)
    inputs = {role: StoreInput(role, str(paths[role]), formats.read_store(paths[role], chosen[role], strict=False,
                                                                          integrity=integrity))
              for role in ROLES}
    report = _verify(inputs, hostname, at, warn_days, crls, jdk, java_security, first_break,
                     None if model_only else (paths, chosen))
    if not integrity and report.java is not None and not report.java.ok:
        for role in ROLES:  # a wrong password or a damaged file is bad input: said as the model says it
            formats.read_store(paths[role], chosen[role], strict=False)
    return report


def _java_will_read(paths: Mapping[str, Path], at: datetime | None, jdk: str | None,
                    java_security: StrPath | None) -> bool:
    """Whether the target JDK will judge these store files (verdict.start's conditions, known before
    they are read)."""
    from ..mtls import jdk as jdks
    from ..mtls.verdict import alone_because
    target = jdks.find(jdk, Path(java_security) if java_security else None, installed=True)
    return alone_because(target, at, any(_is_pem(p) for p in paths.values())) is None


def _password(role: str, path: Path, passwords: Mapping[str, str | None] | PasswordChooser | None,
              password: str | None) -> str | None:
    """A store's password: the chooser's, as it gives it; else the role's own, else the shared one."""
    if callable(passwords):
        return passwords(role, path, not _is_pem(path))
    return (passwords or {}).get(role, password)


def _is_pem(path: Path) -> bool:
    from ..formats import pem
    return pem.is_pem(files.read_bytes(path))


def run_handshake(report: "Report", *, passwords: Mapping[str, str | None], hostname: str | None = None,
                  engine: str | None = None) -> "Finding":
    """A real mutual-TLS handshake on 127.0.0.1 between the stores a report checked, opened with
    `passwords` (by role): with JSSE when Java is found (the report's target JDK where it is installed,
    under its java.security file; `engine` "java" insists on it), else with
    Python's ssl ("openssl"), a cross-check. Its finding (handshake-ok or handshake-failed, with what
    each side saw) is added to the report and returned: the real thing, beside the verdict of the rules.
    Where Java decided the report, its handshake is that one, and is not run again (unless `engine` is
    "openssl")."""
    from ..mtls import handshake as engines
    home = report.target.home if report.target else None
    outcome = report.java if report.java is not None and engine != "openssl" else \
        engines.run(report.stores, dict(passwords), hostname, engine, home, report.java_security)
    found = engines.outcome_finding(outcome, report.stores["server-keystore"].path)
    report.findings.append(found)
    return found


def verify_fleet(root: StrPath, *, password: str | None = None, passwords: Callable[[Path], str | None] | None = None,
                 hostname: str | None = None, at: datetime | None = None, warn_days: int = 30,
                 crls: Iterable[StrPath] = (), jdk: str | None = None, java_security: StrPath | None = None,
                 model_only: bool = False, progress: Callable[[int], None] | None = None) -> Fleet:
    """verify_pair on every pair under `root` (layout folders, and folders holding the four stores by name),
    each with its first break, on every core for a fleet: a `Fleet` of `PairResult`s, in path order.

    A store opens with the password `passwords(path)` gives it (a password map), else its layout's
    own, else `password`; each layout's own CRLs are checked with `crls`. A pair that cannot be read is
    a result too (its `error`), never passed over; a root that holds no pair is an error.

    >>> verify_fleet("docs")
    Traceback (most recent call last):
    ...
    jkstool.errors.JkstoolError: docs: no pair under it (no layout.json, no server.keystore.p12 or .jks) (...)
    """
    from ..fleet import pairs
    check = partial(verify_pair, hostname=hostname, at=at, warn_days=warn_days, crls=list(crls), jdk=jdk,
                    java_security=java_security, first_break=True, model_only=model_only)
    java = not model_only and _java_will_read({}, at, jdk, java_security)
    return Fleet(Path(root), pairs.check_all(Path(root), password, check, progress, passwords, java))


def verify_secrets(files: "Mapping[str, SecretFile] | Sequence[SecretFile]", *, server: str | None = None,
                   client: str | None = None, source: str | None = None, hostname: str | None = None,
                   at: datetime | None = None, warn_days: int = 30, crls: Iterable[StrPath] = (),
                   jdk: str | None = None, java_security: StrPath | None = None,
                   first_break: bool = False, model_only: bool = False) -> "Report":
    """verify_pair on stores read from Kubernetes Secrets (jkstool.fleet.secrets): the four by role, or the
    files of the Secrets, from which the server's Secret (`server`, by default the one named *-server)
    and the client's (`client`, *-client) give the pair, PKCS12 where a Secret holds both forms.
    `source` names the input in errors (default: the one the files came from). The model decides: the
    stores are not files a JVM is handed."""
    from ..fleet import secrets
    from ..mtls.checks import StoreInput
    if not isinstance(files, Mapping):
        listed = list(files)
        name = source if source is not None else listed[0].name.rpartition("#")[0] if listed else ""
        files = secrets.pair(listed, server, client, name)
    from .secrets import load_secret
    for role in ROLES:  # as a store file without one: Java opens a keystore with its password, and checks the MAC
        if files[role].password is None and not files[role].data.lstrip().startswith(b"-----BEGIN"):
            raise PasswordNeeded(f"{files[role].name} needs a password",
                                 "give password_from=SECRET/KEY (the Secret that holds it), or the password")
    inputs = {role: StoreInput(role, files[role].name, load_secret(files[role], strict=False)) for role in ROLES}
    return _verify(inputs, hostname, at, warn_days, crls, jdk, java_security, first_break,
                   None if model_only else "the stores come from Kubernetes Secrets, not files")


def _verify(inputs: "dict[str, StoreInput]", hostname: str | None, at: datetime | None, warn_days: int,
            crls: Iterable[StrPath], jdk: str | None, java_security: StrPath | None, first_break: bool,
            java: "tuple[Mapping[str, Path], Mapping[str, str | None]] | str | None") -> "Report":
    """The model's report, then Java's verdict where it can judge: `java` is the stores' (paths, passwords)
    by role, or why Java cannot be handed them, or None for the model alone."""
    from ..mtls import jdk as jdks
    from ..mtls import verdict
    from ..mtls.checks import verify
    security = Path(java_security) if java_security else None
    target = jdks.find(jdk, security, installed=java is not None)
    revocations = [found for p in crls for found in read_crls(p)]
    started = verdict.start(target, at, java, inputs, hostname, security)
    report = verify(inputs, hostname=hostname, at=at, warn_days=warn_days, crls=revocations, jdk=target)
    if first_break:
        from ..mtls import firstbreak

        def checked_at(moment: datetime) -> "Report":
            return verify(inputs, hostname=hostname, at=moment, warn_days=0, crls=revocations, jdk=target)
        report.first_break = firstbreak.first_break(checked_at, report, at, firstbreak.endings(report, revocations))
        report.first_break_asked = True
    verdict.settle(report, target, at, java, hostname, security, started)
    report.target, report.java_security = target, security
    return report


def layout_crls(folder: Path) -> list[Path]:
    """The CRLs a layout folder keeps (jkstool revoke DIR), which verify-pair and serve use unasked."""
    from ..layout.derived import crl_paths
    if not (folder / MANIFEST).is_file():
        return []
    return [p for p in crl_paths(Layout.open(folder)) if p.exists()]


def read_crls(path: StrPath) -> "list[tuple[str, x509.CertificateRevocationList]]":
    """The CRLs of a file, each with the file's name: one (PEM or DER), or a PEM bundle of them (a layout's
    ca/crls.pem, what nginx's ssl_crl and openssl's -CRLfile take)."""
    from ..pki import crl
    try:
        return [(str(path), found) for found in crl.load_all(files.read_bytes(path))]
    except JkstoolError as e:
        raise e.at(path=path) from None


def expiry(paths: Iterable[StrPath], *, password: str | None = None,
           progress: Callable[[int], None] | None = None,
           passwords: Callable[[Path], str | None] | None = None,
           secrets: "Sequence[SecretFile]" = ()) -> "Scan":
    """Every certificate in stores, PEM/DER files and folders (recursively), soonest to expire first.

    A file in a folder that is not a store or certificate is passed over; a
    store that cannot be read is in `errors`, never silently skipped. A store opens with the password
    `passwords(path)` gives it (a password map), else its layout's own, else `password`. `secrets` are
    stores read from Kubernetes Secrets (fleet.secrets), checked with the rest. `found` has every place
    a certificate was found; `certificates` one row per certificate with the places that hold it,
    and `due(days)` the ones that expire within that many days.

    >>> scan = expiry(["fixtures/jdk17-keytool.jks"])
    >>> scan.files, len(scan.found) >= 5, scan.errors
    (1, True, [])
    >>> len(scan.certificates) <= len(scan.found), sorted(scan.to_dict(30))
    (True, ['certificates', 'errors', 'within_days'])
    """
    from ..fleet.expiry import scan
    return scan([Path(p) for p in paths], password, progress, passwords, list(secrets))


def doctor(sources: Iterable[StrPath], *, env_file: StrPath | None = None, profiles: Sequence[str] = (),
           classpath: StrPath | None = None, side: str | None = None, peer: StrPath | None = None,
           peer_password: str | Callable[[Path], str] | None = None,
           peer_truststore: "StrPath | tuple[str, Loaded] | None" = None, peer_truststore_password: str | None = None,
           peer_url: str | None = None, user: str | None = None, jdk: str | None = None,
           java_security: StrPath | None = None) -> "Checkup":
    """The stores as an application's configuration opens them, checked: a `Checkup` with a `Diagnosis`
    per endpoint the configurations set up (Spring Boot properties or YAML, Tomcat's server.xml, a file
    of JVM flags, Kafka properties), each finding naming the file and line it comes from.

    `env_file` holds the variables the service starts with; `profiles` are Spring Boot's active
    profiles, `classpath` where its classpath: locations are; `side` the side JVM flags play ("server"
    or "client"; by default the side their stores fit, or both, and a client's against `peer_url`). Against
    a peer: its layout (`peer`, opened with `peer_password`, or the password a function gives for its
    folder), its truststore alone (`peer_truststore`: a file, or (name, Loaded) for a store read
    already), or a live server (`peer_url`, HOST:PORT: a client's stores as configured are tried against
    it). `user` is who the service runs as; `jdk` whose rules decide, as verify_pair's, with
    `java_security` over its java.security (default: the -Djava.security.properties=FILE that the
    environment's CATALINA_OPTS, JAVA_OPTS, JDK_JAVA_OPTIONS or JAVA_TOOL_OPTIONS give the JVM).

    >>> doctor(["fixtures/no-such-application.yml"])
    Traceback (most recent call last):
    ...
    jkstool.errors.JkstoolError: fixtures/no-such-application.yml: no such file ...
    """
    from ..doctor import config, diagnose
    from ..doctor import sources as readers
    from ..mtls import jdk as jdks
    from ..mtls.checks import StoreInput
    env = config.environment(env_file)
    endpoints = []
    flags_side = side or ("client" if peer_url else config.EITHER)
    for source in sources:
        endpoints += readers.read(Path(source), env, list(profiles), Path(classpath) if classpath else None,
                                  flags_side)
    peer_stores: dict[str, Path] | None = None
    peer_secret: str | None = None
    trust: StoreInput | None = None
    url: tuple[str, int] | None = None
    if peer is not None:
        try:
            peer_stores = find_stores(Path(peer))
        except JkstoolError as e:
            raise replace(e, fix="give peer=... a folder holding the peer's four stores, or peer_truststore=... "
                                 "alone") from None
        peer_secret = peer_password(Path(peer)) if callable(peer_password) else peer_password
    if peer_truststore is not None:
        name, loaded = peer_truststore if isinstance(peer_truststore, tuple) else (
            str(peer_truststore), formats.read_store(peer_truststore, peer_truststore_password, keys=False))
        trust = StoreInput("peer-truststore", name, loaded)
    if peer_url is not None:
        host, _, port = peer_url.rpartition(":")
        if not host or not port.isdigit():
            raise JkstoolError(f"peer_url=... {peer_url}: give HOST:PORT")
        if any(e.side != "client" for e in endpoints):
            raise JkstoolError("peer_url=... tries a client's stores against a server: give a client's configuration "
                               "(JVM flags side='client', Kafka client properties)")
        url = (host.strip("[]"), int(port))
    override = java_security or config.security_override(env)
    target = jdks.find(jdk, Path(override) if override else None)
    return diagnose.Checkup([diagnose.diagnose(e, peer_stores, peer_secret, user, target, trust, url)
                             for e in endpoints], target.describe())
