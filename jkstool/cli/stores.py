"""Opening a store to change it, and writing output files: shared by the commands that edit."""

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import output, passwords


@dataclass
class Opened:
    """A store read for editing: change `store`, then `save()` writes it back atomically."""

    path: Path
    store: object
    type: str  # jks, pkcs12 or pem
    password: str | None

    def save(self) -> None:
        from .. import files
        files.write_store(self.path, self.store, self.type, self.password)

    def claim(self, alias: str) -> None:
        """Refuse an alias that an entry of this store already has."""
        from ..errors import JkstoolError
        if alias in self.store:
            raise JkstoolError("an entry with this alias exists", "choose another alias, or delete it first",
                               path=str(self.path), alias=alias)


def read_store(path: Path, password: str | None, key_password: str | None = None, **options):
    """files.read_store, saying on stderr what the reader noticed (an unprotected key file...)."""
    from .. import files
    loaded = files.read_store(path, password, key_password, **options)
    for message in loaded.warnings:
        output.warn(f"{path}: {message}")
    return loaded


def open_store(path: Path, storepass: str | None, keypass: str | None = None, *, create: bool = False,
               store_type: str | None = None, option: str = "--storepass") -> Opened:
    """Read `path` with its keys (or start an empty store there, with `create`)."""
    from .. import formats
    from ..model import Store
    password = passwords.resolve(storepass, option=option, prompt=f"Password of {path}: ")
    key_password = passwords.resolve(keypass, option="--keypass", env=passwords.KEYPASS_ENV)
    if path.exists() or not create:
        loaded = read_store(path, password, key_password)
        kind = loaded.type.lower()
        if kind == "jceks":
            output.fail(f"{path}: jkstool reads JCEKS but cannot write it (convert it to PKCS12 first: "
                        "jkstool convert)")
        store = loaded.store
    else:
        kind, store = formats.type_for_path(path, store_type), Store()
    if kind != "pem":
        password = passwords.require(password, str(path), option)
    return Opened(path, store, kind, password)


@contextmanager
def editing(path: Path, storepass: str | None, keypass: str | None = None, *, lock_timeout: float = 30,
            **options):
    """`open_store` under an exclusive lock held until the edit is written (or abandoned)."""
    from .. import files
    with files.locked(path, lock_timeout):
        yield open_store(path, storepass, keypass, **options)


def write_files(items, force: bool) -> None:
    """Write output files together (path, bytes, private); existing ones only with --force,
    after a backup."""
    from .. import files
    for kept in files.write_all(items, replace=force):
        output.info(f"kept the replaced file as {kept}")
