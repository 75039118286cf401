"""Every pair under a folder, each checked as verify-pair checks one: `verify-pair ROOT --all`.

A pair is a layout folder (it has a layout.json) or a folder holding the stores
by their conventional names (server.keystore.p12 ...). Backups are never taken
for pairs. Each pair opens with its own storepass file when it has one, else with
the password given; a pair that cannot be read is reported, and the rest are
still checked.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import JkstoolError, unexpected
from ..layout.manifest import BACKUPS, MANIFEST, find_stores
from .reasons import reason

if TYPE_CHECKING:  # both import cryptography, which the results below do not need
    from concurrent.futures import Executor

    from ..mtls.checks import Report
    from .expiry import Lookup

_KEYSTORES = ("server.keystore.p12", "server.keystore.jks")


_Job = tuple[Callable[..., "Report"], Path, "str | None", "Lookup | None"]
"""(check, folder, password, lookup): one pair to check; jobs sent to workers carry no lookup (see _share)."""


@dataclass
class PairResult:
    """A pair checked: its report, or why there is none."""

    folder: Path
    report: "Report | None" = None
    error: str | None = None
    """Why the pair could not be checked (then there is no report)."""
    error_path: str | None = None
    """The file that could not be read."""
    error_code: str | None = None
    """Why, as a code of fleet.reasons."""
    name: str | None = None
    """How reports name the pair (default: its folder; under a root, the folder relative to it)."""

    @classmethod
    def failed(cls, folder: Path, error: JkstoolError) -> "PairResult":
        """A pair that could not be read: the error's file (else the folder) and what went wrong."""
        return cls(folder, error=error.what, error_path=error.path or str(folder), error_code=reason(error))

    @property
    def verdict(self) -> str:
        """ok, FAIL, or unreadable."""
        return "unreadable" if self.report is None else "ok" if self.report.ok else "FAIL"

    def to_dict(self) -> dict[str, object]:
        """The pair's row as --all --json prints it (and the Prometheus and JUnit reports read it)."""
        name = self.name if self.name is not None else str(self.folder)
        if self.report is None:
            return {"pair": name, "verdict": self.verdict, "errors": None, "warnings": None, "first_break": None,
                    "findings": [], "error": f"{self.error_path}: {self.error}", "error_path": self.error_path,
                    "error_reason": self.error, "error_code": self.error_code}
        found = self.report.first_break
        return {"pair": name, "verdict": self.verdict, "errors": self.report.error_count,
                "warnings": self.report.warning_count, "first_break": found.to_dict() if found else None,
                "findings": [f.to_dict() for f in self.report.findings], "error": None, "error_path": None,
                "error_reason": None, "error_code": None}


@dataclass
class Fleet:
    """Every pair under a root, checked (`verify-pair ROOT --all`)."""

    root: Path
    pairs: list[PairResult]

    @property
    def failing(self) -> list[PairResult]:
        return [p for p in self.pairs if p.report is not None and not p.report.ok]

    @property
    def unreadable(self) -> list[PairResult]:
        return [p for p in self.pairs if p.report is None]

    @property
    def ok(self) -> bool:
        """Every pair was read and passes."""
        return not self.failing and not self.unreadable

    @property
    def soonest(self) -> datetime | None:
        """The earliest first break among the pairs."""
        return soonest(self.pairs)

    def to_dict(self) -> dict[str, object]:
        """As verify-pair --all --json prints it: a row per pair."""
        return {"pairs": [p.to_dict() for p in self.pairs]}


def find_pairs(root: Path) -> list[Path]:
    """The pair folders under `root` (itself included), in path order; a layout's backups/ is not entered."""
    from .expiry import volume
    found = []
    for folder, subfolders, names in os.walk(root):
        if volume(Path(folder)):  # a Secret volume: its stores are the links of its keys, not the kubelet's folders
            subfolders[:] = [name for name in subfolders if not name.startswith("..")]
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
              progress: Callable[[int], None] | None = None, lookup: "Lookup | None" = None,
              java: bool = False) -> list[PairResult]:
    """`check(folder, passwords=...)` on each pair under `root` (api.verify_pair with the caller's options),
    each store with its own password (store_password); in path order, on every core for a fleet. With
    `java` (a JVM judges each pair), the checks run in threads that share that one JVM, whose compiler
    then warms up once, and whose work is most of a pair's; the model's key derivations leave Python's
    lock to the other threads."""
    if not root.is_dir():
        raise JkstoolError("no such folder" if not root.exists() else "not a folder", "give the folder that holds "
                           "the pairs", path=str(root))
    jobs: list[_Job] = [(check, folder, password, lookup) for folder in find_pairs(root)]
    if not jobs:  # a gate must not pass over what it could not find
        raise JkstoolError("no pair under it (no layout.json, no server.keystore.p12 or .jks)",
                           "give the folder that holds the pairs", path=str(root))
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return _named(_gathered(map(_check_one, jobs), progress), root)
    if java:
        from concurrent.futures import ThreadPoolExecutor

        from ..mtls.handshake import many_pairs
        with many_pairs(), ThreadPoolExecutor(workers * THREADS_A_CORE) as threads:
            return _named(_stoppable(threads, threads.map(_check_one, jobs), progress), root)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    try:
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_share, initargs=(lookup,))
    except OSError:  # no POSIX semaphores (a container or chroot without a writable /dev/shm): one core
        return _named(_gathered(map(_check_one, jobs), progress), root)
    with pool:
        found = pool.map(_check_one, [(*job[:3], None) for job in jobs], chunksize=8)
        return _named(_stoppable(pool, found, progress), root)


THREADS_A_CORE = 2
"""Checks in flight per core where a JVM judges: while one waits for Java, another runs the model."""


def _gathered(results: Iterator[PairResult], progress: Callable[[int], None] | None) -> list[PairResult]:
    found = []
    for done, result in enumerate(results, 1):
        found.append(result)
        if progress:
            progress(done)
    return found


def _stoppable(pool: "Executor", results: Iterator[PairResult],
               progress: Callable[[int], None] | None) -> list[PairResult]:
    """_gathered, where a `progress` that raises (an exporter told to stop) also cancels the pairs not yet
    started, so that the pool's shutdown waits for the few under way only."""
    try:
        return _gathered(results, progress)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def _named(results: list[PairResult], root: Path) -> list[PairResult]:
    """Each pair named by its folder relative to the root, as the rows show it."""
    for result in results:
        result.name = str(result.folder.relative_to(root))
    return results


# A worker's password map: a closure does not pickle, so each worker gets it once.
_LOOKUP: "list[Lookup | None]" = [None]


def _share(lookup: "Lookup | None") -> None:
    _LOOKUP[0] = lookup


def _check_one(job: _Job) -> PairResult:
    from .expiry import store_password
    check, folder, password, lookup = job
    try:
        stores = find_stores(folder)
        secrets = {role: store_password(path, password, lookup or _LOOKUP[0]) for role, path in stores.items()}
        return PairResult(folder, check(folder, password=password, passwords=secrets))
    except JkstoolError as e:
        return PairResult.failed(folder, e)
    except Exception as e:  # a bug met on one pair's files: that pair's row; the report is still written
        return PairResult.failed(folder, unexpected(e, folder))


def soonest(results: list[PairResult]) -> datetime | None:
    """The earliest first break among the pairs checked."""
    moments = [r.report.first_break.at for r in results if r.report and r.report.first_break]
    return min(moments) if moments else None
