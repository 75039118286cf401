"""Opening a store to change it, and writing output files: shared by the commands that edit."""

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


def open_store(path: Path, storepass: str | None, keypass: str | None = None, *, create: bool = False,
               store_type: str | None = None, option: str = "--storepass") -> Opened:
    """Read `path` with its keys (or start an empty store there, with `create`)."""
    from .. import files, formats
    from ..model import Store
    password = passwords.resolve(storepass, option=option, prompt=f"Password of {path}: ")
    key_password = passwords.resolve(keypass, option="--keypass", env=passwords.KEYPASS_ENV)
    if path.exists() or not create:
        loaded = files.read_store(path, password, key_password)
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


def write_files(items, force: bool) -> None:
    """Write output files together (path, bytes, private); existing ones only with --force,
    after a backup."""
    from .. import files
    for kept in files.write_all(items, replace=force):
        output.info(f"kept the replaced file as {kept}")
