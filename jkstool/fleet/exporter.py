"""A long-running scan of stores and pairs for a Prometheus exporter (`jkstool exporter`): the state, the
schedule and the change detection; the command layer serves what it holds.

One thread scans: at start, every `interval`, and when a watched file changes (its inode, size or mtime,
through links, polled each second: a Kubernetes Secret volume swaps its ..data link to a new folder, which
gives every store a new inode). A scan reads everything afresh into a new `FleetScan`; the exporter then
hands it to `on_scan` and keeps it as the last complete scan, replacing the one before in a single
assignment, so a reader (a scrape) takes the last complete scan at once, never a half-made one, and never
waits for a scan. Nothing grows from one scan to the next: the old scan is dropped whole.

Bounds: a store costs what the readers' limits allow (jkstool.limits: its size, its entries, its key
derivations, a path search's budget) and a pair whose JVM does not answer ends at
mtls.handshake.ANSWER_SECONDS; a poll that takes long (a huge tree) polls less often (POLL_SHARE); `stop`
cancels the scan under way between two stores or pairs.

May import: `jkstool.layout` and everything below it.
"""

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import JkstoolError
from .expiry import VOLUME_DATA, files_under, volume

if TYPE_CHECKING:
    from .expiry import Scan
    from .pairs import Fleet

POLL_SECONDS = 1.0
"""How often the watched files are looked at (their status, not their content)."""
POLL_SHARE = 0.1
"""At most this share of the time goes to looking at the watched files: a tree that takes 0.5 s to look at is
looked at every 5 s."""


class Stopping(Exception):
    """Raised inside a scan when the exporter is told to stop: the scan ends, unfinished and not kept."""


@dataclass
class FleetScan:
    """One complete scan: every certificate under the paths (`expiry`), and every pair under the folders that
    hold pairs (`fleets`, one per such folder), with when, how long, and why it ran."""

    number: int
    reason: str
    """"start", "interval" or "change" (a watched file changed)."""
    started: datetime
    seconds: float
    expiry: "Scan"
    fleets: "list[Fleet]" = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return sum(len(fleet.pairs) for fleet in self.fleets)

    @property
    def failing(self) -> int:
        return sum(len(fleet.failing) for fleet in self.fleets)

    @property
    def unreadable(self) -> int:
        return sum(len(fleet.unreadable) for fleet in self.fleets)

    def read_errors(self) -> list[tuple[str, str]]:
        """(file, reason code) of each read this scan could not make: the stores the expiry scan could not read,
        and the store (or folder) that stopped each pair not checked."""
        found = [(failure.path, failure.code) for failure in self.expiry.failures]
        for fleet in self.fleets:
            found += [(pair.error_path or str(pair.folder), pair.error_code or "other") for pair in fleet.unreadable]
        return found

    def summary(self, within: int) -> str:
        """One line for the log: what was scanned and found, and how long it took; no password, no key, no
        message text read from a file (reason codes only)."""
        reasons: dict[str, int] = {}
        for _, code in self.read_errors():
            reasons[code] = reasons.get(code, 0) + 1
        due = len(self.expiry.due(within))
        errors = ", ".join(f"{code} {count}" for code, count in sorted(reasons.items()))
        return (f"scan {self.number} ({self.reason}): {self.expiry.files} files, {len(self.expiry.certificates)} "
                f"certificates, {due} expiring within {within} days; {self.pairs} pairs, {self.failing} failing, "
                f"{self.unreadable} unreadable; read errors: {errors or 'none'}; {self.seconds:.2f} s")


Scanner = Callable[[Callable[[], None]], "tuple[Scan, list[Fleet]]"]
"""`scanner(checkpoint)`: one scan, calling `checkpoint()` between stores and pairs (it raises Stopping)."""


