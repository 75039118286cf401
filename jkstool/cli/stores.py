"""Opening a store to change it, and writing output files: shared by the commands that edit."""

import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from . import output, passwords

if TYPE_CHECKING:
    from ..model import Entry, PrivateKeyEntry, Store

T = TypeVar("T")


@dataclass
class Opened:
    """A store read for editing: change `store`, then `save()` writes it back atomically."""

    path: Path
    store: "Store"
    type: str  # jks, pkcs12 or pem
    password: str | None
    profile: str | None = None
    """How a PKCS12 store is written back: the --profile given, else the one it was read with."""

    def save(self) -> None:
        from .. import api
        api.write_store(self.path, self.store, self.password, store_type=self.type,
                        profile=self.profile if self.type == "pkcs12" else None)

    def claim(self, alias: str) -> None:
        """Refuse an alias that an entry of this store already has."""
        from ..errors import JkstoolError
        if alias in self.store:
            raise JkstoolError("an entry with this alias exists", "choose another alias, or delete it first",
                               path=str(self.path), alias=alias)

    def entry(self, alias: str) -> "Entry":
        return self._stamped(self.store.entry, alias)

    def key_entry(self, alias: str) -> "PrivateKeyEntry":
        return self._stamped(self.store.key_entry, alias)

    def remove(self, alias: str) -> "Entry":
        return self._stamped(self.store.remove, alias)

    def _stamped(self, method: Callable[[str], T], alias: str) -> T:
        """`method(alias)`, its error naming this store's file."""
        from ..errors import JkstoolError
        try:
            return method(alias)
        except JkstoolError as e:
            raise e.at(path=self.path) from None


def read_store(path: Path, password: str | None, key_password: str | None = None, password_from: str | None = None,
               **options):
    """api.read_store, saying on stderr what the reader noticed (an unprotected key file...); a store in a
    Kubernetes Secret is named SOURCE#SECRET/KEY."""
    from .. import api, formats
    from ..errors import JkstoolError
    found = secret_store(path, password, password_from)
    if found is not None:
        try:
            loaded = formats.load(found.data, found.password, key_password, **options)
        except JkstoolError as e:
            raise e.at(path=found.name) from None
        path = Path(found.name)
    else:
        loaded = api.read_store(path, password, key_password=key_password, **options)
    for message in loaded.warnings:
        output.warn(f"{path}: {message}")
    return loaded


def writable_password(path: Path, storepass: str | None, store_type: str | None = None,
                      option: str = "--storepass", allow_weak: bool = False) -> str | None:
    """The password of a store about to be changed (or created, as `store_type` or its extension says:
    then not a weak one); None for PEM, which needs none. JCEKS, which jkstool cannot write, is refused."""
    from .. import files, formats
    password = passwords.resolve(storepass, option=option, prompt=f"Password of {path}: ")
    kind = formats.detect(files.read_bytes(path)).lower() if path.exists() else formats.type_for_path(path, store_type)
    if kind == "jceks":
        output.fail(f"{path}: jkstool reads JCEKS but cannot write it (convert it to PKCS12 first: "
                    "jkstool convert)")
    if kind == "pem":
        return password
    password = passwords.require(password, str(path), option)
    if not path.exists():
        passwords.strong(password, allow_weak)
    return password


def open_store(path: Path, storepass: str | None, keypass: str | None = None, *, create: bool = False,
               store_type: str | None = None, option: str = "--storepass", allow_weak: bool = False,
               profile: str | None = None) -> Opened:
    """Read `path` with its keys (or start an empty store there, with `create`); a PKCS12 store keeps its
    write profile unless `profile` names another."""
    from .. import formats
    from ..formats.pkcs12 import profile_of
    from ..model import Store
    password = writable_password(path, storepass, store_type, option, allow_weak) if (path.exists() or create) else \
        passwords.resolve(storepass, option=option, prompt=f"Password of {path}: ")
    key_password = passwords.resolve(keypass, option="--keypass", env=passwords.KEYPASS_ENV)
    if path.exists() or not create:
        loaded = read_store(path, password, key_password)
        kind, store, profile = loaded.type.lower(), loaded.store, profile or profile_of(loaded.protection)
    else:
        kind, store = formats.type_for_path(path, store_type), Store()
    return Opened(path, store, kind, password, profile)


@contextmanager
def editing(path: Path, storepass: str | None, keypass: str | None = None, *, lock_timeout: float = 30,
            **options):
    """`open_store` under an exclusive lock held until the edit is written (or abandoned): the lock of
    the store's layout when it is in one, else the store's own."""
    from .. import files
    from ..layout.manifest import lock_path
    with files.locked(lock_path(path), lock_timeout):
        yield open_store(path, storepass, keypass, **options)


def write_files(items, force: bool) -> None:
    """Write output files together (path, bytes, private); existing ones only with --force,
    after a backup."""
    from .. import files
    from ..layout.manifest import backups_for
    items = list(items)
    for kept in files.write_all(items, replace=force, backups=backups_for(Path(items[0][0])) if items else None):
        output.info(f"kept the replaced file as {kept}")


def secret_sources(paths: list[Path], password: str | None, password_from: str | None):
    """Split PATH arguments: Kubernetes objects (- for stdin, or a .json/.yaml/.yml file holding a Secret)
    give the stores in their Secrets; the rest stay paths. Returns (paths, secret files)."""
    from ..fleet import secrets
    kept, found = [], []
    for path in paths:
        if str(path) != "-" and (path.suffix.lower() not in (".json", ".yaml", ".yml") or not path.is_file()):
            kept.append(path)
            continue
        data = _source_bytes(path)
        if str(path) != "-" and not secrets.is_document(data):
            kept.append(path)
            continue
        source = "stdin" if str(path) == "-" else str(path)
        found += secrets.secret_files(secrets.documents(data, source), source, password, password_from)
    return kept, found


def secret_store(reference: Path, password: str | None, password_from: str | None):
    """SOURCE#SECRET/KEY: the store KEY of the Secret SECRET in SOURCE (a file, or - for stdin); None when
    `reference` names a file that exists."""
    from ..fleet import secrets
    text = str(reference)
    if "#" not in text or reference.exists():
        return None
    source, _, pick = text.partition("#")
    data = _source_bytes(Path(source))
    name = "stdin" if source == "-" else source
    return secrets.pick(secrets.secret_files(secrets.documents(data, name), name, password, password_from), pick, name)


def _source_bytes(path: Path) -> bytes:
    from .. import files, limits
    if str(path) == "-":
        data = sys.stdin.buffer.read(limits.max_file_bytes() + 1)
        if len(data) > limits.max_file_bytes():
            output.fail(f"stdin: more than {limits.max_file_bytes()} bytes (raise JKSTOOL_MAX_FILE_MB)")
        return data
    return files.read_bytes(path)
