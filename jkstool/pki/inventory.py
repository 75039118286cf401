"""What a store holds, as plain data: the one source of `list`'s table and JSON.

The JSON keys are an interface: other commands and users' scripts rely on
them, so they only ever grow. This module loads cryptography only when a
certificate is first read: the public API imports it at once.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..model import Entry, Loaded, SecretKeyEntry, Store

if TYPE_CHECKING:
    from .certs import CertFacts


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 UTC with a Z (isoformat, not strftime: this runs for every certificate listed)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def days_left(moment: datetime, now: datetime | None = None) -> int:
    """Whole days from `now` (default: this moment) until `moment`; negative once it has passed."""
    return (moment - (now or datetime.now(timezone.utc))).days


def describe_certificate(data: bytes, details: bool = False) -> dict[str, object]:
    from . import certs
    return _describe(certs.facts(data), data, details)


def _describe(f: "CertFacts", data: bytes, details: bool) -> dict[str, object]:
    item: dict[str, object] = {
        "subject": f.subject, "issuer": f.issuer, "serial": f.serial,
        "not_before": iso(f.not_before), "not_after": iso(f.not_after),
        "sha256": f.sha256, "key_algorithm": f.key_algorithm, "key_size": f.key_size,
    }
    if f.parse_warning:
        item["parse_warning"] = f.parse_warning
    if details and not f.parse_warning:
        from . import certs
        item.update(certs.extension_details(data))
    return item


@dataclass(slots=True)
class Listed:
    """One entry as `jkstool list` shows it. `leaf` is its first certificate's facts (a key entry's own),
    each worked out when first read: a table of 10,000 certificates asks for a few of them."""

    entry: Entry
    leaf: "CertFacts | None"
    """None when the entry has no certificate (a secret key; a PEM key that matches none)."""

    @property
    def alias(self) -> str:
        return self.entry.alias

    @property
    def kind(self) -> str:
        """private-key, trusted-cert or secret-key."""
        return self.entry.kind

    @property
    def key_algorithm(self) -> str | None:
        """The key's algorithm (a certificate's public key, or a secret key's); None when not known."""
        if isinstance(self.entry, SecretKeyEntry):
            return self.entry.algorithm
        return self.leaf.key_algorithm if self.leaf is not None else None

    @property
    def key_size(self) -> int | None:
        if isinstance(self.entry, SecretKeyEntry):
            return secret_key_size(self.entry)
        return self.leaf.key_size if self.leaf is not None else None

    def days_left(self, now: datetime | None = None) -> int | None:
        """Whole days until the first certificate expires (negative after); None without one."""
        return None if self.leaf is None else days_left(self.leaf.not_after, now)

    def warnings(self) -> list[str]:
        """One line for each certificate read leniently, or not parsed at all (Java may still read it)."""
        chain = self.entry.certificates
        if self.leaf is None or (len(chain) == 1 and not self.leaf.parse_warning):
            return []
        from . import certs
        found = []
        for number, cert in enumerate(chain, 1):
            warning = (self.leaf if number == 1 else certs.facts(cert)).parse_warning
            if warning:
                found.append(f"alias '{self.alias}': certificate {number}: {warning}")
        return found


def secret_key_size(entry: SecretKeyEntry) -> int | None:
    return len(entry.key) * 8 if entry.key is not None else None


@dataclass
class Inventory:
    """What a store holds, as `jkstool list` shows it: iterate for one `Listed` an entry (each
    certificate is read as the iteration reaches it), `to_dict()` for `list --json`."""

    type: str
    """JKS, JCEKS, PKCS12 or PEM."""
    store: Store = field(repr=False)
    verified: bool | None
    """Whether a password checked the store's integrity (None for PEM, which has none)."""
    warnings: list[str] = field(default_factory=list)
    """What the reader noticed (a name that says another type...)."""
    details: bool = False
    """Whether `to_dict()` gives each certificate's extensions too (`list -v`)."""
    java_refuses: Sequence[tuple[str, str]] = ()
    """Each Java release that refuses the store as it is, and why: (jdk, why) pairs, as compat judges them
    (api.inspect fills them in: this layer knows no runtime)."""

    @classmethod
    def of(cls, loaded: Loaded, details: bool = False, java_refuses: Sequence[tuple[str, str]] = ()) -> "Inventory":
        return cls(loaded.type, loaded.store, loaded.verified, list(loaded.warnings), details, java_refuses)

    def __len__(self) -> int:
        return len(self.store)

    def __iter__(self) -> Iterator[Listed]:
        from .certs import facts
        for entry in self.store:
            chain = entry.certificates
            yield Listed(entry, facts(chain[0]) if chain else None)

    def to_dict(self, progress: Callable[[int], None] | None = None) -> dict[str, object]:
        """`{"type", "entries": [...], "warnings", "java_refuses": [{"jdk", "why"}]}`, chains leaf first;
        `progress(entries_done)` as it goes."""
        from .certs import facts
        entries = []
        for done, entry in enumerate(self.store, 1):
            if progress:
                progress(done)
            item: dict[str, object] = {"alias": entry.alias, "kind": entry.kind, "created": iso(entry.created),
                                       "certificates": [_describe(facts(c), c, self.details)
                                                        for c in entry.certificates]}
            if isinstance(entry, SecretKeyEntry):
                item["key_algorithm"] = entry.algorithm
                item["key_size"] = secret_key_size(entry)
            entries.append(item)
        return {"type": self.type, "entries": entries, "warnings": list(self.warnings),
                "java_refuses": [{"jdk": jdk, "why": why} for jdk, why in self.java_refuses]}

