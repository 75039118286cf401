"""Every pair under a folder, each checked as verify-pair checks one: `verify-pair ROOT --all`.

A pair is a layout folder (it has a layout.json) or a folder holding the stores
by their conventional names (server.keystore.p12 ...). Backups are never taken
for pairs. Each pair opens with its own storepass file when it has one, else with
the password given; a pair that cannot be read is reported, and the rest are
still checked.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import JkstoolError
from ..layout.manifest import BACKUPS, MANIFEST, find_stores
from .expiry import Lookup, store_password

if TYPE_CHECKING:
    from ..mtls.checks import Report

_KEYSTORES = ("server.keystore.p12", "server.keystore.jks")


@dataclass
class PairResult:
    folder: Path
    report: "Report | None" = None
    error: str | None = None
    """Why the pair could not be checked (then there is no report)."""


def find_pairs(root: Path) -> list[Path]:
    """The pair folders under `root` (itself included), in path order; a layout's backups/ is not entered."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        if MANIFEST in names or any(name in names for name in _KEYSTORES):
            found.append(Path(folder))
            if MANIFEST in names and BACKUPS in subfolders:
                subfolders.remove(BACKUPS)
    return found


def check_all(root: Path, password: str | None, check: Callable[..., "Report"],
              progress: Callable[[int], None] | None = None, lookup: Lookup | None = None) -> list[PairResult]:
    """`check(folder, passwords=...)` on each pair under `root` (api.verify_pair with the caller's options),
    each store with its own password (store_password)."""
    results = []
    for done, folder in enumerate(find_pairs(root), 1):
        try:
            stores = find_stores(folder)
            secrets = {role: store_password(path, password, lookup) for role, path in stores.items()}
            results.append(PairResult(folder, check(folder, password=password, passwords=secrets)))
        except JkstoolError as e:
            results.append(PairResult(folder, error=str(e.at(path=folder))))
        if progress:
            progress(done)
    return results


def soonest(results: list[PairResult]) -> datetime | None:
    """The earliest first break among the pairs checked."""
    moments = [r.report.first_break.at for r in results if r.report and r.report.first_break]
    return min(moments) if moments else None
