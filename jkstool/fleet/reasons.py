"""Why a store or a pair could not be read, as a code from a fixed set.

The `reason` label of the jkstool_read_errors metric and `code` in the JSON
reports: alerts, dashboards and scripts match on it, so it must not follow the
wording of messages (which say the same for people, and may be reworded).
A new code is a change of the reports' contract: docs/fleet.md lists them.
"""

import re

from ..errors import JkstoolError, KeyPasswordError, PasswordError, PasswordNeeded

REASONS = {
    "password_needed": "the store needs a password, and none was found for it",
    "wrong_password": "the password is wrong, or the store's integrity check failed",
    "key_password": "a key entry does not open with its password",
    "missing": "the file or folder is not there (or a pair lacks a store)",
    "access": "the file cannot be read: its permissions, another user's file, not a regular file, an I/O error",
    "not_a_store": "the file is empty, or not a store or certificate file",
    "damaged": "the file is truncated or damaged: a part of it does not parse",
    "unsupported": "a version or algorithm jkstool (and Java) does not read",
    "too_large": "more than jkstool's limits: the file's size, its entries, a chain, iterations",
    "unexpected": "a bug met on the file (please report it)",
    "other": "anything else: the error message says what",
}

# What a message says, for the errors that have no class of their own; the first that matches. The words are
# the core's own (errors.py, files.py, limits.py, the readers), as docs/errors.md lists the messages.
_SAID = [
    ("unexpected", r"^unexpected "),
    ("password_needed", r"a password is needed|needs a password|no password was given"),
    ("too_large", r"than jkstool( \(and Java\))? reads|is larger than|key-derivation iterations in all"),
    ("missing", r"no such file|does not exist|holds neither|not an init-pair layout"),
    ("access", r"permission denied|cannot read the file|not a regular file|is a folder|of this user"),
    ("not_a_store", r"^(not a keystore|the file is empty|neither a PEM bundle|no certificate or private key)"),
    ("unsupported", r"unsupported|not supported"),
    ("damaged", r"damaged|cannot be parsed|cannot be read|not valid|not base64|not hex"),
]
_PATTERNS = [(code, re.compile(pattern)) for code, pattern in _SAID]


def reason(error: JkstoolError) -> str:
    """The code of REASONS that says why `error` stopped a read: by its class where it has its own (a wrong
    password's message also says "damaged"), else by what it says."""
    if isinstance(error, PasswordNeeded):
        return "password_needed"
    if isinstance(error, KeyPasswordError):
        return "key_password"
    found = next((code for code, pattern in _PATTERNS if pattern.search(error.what)), "other")
    if isinstance(error, PasswordError) and found != "password_needed":
        return "wrong_password"
    return found
