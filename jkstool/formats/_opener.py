"""How a load opens keys: the passwords to try, in order, and what to do when none opens."""

from collections.abc import Callable
from typing import TypeVar

from ..errors import KeyPasswordError, wrong_key_password

T = TypeVar("T")


class KeyOpener:
    """How a load opens keys: the passwords to try, in order, and what to do when none opens.

    Java lets each key have its own password. A key that opens with one other
    than the store password keeps it (`key_password`), so an edited store is
    written back with the same key passwords it had.
    """

    def __init__(self, passwords: tuple[str, ...], store_password: str | None, strict: bool = True):
        self.passwords, self.store_password, self.strict = passwords, store_password, strict
        self.locked: list[str] = []

    def open(self, decrypt: Callable[[str], T], alias: str | None) -> tuple[T | None, str | None]:
        """(decrypt(password), the key's own password or None); (None, None) when keys are not
        read, or, in a lenient load, when no password opens it."""
        for password in self.passwords:
            try:
                return decrypt(password), (None if password == self.store_password else password)
            except KeyPasswordError:
                continue
        if self.passwords and self.strict:
            raise wrong_key_password(alias)
        if self.passwords:
            self.locked.append(alias or "")
        return None, None
