"""Limits on what the readers accept, so hostile input cannot make them run away.

The defaults are generous for real stores (the JDK's cacerts, a 50,000-certificate
truststore) and can be raised through the environment.
"""

import os

from .errors import JkstoolError


def _setting(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return max(1, int(value))
    except ValueError:
        raise JkstoolError(f"{name}={value!r} is not a number", f"set {name} to a whole number") from None


def max_file_bytes() -> int:
    """A store, PEM or certificate file (JKSTOOL_MAX_FILE_MB, 256 by default)."""
    return _setting("JKSTOOL_MAX_FILE_MB", 256) * 1024 * 1024


def max_entries() -> int:
    """Entries, bags or PEM blocks in one file (JKSTOOL_MAX_ENTRIES, 200,000 by default)."""
    return _setting("JKSTOOL_MAX_ENTRIES", 200_000)


def max_chain() -> int:
    """Certificates in one key entry's chain (JKSTOOL_MAX_CHAIN, 100 by default)."""
    return _setting("JKSTOOL_MAX_CHAIN", 100)


def too_many(what: str, variable: str) -> JkstoolError:
    return JkstoolError(f"the file holds more {what} than jkstool reads",
                        f"if the file is genuine, raise {variable}")


def raise_hint(what: str) -> str:
    """The fix of a size limit hit: which setting raises it."""
    if what == "the file":
        return "check that this is a keystore; if it is, raise JKSTOOL_MAX_FILE_MB"
    return "check the file"
