"""What a store holds, as plain data: the one source of `list`'s table and JSON.

The JSON keys are an interface: other commands and users' scripts rely on
them, so they only ever grow.
"""

from collections.abc import Callable
from datetime import datetime, timezone

from ..model import Loaded, SecretKeyEntry
from . import certs


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 UTC with a Z (isoformat, not strftime: this runs for every certificate listed)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def describe_certificate(data: bytes, details: bool = False) -> dict[str, object]:
    f = certs.facts(data)
    item: dict[str, object] = {
        "subject": f.subject, "issuer": f.issuer, "serial": f.serial,
        "not_before": iso(f.not_before), "not_after": iso(f.not_after),
        "sha256": f.sha256, "key_algorithm": f.key_algorithm, "key_size": f.key_size,
    }
    if f.parse_warning:
        item["parse_warning"] = f.parse_warning
    if details and not f.parse_warning:
        item.update(certs.extension_details(data))
    return item


def describe(loaded: Loaded, details: bool = False, progress: Callable[[int], None] | None = None) -> dict[str, object]:
    """`{"type", "entries": [...]}` for a store, chains leaf first; `progress(entries_done)` as it goes."""
    entries = []
    for done, entry in enumerate(loaded.store, 1):
        if progress:
            progress(done)
        item: dict[str, object] = {"alias": entry.alias, "kind": entry.kind, "created": iso(entry.created),
                "certificates": [describe_certificate(c, details) for c in entry.certificates]}
        if isinstance(entry, SecretKeyEntry):
            item["key_algorithm"] = entry.algorithm
            item["key_size"] = len(entry.key) * 8 if entry.key is not None else None
        entries.append(item)
    return {"type": loaded.type, "entries": entries, "warnings": list(loaded.warnings)}


def days_left(not_after_iso: str, now: datetime) -> int:
    return (datetime.fromisoformat(not_after_iso[:-1]).replace(tzinfo=timezone.utc) - now).days
