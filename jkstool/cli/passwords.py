"""Where passwords come from, in the order every command follows.

The option (`pass:TEXT`, `env:NAME`, `file:PATH` or a bare value), then the
environment variable (JKSTOOL_STOREPASS, JKSTOOL_KEYPASS), then a layout
folder's `storepass` file, then a hidden prompt on a terminal. Values on the
command line are visible to other local users, and a warning says so.
"""

import getpass
import os
import sys
from pathlib import Path

from ..errors import JkstoolError
from . import output

STOREPASS_ENV = "JKSTOOL_STOREPASS"
KEYPASS_ENV = "JKSTOOL_KEYPASS"


def from_option(value: str, option: str) -> str:
    """The password an option's value names."""
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise JkstoolError(f"{option} names the environment variable {name}, which is not set",
                               f"export {name}, or pass the password another way")
        return os.environ[name]
    if value.startswith("file:"):
        return _first_line(Path(value[5:]), option)
    output.warn_once(f"a password given on the command line ({option}) is visible to other "
                     "local users; prefer env:NAME or file:PATH")
    return value[5:] if value.startswith("pass:") else value


def _first_line(path: Path, option: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JkstoolError(f"the password file for {option} does not exist", "check the path",
                           path=str(path)) from None
    except (OSError, UnicodeError) as e:
        raise JkstoolError(f"the password file for {option} cannot be read ({e})",
                           path=str(path)) from None
    lines = text.splitlines()
    return lines[0] if lines else ""


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
        return os.environ[env]
    if layout is not None and (layout / "storepass").is_file():
        return _first_line(layout / "storepass", option)
    if prompt and sys.stdin.isatty():
        answer = getpass.getpass(prompt, stream=sys.stderr)
        return None if optional and not answer else answer
    return None


def require(password: str | None, what: str, option: str = "--storepass",
            env: str = STOREPASS_ENV) -> str:
    if password is None:
        raise JkstoolError(f"{what} needs a password",
                           f"give {option} env:NAME or file:PATH, or set {env}")
    return password
