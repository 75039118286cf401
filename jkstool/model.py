"""The format-neutral keystore model: what Java's KeyStore holds, without the file.

Keys and certificates are kept as the bytes the file held (PKCS#8 and X.509
DER), so a store read in one format and written in another carries them
unchanged; parsing happens only where a command needs a certificate's facts.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import ClassVar

from .errors import JkstoolError, key_not_read, no_such_alias, wrong_key_password


class _Name(str, Enum):
    """A name that is also its text (in f-strings, JSON and dictionary keys alike), so that a typo is
    an AttributeError where it is written rather than a KeyError far away."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    def __repr__(self) -> str:
        return repr(str(self.value))


class Side(_Name):
    """The two sides of mutual TLS."""

    SERVER = "server"
    CLIENT = "client"

    @property
    def peer(self) -> "Side":
        return Side.CLIENT if self is Side.SERVER else Side.SERVER


class Role(_Name):
    """The four stores of a mutual-TLS pair."""

    SERVER_KEYSTORE = "server-keystore"
    SERVER_TRUSTSTORE = "server-truststore"
    CLIENT_KEYSTORE = "client-keystore"
    CLIENT_TRUSTSTORE = "client-truststore"

    @property
    def side(self) -> Side:
        return Side(self.value.partition("-")[0])


SIDES: tuple[str, ...] = tuple(Side)
ROLES: tuple[str, ...] = tuple(Role)
"""The sides and roles in their order, as text (what dictionaries of them are keyed by)."""


@dataclass(frozen=True)
class PrivateKeyEntry:
    """A private key with its certificate chain, leaf first."""

    alias: str
    key: bytes | None = field(repr=False)
    """PKCS#8 DER; None when the store was read for its certificates only."""
    chain: tuple[bytes, ...] = ()
    created: datetime | None = None
    key_password: str | None = field(default=None, repr=False, compare=False)
    """The key's own password, when it differs from the store password (written back as read)."""
    sealed: bytes | None = field(default=None, repr=False, compare=False)
    """A JKS key whose own password the read did not have (a lenient read: `Loaded.locked`), as the store
    holds it: written back to a JKS store unopened, as keytool does when it adds a certificate."""
    kind: ClassVar[str] = "private-key"

    @property
    def certificates(self) -> tuple[bytes, ...]:
        return self.chain

    def pkcs8(self) -> bytes:
        """The key; an error when the store was read without it (or kept it sealed: its password is needed)."""
        if self.sealed is not None:
            raise wrong_key_password(self.alias)
        if self.key is None:
            raise key_not_read(self.alias)
        return self.key


@dataclass(frozen=True)
class TrustedCertEntry:
    """A certificate trusted as an anchor (keytool's trustedCertEntry)."""

    alias: str
    cert: bytes
    created: datetime | None = None
    kind: ClassVar[str] = "trusted-cert"

    @property
    def certificates(self) -> tuple[bytes, ...]:
        return (self.cert,)


@dataclass(frozen=True)
class SecretKeyEntry:
    """A symmetric key; only JCEKS and PKCS12 can hold one."""

    alias: str
    algorithm: str | None
    """Java's name for it (AES, HmacSHA256, DESede...)."""
    key: bytes | None = field(repr=False)
    created: datetime | None = None
    key_password: str | None = field(default=None, repr=False, compare=False)
    kind: ClassVar[str] = "secret-key"

    @property
    def certificates(self) -> tuple[bytes, ...]:
        return ()


Entry = PrivateKeyEntry | TrustedCertEntry | SecretKeyEntry


