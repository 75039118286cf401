"""The exporter's soak: `jkstool exporter` over a small fleet, scanning every 200 ms, for N scans; its resident
memory is printed every K scans and must not grow beyond BOUND_MB past the warm-up (docs/exporter.md).

    python tests/soak_exporter.py --scans 1000 --every 50

The test suite runs 12 scans (tests/test_exporter.py). Each scan reads every store afresh and the last
complete scan replaces the one before whole, so memory is flat once the first scans have warmed the caches
(imported modules, cryptography's, the allocator's arenas); a leak of one scan's objects would show as a
steady rise here.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

BOUND_MB = 12.0
"""How much the resident memory may rise from the end of the warm-up to the end of the soak."""
WARM_UP = 5
"""Scans before the baseline is taken."""
PASSWORD = "soak-password"


def _rss_and_scans(port: int) -> tuple[float, int]:
    """(resident memory in MiB, scans completed) as the exporter's own /metrics says them."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    rss = scans = 0.0
    for line in text.splitlines():
        if line.startswith("process_resident_memory_bytes "):
            rss = float(line.split()[1]) / (1 << 20)
        elif line.startswith("jkstool_exporter_scans_total "):
            scans = float(line.split()[1])
    return rss, int(scans)


def soak(folder: Path, scans: int = 1000, every: int = 50, out: Callable[[str], None] = print,
         interval: str = "200ms") -> float:
    """Run the soak in `folder`; the rise of resident memory (MiB) from the warm-up's end to the end. Raises
    AssertionError when it is above BOUND_MB."""
    from jkstool import api
    for name in ("one", "two"):
        api.init_pair(folder / "fleet" / name, password=PASSWORD)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (folder / "soak.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "jkstool", "exporter", "fleet", "--interval", interval,
                                "--storepass", "env:SOAK_STOREPASS", "--model-only", "--listen", f"127.0.0.1:{port}"],
                               cwd=folder, stdout=subprocess.DEVNULL, stderr=log,
                               env={**os.environ, "SOAK_STOREPASS": PASSWORD})
    try:
        baseline = peak = None
        done = shown = 0
        ends = time.monotonic() + 60 + scans * 2
        while done < scans:
            assert process.poll() is None, (folder / "soak.log").read_text()
            assert time.monotonic() < ends, f"only {done} scans in time"
            try:
                rss, done = _rss_and_scans(port)
            except OSError:  # not listening yet
                time.sleep(0.2)
                continue
            if baseline is None and done >= WARM_UP:
                baseline = rss
                out(f"scan {done}: RSS {rss:.1f} MiB (baseline)")
            elif baseline is not None:
                peak = max(peak or rss, rss)
                if done // every > shown:
                    shown = done // every
                    out(f"scan {done}: RSS {rss:.1f} MiB ({rss - baseline:+.1f})")
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, (folder / "soak.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert baseline is not None and peak is not None
    grown = peak - baseline
    out(f"{done} scans: RSS rose {grown:+.1f} MiB past the warm-up (bound {BOUND_MB} MiB)")
    assert grown <= BOUND_MB, f"resident memory rose {grown:.1f} MiB in {done} scans"
    return grown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--every", type=int, default=50, help="print the RSS every N scans")
    parser.add_argument("--interval", default="200ms")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jkstool-soak-") as folder:
        try:
            soak(Path(folder), args.scans, args.every, interval=args.interval)
        except AssertionError as e:
            print(f"FAILED: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
