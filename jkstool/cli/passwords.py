"""Where passwords come from, in the order every command follows.

The option (`pass:TEXT`, `env:NAME`, `file:PATH` or a bare value), then the
environment variable (JKSTOOL_STOREPASS, JKSTOOL_KEYPASS), then a layout
folder's `storepass` file, then a hidden prompt on a terminal. Values on the
command line are visible to other local users: a bare value earns a warning,
once per call; `pass:TEXT` says the choice is deliberate, and is taken silently.
`stdin` (or `file:-`) reads the first line of standard input.

Each password remembers where it came from, so that an error can say so
(the core refuses a new password that is empty or shorter than keytool's 6
characters, naming its source, unless --allow-weak-password).
"""

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .. import JkstoolError, Password, PasswordNeeded, first_line, from_source
from . import output

STOREPASS_ENV = "JKSTOOL_STOREPASS"
KEYPASS_ENV = "JKSTOOL_KEYPASS"


def from_option(value: str, option: str) -> Password:
    """The password an option's value names (a bare value is the password itself, as pass:TEXT)."""
    if value in ("stdin", "file:-"):  # jkstool.passwords reads a pipe; a terminal is asked, unechoed
        if sys.stdin is not None and sys.stdin.isatty():
            return Password(getpass.getpass(f"{option}: ", stream=sys.stderr), f"{option} stdin")
    elif not value.startswith(("env:", "file:", "pass:")):
        output.warn_once(f"a password given on the command line ({option}) is visible to other local users; "
                         "prefer env:NAME, file:PATH or stdin (pass:TEXT if you mean it)")
        value = f"pass:{value}"
    return from_source(value, option)


def ca_keypass(value: str | None) -> Password | None:
    """--ca-keypass, when given (else None: the API then opens the CA key with the store password)."""
    return from_option(value, "--ca-keypass") if value else None


def resolve(value: str | None, *, option: str = "--storepass", env: str = STOREPASS_ENV,
            layout: Path | None = None, prompt: str | None = None,
            optional: bool = False) -> str | None:
    """The first password source that gives one, or None when none does.

    With `optional`, an empty answer at the prompt means "no password", as
    pressing Enter at keytool's prompt does.
    """
    if value is not None:
        return _noted(from_option(value, option))
    if env in os.environ:
        return _noted(Password(os.environ[env], env))
    if layout is not None and (layout / "storepass").is_file():
        return first_line(layout / "storepass", option)
    if prompt and sys.stdin.isatty():
        try:
            answer = getpass.getpass(prompt, stream=sys.stderr)
        except EOFError:
            raise JkstoolError("no password given: the input ended at the prompt",
                               f"type the password, or give {option}") from None
        return None if optional and not answer else Password(answer, "the prompt")
    return None


def _noted(password: str | None) -> str | None:
    """A password from the environment or an option, used as it is given, but a trailing blank or newline (an
    `echo` into a variable, a copy and paste) is said: it is the likeliest cause of a wrong password next."""
    if password and password != password.rstrip():
        source = getattr(password, "source", "the password")
        output.warn(f"the password from {source} ends in whitespace (a newline?); it is used as it is")
    return password


def require(password: str | None, what: str, option: str = "--storepass",
            env: str = STOREPASS_ENV) -> str:
    if password is None:
        raise PasswordNeeded(f"{what} needs a password",
                           f"give {option} env:NAME or file:PATH, or set {env}")
    return password


def load_map(path: Path) -> Callable[[Path], str | None]:
    """--password-map FILE (see jkstool.api.PasswordMap), its warnings said."""
    from ..api import PasswordMap
    found = PasswordMap(path)
    for message in found.warnings:
        output.warn(f"{path}: {message}")
    return found


def from_map(password_map: Path | None, store: Path) -> str | None:
    """The password --password-map gives `store`, if a map is given and a line matches it."""
    return load_map(password_map)(store) if password_map is not None else None
