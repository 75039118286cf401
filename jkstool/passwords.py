"""The rules a password must meet before jkstool protects something with it, whichever door it came in by.

A password jkstool is to protect something new with is refused when it is
empty or shorter than keytool's 6 characters: an empty password is what a
missing CI secret looks like, and keytool refuses short ones. A password may
say where it came from (a `source` attribute, as the command line's do), and
the error then says so, never the password itself.
"""

from .errors import JkstoolError, PasswordNeeded

MIN_LENGTH = 6  # keytool: "Password is too short - must be at least 6 characters"


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
