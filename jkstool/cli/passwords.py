"""Where passwords come from, in the order every command follows.

The option (`pass:TEXT`, `env:NAME`, `file:PATH` or a bare value), then the
environment variable (JKSTOOL_STOREPASS, JKSTOOL_KEYPASS), then a layout
folder's `storepass` file, then a hidden prompt on a terminal. Values on the
command line are visible to other local users, and a warning says so.

Each password remembers where it came from, so that an error can say so
(the core refuses a new password that is empty or shorter than keytool's 6
characters, naming its source, unless --allow-weak-password).
"""

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .. import limits
from ..errors import JkstoolError
from . import output

STOREPASS_ENV = "JKSTOOL_STOREPASS"
KEYPASS_ENV = "JKSTOOL_KEYPASS"


class Password(str):
    """A password, and where it came from (said in errors; never the password itself)."""

    source: str

    def __new__(cls, value: str, source: str) -> "Password":
        made = super().__new__(cls, value)
        made.source = source
        return made

    def __reduce__(self):
        """Pickled whole (a fleet is checked in worker processes)."""
        return Password, (str(self), self.source)


def from_option(value: str, option: str) -> Password:
    """The password an option's value names."""
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise JkstoolError(f"{option} names the environment variable {name}, which is not set",
                               f"export {name}, or pass the password another way")
        return Password(os.environ[name], f"{option} env:{name}")
    if value.startswith("file:"):
        return _first_line(Path(value[5:]), option)
    output.warn_once(f"a password given on the command line ({option}) is visible to other "
                     "local users; prefer env:NAME or file:PATH")
    return Password(value[5:] if value.startswith("pass:") else value, option)


def _first_line(path: Path, option: str) -> Password:
    from .. import files
    try:
        text = files.read_bytes(path, limits.PASSWORD_FILE_BYTES, "a password file").decode("utf-8")
    except UnicodeError as e:
        raise JkstoolError(f"the password file for {option} cannot be read ({e})", path=str(path)) from None
    except JkstoolError as e:
        if e.what == "no such file":
            raise JkstoolError(f"the password file for {option} does not exist", "check the path",
                               path=str(path)) from None
        raise
    lines = text.splitlines()
    return Password(lines[0] if lines else "", f"the file {path}")


def resolve(value: str | None, *, option: str = "--storepass", env: str = STOREPASS_ENV,
            layout: Path | None = None, prompt: str | None = None,
            optional: bool = False) -> str | None:
    """The first password source that gives one, or None when none does.

    With `optional`, an empty answer at the prompt means "no password", as
    pressing Enter at keytool's prompt does.
    """
    if value is not None:
        return from_option(value, option)
    if env in os.environ:
        return Password(os.environ[env], env)
    if layout is not None and (layout / "storepass").is_file():
        return _first_line(layout / "storepass", option)
    if prompt and sys.stdin.isatty():
        try:
            answer = getpass.getpass(prompt, stream=sys.stderr)
        except EOFError:
            raise JkstoolError("no password given: the input ended at the prompt",
                               f"type the password, or give {option}") from None
        return None if optional and not answer else Password(answer, "the prompt")
    return None


def require(password: str | None, what: str, option: str = "--storepass",
            env: str = STOREPASS_ENV) -> str:
    if password is None:
        raise JkstoolError(f"{what} needs a password",
                           f"give {option} env:NAME or file:PATH, or set {env}")
    return password


def load_map(path: Path) -> Callable[[Path], str | None]:
    """--password-map FILE: lines `GLOB  SOURCE` (SOURCE env:NAME, file:PATH or pass:TEXT; # starts a
    comment). The lookup gives the password of the first line whose GLOB matches a store's path, as given
    or made absolute (fnmatch: `*` crosses folders), else None. Every source is resolved now: a bad line
    fails before any work."""
    from fnmatch import fnmatchcase

    from .. import files
    data = files.read_bytes(path, limits.PASSWORD_FILE_BYTES * 64, "a password map")
    if files.mode(path) & 0o077 and b"pass:" in data:
        output.warn(f"{path}: the password map holds passwords and other users can read it: chmod 600 {path}")
    rules = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        where = f"{path}, line {number}"
        if len(fields) != 2 or not fields[1].startswith(("env:", "file:", "pass:")):
            raise JkstoolError(f"{where}: expected GLOB and SOURCE (env:NAME, file:PATH or pass:TEXT)",
                               "write one store pattern and its password source a line")
        source = fields[1]
        secret = source[5:] if source.startswith("pass:") else from_option(source, where)
        rules.append((fields[0], str(secret)))

    def lookup(store: Path) -> str | None:
        names = (str(store), os.path.abspath(store))  # a relative root matches absolute patterns too
        return next((secret for pattern, secret in rules if any(fnmatchcase(n, pattern) for n in names)), None)
    return lookup


def from_map(password_map: Path | None, store: Path) -> str | None:
    """The password --password-map gives `store`, if a map is given and a line matches it."""
    return load_map(password_map)(store) if password_map is not None else None
