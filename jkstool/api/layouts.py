"""Layouts: the four stores of a mutual-TLS pair with their CAs and layout.json, made and changed as a whole.

Each change takes the layout's lock itself: one lifecycle step at a time,
whichever door it comes in by. A function that opens the layout's stores
takes `password`; without it, the layout's own `storepass` file (init-pair
writes one when it generates the password) gives it. Every change is checked
with verify-pair's rules before anything is written, and the files it
replaces are kept in `folder/backups/<time>/` (`restore` puts them back).
"""

import dataclasses
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import files, passwords
from ..errors import JkstoolError, file_exists
from ..layout.manifest import MANIFEST, STAGES, Layout, backups_for, generated_password, lock_path, within

if TYPE_CHECKING:
    from ..layout import create
    from ..layout.lifecycle import NewClient as NewClient
    from ..layout.lifecycle import Renewal as Renewal
    from ..layout.lifecycle import Request as Request
    from ..layout.lifecycle import Revocation as Revocation
    from ..layout.lifecycle import Revocations as Revocations
    from ..layout.lifecycle import Written as Written
    from ..layout.rollover import Stage as Stage
    from ..pki.issue import Issuer as Issuer

StrPath = str | Path

_RESULTS = {"Renewal": "lifecycle", "Request": "lifecycle", "NewClient": "lifecycle", "Revocation": "lifecycle",
            "Revocations": "lifecycle", "Written": "lifecycle", "Stage": "rollover"}


