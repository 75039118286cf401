"""Layouts: the four stores of a mutual-TLS pair with their CAs and layout.json, made and changed as a whole.

Each change takes the layout's lock itself: one lifecycle step at a time,
whichever door it comes in by.
"""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import files, passwords
from ..errors import JkstoolError, file_exists
from ..layout.manifest import MANIFEST, Layout

if TYPE_CHECKING:
    from ..layout import create

StrPath = str | Path


CAPaths = tuple[StrPath, StrPath]


def init_pair(folder: StrPath, *, password: str | None = None, store_type: str = "pkcs12",
              key_type: str = "ec-p256", server_cn: str = "localhost", sans: list[str] | None = None,
              client_cn: str = "client", server_alias: str = "server", client_alias: str = "client",
              days: int = 397, ca_days: int = 3650, separate_cas: bool = False,
              ca: CAPaths | None = None, server_ca: CAPaths | None = None, client_ca: CAPaths | None = None,
              ca_password: str | None = None, replace: bool = False, lock_timeout: float = 30,
              profile: str | None = None, allow_weak: bool = False) -> Layout:
    """Make the four stores of a mutual-TLS pair in `folder`, their CA(s) in `folder/ca/`, and layout.json.

    Without `password`, a random one is written to `folder/storepass` (0600).
    A CA may be brought as (certificate file, key file): `ca` for both sides,
    or `server_ca` and `client_ca`; the others are made here, one for both
    sides or, with `separate_cas`, one per side. `ca_password` opens a brought
    CA key and encrypts a CA key made here (default: the store password).
    Existing files are replaced only with `replace`; their backups are in
    the returned layout's `backups`. The folder is claimed under the layout's
    lock: of two runs into one folder, the second finds the first's files.
    Passwords given are checked as any new one is, unless `allow_weak`.

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
    passwords.check_new(ca_password, allow_weak)
    spec.bring(ca, server_ca, client_ca, ca_password)
    generated = password is None
    store_password = secrets.token_urlsafe(24) if password is None else password

    def planned() -> "list[create.PlannedFile]":
        return create.plan(spec, create.issue(spec), store_password, ca_password or store_password, generated)
    return write_layout(folder, spec.planned_files(generated).values(), planned, replace, lock_timeout)


def write_layout(folder: Path, names: "Iterable[str]", planned: "Callable[[], list[create.PlannedFile]]",
                 replace: bool, lock_timeout: float) -> Layout:
    """Claim `folder` under the layout's lock, refuse to replace any of `names` there unless `replace`,
    then write what `planned()` makes as one change (a folder made here and left empty is removed)."""
    from ..layout import create
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise JkstoolError(f"cannot make the folder ({e.strerror})", path=str(folder)) from None
    try:
        with files.locked(folder / MANIFEST, lock_timeout):
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


