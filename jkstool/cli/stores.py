"""Opening a store to change it, and writing output files: shared by the commands that edit."""

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import output, passwords

if TYPE_CHECKING:
    from ..api import Loaded, StoreEdit
    from ..api.outputs import Secrecy
    from ..api.secrets import SecretFile


def read_store(path: Path, password: str | None, key_password: str | None = None, password_from: str | None = None,
               **options: bool) -> "Loaded":
    """api.read_store, saying on stderr what the reader noticed (an unprotected key file...); a store in a
    Kubernetes Secret is named SOURCE#SECRET/KEY."""
    from .. import api
    from ..api import secrets
    found = secret_store(path, password, password_from)
    if found is not None:
        loaded = secrets.load_secret(found, key_password=key_password, **options)
        path = Path(found.name)
    else:
        loaded = api.read_store(path, password, key_password=key_password, **options)
    _warn(path, loaded.warnings)
    return loaded


def open_store(path: Path, storepass: str | None, keypass: str | None = None, *, option: str = "--storepass",
               **options: Any) -> "StoreEdit":
    """api.open_store with the passwords the options (or their sources) give, its warnings said."""
    from .. import api
    with asking_with(option):
        password, key_password = passwords_for(path, storepass, keypass, option)
        edit = api.open_store(path, password, key_password=key_password, **options)
    _warn(edit.path, edit.warnings)
    return edit


@contextmanager
def editing(path: Path, storepass: str | None, keypass: str | None = None, *, option: str = "--storepass",
            **options: Any) -> "Iterator[StoreEdit]":
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
    from ..api import PasswordNeeded
    try:
        yield
    except PasswordNeeded as e:
        raise PasswordNeeded(e.what, f"give {option} env:NAME or file:PATH, or set {passwords.STOREPASS_ENV}",
                             e.path) from None


def _warn(path: Path, warnings: list[str]) -> None:
    for message in warnings:
        output.warn(f"{path}: {message}")


def write_files(items: "Iterable[tuple[Path, bytes, Secrecy]]", force: bool) -> list[Path]:
    """Write output files together (path, bytes, secrecy); existing ones only with --force, after a backup.
    Returns the backups, each also said on stderr."""
    from ..api import outputs
    backups = outputs.write_files(items, replace=force)
    for kept in backups:
        output.info(f"kept the replaced file as {kept}")
    return backups


def secret_sources(paths: list[Path], password: str | None,
                   password_from: str | None) -> "tuple[list[Path], list[SecretFile]]":
    """Split PATH arguments into store paths and the stores of Kubernetes Secrets (- for stdin)."""
    from ..api import secrets
    return secrets.split_secrets(paths, password=password, password_from=password_from, stdin=sys.stdin.buffer)


def secret_store(reference: Path, password: str | None, password_from: str | None) -> "SecretFile | None":
    """SOURCE#SECRET/KEY: the store KEY of the Secret SECRET in SOURCE (- for stdin); None for a file."""
    from ..api import secrets
    return secrets.secret_store(reference, password=password, password_from=password_from,
                                stdin=sys.stdin.buffer)
