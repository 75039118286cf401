#!/usr/bin/env python3
"""The pictures' cost: one pair's SVG, and a fleet's HTML report against verify-pair --all alone.

    python bench/graph.py                  # 1,000 layouts, 3 runs of each (BENCH_FLEET=N, BENCH_RUNS=N)
    BENCH_JAVA=0 python bench/graph.py     # --model-only only (no JVM deciding)

Targets: `jkstool graph DIR --model-only` ≤ 0.3 s; `verify-pair ROOT --all --format html` ≤ 2× the same
`verify-pair ROOT --all` alone. The fleet is one layout copied BENCH_FLEET times (as bench/run.py makes
it); the runs alternate (A B A B ...) after a warm-up of each, and the medians are printed with the
machine's load, which on a busy machine says how far to trust them.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
FLEET = int(os.environ.get("BENCH_FLEET", "1000"))
JAVA = os.environ.get("BENCH_JAVA", "1") != "0"


def timed(command: list[object]) -> tuple[float, float]:
    """Wall and CPU seconds (this process's children: jkstool, its workers, its JVM)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run([str(c) for c in command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = os.times()
    return time.perf_counter() - start, (after.children_user - before.children_user
                                         + after.children_system - before.children_system)


def alternate(*commands: list[object]) -> list[tuple[float, float]]:
    """Medians (wall, CPU) of each command, run in turn RUNS times after one warm-up each."""
    for command in commands:
        timed(command)
    runs: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(RUNS):
        for found, command in zip(runs, commands, strict=True):
            found.append(timed(command))
    return [(statistics.median(w for w, _ in found), statistics.median(c for _, c in found)) for found in runs]


def main() -> None:
    os.environ["JKSTOOL_STOREPASS"] = "changeit"
    work = Path(tempfile.mkdtemp(prefix="jkstool-bench-graph-"))
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    try:
        source = work / "source"
        subprocess.run(["jkstool", "init-pair", source, "-q"], check=True, stdout=subprocess.DEVNULL)
        (pair,) = alternate(["jkstool", "graph", source, "--model-only", "--output", work / "pair.svg"])
        print(f"| `jkstool graph DIR --model-only --output pair.svg` | {pair[0]:.3f} s | {pair[1]:.3f} s CPU | "
              f"≤ 0.3 s {'met' if pair[0] <= 0.3 else 'MISSED'} |")
        (java,) = alternate(["jkstool", "graph", source, "--output", work / "pair.svg"]) if JAVA else [(0, 0)]
        if JAVA:
            print(f"| `jkstool graph DIR --output pair.svg` (the JDK deciding) | {java[0]:.3f} s | {java[1]:.3f} s CPU "
                  "| |")
        root = work / "fleet"
        for n in range(FLEET):
            shutil.copytree(source, root / f"service-{n:04d}")
        for label, extra in (("--model-only", ["--model-only"]), ("the JDK deciding", []))[:2 if JAVA else 1]:
            alone, html = alternate(["jkstool", "verify-pair", root, "--all", *extra],
                                    ["jkstool", "verify-pair", root, "--all", *extra, "--format", "html",
                                     "--output", work / "fleet.html"])
            ratio = html[0] / alone[0]
            print(f"| fleet of {FLEET:,}, {label}: `verify-pair ROOT --all` | {alone[0]:.1f} s | {alone[1]:.1f} s CPU "
                  f"| |\n| fleet of {FLEET:,}, {label}: `... --format html --output fleet.html` | {html[0]:.1f} s | "
                  f"{html[1]:.1f} s CPU | {ratio:.2f}× (≤ 2× {'met' if ratio <= 2 else 'MISSED'}) |")
        size = (work / "fleet.html").stat().st_size
        print(f"\n- the report of {FLEET:,} pairs: {size / 1e6:.1f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(f"- {os.cpu_count()} cores; load average per core {load:.2f} before, {after:.2f} after; "
          f"{RUNS} runs of each, alternating, after a warm-up; medians", file=sys.stdout)


if __name__ == "__main__":
    main()
