"""Passwords: where they come from (env:NAME, file:PATH, pass:TEXT, a password map) and the rules one must
meet before jkstool protects something with it, whichever door it came in by.

A password jkstool is to protect something new with is refused when it is
empty or shorter than keytool's 6 characters: an empty password is what a
missing CI secret looks like, and keytool refuses short ones. A `Password`
says where it came from, and an error then says so, never the password itself.
"""

import os
from fnmatch import fnmatchcase
from pathlib import Path

from . import limits
from .errors import JkstoolError, PasswordNeeded

MIN_LENGTH = 6  # keytool: "Password is too short - must be at least 6 characters"
SOURCES = ("env:", "file:", "pass:")
STDIN = ("stdin", "file:-")


class Password(str):
    """A password, and where it came from (said in errors; never the password itself)."""

    source: str

    def __new__(cls, value: str, source: str) -> "Password":
        made = super().__new__(cls, value)
        made.source = source
        return made

    def __reduce__(self) -> tuple[type["Password"], tuple[str, str]]:
        """Pickled whole (a fleet is checked in worker processes)."""
        return Password, (str(self), self.source)


def from_source(text: str, where: str) -> Password:
    """The password `text` names: env:NAME (an environment variable), file:PATH (the file's first line),
    stdin or file:- (standard input's first line) or pass:TEXT (itself); `where` says whose it is in errors
    (an option, a line of a password map)."""
    if text in STDIN:
        return _first_line_of_stdin(where)
    if text in ("env:", "file:"):
        raise JkstoolError(f"{where} is {text} with nothing after it",
                           f"give {'env:NAME' if text == 'env:' else 'file:PATH'}")
    if text.startswith("env:"):
        name = text[4:]
        if name not in os.environ:
            raise JkstoolError(f"{where} names the environment variable {name}, which is not set",
                               f"export {name}, or pass the password another way")
        return Password(os.environ[name], f"{where} env:{name}")
    if text.startswith("file:"):
        return first_line(Path(text[5:]), where)
    return Password(text.removeprefix("pass:"), where)


class _Stdin:
    taken: object = None
    """The standard input stream read already (a test runner gives each call its own), and by what."""
    by = ""


def take_stdin(stream: object, what: str) -> None:
    """Standard input is read once, by one reader (a password, Kubernetes Secrets given as `-`): a second would
    find it empty, or the first would take the other's bytes, so the second is refused, naming the first."""
    if stream is not None and _Stdin.taken is stream:
        raise JkstoolError(f"{what} names standard input, which {_Stdin.by} has read already",
                           "give one of them through stdin, the others with env:NAME, file:PATH or a file")
    _Stdin.taken, _Stdin.by = stream, what


def _first_line_of_stdin(where: str) -> Password:
    """Standard input's first line (`printf '%s' "$PASS" | jkstool ... --storepass stdin`), bounded, and once
    (take_stdin)."""
    import sys
    take_stdin(sys.stdin.buffer if sys.stdin is not None else None, where)
    if sys.stdin is None:
        raise JkstoolError(f"{where} names standard input, which this process does not have",
                           "pipe the password in, or use env:NAME or file:PATH")
    text = sys.stdin.buffer.readline(limits.PASSWORD_FILE_BYTES + 1)
    if not text:  # not even a line break: nothing was piped in (an empty password is a line of its own)
        raise JkstoolError(f"{where} names standard input, which is empty",
                           "pipe the password in: printf '%s\\n' \"$PASS\" | jkstool ...")
    if len(text.rstrip(b"\r\n")) > limits.PASSWORD_FILE_BYTES:
        raise JkstoolError(f"the password {where} reads from standard input is longer than "
                           f"{limits.PASSWORD_FILE_BYTES} bytes", "pipe the password alone, on one line")
    try:
        return Password(text.decode("utf-8").removesuffix("\n").removesuffix("\r"), f"{where} stdin")
    except UnicodeError:
        raise JkstoolError(f"the password {where} reads from standard input is not UTF-8",
                           "pipe it in as UTF-8") from None


def first_line(path: Path, where: str) -> Password:
    """A password file's first line (a file the store's owner wrote: read bounded, UTF-8)."""
    from . import files
    try:
        text = files.read_bytes(path, limits.PASSWORD_FILE_BYTES, "a password file").decode("utf-8")
    except UnicodeError:  # its message would quote a byte of the password, and where it is
        raise JkstoolError(f"the password file for {where} is not UTF-8", "write the password in UTF-8",
                           path=str(path)) from None
    except JkstoolError as e:
        if e.what == "no such file":
            raise JkstoolError(f"the password file for {where} does not exist", "check the path",
                               path=str(path)) from None
        raise
    lines = text.splitlines()
    return Password(lines[0] if lines else "", f"the file {path}")


class PasswordMap:
    """Many stores, many passwords: a file of lines `GLOB  SOURCE` (SOURCE as `from_source` takes it; #
    starts a comment). A store's password is that of the first line whose GLOB matches its path, as given
    or made absolute (fnmatch: `*` crosses folders). Every source is resolved when the map is read: a bad
    line fails before any work."""

    def __init__(self, path: Path) -> None:
        from . import files
        data = files.read_bytes(path, limits.PASSWORD_FILE_BYTES * 64, "a password map")
        self.warnings = [f"the password map holds passwords and other users can read it: chmod 600 {path}"] \
            if files.mode(path) & 0o077 and b"pass:" in data else []
        self._rules: list[tuple[str, str]] = []
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            where = f"{path}, line {number}"
            if len(fields) != 2 or not fields[1].startswith(SOURCES) or fields[1] in STDIN:  # a map is read again
                raise JkstoolError(f"{where}: expected GLOB and SOURCE (env:NAME, file:PATH or pass:TEXT)",
                                   "write one store pattern and its password source a line")
            self._rules.append((fields[0], str(from_source(fields[1], where))))

    def __call__(self, store: Path) -> str | None:
        names = (str(store), os.path.abspath(store))  # a relative root matches absolute patterns too
        return next((secret for pattern, secret in self._rules if any(fnmatchcase(n, pattern) for n in names)),
                    None)

    def __repr__(self) -> str:
        return f"PasswordMap({len(self._rules)} lines)"


def check_new(password: str | None, allow_weak: bool = False) -> None:
    """Refuse a new password that is empty or shorter than keytool takes (unless `allow_weak`)."""
    if password is None or allow_weak or len(password) >= MIN_LENGTH:
        return
    source = getattr(password, "source", "the password")
    what = "empty" if not password else f"shorter than {MIN_LENGTH} characters"
    raise JkstoolError(f"the password from {source} is {what}: keytool refuses such a password, and a "
                       "missing secret looks like this", "give a real password, or allow_weak=True")


def require(password: str | None, what: str) -> str:
    """`password`, where `what` (a store, a layout) cannot do without one."""
    if password is None:
        raise PasswordNeeded(f"{what} needs a password", "give the password")
    return password
