"""Checks: whether a pair completes a mutual-TLS handshake as JSSE decides it, and what expires when."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import files, formats
from ..errors import JkstoolError
from ..layout.manifest import MANIFEST, Layout, find_stores, generated_password
from ..model import ROLES

if TYPE_CHECKING:  # the modules behind them import cryptography: each function imports what it needs
    from cryptography import x509

    from ..fleet.expiry import Scan
    from ..fleet.secrets import SecretFile
    from ..mtls.checks import Report

StrPath = str | Path


def verify_pair(stores: StrPath | Mapping[str, StrPath], *, password: str | None = None,
                passwords: Mapping[str, str | None] | None = None, hostname: str | None = None,
                at: datetime | None = None, warn_days: int = 30, crls: Iterable[StrPath] = (),
                jdk: str | None = None, java_security: StrPath | None = None, first_break: bool = False) -> "Report":
    """Whether a server and a client will complete a mutual-TLS handshake, as JSSE decides it.

    `stores` is a layout folder (its layout.json's stores, else the four files
    by their conventional names) or a mapping of the four roles
    (server-keystore, server-truststore, client-keystore, client-truststore) to
    paths. `passwords` gives a role its own password; the others use
    `password` (a layout's `storepass` file when neither is given). The
    report's findings say which certificate, which store and what to do. `jdk` is whose rules
    decide: a JDK folder, a release (17, 21, 25), or the JDK on this machine (else 17's defaults);
    `java_security` a properties file that overrides its java.security, as
    -Djava.security.properties does. A layout's own CRLs are checked with `crls`. With `first_break`, the
    report's `first_break` says when the pair first fails if nothing is done, and what ends then.

    >>> report = verify_pair("fixtures/no-such-layout")
    Traceback (most recent call last):
    ...
    jkstool.errors.JkstoolError: fixtures/no-such-layout: the folder holds neither ...
    """
    from ..mtls.checks import StoreInput
    paths = _store_paths(stores)
    if not isinstance(stores, Mapping):
        password = generated_password(Path(stores)) if password is None else password
        crls = [*crls, *layout_crls(Path(stores))]
    inputs = {}
    for role in ROLES:
        secret = (passwords or {}).get(role, password)
        loaded = formats.read_store(paths[role], secret, strict=False)
        inputs[role] = StoreInput(role, str(paths[role]), loaded)
    return _verify(inputs, hostname, at, warn_days, crls, jdk, java_security, first_break)


def verify_secrets(files: "Mapping[str, SecretFile]", *, hostname: str | None = None, at: datetime | None = None,
                   warn_days: int = 30, crls: Iterable[StrPath] = (), jdk: str | None = None,
                   java_security: StrPath | None = None, first_break: bool = False) -> "Report":
    """verify_pair on stores read from Kubernetes Secrets (fleet.secrets), by role."""
    from ..mtls.checks import StoreInput
    inputs = {}
    for role in ROLES:
        item = files[role]
        try:
            loaded = formats.load(item.data, item.password, strict=False)
        except JkstoolError as e:
            raise e.at(path=item.name) from None
        inputs[role] = StoreInput(role, item.name, loaded)
    return _verify(inputs, hostname, at, warn_days, crls, jdk, java_security, first_break)


def _verify(inputs: dict, hostname: str | None, at: datetime | None, warn_days: int, crls: Iterable[StrPath],
            jdk: str | None, java_security: StrPath | None, first_break: bool) -> "Report":
    from ..mtls import jdk as jdks
    from ..mtls.checks import verify
    target = jdks.find(jdk, Path(java_security) if java_security else None)
    revocations = [read_crl(p) for p in crls]
    report = verify(inputs, hostname=hostname, at=at, warn_days=warn_days, crls=revocations, jdk=target)
    if first_break:
        from ..mtls import firstbreak

        def verdict(moment: datetime) -> "Report":
            return verify(inputs, hostname=hostname, at=moment, warn_days=0, crls=revocations, jdk=target)
        report.first_break = firstbreak.first_break(verdict, report, at, firstbreak.endings(report, revocations))
    return report


def layout_crls(folder: Path) -> list[Path]:
    """The CRLs a layout folder keeps (jkstool revoke DIR), which verify-pair and serve use unasked."""
    from ..layout.derived import crl_paths
    if not (folder / MANIFEST).is_file():
        return []
    return [p for p in crl_paths(Layout.open(folder)) if p.exists()]


def _store_paths(stores: StrPath | Mapping[str, StrPath]) -> dict[str, Path]:
    if isinstance(stores, Mapping):
        missing = [role for role in ROLES if role not in stores]
        if missing:
            raise JkstoolError(f"no {missing[0].replace('-', ' ')} given", f"give a layout folder, or --{missing[0]}")
        return {role: Path(stores[role]) for role in ROLES}
    return find_stores(Path(stores))


def read_crl(path: StrPath) -> "tuple[str, x509.CertificateRevocationList]":
    from ..pki import crl
    try:
        return str(path), crl.load(files.read_bytes(path))
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
    stores read from Kubernetes Secrets (fleet.secrets), checked with the rest.

    >>> scan = expiry(["fixtures/jdk17-keytool.jks"])
    >>> scan.files, len(scan.found) >= 5, scan.errors
    (1, True, [])
    """
    from ..fleet.expiry import scan
    return scan([Path(p) for p in paths], password, progress, passwords, list(secrets))