class Store:
    """Entries in order, by alias; aliases compare case-insensitively, as in Java.

    Two stores are equal when they hold equal entries under the same aliases:
    like Java's KeyStore, the model is a map, and formats differ in the order
    they write entries in.
    """

    def __init__(self, entries: Iterable[Entry] = ()):
        self._entries: dict[str, Entry] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: Entry) -> None:
        if entry.alias.lower() in self._entries:
            raise JkstoolError("two entries have this alias", "rename one of them",
                               alias=entry.alias)
        self._entries[entry.alias.lower()] = entry

    def put(self, entry: Entry) -> None:
        """Add `entry`, or replace the entry of the same alias where it stands."""
        self._entries[entry.alias.lower()] = entry

    def remove(self, alias: str) -> Entry:
        try:
            return self._entries.pop(alias.lower())
        except KeyError:
            raise no_such_alias(alias) from None

    def entry(self, alias: str) -> Entry:
        """The entry `alias`, or the error that names it."""
        try:
            return self._entries[alias.lower()]
        except KeyError:
            raise no_such_alias(alias) from None

    def key_entry(self, alias: str) -> PrivateKeyEntry:
        """The private-key entry `alias`; an error when there is none, or it is another kind."""
        entry = self.entry(alias)
        if not isinstance(entry, PrivateKeyEntry):
            raise JkstoolError(f"this is a {entry.kind} entry, not a key entry", alias=entry.alias)
        return entry

    def trusted(self, alias: str) -> TrustedCertEntry:
        """The trusted-certificate entry `alias`; an error when there is none, or it is another kind."""
        entry = self.entry(alias)
        if not isinstance(entry, TrustedCertEntry):
            raise JkstoolError(f"this is a {entry.kind} entry, not a trusted certificate", alias=entry.alias)
        return entry

    def with_key_password(self, key_password: str | None) -> tuple["Store", list[str]]:
        """The same entries with every key protected by `key_password` (None: by the store's password, as
        keytool gives PKCS12 keys and JSSE's default key manager expects), and the aliases that changes."""
        entries: list[Entry] = []
        changed = []
        for entry in self:
            if not isinstance(entry, TrustedCertEntry) and entry.key_password != key_password:
                changed.append(entry.alias)
                entry = replace(entry, key_password=key_password)
            entries.append(entry)
        return Store(entries), changed

    def trusted_entries(self) -> list[TrustedCertEntry]:
        return [e for e in self if isinstance(e, TrustedCertEntry)]

    def key_entries(self) -> list[PrivateKeyEntry]:
        return [e for e in self if isinstance(e, PrivateKeyEntry)]

    def holds_keys(self) -> bool:
        """Whether any entry holds a private or secret key (its file is then kept 0600)."""
        return any(not isinstance(e, TrustedCertEntry) for e in self)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, alias: str) -> bool:
        return alias.lower() in self._entries

    def __getitem__(self, alias: str) -> Entry:
        return self._entries[alias.lower()]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Store) and self._entries == other._entries

    def __repr__(self) -> str:
        return f"Store({list(self._entries.values())!r})"


@dataclass(frozen=True)
class Protection:
    """How a PKCS12 file protects itself, as read: what `compat` judges runtimes by.

    Schemes are named as docs/formats.md names them: "aes-256-cbc" (PBES2 with
    PBKDF2-HMAC-SHA256, keytool 17's), "pbe-sha1-3des", "pbe-sha1-rc2-40"... and
    "none" for certificates in the clear; the integrity check is "hmac-sha256"
    (or -sha1...: keyed by the PKCS #12 KDF), "pbmac1" (RFC 9579), or None.
    """

    integrity: str | None
    keys: frozenset[str] = frozenset()
    certificates: frozenset[str] = frozenset()
    iterations: int = 0
    """The highest key-derivation iteration count of the file."""
    salt: int | None = None
    """The shortest salt of the file, in bytes: of its MAC (an HMAC's; PBMAC1's own is not counted) and of each
    encryption; None when it has none. Java takes none under 8 bytes."""
    ascii_password: bool = True
    """False when the password it was read with is not ASCII, which Java before 25 derives no key from."""


@dataclass
class Loaded:
    """A store as read from bytes, with how it was read."""

    type: str
    """JKS, JCEKS, PKCS12 or PEM."""
    store: Store
    verified: bool | None
    """Whether a password checked the store's integrity (MAC or keyed digest);
    None for PEM, which has no integrity check."""
    warnings: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)
    """Aliases whose key did not open with the key password (read with strict=False)."""
    protection: Protection | None = None
    """For PKCS12: its integrity check and encryption schemes."""
    stray_certificates: list[bytes] = field(default_factory=list)
    """Certificates of a PKCS12 file that no entry holds: Java keeps none of them, yet parses each as it loads
    the file, and one it cannot parse fails the load."""
