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


_Job = tuple[Callable[..., "Report"], Path, str | None, Lookup | None]
"""(check, folder, password, lookup): one pair to check; jobs sent to workers carry no lookup (see _share)."""


@dataclass
class PairResult:
    folder: Path
    report: "Report | None" = None
    error: str | None = None
    """Why the pair could not be checked (then there is no report)."""
    error_path: str | None = None
    """The file that could not be read."""


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


# Pairs are independent and their cost is key derivation (PBKDF2, the PKCS12 MAC), so a fleet is
# checked on every core; a few pairs are not worth starting processes for.
PARALLEL_FROM = 16


def check_all(root: Path, password: str | None, check: Callable[..., "Report"],
              progress: Callable[[int], None] | None = None, lookup: Lookup | None = None) -> list[PairResult]:
    """`check(folder, passwords=...)` on each pair under `root` (api.verify_pair with the caller's options),
    each store with its own password (store_password); in path order, on every core for a fleet."""
    if not root.is_dir():
        raise JkstoolError("no such folder" if not root.exists() else "not a folder", "give the folder that holds "
                           "the pairs", path=str(root))
    jobs = [(check, folder, password, lookup) for folder in find_pairs(root)]
    if not jobs:  # a gate must not pass over what it could not find
        raise JkstoolError("no pair under it (no layout.json, no server.keystore.p12 or .jks)",
                           "give the folder that holds the pairs", path=str(root))
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        results = []
        for done, job in enumerate(jobs, 1):
            results.append(_check_one(job))
            if progress:
                progress(done)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_share, initargs=(lookup,)) as pool:
        found = []
        for done, result in enumerate(pool.map(_check_one, [job[:3] + (None,) for job in jobs], chunksize=8), 1):
            found.append(result)
            if progress:
                progress(done)
    return found


_LOOKUP: list[Lookup | None] = [None]  # a worker's password map: a closure does not pickle, so each worker gets it once


def _share(lookup: Lookup | None) -> None:
    _LOOKUP[0] = lookup


def _check_one(job: _Job) -> PairResult:
    check, folder, password, lookup = job
    try:
        stores = find_stores(folder)
        secrets = {role: store_password(path, password, lookup or _LOOKUP[0]) for role, path in stores.items()}
        return PairResult(folder, check(folder, password=password, passwords=secrets))
    except JkstoolError as e:
        return PairResult(folder, error=e.what, error_path=e.path or str(folder))


def soonest(results: list[PairResult]) -> datetime | None:
    """The earliest first break among the pairs checked."""
    moments = [r.report.first_break.at for r in results if r.report and r.report.first_break]
    return min(moments) if moments else None
