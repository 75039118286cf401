"""jkstool's public Python API: what `import jkstool` offers, and what the commands call.

Like trustme's `CA`, a layout for a Java service is three lines away:

    layout = jkstool.init_pair(tmp_path / "tls", password="changeit")
    flags = [f"-D{k}={v}" for k, v in layout.system_properties("server", "changeit").items()]
    subprocess.run(["java", *flags, "-jar", "service.jar"])

Every function raises `JkstoolError` for a problem with its input (its text
names the file and says what to do), never prints and never exits.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import files, formats
from .errors import JkstoolError, file_exists
from .layout.manifest import MANIFEST, STORE_ROLES, Layout, backups_for, find_stores, generated_password, lock_path
from .model import Loaded, Store

if TYPE_CHECKING:  # the modules behind them import cryptography: each function imports what it needs
    from cryptography import x509

    from .fleet.expiry import Scan
    from .fleet.secrets import SecretFile
    from .mtls.checks import Report
    from .pki.trust import ImportResult

__all__ = ["read_store", "write_store", "init_pair", "verify_pair", "import_ca", "expiry"]

StrPath = str | Path


def read_store(path: StrPath, password: str | None = None, *, key_password: str | None = None,
               keys: bool = True, strict: bool = True) -> Loaded:
    """Read a JKS, JCEKS, PKCS12 or PEM store, its type told by its content.

    Without a password, what is readable without one (certificates of JKS and
    unencrypted PKCS12 or PEM), unverified. Keys open with `key_password`,
    then the store password; with `keys=False` they stay encrypted (entries
    carry `key=None`); with `strict=False`, a key that does not open is
    listed in `Loaded.locked` instead of failing the read.

    >>> loaded = read_store("fixtures/jdk17-keytool.jks", "changeit")
    >>> loaded.type, sorted(entry.alias for entry in loaded.store)
    ('JKS', ['ca', 'client', 'edkey', 'partner', 'server'])
    """
    return formats.read_store(path, password, key_password, keys=keys, strict=strict)


def write_store(path: StrPath, store: Store, password: str | None, *, store_type: str | None = None,
                profile: str | None = None, encrypt_keys: bool = True, backup: bool = False) -> Path | None:
    """Write `store` to `path` atomically, as jks, pkcs12 or pem (default: from the extension, else pkcs12).

    A file holding keys is created 0600. `profile` chooses how a PKCS12 file
    is protected (java9, modern, legacy, none-truststore: docs/formats.md);
    `encrypt_keys=False` writes PEM keys unencrypted. With
    `backup`, an existing file is first copied beside itself; its path is
    returned.

    >>> import tempfile
    >>> from jkstool import Store, TrustedCertEntry
    >>> ca = read_store("fixtures/jdk17-keytool.jks", "changeit").store.trusted("ca")
    >>> path = Path(tempfile.mkdtemp()) / "truststore.p12"
    >>> write_store(path, Store([ca]), "changeit")
    >>> read_store(path, "changeit").store.trusted("ca") == TrustedCertEntry("ca", ca.cert, None)
    True
    """
    kind = formats.type_for_path(path, store_type)
    options = {"profile": profile} if kind == "pkcs12" else {"encrypt_keys": encrypt_keys} if kind == "pem" else {}
    return formats.write_store(path, store, kind, password, keep_backup=backup,
                               backups=backups_for(Path(path)) if backup else None, **options)


CAPaths = tuple[StrPath, StrPath]


def init_pair(folder: StrPath, *, password: str | None = None, store_type: str = "pkcs12",
              key_type: str = "ec-p256", server_cn: str = "localhost", sans: list[str] | None = None,
              client_cn: str = "client", server_alias: str = "server", client_alias: str = "client",
              days: int = 397, ca_days: int = 3650, separate_cas: bool = False,
              ca: CAPaths | None = None, server_ca: CAPaths | None = None, client_ca: CAPaths | None = None,
              ca_password: str | None = None, replace: bool = False, lock_timeout: float = 30,
              profile: str | None = None) -> Layout:
    """Make the four stores of a mutual-TLS pair in `folder`, their CA(s) in `folder/ca/`, and layout.json.

    Without `password`, a random one is written to `folder/storepass` (0600).
    A CA may be brought as (certificate file, key file): `ca` for both sides,
    or `server_ca` and `client_ca`; the others are made here, one for both
    sides or, with `separate_cas`, one per side. `ca_password` opens a brought
    CA key and encrypts a CA key made here (default: the store password).
    Existing files are replaced only with `replace`; their backups are in
    the returned layout's `backups`. The folder is claimed under the layout's
    lock: of two runs into one folder, the second finds the first's files.

    >>> import tempfile
    >>> layout = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit")
    >>> sorted(path.name for path in layout.stores().values())
    ['client.keystore.p12', 'client.truststore.p12', 'server.keystore.p12', 'server.truststore.p12']
    >>> verify_pair(layout.folder, password="changeit").ok
    True
    """
    import secrets

    from .layout import create
    folder = Path(folder)
    spec = create.PairSpec(store_type=store_type, key_type=key_type, server_cn=server_cn, sans=sans,
                           client_cn=client_cn, server_alias=server_alias, client_alias=client_alias,
                           days=days, ca_days=ca_days, separate_cas=separate_cas, profile=profile)
    if profile == "none-truststore":
        raise JkstoolError("--profile none-truststore is for a truststore alone: a layout's keystores need a "
                           "password", "give java9, modern or legacy")
    spec.bring(ca, server_ca, client_ca, ca_password)
    generated = password is None
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise JkstoolError(f"cannot make the folder ({e.strerror})", path=str(folder)) from None
    try:
        with files.locked(folder / MANIFEST, lock_timeout):
            existing = [name for name in spec.planned_files(generated).values() if (folder / name).exists()]
            if existing and not replace:
                raise file_exists(folder / existing[0], "give --force to replace the layout; backups are kept")
            store_password = secrets.token_urlsafe(24) if password is None else password
            planned = create.make_pair(spec, store_password, ca_password or store_password, generated)
            backups = create.write(folder, planned, replace)
    except BaseException:
        if made:
            _remove_if_empty(folder)
        raise
    layout = Layout.open(folder)
    layout.backups = backups
    return layout


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


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
    from .mtls.checks import StoreInput
    paths = _store_paths(stores)
    if not isinstance(stores, Mapping):
        password = generated_password(Path(stores)) if password is None else password
        crls = [*crls, *layout_crls(Path(stores))]
    inputs = {}
    for role in STORE_ROLES:
        secret = (passwords or {}).get(role, password)
        loaded = formats.read_store(paths[role], secret, strict=False)
        inputs[role] = StoreInput(role, str(paths[role]), loaded)
    return _verify(inputs, hostname, at, warn_days, crls, jdk, java_security, first_break)


def verify_secrets(files: "Mapping[str, SecretFile]", *, hostname: str | None = None, at: datetime | None = None,
                   warn_days: int = 30, crls: Iterable[StrPath] = (), jdk: str | None = None,
                   java_security: StrPath | None = None, first_break: bool = False) -> "Report":
    """verify_pair on stores read from Kubernetes Secrets (fleet.secrets), by role."""
    from .mtls.checks import StoreInput
    inputs = {}
    for role in STORE_ROLES:
        item = files[role]
        try:
            loaded = formats.load(item.data, item.password, strict=False)
        except JkstoolError as e:
            raise e.at(path=item.name) from None
        inputs[role] = StoreInput(role, item.name, loaded)
    return _verify(inputs, hostname, at, warn_days, crls, jdk, java_security, first_break)


def _verify(inputs: dict, hostname: str | None, at: datetime | None, warn_days: int, crls: Iterable[StrPath],
            jdk: str | None, java_security: StrPath | None, first_break: bool) -> "Report":
    from .mtls import jdk as jdks
    from .mtls.checks import verify
    target = jdks.find(jdk, Path(java_security) if java_security else None)
    revocations = [read_crl(p) for p in crls]
    report = verify(inputs, hostname=hostname, at=at, warn_days=warn_days, crls=revocations, jdk=target)
    if first_break:
        from .mtls import firstbreak

        def verdict(moment: datetime) -> "Report":
            return verify(inputs, hostname=hostname, at=moment, warn_days=0, crls=revocations, jdk=target)
        report.first_break = firstbreak.first_break(verdict, report, at, firstbreak.endings(report, revocations))
    return report


def layout_crls(folder: Path) -> list[Path]:
    """The CRLs a layout folder keeps (jkstool revoke DIR), which verify-pair and serve use unasked."""
    from .layout.derived import crl_paths
    if not (folder / MANIFEST).is_file():
        return []
    return [p for p in crl_paths(Layout.open(folder)) if p.exists()]


def _store_paths(stores: StrPath | Mapping[str, StrPath]) -> dict[str, Path]:
    if isinstance(stores, Mapping):
        missing = [role for role in STORE_ROLES if role not in stores]
        if missing:
            raise JkstoolError(f"no {missing[0].replace('-', ' ')} given", f"give a layout folder, or --{missing[0]}")
        return {role: Path(stores[role]) for role in STORE_ROLES}
    return find_stores(Path(stores))


def read_crl(path: StrPath) -> "tuple[str, x509.CertificateRevocationList]":
    from .pki import crl
    try:
        return str(path), crl.load(files.read_bytes(path))
    except JkstoolError as e:
        raise e.at(path=path) from None


def import_ca(truststore: StrPath, certificates: Iterable[StrPath | tuple[str, bytes]], *, password: str | None,
              alias: str | None = None, allow_leaf: bool = False, allow_expired: bool = False,
              store_type: str | None = None, lock_timeout: float = 30,
              skipped: Callable[[bytes, str], None] | None = None,
              progress: Callable[[int], None] | None = None, profile: str | None = None) -> "ImportResult":
    """Trust CA certificates in `truststore` (created when missing), idempotently.

    `certificates` are files (PEM bundles, DER, PKCS#7), or (source name, DER)
    pairs. A certificate already trusted is reported in `present`, not added
    again, and a call that adds nothing leaves the file byte for byte. A leaf
    or an expired certificate is refused when it comes alone and skipped in a
    bundle (`skipped(der, reason)` is called for each as it is skipped). A
    PKCS12 truststore keeps its write profile unless `profile` names another.

    >>> import tempfile
    >>> store = Path(tempfile.mkdtemp()) / "truststore.p12"
    >>> first = import_ca(store, ["fixtures/public-ca-bundle.pem"], password="changeit")
    >>> again = import_ca(store, ["fixtures/public-ca-bundle.pem"], password="changeit")
    >>> len(first.added) > 100, len(again.added), len(again.present) == len(first.added)
    (True, 0, True)
    """
    from .formats import certfile
    from .formats.pkcs12 import profile_of
    from .pki import trust
    candidates: list[tuple[str, bytes]] = []
    sources = []
    for item in certificates:
        if isinstance(item, tuple):
            candidates.append(item)
            sources.append(item[0])
        else:
            candidates += [(str(item), cert) for cert in certfile.read_certificates(item)]
            sources.append(str(item))
    path = Path(truststore)
    with files.locked(lock_path(path), lock_timeout):
        if path.exists():
            loaded = formats.read_store(path, password)
            store, kind = loaded.store, loaded.type.lower()
            profile = profile or profile_of(loaded.protection)
        else:
            store, kind = Store(), formats.type_for_path(path, store_type)
        result = trust.add_certificates(store, candidates, alias, allow_leaf, allow_expired, progress=progress)
        for data, reason in result.skipped:
            if skipped:
                skipped(data, reason)
        try:
            result.check_something_imported()
        except JkstoolError as e:
            raise e.at(path=sources[0] if len(set(sources)) == 1 else path) from None
        if result.added:
            formats.write_store(path, store, kind, password, profile=profile if kind == "pkcs12" else None)
    return result


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
    from .fleet.expiry import scan
    return scan([Path(p) for p in paths], password, progress, passwords, list(secrets))
