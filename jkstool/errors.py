"""The one exception family of jkstool's core.

The core never prints or exits: it raises `JkstoolError`, and the command
layer turns it into one line, `error: <file>: alias '<a>': <what> (<fix>)`,
with exit code 2. Messages never carry passwords or key material.
"""

from dataclasses import dataclass, replace


@dataclass(eq=False)  # not frozen: raising sets __traceback__ and friends on the instance
class JkstoolError(Exception):
    """A problem the user can fix: what is wrong, where, and what to do."""

    what: str
    fix: str | None = None
    path: str | None = None
    alias: str | None = None

    def at(self, path: object = None, alias: str | None = None) -> "JkstoolError":
        """The same error, placed in a file (and entry) once the caller knows it."""
        return replace(self, path=self.path or (str(path) if path else None),
                       alias=self.alias or alias)

    def __str__(self) -> str:
        where = [self.path] if self.path else []
        if self.alias is not None:
            where.append(f"alias '{self.alias}'")
        text = ": ".join([*where, self.what])
        return f"{text} ({self.fix})" if self.fix else text


class PasswordError(JkstoolError):
    """The store password is wrong, or one is needed and none was given."""


class PasswordNeeded(PasswordError):
    """A store to create or change needs a password, and none was given."""


class KeyPasswordError(JkstoolError):
    """A key entry does not open with the key password (Java: "Cannot recover key")."""


def damaged(kind: str) -> JkstoolError:
    return JkstoolError(f"the {kind} store is truncated or damaged",
                        "restore it from a backup, or copy it again in binary mode")


def wrong_password() -> PasswordError:
    return PasswordError("wrong password, or the store is damaged: its integrity check failed",
                         "check password=...")


def wrong_key_password(alias: str | None = None) -> KeyPasswordError:
    return KeyPasswordError("the key does not open with the key password",
                            "give the key's own password with key_password=...", alias=alias)


def key_not_read(alias: str) -> JkstoolError:
    """A writer met a key entry read without its password (its key is None)."""
    return JkstoolError("the key was not read, so it cannot be written", "give the source store's password",
                        alias=alias)


def no_such_alias(alias: str, path: object = None) -> JkstoolError:
    return JkstoolError("no entry has this alias", "see the aliases with jkstool list",
                        path=str(path) if path else None, alias=alias)


def file_exists(path: object, fix: str = "give replace=True to replace it; a backup is kept") -> JkstoolError:
    """The one wording for a destination that is already there."""
    return JkstoolError("the file already exists", fix, path=str(path))


def unexpected(error: Exception, path: object) -> JkstoolError:
    """What a bug met on one file or pair says in its row (RecursionError, MemoryError...), so that the other
    rows, and a report a collector reads, are still written."""
    said = (str(error).splitlines() or [""])[0][:200]
    return JkstoolError(f"unexpected {type(error).__name__}" + (f": {said}" if said else ""),
                        "please report it", path=str(path))
