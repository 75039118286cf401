"""Opening a store to change it, and writing output files: shared by the commands that edit."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import output, passwords

if TYPE_CHECKING:
    from ..api import StoreEdit


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
    _warn(path, loaded.warnings)
    return loaded


def open_store(path: Path, storepass: str | None, keypass: str | None = None, *, option: str = "--storepass",
               **options) -> "StoreEdit":
    """api.open_store with the passwords the options (or their sources) give, its warnings said."""
    from .. import api
    with asking_with(option):
        password, key_password = passwords_for(path, storepass, keypass, option)
        edit = api.open_store(path, password, key_password=key_password, **options)
    _warn(edit.path, edit.warnings)
    return edit


@contextmanager
def editing(path: Path, storepass: str | None, keypass: str | None = None, *, option: str = "--storepass",
            **options) -> "Iterator[StoreEdit]":
    """api.edit_store with the passwords the options (or their sources) give, its warnings said."""
    from .. import api
    password, key_password = passwords_for(path, storepass, keypass, option)
    with asking_with(option), api.edit_store(path, password, key_password=key_password, **options) as edit:
        _warn(edit.path, edit.warnings)
        yield edit


def passwords_for(path: Path, storepass: str | None, keypass: str | None,
                  option: str = "--storepass") -> tuple[str | None, str | None]:
    """The store and key passwords the options give, else their environment variables, else a prompt."""
    password = passwords.resolve(storepass, option=option, prompt=f"Password of {path}: ")
    return password, passwords.resolve(keypass, option="--keypass", env=passwords.KEYPASS_ENV)


@contextmanager
def asking_with(option: str = "--storepass") -> "Iterator[None]":
    """A store that needs a password and got none: say which option gives it."""
    from ..errors import PasswordNeeded
    try:
        yield
    except PasswordNeeded as e:
        raise PasswordNeeded(e.what, f"give {option} env:NAME or file:PATH, or set {passwords.STOREPASS_ENV}",
                             e.path) from None


def _warn(path: Path, warnings: list[str]) -> None:
    for message in warnings:
        output.warn(f"{path}: {message}")


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
