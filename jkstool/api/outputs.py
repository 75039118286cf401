"""Files a command writes besides stores (reports, PEM exports, requests, Secrets): atomically, each as
private as what it holds (files.Secrecy), an existing one replaced only when asked and then backed up."""

from collections.abc import Iterable
from pathlib import Path

from .. import files
from ..files import Secrecy
from ..layout.manifest import backups_for

__all__ = ["Secrecy", "write_files", "write_file", "read_bytes"]

read_bytes = files.read_bytes


def write_files(items: Iterable[tuple[Path, bytes, Secrecy]], replace: bool = False) -> list[Path]:
    """Write files together, each (path, bytes, secrecy): an existing one only with `replace` (else nothing
    is written), after a backup (in its layout's backups/ when it is in one). Returns the backups kept."""
    items = list(items)
    backups = backups_for(Path(items[0][0])) if items else None
    return files.write_all(items, replace=replace, backups=backups)


def write_file(path: Path, data: bytes, secrecy: Secrecy = Secrecy.PUBLIC) -> None:
    """Replace `path` with `data` atomically (a report, a manifest written again and again)."""
    files.write_atomic(path, data, secrecy)