class Exporter:
    """The scan loop and the last complete scan. `start()` runs the loop in a thread of its own; `latest` is the
    last complete scan (None before the first); `stop()` ends the loop, cancelling a scan under way."""

    def __init__(self, scanner: Scanner, watched: Callable[[], object], interval: float, *, within: int = 30,
                 on_scan: Callable[[FleetScan], None] | None = None, log: Callable[[str], None] | None = None,
                 poll: float = POLL_SECONDS) -> None:
        if interval <= 0:
            raise JkstoolError(f"interval={interval}: give a positive number of seconds")
        self.scanner, self.watched, self.interval, self.within, self.poll = scanner, watched, interval, within, poll
        self.on_scan, self.log = on_scan, log
        self.latest: FleetScan | None = None
        self.scans = 0
        """Scans completed."""
        self.failures = 0
        """Scans that ended in an error (the last complete scan is still served)."""
        self.last_error: str | None = None
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None

    # -- the loop ----------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="jkstool-exporter-scan", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """End the loop (a scan under way stops at its next store or pair); whether it ended within `timeout`."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, number: int, timeout: float) -> FleetScan | None:
        """The last complete scan once it is scan `number` or a later one; None if none is by `timeout` s."""
        with self._done:
            self._done.wait_for(lambda: self.latest is not None and self.latest.number >= number, timeout)
        latest = self.latest
        return latest if latest is not None and latest.number >= number else None

    def _loop(self) -> None:
        reason = "start"
        while not self._stop.is_set():
            seen = self._look()  # before the scan: a change made while it runs is seen after it
            self._scan(reason)
            due = time.monotonic() + self.interval
            reason = ""
            while not reason and not self._stop.is_set():
                began = time.monotonic()
                if began >= due:
                    reason = "interval"
                else:
                    now = self._look()
                    if now != seen:
                        reason = "change"
                    else:  # at most POLL_SHARE of the time goes to looking
                        pause = max(self.poll, (time.monotonic() - began) / POLL_SHARE)
                        self._stop.wait(min(pause, max(0.0, due - time.monotonic())))
            if reason == "change":  # a copy in progress: scan once it has settled for a poll
                self._settle()

    def _settle(self) -> None:
        previous = self._look()
        for _ in range(10):
            if self._stop.wait(self.poll):
                return
            now = self._look()
            if now == previous:
                return
            previous = now

    def _look(self) -> object:
        try:
            return self.watched()
        except Exception as e:  # a folder removed while it was walked: the next look sees it whole
            return repr(e)

    def _checkpoint(self) -> None:
        if self._stop.is_set():
            raise Stopping()

    def _scan(self, reason: str) -> None:
        began, wall = time.monotonic(), datetime.now(timezone.utc)
        try:
            found, fleets = self.scanner(self._checkpoint)
            result = FleetScan(self.scans + 1, reason, wall, time.monotonic() - began, found, fleets)
            if self.on_scan is not None:
                self.on_scan(result)
        except Stopping:
            return
        except JkstoolError as e:  # the scan as a whole could not run (a password map that cannot be read)
            self._failed(f"scan failed: {e}")
            return
        except Exception as e:  # a bug (here or in on_scan): said, the loop lives, the last scan is still served
            self._failed(f"scan failed: unexpected {type(e).__name__} (please report it)")
            return
        with self._done:
            self.latest = result  # one assignment: a reader has the old scan or the new one, whole
            self.scans += 1
            self.last_error = None
            self._done.notify_all()
        if self.log is not None:
            self.log(result.summary(self.within))

    def _failed(self, message: str) -> None:
        self.failures += 1
        self.last_error = message
        if self.log is not None:
            self.log(message)

    # -- health ------------------------------------------------------------------------------------------

    def health(self) -> tuple[bool, str]:
        """(healthy, why): a complete scan is served, it ended within three intervals and a minute, and the loop
        runs."""
        latest = self.latest
        if not self.running and not self._stop.is_set():
            return False, "the scan loop is not running"
        if latest is None:
            return False, "starting: no complete scan yet"
        limit = 3 * self.interval + 60
        age = (datetime.now(timezone.utc) - latest.started).total_seconds() - latest.seconds
        if age > limit:
            return False, f"stale: the last complete scan ended {age:.0f} s ago" + (
                f" ({self.last_error})" if self.last_error else "")
        return True, f"ok: scan {latest.number}, {age:.0f} s ago"


def fingerprint(paths: Sequence[Path], extra: Sequence[Path] = ()) -> tuple[object, ...]:
    """What the watch compares from one poll to the next: each file a scan would read (as `files_under` finds
    them), through its links, by device, inode, size and mtime; each Secret volume's ..data link; the `extra`
    files (a password map). A missing file is a state too."""
    seen: list[object] = []
    for path in [*paths, *extra]:
        if path.is_dir():
            for folder, subfolders, _ in os.walk(path):
                if volume(Path(folder)):
                    seen.append((folder, os.readlink(Path(folder) / VOLUME_DATA)))
                    subfolders[:] = [name for name in subfolders if not name.startswith("..")]
            files = files_under(path)
        else:
            files = [path]
        for found in files:
            try:
                info = os.stat(found)
                seen.append((str(found), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns))
            except OSError as e:
                seen.append((str(found), e.errno))
    return tuple(seen)
