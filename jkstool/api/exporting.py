"""A long-running exporter's scans: `expiry` and `verify_fleet` again and again, each scan whole, the last
complete one kept for the scrapes (`jkstool exporter`; the state and the schedule are fleet.exporter's).
"""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .checks import expiry, verify_fleet

if TYPE_CHECKING:  # the modules behind them import cryptography
    from ..fleet.expiry import Scan
    from ..fleet.exporter import Exporter, FleetScan
    from ..fleet.pairs import Fleet

__all__ = ["exporter"]

StrPath = str | Path


def exporter(paths: Iterable[StrPath], *, interval: float = 300, password: str | None = None,
             passwords: Callable[[Path], str | None] | None = None, password_map: StrPath | None = None,
             within: int = 30, jdk: str | None = None, java_security: StrPath | None = None,
             model_only: bool = False, on_scan: "Callable[[FleetScan], None] | None" = None,
             log: Callable[[str], None] | None = None) -> "Exporter":
    """An `Exporter` (not started: call `start()`, and `stop()` at the end) that scans `paths` at start,
    every `interval` seconds and when a file it would read changes (polled each second, through links: a
    Kubernetes Secret volume's update is seen): each scan is `expiry(paths)` and `verify_fleet(folder)` for
    each folder of `paths` that holds pairs, a `FleetScan`. `latest` is the last complete scan, replaced
    whole when the next one completes; `on_scan(scan)` is called with each, in the scanning thread, before
    it is `latest`; `log` gets a line per scan (counts and reason codes: no password, no message read from
    a file).

    A store opens with the password `passwords(path)` gives, else the one the password map
    `password_map` gives (read again at each scan, with the files it names, so a rotated password is
    followed; a change to the map is a change too), else its layout's own, else `password`. Pairs are
    named as verify_fleet names them under their folder, behind the folder when `paths` are several.
    `within` is the days of the log's "expiring within" and the pairs' warnings; `jdk`,
    `java_security` and `model_only` are verify_pair's.

    >>> import tempfile
    >>> from jkstool import api
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = api.init_pair(root / "payments", password="changeit")
    >>> watching = exporter([root], interval=60, password="changeit", model_only=True)
    >>> watching.start()
    >>> scan = watching.wait(1, timeout=60)
    >>> scan.pairs, scan.failing, scan.expiry.files > 4
    (1, 0, True)
    >>> watching.stop(timeout=10)
    True
    """
    from ..fleet.exporter import Exporter, fingerprint
    from ..fleet.pairs import find_pairs
    from ..passwords import PasswordMap
    roots = [Path(p) for p in paths]
    if not roots:
        from ..errors import JkstoolError
        raise JkstoolError("no path to scan", "give the stores or the folders that hold them")
    mapped = Path(password_map) if password_map is not None else None
    if mapped is not None:
        PasswordMap(mapped)  # a map that cannot be used fails now, before the loop

    def lookup() -> Callable[[Path], str | None] | None:
        if mapped is None:
            return passwords
        found = PasswordMap(mapped)
        if passwords is None:
            return found
        given = passwords
        return lambda path: given(path) or found(path)

    def scanner(checkpoint: Callable[[], None]) -> "tuple[Scan, list[Fleet]]":
        chosen = lookup()
        scan = expiry(roots, password=password, passwords=chosen, progress=lambda _: checkpoint())
        fleets = []
        for root in roots:
            if not root.is_dir() or not find_pairs(root):
                continue
            checkpoint()
            fleet = verify_fleet(root, password=password, passwords=chosen, warn_days=within, jdk=jdk,
                                 java_security=java_security, model_only=model_only,
                                 progress=lambda _: checkpoint())
            if len(roots) > 1:
                for pair in fleet.pairs:
                    pair.name = str(root / (pair.name or ""))
            fleets.append(fleet)
        return scan, fleets

    def watched() -> object:
        return fingerprint(roots, [mapped] if mapped is not None else [])

    return Exporter(scanner, watched, interval, within=within, on_scan=on_scan, log=log)
