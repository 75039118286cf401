#!/usr/bin/env python3
"""jkstool against keytool, side by side: medians of alternating runs, and their ratios.

    python bench/run.py            # 5 runs of each command (BENCH_RUNS=N for more)
    BENCH_FLEET=0 python bench/run.py   # without the fleet part (1,000 layouts: several minutes)

It builds its own inputs in a temporary folder (the JDK's cacerts is read where the JDK keeps
it; 1,000- and 10,000-certificate bundles and a layout are generated), runs each jkstool
command and its keytool counterpart in turn (A B A B ...), and prints a Markdown table of
medians and ratios against the targets, then the machine it ran on. Needs jkstool and keytool
on the PATH.
"""

import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
FLEET = int(os.environ.get("BENCH_FLEET", "1000"))
KEYTOOL_SAMPLE = 40  # stores keytool lists one by one; the loop over a whole fleet is this per store
PASSWORD = "changeit"
HERE = Path(__file__).resolve().parent


def bundle(path: Path, count: int) -> Path:
    """`count` self-signed CA certificates in one PEM file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    with path.open("wb") as out:
        for n in range(count):
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Bench CA {n}")])
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(n + 1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
                    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                    .sign(key, hashes.SHA256()))
            out.write(cert.public_bytes(serialization.Encoding.PEM))
    return path


def timed(command, setup=None) -> float:
    if setup:
        setup()
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(a, b=None, setup=None):
    """Medians of A (and B, alternating with A); one warm-up run of each first."""
    timed(a, setup)
    if b:
        timed(b, setup)
    times_a, times_b = [], []
    for _ in range(RUNS):
        times_a.append(timed(a, setup))
        if b:
            times_b.append(timed(b, setup))
    return statistics.median(times_a), statistics.median(times_b) if b else None


def cacerts() -> Path:
    keytool = Path(os.path.realpath(shutil.which("keytool")))
    return Path(os.path.realpath(keytool.parent.parent / "lib" / "security" / "cacerts"))


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    version = subprocess.run(["jkstool", "--version"], capture_output=True, text=True).stdout.strip()
    return [f"CPU: {cpu} ({os.cpu_count()} cores)", f"OS: {platform.platform()}",
            f"Python: {platform.python_version()}", f"JDK: {java}", f"{version}",
            f"runs: {RUNS} of each, alternating, after one warm-up; medians"]


def load() -> float:
    """The 1-minute load average per core: a busy machine slows keytool (a JVM) more than jkstool, so its
    ratios flatter jkstool; figures for the docs come from a run on an idle machine."""
    return os.getloadavg()[0] / (os.cpu_count() or 1)


def main() -> None:
    os.environ["JKSTOOL_STOREPASS"] = PASSWORD
    work = Path(tempfile.mkdtemp(prefix="jkstool-bench-"))
    before = load()
    try:
        run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = load()
    print(f"- load average per core: {before:.2f} before, {after:.2f} after")
    if max(before, after) > 0.25:
        print("warning: the machine was busy (load above 0.25 per core): measure again on an idle machine "
              "before quoting these figures", file=sys.stderr)


def run(work: Path) -> None:
    kt = ["keytool", "-list", "-storepass", PASSWORD, "-keystore"]
    rows, growth = [], []

    def compare(name, a, b, target, setup=None):
        ja, kb = measure(a, b, setup)
        rows.append((name, ja, kb, ja / kb, target))
        print(f"  {name}: {ja:.3f} s vs {kb:.3f} s", file=sys.stderr)

    print("measuring...", file=sys.stderr)
    store = cacerts()
    compare(f"list the JDK cacerts ({store})", ["jkstool", "list", store], kt + [str(store)], 0.5)

    layout_j, layout_k = work / "layout-jkstool", work / "layout-keytool"
    compare("init-pair (EC, PKCS12) vs the keytool recipe", ["jkstool", "init-pair", layout_j],
            ["bash", HERE / "keytool-layout.sh", layout_k], 0.1,
            setup=lambda: shutil.rmtree(layout_j, ignore_errors=True))

    times = {}
    for count in (1_000, 10_000):
        pem = bundle(work / f"bundle-{count}.pem", count)
        truststore = work / f"trust-{count}.jks"
        times["import-ca", count] = measure(["jkstool", "import-ca", truststore, pem],
                                            setup=lambda t=truststore: t.unlink(missing_ok=True))[0]
        times["list", count], keytool_list = measure(["jkstool", "list", truststore], kt + [str(truststore)])
        if count == 10_000:
            rows.append(("list a 10,000-certificate truststore (table)", times["list", count], keytool_list,
                         times["list", count] / keytool_list, 0.3))
        pair = work / f"pair-{count}"
        subprocess.run(["jkstool", "init-pair", pair], capture_output=True, check=True)
        subprocess.run(["jkstool", "import-ca", pair / "server.truststore.jks", pem], capture_output=True,
                       check=True)
        times["verify-pair", count] = measure(["jkstool", "verify-pair", pair])[0]
        print(f"  {count} certificates: done", file=sys.stderr)
    for command in ("import-ca", "list", "verify-pair"):
        small, large = times[command, 1_000], times[command, 10_000]
        growth.append((command, small, large, large / small))
    starts = {flag: measure(["jkstool", flag])[0] for flag in ("--version", "--help")}
    fleet_rows = fleet(work, kt) if FLEET else []

    print("| command | jkstool | keytool | ratio | target |\n| --- | ---: | ---: | ---: | --- |")
    for name, a, b, ratio, target in rows:
        verdict = "met" if ratio <= target else "MISSED"
        print(f"| {name} | {a:.3f} s | {b:.3f} s | {ratio:.2f}× | ≤ {target}× {verdict} |")
    print("\n| jkstool command | 1,000 certificates | 10,000 certificates | growth | target |\n"
          "| --- | ---: | ---: | ---: | --- |")
    for command, small, large, ratio in growth:
        verdict = "met" if ratio <= 12 else "MISSED"
        print(f"| {command} | {small:.3f} s | {large:.3f} s | {ratio:.1f}× | ≤ 12× {verdict} |")
    if fleet_rows:
        print(f"\n| fleet, {FLEET:,} layouts ({4 * FLEET:,} stores) | jkstool | one keytool -list -v a store | ratio "
              "| target | 100 layouts | growth (≤ 12×) |\n| --- | ---: | ---: | ---: | --- | ---: | ---: |")
        for name, big, loop, small in fleet_rows:
            verdict = "met" if big / loop <= 0.02 else "MISSED"
            print(f"| {name} | {big:.1f} s | {loop:.0f} s | {big / loop:.3f}× | ≤ 0.02× {verdict} | {small:.2f} s "
                  f"| {big / small:.1f}× |")
        print(f"\n(the keytool loop is timed on {KEYTOOL_SAMPLE} stores and multiplied out: a JVM per store "
              "costs the same for every store; fleet commands run once each)")
    print("\n| start-up | jkstool |\n| --- | ---: |")
    for flag, seconds in starts.items():
        print(f"| `jkstool {flag}` | {seconds:.3f} s |")
    print("\n" + "\n".join(f"- {line}" for line in machine()))


def fleet(work: Path, kt: list[str]) -> list[tuple[str, float, float, float]]:
    """expiry and verify-pair --all over 100 and FLEET copies of a layout, against one keytool -list -v a store."""
    source = work / "fleet-source"
    subprocess.run(["jkstool", "init-pair", source], capture_output=True, check=True)
    roots = {}
    for count in (100, FLEET):
        root = roots[count] = work / f"fleet-{count}"
        for n in range(count):
            shutil.copytree(source, root / f"service-{n:04d}")
    stores = sorted(roots[100].rglob("*.p12"))[:KEYTOOL_SAMPLE]
    start = time.perf_counter()
    for store in stores:
        subprocess.run([*kt[:2], "-v", *kt[2:], str(store)], stdout=subprocess.DEVNULL, check=True)
    loop = (time.perf_counter() - start) / len(stores) * 4 * FLEET
    rows = []
    for name, command in (("expiry ROOT", ["jkstool", "expiry", "--within", "0"]),
                          ("verify-pair ROOT --all (Java deciding)", ["jkstool", "verify-pair", "--all"]),
                          ("verify-pair ROOT --all --model-only", ["jkstool", "verify-pair", "--all", "--model-only"])):
        small, big = (timed([*command[:2], roots[count], *command[2:]]) for count in (100, FLEET))
        rows.append((name, big, loop, small))
        print(f"  fleet {name}: {big:.1f} s for {FLEET} layouts", file=sys.stderr)
    return rows


if __name__ == "__main__":
    main()
