"""Stores: read, write, and change in place, under one set of rules whichever door a change comes in by.

Every change to an existing store goes through `edit_store`: the store's lock
(its layout's, when it is in one) held from the read to the atomic write, the
PKCS12 write profile it was read with kept, a new store's password checked.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .. import files, formats, passwords
from ..errors import JkstoolError, file_exists, wrong_key_password
from ..layout.manifest import backups_for, layout_of_store, lock_path
from ..model import Entry, Loaded, PrivateKeyEntry, Store, TrustedCertEntry

if TYPE_CHECKING:
    from ..pki.trust import ImportResult

StrPath = str | Path
T = TypeVar("T")
E = TypeVar("E", bound=Entry)


def read_store(path: StrPath, password: str | None = None, *, key_password: str | None = None,
               keys: bool = True, strict: bool = True) -> Loaded:
    """Read a JKS, JCEKS, PKCS12 or PEM store, its type told by its content.

    Without a password, what is readable without one (certificates of JKS and
    unencrypted PKCS12 or PEM), unverified. Keys open with `key_password`,
    then the store password; with `keys=False` they stay encrypted (entries
    carry `key=None`); with `strict=False`, a key that does not open is
    listed in `Loaded.locked` instead of failing the read. What the reader
    noticed (a key file others can read, a name that says another type) is in
    `Loaded.warnings`.

    >>> loaded = read_store("fixtures/jdk17-keytool.jks", "changeit")
    >>> loaded.type, sorted(entry.alias for entry in loaded.store)
    ('JKS', ['ca', 'client', 'edkey', 'partner', 'server'])
    """
    return formats.read_store(path, password, key_password, keys=keys, strict=strict)


def write_store(path: StrPath, store: Store, password: str | None, *, store_type: str | None = None,
                profile: str | None = None, encrypt_keys: bool = True, backup: bool = False,
                allow_weak: bool = False) -> Path | None:
    """Write `store` to `path` atomically, as jks, pkcs12 or pem (default: from the extension, else pkcs12).

    A file holding keys is created 0600. `profile` chooses how a PKCS12 file
    is protected (java9, modern, legacy, none-truststore: docs/formats.md);
    `encrypt_keys=False` writes PEM keys unencrypted. The password is checked
    as any new one is (not empty, keytool's 6 characters) unless `allow_weak`.
    With `backup`, an existing file is first copied beside itself; its path is
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
    if profile is not None and kind != "pkcs12":
        raise JkstoolError(f"the write profile {profile} applies to PKCS12 only", "write a PKCS12 store, or give "
                           "no profile", path=str(path))
    if not encrypt_keys and kind != "pem":
        raise JkstoolError("unencrypted keys are for PEM only", "write a PEM file, or keep the keys encrypted",
                           path=str(path))
    if kind != "pem" or (encrypt_keys and store.holds_keys()):
        passwords.check_new(password, allow_weak)
    return _write(Path(path), store, kind, password, profile, encrypt_keys, backup)


def _write(path: Path, store: Store, kind: str, password: str | None, profile: str | None = None,
           encrypt_keys: bool = True, backup: bool = False) -> Path | None:
    options = {"profile": profile} if kind == "pkcs12" else {"encrypt_keys": encrypt_keys} if kind == "pem" else {}
    return formats.write_store(path, store, kind, password, keep_backup=backup,
                               backups=backups_for(path) if backup else None, **options)


@dataclass
class StoreEdit:
    """A store opened to change it (see `edit_store`): change `store`; it is written back when the edit ends."""

    path: Path
    store: Store
    type: str
    """jks, pkcs12 or pem."""
    password: str | None = field(repr=False)
    profile: str | None = None
    """How a PKCS12 store is written back: the profile given, else the one it was read with."""
    warnings: list[str] = field(default_factory=list)
    new_password: bool = False
    """set_password was called."""

    def claim(self, alias: str) -> None:
        """Refuse an alias that an entry of this store already has."""
        if alias in self.store:
            raise JkstoolError("an entry with this alias exists", "choose another alias, or delete it first",
                               path=str(self.path), alias=alias)

    def entry(self, alias: str) -> Entry:
        """The entry of `alias`, to use or copy: a sealed key's password is needed for that."""
        return self._opened(self._stamped(self.store.entry, alias))

    def key_entry(self, alias: str) -> PrivateKeyEntry:
        return self._opened(self._stamped(self.store.key_entry, alias))

    def remove(self, alias: str) -> Entry:
        return self._stamped(self.store.remove, alias)

    def set_password(self, password: str, allow_weak: bool = False) -> None:
        """Protect the store with a new password from now on (checked as any new one is)."""
        passwords.check_new(password, allow_weak)
        self.password, self.new_password = password, True

    def save(self) -> None:
        """Write the store back atomically (`edit_store` does, when its block ends without an error). A store
        of a layout is written as the layout's commands write it: backed up into its backups/<time>/ (restore
        undoes the change), its side's PEM files written again; its password stays the layout's."""
        layout = layout_of_store(self.path)
        if layout is None:
            _write(self.path, self.store, self.type, self.password, self.profile if self.type == "pkcs12" else None)
            return
        if self.new_password:
            raise JkstoolError("the stores of a layout share one password", f"change it for the whole layout "
                               f"{layout.folder}: change_password(folder, new_password=...)", path=str(self.path))
        from ..layout.lifecycle import store_edited
        try:
            store_edited(layout, self.path, self.store, passwords.require(self.password, str(self.path)))
        except JkstoolError as e:
            raise e.at(path=self.path) from None

    def _opened(self, entry: E) -> E:
        if isinstance(entry, PrivateKeyEntry) and entry.sealed is not None:
            raise wrong_key_password(entry.alias).at(path=self.path)
        return entry

    def _stamped(self, method: Callable[[str], T], alias: str) -> T:
        """`method(alias)`, its error naming this store's file."""
        try:
            return method(alias)
        except JkstoolError as e:
            raise e.at(path=self.path) from None


def open_store(path: StrPath, password: str | None = None, *, key_password: str | None = None,
               create: bool = False, store_type: str | None = None, profile: str | None = None,
               allow_weak: bool = False) -> StoreEdit:
    """A store read with its keys to work on (or, with `create`, an empty one of `store_type` where no file
    is yet, its password checked as a new one is), without a lock; `edit_store` is the way to change it.

    A JKS key that has its own password, not given, is kept sealed and written back as it was, as keytool
    does: an edit of other entries needs only the store password, and one that uses that key's material
    (`entry`, `key_entry`) asks for its password. No other format can write a key back unopened."""
    path = Path(path)
    if not path.exists() and create:
        kind = formats.type_for_path(path, store_type)
        if kind != "pem":
            passwords.check_new(passwords.require(password, str(path)), allow_weak)
        return StoreEdit(path, Store(), kind, password, profile)
    loaded = read_store(path, password, key_password=key_password, strict=False)
    kind = loaded.type.lower()
    if loaded.locked and kind != "jks":
        raise wrong_key_password(loaded.locked[0]).at(path=path)
    if kind != "pem":
        passwords.require(password, str(path))
    from ..formats.pkcs12 import profile_of
    return StoreEdit(path, loaded.store, kind, password, profile or profile_of(loaded.protection),
                     list(loaded.warnings))


@contextmanager
def edit_store(path: StrPath, password: str | None = None, *, key_password: str | None = None,
               create: bool = False, store_type: str | None = None, profile: str | None = None,
               allow_weak: bool = False, lock_timeout: float = 30) -> Iterator[StoreEdit]:
    """Change a store in place: read under an exclusive lock (its layout's, when it is in one), held until
    the store is written back atomically as the block ends; an error in the block writes nothing.

    >>> import shutil, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "store.jks"
    >>> _ = shutil.copy("fixtures/jdk17-keytool.jks", path)
    >>> with edit_store(path, "changeit") as edit:
    ...     removed = edit.remove("partner")
    >>> sorted(entry.alias for entry in read_store(path, "changeit").store)
    ['ca', 'client', 'edkey', 'server']
    """
    with files.locked(lock_path(Path(path)), lock_timeout):
        _refuse_jceks(Path(path))
        edit = open_store(path, password, key_password=key_password, create=create, store_type=store_type,
                          profile=profile, allow_weak=allow_weak)
        yield edit
        edit.save()


def _refuse_jceks(path: Path) -> None:
    """Before a store to change is read: jkstool cannot write what it would change."""
    if path.exists() and formats.detect(files.read_bytes(path)) == "JCEKS":
        raise JkstoolError("jkstool reads JCEKS but cannot write it", "convert it to PKCS12 first: convert_store",
                           path=str(path))


def _new_layout_password(folder: Path, password: str | None, new_password: str | None, alias: str | None,
                         allow_weak: bool, lock_timeout: float) -> None:
    """change_password on a layout folder: its four stores (and storepass file) under the new password."""
    from ..layout.lifecycle import new_password as renew_password
    from ..layout.manifest import MANIFEST, Layout, generated_password
    if alias is not None or new_password is None:
        raise JkstoolError("a layout changes its store password as a whole", "give new_password=... alone, or a "
                           "store of it to change one key's password", path=str(folder))
    passwords.check_new(new_password, allow_weak)
    with files.locked(folder / MANIFEST, lock_timeout):
        layout = Layout.open(folder)
        current = password if password is not None else generated_password(folder)
        renew_password(layout, passwords.require(current, f"the layout {folder}"), new_password)


def copy_entry(source: StrPath, dest: StrPath, alias: str, *, password: str | None = None,
               key_password: str | None = None, dest_password: str | None = None, dest_alias: str | None = None,
               store_type: str | None = None, profile: str | None = None, allow_weak: bool = False,
               lock_timeout: float = 30) -> Entry:
    """Copy one entry into another store (created when missing), as keytool -importkeystore -srcalias: a
    key is protected there with `dest_password` (default: `password`), as JSSE expects. Returns the copy."""
    entry = open_store(source, password, key_password=key_password).entry(alias)
    name = dest_alias or alias
    with edit_store(dest, password if dest_password is None else dest_password, create=True,
                    store_type=store_type, profile=profile, allow_weak=allow_weak,
                    lock_timeout=lock_timeout) as target:
        target.claim(name)
        copied: Entry = replace(entry, alias=name) if isinstance(entry, TrustedCertEntry) else \
            replace(entry, alias=name, key_password=None)
        target.store.add(copied)
    return copied


def delete_entry(store: StrPath, alias: str, *, password: str | None = None, key_password: str | None = None,
                 profile: str | None = None, lock_timeout: float = 30) -> Entry:
    """Delete one entry (keytool -delete); returns it."""
    with edit_store(store, password, key_password=key_password, profile=profile,
                    lock_timeout=lock_timeout) as edit:
        return edit.remove(alias)


def rename_entry(store: StrPath, alias: str, new_alias: str, *, password: str | None = None,
                 key_password: str | None = None, profile: str | None = None, lock_timeout: float = 30) -> Entry:
    """Give an entry another alias (keytool -changealias); returns it renamed."""
    with edit_store(store, password, key_password=key_password, profile=profile,
                    lock_timeout=lock_timeout) as edit:
        if new_alias.lower() != alias.lower():
            edit.claim(new_alias)
        renamed = replace(edit.remove(alias), alias=new_alias)
        edit.store.add(renamed)
    return renamed


def change_password(store: StrPath, *, password: str | None = None, key_password: str | None = None,
                    new_password: str | None = None, alias: str | None = None,
                    new_key_password: str | None = None, allow_weak: bool = False, profile: str | None = None,
                    lock_timeout: float = 30) -> bool:
    """Change the store password (keys that had the old one follow it), and/or the key password of `alias`.

    Returns whether the key of `alias` now has a password other than the
    store's: JSSE's default key manager then fails with "Cannot recover key"
    unless the application names it.
    """
    if new_password is None and new_key_password is None:
        raise JkstoolError("nothing to change", "give a new store password, or an alias and a new key password")
    if (alias is None) != (new_key_password is None):
        raise JkstoolError("an alias and a new key password go together", "give both, or neither")
    if Path(store).is_dir():
        _new_layout_password(Path(store), password, new_password, alias, allow_weak, lock_timeout)
        return False
    with edit_store(store, password, key_password=key_password, profile=profile,
                    lock_timeout=lock_timeout) as edit:
        if edit.type == "pem" and new_key_password is not None:
            raise JkstoolError("a PEM file has no separate key passwords", "give new_password=... instead",
                               path=str(edit.path))
        if new_password is not None:
            edit.set_password(new_password, allow_weak)
        if alias is None or new_key_password is None:
            return False
        entry = edit.entry(alias) if alias in edit.store else None
        if entry is None or isinstance(entry, TrustedCertEntry):
            raise JkstoolError("no key entry has this alias", path=str(edit.path), alias=alias)
        passwords.check_new(new_key_password, allow_weak)
        own = new_key_password != edit.password
        edit.store.put(replace(entry, key_password=new_key_password if own else None))
        return own


def _in_order(truststore: Path, certificates: "list[StrPath | tuple[str, bytes]]") -> None:
    """The truststore comes first: a store given as the certificate while the "truststore" is a certificate
    file, or a PEM "truststore" of leaf certificates only, are arguments the other way round (keytool's
    habit of naming the file with -file after the store is easy to get backwards)."""
    from ..formats import certfile
    from ..pki import trust
    if len(certificates) != 1 or isinstance(certificates[0], tuple) or not truststore.is_file() \
            or not Path(certificates[0]).is_file():
        return
    given, first = _kind(Path(certificates[0])), _kind(truststore)
    if given in ("JKS", "JCEKS", "PKCS12") and first not in ("JKS", "JCEKS", "PKCS12"):
        raise JkstoolError(f"{certificates[0]} is a {given} store and {truststore} is not: the truststore comes "
                           "first", f"jkstool import-ca {certificates[0]} {truststore}")
    if first == "PEM" and (held := certfile.read_certificates(truststore)) \
            and not any(trust.is_ca(cert) for cert in held):
        raise JkstoolError(f"{truststore} holds leaf certificates and no CA, as the certificate to trust would: "
                           "the truststore comes first", f"jkstool import-ca TRUSTSTORE {truststore}; a truststore "
                           "of pinned leaves takes allow_leaf=True")


def _kind(path: Path) -> str:
    """What a file is by its bytes: JKS, JCEKS, PKCS12 or PEM, else "other" (DER, PKCS#7, anything)."""
    try:
        return formats.detect(files.read_bytes(path))
    except JkstoolError:
        return "other"


def store_type_for(path: StrPath, store_type: str | None = None) -> str:
    """The type a store written at `path` gets: `store_type` (jks, pkcs12, pem), else the extension's
    (.jks JKS, .pem PEM), else pkcs12, Java's default."""
    return formats.type_for_path(path, store_type)


@dataclass
class Conversion:
    """What `convert_store` wrote."""

    source_type: str
    """The type the source was read as: JKS, JCEKS, PKCS12 or PEM."""
    dest_type: str
    """The type written, as named in output: JKS, PKCS12 or PEM."""
    entries: int
    rekeyed: list[str]
    """The aliases whose key now has another password (the store's, or `dest_key_password`)."""
    backup: Path | None
    """Where the file it replaced is kept."""
    warnings: list[str]
    """What reading the source noticed."""

    def to_dict(self) -> dict[str, object]:
        """What `jkstool convert --json` says of the conversion (the warnings go to stderr, as messages)."""
        return {"source_type": self.source_type, "dest_type": self.dest_type, "entries": self.entries,
                "rekeyed": self.rekeyed, "backup": None if self.backup is None else str(self.backup)}


def convert_store(source: StrPath, dest: StrPath, *, password: str | None = None, key_password: str | None = None,
                  dest_password: str | None = None, dest_key_password: str | None = None,
                  store_type: str | None = None, profile: str | None = None, encrypt_keys: bool = True,
                  replace: bool = False, allow_weak: bool = False, lock_timeout: float = 30) -> Conversion:
    """The same entries in another format (default: `dest`'s extension): every alias, chain, key and date.

    Keys get the new store's password (`dest_password`, default `password`),
    as keytool gives PKCS12 keys and JSSE expects, unless `dest_key_password`
    names another. An existing `dest` is replaced only with `replace`, after
    a backup. `profile` and `encrypt_keys` are as for `write_store`.
    """
    dest = Path(dest)
    if dest.exists() and not replace:
        raise file_exists(dest)
    loaded = read_store(source, password, key_password=key_password)
    for entry in loaded.store:
        if not isinstance(entry, TrustedCertEntry) and entry.key is None:
            raise JkstoolError("the key is encrypted and no password was given",
                               "give password=..., or key_password=...", path=str(source), alias=entry.alias)
    dest_password = password if dest_password is None else dest_password
    kind = formats.type_for_path(dest, store_type)
    if kind != "pem" or (encrypt_keys and loaded.store.holds_keys()):
        passwords.require(dest_password, "the new store")
    passwords.check_new(dest_key_password, allow_weak)
    store, rekeyed = loaded.store.with_key_password(None if dest_key_password == dest_password else dest_key_password)
    with files.locked(lock_path(dest), lock_timeout):
        backup = write_store(dest, store, dest_password, store_type=kind, profile=profile,
                             encrypt_keys=encrypt_keys, backup=True, allow_weak=allow_weak)
    return Conversion(loaded.type, formats.WRITE_TYPES[kind], len(loaded.store), rekeyed, backup,
                      list(loaded.warnings))


def import_ca(truststore: StrPath, certificates: Iterable[StrPath | tuple[str, bytes]], *, password: str | None,
              alias: str | None = None, allow_leaf: bool = False, allow_expired: bool = False,
              store_type: str | None = None, lock_timeout: float = 30,
              skipped: Callable[[bytes, str], None] | None = None,
              progress: Callable[[int], None] | None = None, profile: str | None = None,
              allow_weak: bool = False) -> "ImportResult":
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
    from ..formats import certfile
    from ..pki import trust
    certificates = list(certificates)
    if not allow_leaf:
        _in_order(Path(truststore), certificates)
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
        _refuse_jceks(path)
        edit = open_store(path, password, create=True, store_type=store_type, profile=profile,
                          allow_weak=allow_weak)
        result = trust.add_certificates(edit.store, candidates, alias, allow_leaf, allow_expired, progress=progress)
        for data, reason in result.skipped:
            if skipped:
                skipped(data, reason)
        try:
            result.check_something_imported()
        except JkstoolError as e:
            raise e.at(path=sources[0] if len(set(sources)) == 1 else path) from None
        if result.added:
            edit.save()
    return result