def __getattr__(name: str) -> Any:
    """The result types of a layout's changes, loaded when first asked for: their modules bring cryptography."""
    if name in _RESULTS:
        import importlib
        return getattr(importlib.import_module(f"jkstool.layout.{_RESULTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


CAPaths = tuple[StrPath, StrPath]


def init_pair(folder: StrPath, *, password: str | None = None, store_type: str = "pkcs12",
              key_type: str = "ec-p256", server_cn: str = "localhost", sans: list[str] | None = None,
              client_cn: str = "client", server_alias: str = "server", client_alias: str = "client",
              days: int = 397, ca_days: int = 3650, separate_cas: bool = False,
              ca: CAPaths | None = None, server_ca: CAPaths | None = None, client_ca: CAPaths | None = None,
              ca_password: str | None = None, replace: bool = False, lock_timeout: float = 30,
              profile: str | None = None, allow_weak: bool = False, ca_crls: Iterable[StrPath] = ()) -> Layout:
    """Make the four stores of a mutual-TLS pair in `folder`, their CA(s) in `folder/ca/`, and layout.json.

    Without `password`, a random one is written to `folder/storepass` (0600).
    A CA may be brought as (certificate file, key file): `ca` for both sides,
    or `server_ca` and `client_ca`; the others are made here, one for both
    sides or, with `separate_cas`, one per side. `ca_password` opens a brought
    CA key and encrypts a CA key made here (default: the store password).
    Existing files are replaced only with `replace`; their backups are in
    the returned layout's `backups`. The folder is claimed under the layout's
    lock: of two runs into one folder, the second finds the first's files.
    Passwords given are checked as any new one is, unless `allow_weak` (a
    brought CA key's, when no CA key is made here, only opens it).
    `ca_crls` are the CRLs of the CAs above a brought one, as revoke takes
    them (the layout then starts its own CRLs beside them).

    >>> import tempfile
    >>> layout = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit")
    >>> sorted(path.name for path in layout.stores().values())
    ['client.keystore.p12', 'client.truststore.p12', 'server.keystore.p12', 'server.truststore.p12']
    >>> from jkstool import verify_pair
    >>> verify_pair(layout.folder, password="changeit").ok
    True
    """
    import secrets

    from ..layout import create
    folder = Path(folder)
    spec = create.PairSpec(store_type=store_type, key_type=key_type, server_cn=server_cn, sans=sans,
                           client_cn=client_cn, server_alias=server_alias, client_alias=client_alias,
                           days=days, ca_days=ca_days, separate_cas=separate_cas, profile=profile)
    if profile == "none-truststore":
        raise JkstoolError("the profile none-truststore is for a truststore alone: a layout's keystores need a "
                           "password", "give java9, modern or legacy")
    passwords.check_new(password, allow_weak)
    if ca is None and (server_ca is None or client_ca is None):  # a CA key made here is encrypted with it; one
        passwords.check_new(ca_password, allow_weak)            # brought opens with whatever it has
    spec.bring(ca, server_ca, client_ca, ca_password)
    crl_files = list(ca_crls)
    _above_brought(spec, crl_files)  # refused before anything is written
    generated = password is None
    store_password = secrets.token_urlsafe(24) if password is None else password

    def planned() -> "list[create.PlannedFile]":
        return create.plan(spec, create.issue(spec), store_password, ca_password or store_password, generated)
    layout = write_layout(folder, spec.planned_files(generated).values(), planned, replace, lock_timeout)
    if not crl_files:
        return layout
    revoke(folder, ca_crls=crl_files, password=store_password, ca_password=ca_password, lock_timeout=lock_timeout)
    return dataclasses.replace(Layout.open(folder), backups=layout.backups)


def _above_brought(spec: "create.PairSpec", crl_files: list[StrPath]) -> None:
    """Each CRL file is signed by a CA above a brought one, as revoke(ca_crls=...) will check."""
    from ..layout.lifecycle import not_above
    from ..pki import crl
    above = [c for brought in (spec.shared_ca, spec.server_ca, spec.client_ca) if brought
             for c in brought.issuer.chain]
    for path in crl_files:
        try:
            loaded = crl.load(files.read_bytes(path, what="a CRL"))
        except JkstoolError as e:
            raise e.at(path=path) from None
        if crl.signer_among(loaded, above) is None:
            raise not_above(str(path))


def write_layout(folder: Path, names: "Iterable[str]", planned: "Callable[[], list[create.PlannedFile]]",
                 replace: bool, lock_timeout: float) -> Layout:
    """Claim `folder` under the layout's lock, refuse to replace any of `names` there unless `replace`,
    then write what `planned()` makes as one change (a folder made here and left empty is removed)."""
    from ..layout import create
    made = not folder.exists()
    try:
        files.make_folders(folder)  # 0755 whatever the umask: no one else rewrites layout.json
    except OSError as e:
        raise JkstoolError(f"cannot make the folder ({e.strerror})", path=str(folder)) from None
    try:
        with _locked(folder, lock_timeout):
            names = list(names)
            for name in names:  # before anything is written: no file through a planted link, nor where others
                files.closed_to_others(within(folder, name).parent, folder)  # could swap it (the CA key above all)
            existing = [name for name in names if (folder / name).exists()]
            if existing and not replace:
                raise file_exists(folder / existing[0], "give replace=True to replace the layout; backups are kept")
            backups = create.write(folder, planned(), replace)
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


# -- a layout's life ------------------------------------------------------------------------------

PEM_SNIPPETS = ("nginx", "apache", "curl")
"""The `snippet` formats whose servers and clients read PEM files, which the snippet writes to `pem/`:
they need the stores' password."""
SERVER_SNIPPETS = ("tomcat", "nginx", "apache")
"""The `snippet` formats that configure the server side only."""


def is_layout(folder: StrPath) -> bool:
    """Whether `folder` holds a layout (its layout.json), as opposed to loose stores or certificates.

    >>> is_layout("fixtures")
    False
    """
    return (Path(folder) / MANIFEST).is_file()


def _opened(folder: Path, password: str | None) -> tuple[Layout, str]:
    """The layout in `folder` and the password of its stores (`password`, else its storepass file)."""
    layout = Layout.open(folder)
    secret = generated_password(folder) if password is None else password
    return layout, passwords.require(secret, f"the layout {folder}")


@contextmanager
def _locked(folder: Path, lock_timeout: float) -> Iterator[None]:
    """The layout's lock: one lifecycle step at a time."""
    with files.locked(folder / MANIFEST, lock_timeout):
        yield


def _issuer(ca: "Issuer | CAPaths", ca_password: str | None) -> "Issuer":
    """A CA given as an Issuer, or as its (certificate file, key file)."""
    if isinstance(ca, tuple):
        from ..formats import certfile
        return certfile.read_issuer(ca[0], ca[1], ca_password)
    return ca


def _certificates(items: "Iterable[bytes | StrPath]") -> list[bytes]:
    """Certificates given as DER, or as files (PEM, DER, PKCS#7) read whole."""
    from ..formats import certfile
    return [cert for item in items for cert in
            ([item] if isinstance(item, bytes) else certfile.read_certificates(item))]


def renew(folder: StrPath, side: str, *, password: str | None = None, ca_password: str | None = None,
          keep_key: bool = False, days: int | None = None, ca: "Issuer | CAPaths | None" = None,
          cn: str | None = None, sans: list[str] | None = None, added: str | None = None,
          lock_timeout: float = 30) -> "Renewal | Request":
    """Replace `side`'s certificate (and key, unless `keep_key`) in one step, before it expires; with
    `added`, that of the client add_client added under that cn (side "client").

    The new certificate comes from the layout's CA (or `ca`: an Issuer, or a
    CA's certificate and key files, for a CA kept elsewhere) with the same
    subject, SANs and profile, or the `cn` and `sans` given; `days` is
    remembered for later renewals (default: the last given, else 397). The
    PEM files and CRL bundle the layout exported follow. It is written only
    when the renewed layout passes verify-pair: else `Renewal.report` says
    why and nothing changed. `ca_password` opens the CA key (the layout's
    own also opens with the store password; a CA given as files, with
    `ca_password` alone). Without the CA's key at hand, a `Request` instead:
    a CSR for the CA and, for a new key, the keystore that waits for its
    reply.

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> renewal = renew(folder, "server", password="changeit", days=90)
    >>> renewal.report.ok, renewal.old != renewal.new, sorted(renewal.to_dict())
    (True, True, ['backups', 'files', 'new', 'ok', 'old', 'side'])
    """
    from ..layout import lifecycle
    folder = Path(folder)
    issuer = _issuer(ca, ca_password) if ca is not None else None
    with _locked(folder, lock_timeout):
        layout, secret = _opened(folder, password)
        if added is not None and (side != "client" or cn or sans):
            raise JkstoolError("a client added later is renewed as it is", "give side='client' and added=... "
                               "alone (no cn=... or sans=...)", path=str(folder))
        return lifecycle.renew(layout, side, secret, ca_password, keep_key, days, issuer, cn, sans, added)


def add_client(folder: StrPath, cn: str, *, password: str | None = None, ca_password: str | None = None,
               lock_timeout: float = 30) -> "NewClient":
    """Issue one more client (a new partner) from the layout's client CA: client-NAME.keystore and
    client-NAME.truststore beside the layout's stores (NAME: `cn` in lowercase). The server's truststore
    changes only when it does not trust the client CA yet (`NewClient.server_trust_added`).

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> client = add_client(folder, "partner-b", password="changeit")
    >>> client.keystore.name, client.alias, client.server_trust_added
    ('client-partner-b.keystore.p12', 'partner-b', False)
    """
    from ..layout import lifecycle
    folder = Path(folder)
    with _locked(folder, lock_timeout):
        layout, secret = _opened(folder, password)
        return lifecycle.add_client(layout, cn, secret, ca_password)


def rollover_status(folder: StrPath, *, lock_timeout: float = 30) -> dict[str, Any]:
    """Where a CA rollover stands: {"stage": the last stage done (None: no rollover under way), "next": the
    stage that comes next, "cas": the CAs being replaced, ...}. Needs no password.

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> rollover_status(folder)
    {'stage': None, 'next': 'trust', 'cas': []}
    """
    from ..layout import rollover
    folder = Path(folder)
    with _locked(folder, lock_timeout):
        return rollover.status(Layout.open(folder))


def rollover_ca(folder: StrPath, stage: str, *, sides: Sequence[str] | None = None, password: str | None = None,
                ca_password: str | None = None, keep_key: bool = False, ca: CAPaths | None = None,
                ca_crls: Iterable[StrPath] = (), lock_timeout: float = 30) -> "Stage":
    """Replace a CA without downtime, one stage per call; deploy what each writes before the next.

    "trust": a new CA, trusted beside the old one (`sides` chooses the CA
    to replace in a layout made with `separate_cas`; default: both). A CA
    brought to init-pair is replaced by the one `ca` gives (its certificate
    file, the CA first and then its issuers up to the root, and its key,
    opened with `ca_password`): a next intermediate under the same root
    changes no truststore, and at "finish" the layout uses its files; one
    under a new root needs that root's CRL where the layout keeps CRLs
    (`ca_crls`, as revoke takes them), or its leaves would fail every server
    that checks revocation, and "reissue" writes nothing.
    "reissue": the leaves reissued from the new CA, with their recorded
    validity (their keys kept with `keep_key`). "finish": the old CA leaves
    the truststores. A stage run out of order is refused; one whose layout
    would not pass verify-pair writes nothing (`Stage.report` says why).

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> [rollover_ca(folder, stage, password="changeit").report.ok for stage in ("trust", "reissue", "finish")]
    [True, True, True]
    """
    from ..layout import rollover
    if stage not in STAGES:
        raise JkstoolError(f"no rollover stage {stage!r}", f"give one of {', '.join(STAGES)}")
    crl_files = [(str(path), files.read_bytes(path, what="a CRL")) for path in ca_crls]
    if (sides is not None or ca is not None or crl_files) and stage != "trust":
        raise JkstoolError("sides, ca and ca_crls choose the CA to replace, and its successor, when a rollover "
                           "starts", "give them with the stage trust only (a CRL later: revoke(ca_crls=...))")
    folder = Path(folder)
    with _locked(folder, lock_timeout):
        layout, secret = _opened(folder, password)
        if stage == "finish":
            return rollover.finish(layout, secret)
        if stage == "reissue":
            return rollover.reissue(layout, secret, ca_password, keep_key)
        return rollover.trust(layout, None if sides is None else list(sides), secret, ca_password,
                              brought=None if ca is None else (Path(ca[0]), Path(ca[1])), issuer_crls=crl_files)


def restore(folder: StrPath, *, when: str | None = None, lock_timeout: float = 30) -> "tuple[Path, Written]":
    """Put back the files a layout change replaced: the newest backup, or the one `when` names (a folder
    name in backups/). Returns that backup and what was written. The current files are backed up first
    (a restore is undone the same way), and files the restored change created are moved into that backup.

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> renewal = renew(folder, "client", password="changeit")
    >>> chosen, written = restore(folder)
    >>> chosen == renewal.written.folder, [path.name for path in written.files]
    (True, ['client.keystore.p12'])
    """
    from ..layout import lifecycle
    folder = Path(folder)
    with _locked(folder, lock_timeout):
        Layout.open(folder)
        return lifecycle.restore(folder, when)


def revoke(folder: StrPath, *, certificates: "Iterable[bytes | StrPath]" = (), aliases: Iterable[str] = (),
           password: str | None = None, ca_password: str | None = None, crl_days: int = 30,
           ca_crls: Iterable[StrPath] = (), lock_timeout: float = 30) -> "Revocations":
    """Revoke certificates of a layout: each goes into the CRL of the layout's CA that issued it (in ca/,
    one per CA, all of them in ca/crls.pem for servers), which verify_pair, serve and the snippets use.

    `certificates` are DER, or files (PEM, DER, PKCS#7); `aliases` name key
    entries of the layout's keystores (an added client's too). A CRL gets a
    new number and is valid for `crl_days`: revoke again before then
    (certificates on it stay on it). `ca_password` opens the CA keys
    (default: the store password). `ca_crls` are CRL files of the CAs above
    a brought CA (a company's root): servers checking revocation check every
    level of the path, so the layout keeps them in ca/ and bundles them too
    (given again, a newer one replaces the older). With none of the three,
    every CRL of the layout is signed anew (a new number and nextUpdate):
    what a server that checks them needs before they go stale.

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> done = revoke(folder, aliases=["client"], password="changeit")
    >>> [item["status"] for item in done.to_dict()["revoked"]], [path.name for path in done.crls]
    (['revoked'], ['ca.crl', 'crls.pem'])
    """
    from ..layout import lifecycle
    folder = Path(folder)
    revoked, names = _certificates(certificates), list(aliases)
    given = [(str(path), files.read_bytes(path, what="a CRL")) for path in ca_crls]
    with _locked(folder, lock_timeout):
        layout, secret = _opened(folder, password)
        revoked += [lifecycle.leaf_of(layout, secret, name) for name in names]
        return lifecycle.revoke(layout, secret, ca_password, revoked, crl_days, given)


def revoke_with(ca: "Issuer | CAPaths", crl: StrPath, certificates: "Iterable[bytes | StrPath]", *,
                ca_password: str | None = None, crl_days: int = 30, lock_timeout: float = 30) -> "Revocation":
    """Revoke certificates in the CRL file `crl` (created when missing, else extended) signed by `ca` (an
    Issuer, or the CA's certificate and key files, opened with `ca_password`): for a CA outside a layout.

    Two revocations at once both land (the file is locked from the read to
    the write); certificates already on the list stay on it, and the CRL gets
    a new number, valid for `crl_days`.
    """
    from ..layout.lifecycle import Revocation
    from ..pki import crl as crls
    revoked = _certificates(certificates)
    issuer = _issuer(ca, ca_password)
    path = Path(crl)
    with files.locked(lock_path(path), lock_timeout):
        existing = None
        if path.exists():
            try:
                existing = crls.load(files.read_bytes(path))
            except JkstoolError as e:
                raise e.at(path=path) from None
        try:
            data, added, already = crls.revoke(issuer, existing, revoked, crl_days)
        except JkstoolError as e:
            raise e.at(path=path) from None
        files.write_atomic(path, data, files.Secrecy.PUBLIC)
    return Revocation(path, added, already)


def convert_layout(folder: StrPath, store_type: str, *, password: str | None = None,
                   lock_timeout: float = 30) -> "Written":
    """Convert every store of a layout (added clients' too) to `store_type`, pkcs12 or jks: layout.json
    names the new files, and the old ones are moved into the backup. Deploy the new stores, and point the
    configuration at their names (`snippet` gives it).

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> written = convert_layout(folder, "jks", password="changeit")
    >>> sorted(path.name for path in Layout.open(folder).stores().values())
    ['client.keystore.jks', 'client.truststore.jks', 'server.keystore.jks', 'server.truststore.jks']
    """
    from ..layout import lifecycle
    if store_type not in ("pkcs12", "jks"):
        raise JkstoolError(f"a layout's stores are pkcs12 or jks, not {store_type}", "give pkcs12 or jks")
    folder = Path(folder)
    with _locked(folder, lock_timeout):
        layout, secret = _opened(folder, password)
        return lifecycle.convert(layout, secret, store_type)


def check_k8s_name(name: str) -> str:
    """Refuse a name prefix for which Kubernetes would refuse one of the Secrets `k8s_secrets` makes (not a
    DNS-1123 name): before any work is done.

    >>> check_k8s_name("Payments_Prod")
    Traceback (most recent call last):
    ...
    jkstool.errors.JkstoolError: the Secret name 'Payments_Prod-keystore-password' is not a DNS-1123 name ...
    """
    from ..layout import k8s
    k8s.check_name(f"{name}-keystore-password")
    return name


def k8s_secrets(folder: StrPath, *, name: str | None = None, namespace: str | None = None,
                password: str | None = None, output: StrPath | None = None, replace: bool = False,
                lock_timeout: float = 30) -> dict[str, Any]:
    """The layout as Kubernetes Secrets, as cert-manager names its keystores: a List (what `kubectl apply -f`
    reads, once written as JSON) of NAME-server and NAME-client, each with that side's stores, tls.crt,
    tls.key and ca.crt, and NAME-keystore-password holding the store password. The CA key is never in
    them; the keys and the password are, so keep what it is written to private (mode 0600).
    NAME defaults to the folder's name, in lowercase. With `output`, the List is also written there
    (0600, this user's, atomically; a file already there is replaced only with `replace`, unless the
    layout wrote it); a file inside the layout folder is then the layout's own, rewritten by every later
    change to its stores, as the PEM exports are.

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls").folder   # its password in folder/storepass
    >>> [item["metadata"]["name"] for item in k8s_secrets(folder, name="payments")["items"]]
    ['payments-server', 'payments-client', 'payments-keystore-password']
    """
    from ..layout import k8s
    folder = Path(folder)
    layout, secret = _opened(folder, password)
    name = name or folder.resolve().name.lower()
    document = k8s.secrets(layout, secret, name, namespace)
    if output is None:
        return document
    target = Path(output).parent.resolve() / Path(output).name  # a link planted at the name is not followed
    inside = target.is_relative_to(folder.resolve())
    relative = str(target.relative_to(folder.resolve())) if inside else ""
    ours = inside and any(e.file == relative for e in layout.manifest.secrets)
    if (target.exists() or target.is_symlink()) and not (replace or ours):
        raise file_exists(Path(output))
    if not inside:
        files.write_atomic(target, k8s.as_json(document), files.Secrecy.CLEAR)
        return document
    from ..layout.lifecycle import Change
    from ..layout.manifest import SecretsExport
    with _locked(folder, lock_timeout):
        layout = Layout.open(folder)
        layout.manifest.secrets = [e for e in layout.manifest.secrets if e.file != relative]
        layout.manifest.secrets.append(SecretsExport(relative, name, namespace))
        Change(layout, secret).write()
    return document


def k8s_json(document: dict[str, Any]) -> bytes:
    """The Secrets' List as a file of them holds it (what kubectl apply -f reads)."""
    from ..layout import k8s
    return k8s.as_json(document)


@dataclass
class Snippet:
    """What `snippet` made: the configuration, and the PEM files it uses."""

    text: str
    pem_files: list[Path] = field(default_factory=list)
    """The PEM files the configuration names (for nginx, Apache httpd and curl)."""
    written: list[Path] = field(default_factory=list)
    """Those of them written now: the others were up to date."""


def snippet(folder: StrPath, fmt: str, *, side: str | None = None, port: int = 8443, password: str | None = None,
            bind: str | None = None, replace: bool = False, lock_timeout: float = 30) -> Snippet:
    """Configuration for a layout, with its real paths and store types and never a password inline: for
    spring-boot, tomcat, jvm, nginx, apache or curl, and `side` (default: client for curl, else server).

    nginx, apache and curl read PEM files (PEM_SNIPPETS): they are written to
    `folder/pem/` (the key unencrypted, mode 0600) from the stores, which
    `password` opens, and refreshed by every later change to the layout. A
    file there that the layout did not write is replaced only with
    `replace`. With `bind` (an IP address), a server listens on it alone and
    curl dials it.

    >>> import tempfile
    >>> folder = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit").folder
    >>> made = snippet(folder, "curl", password="changeit")
    >>> made.text.startswith("# curl as the client"), [path.name for path in made.written]
    (True, ['client-chain.pem', 'client-key.pem', 'client-trusted-cas.pem'])
    """
    from ..layout import snippets
    side = side or snippets.DEFAULT_SIDE.get(fmt, "server")
    if fmt not in snippets.JAVA_FORMATS and fmt not in snippets.PEM_FORMATS:
        raise JkstoolError(f"no snippet format {fmt!r}",
                           f"give one of {', '.join([*snippets.JAVA_FORMATS, *snippets.PEM_FORMATS])}")
    if side not in ("server", "client"):
        raise JkstoolError(f"side {side!r}: choose server or client")
    if fmt in SERVER_SNIPPETS and side != "server":
        raise JkstoolError(f"{fmt} runs the server side", "give side='server'")
    if bind is not None:
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            raise JkstoolError(f"bind={bind!r} is not an IP address", "give the address to listen on, such as "
                               "127.0.0.1 or ::1") from None
    folder = Path(folder)
    if fmt in snippets.PEM_FORMATS:
        password = passwords.require(generated_password(folder) if password is None else password,
                                     f"the layout {folder}")
    with _locked(folder, lock_timeout):  # its PEM files are the layout's
        layout = Layout.open(folder)
        exported = side in layout.manifest.exports
        text, pem = snippets.snippet(layout, fmt, side, port, password, bind)
        fresh = [path for path, data, _ in pem[:-1] if not (path.exists() and files.read_bytes(path) == data)]
        if fresh and not (exported or replace) and fresh[0].exists():  # files it exported before are its own
            raise file_exists(fresh[0])
        if pem:
            files.write_all(pem, replace=True, backups=backups_for(folder / MANIFEST))
    return Snippet(text, [path for path, _, _ in pem[:-1]], fresh)


@dataclass
class LayoutFile:
    """A file of a layout, and the certificate it holds (a store's first entry's, a CA file's)."""

    role: str
    path: Path
    alias: str = ""
    """A store's first entry."""
    certificate: bytes | None = None
    """DER; None for layout.json and the other files that hold none."""


def layout_files(layout: Layout | StrPath, *, password: str | None = None) -> list[LayoutFile]:
    """Every file a layout made (`Layout.files`), with the certificate each holds: what init-pair reports.

    >>> import tempfile
    >>> made = init_pair(Path(tempfile.mkdtemp()) / "tls", password="changeit")
    >>> [(f.role, f.alias) for f in layout_files(made, password="changeit")][:2]
    [('server-keystore', 'server'), ('server-truststore', 'ca')]
    """
    from ..formats import certfile
    from .stores import read_store
    opened = layout if isinstance(layout, Layout) else Layout.open(layout)
    secret = generated_password(opened.folder) if password is None else password
    found = []
    for role, path in opened.files().items():
        item = LayoutFile(role, path)
        if role in opened.stores():
            entry = next(iter(read_store(path, secret, keys=False).store))
            item.alias, item.certificate = entry.alias, entry.certificates[0]
        elif role.endswith("-cert"):
            item.certificate = certfile.read_certificates(path)[0]
        found.append(item)
    return found
