"""Path-validation cases nobody here wrote — x509-limbo (with Netflix's BetterTLS) and NIST PKITS — put to
a real JDK (tests/java/TrustCases.java) and to jkstool's model, side by side.

Java's answer is the truth, not the case's own expected result: the cases were written for other
validators, and the model's job is to say what Java says. tests/test_x509_corpus.py runs the committed
sample (fixtures/x509-limbo/) and PKITS; the whole corpus runs from the command line:

    python tests/x509_cases.py LIMBO_JSON [JDK_HOME ...]

prints the agreement per JDK (the JDK on PATH when none is given) and every case they disagree on;
`--sample OUT` writes the sample the tests use instead.
"""

import base64
import gzip
import json
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509

from jkstool import der
from jkstool.mtls import jdk as jdks
from jkstool.mtls.peer import judge

_VARIANT = {"SERVER": "tls server", "CLIENT": "tls client"}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    """SERVER (a client checks a server's chain) or CLIENT."""
    trusted: tuple[bytes, ...]
    chain: tuple[bytes, ...]
    """What the peer sends: its certificate, then the untrusted intermediates."""
    at: datetime | None
    """The validation time; None for now."""
    host: str | None
    """The name a client dialled (a DNS name or an IP address), checked as HTTPS clients check it."""


def _der(pem: str) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)


def limbo(path: Path) -> Iterator[Case]:
    """The cases of an x509-limbo limbo.json (plain or gzip)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        document = json.load(f)
    for case in document["testcases"]:
        name = case.get("expected_peer_name") or {}
        at = case.get("validation_time")
        yield Case(case["id"], case["validation_kind"], tuple(_der(p) for p in case["trusted_certs"]),
                   (_der(case["peer_certificate"]), *(_der(p) for p in case["untrusted_intermediates"])),
                   datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None,
                   name.get("value") if name.get("kind") in ("DNS", "IP") else None)


def sample(path: Path) -> Iterator[Case]:
    """The cases of a sample written by `write_sample`."""
    with gzip.open(path, "rt") as f:
        for case in json.load(f)["cases"]:
            yield Case(case["id"], case["kind"], tuple(base64.b64decode(c) for c in case["trusted"]),
                       tuple(base64.b64decode(c) for c in case["chain"]),
                       datetime.fromisoformat(case["at"]) if case["at"] else None, case["host"])


def write_sample(cases: Iterable[Case], path: Path, every: int = 25) -> int:
    """Every case of limbo's own suites and one in `every` of BetterTLS's thousands, as gzip'd JSON."""
    chosen = [c for i, c in enumerate(cases) if not c.id.startswith("bettertls::") or i % every == 0]
    document = {"cases": [{"id": c.id, "kind": c.kind, "trusted": [base64.b64encode(t).decode() for t in c.trusted],
                           "chain": [base64.b64encode(t).decode() for t in c.chain],
                           "at": c.at.isoformat() if c.at else None, "host": c.host} for c in chosen]}
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(json.dumps(document, separators=(",", ":")).encode())
    return len(chosen)


def pkits(folder: Path) -> Iterator[Case]:
    """NIST PKITS (cryptography-vectors' PKITS_data/certs): each end-entity certificate is a case, sent
    with the certificates its issuer names reach (the trust anchor apart), checked as a server's chain."""
    loaded = {p.name: p.read_bytes() for p in sorted(folder.glob("*.crt"))}
    anchor = loaded.pop("TrustAnchorRootCertificate.crt")
    by_subject: dict[bytes, list[bytes]] = {}
    for name, data in loaded.items():
        if not name.endswith("EE.crt"):
            by_subject.setdefault(_issuer_and_subject(data)[1], []).append(data)
    for name, data in loaded.items():
        if name.endswith("EE.crt"):
            yield Case(f"pkits::{name.removesuffix('.crt')}", "SERVER", (anchor,), (data, *_reached(data, by_subject)),
                       None, None)


def _issuer_and_subject(data: bytes) -> tuple[bytes, bytes]:
    """Read from the DER itself: some PKITS certificates (DSA keys inheriting their parameters) are more
    than cryptography reads."""
    fields = der.items(der.items(der.decode(data, der.SEQUENCE))[0][1])
    at = 1 if fields[0][0] == der.context(0) else 0
    return fields[at + 2][1], fields[at + 4][1]


def _reached(leaf: bytes, by_subject: dict[bytes, list[bytes]]) -> list[bytes]:
    found: list[bytes] = []
    todo = [leaf]
    while todo:
        for data in by_subject.get(_issuer_and_subject(todo.pop())[0], []):
            if data not in found:
                found.append(data)
                todo.append(data)
    return found


class JavaJudge:
    """tests/java/TrustCases.java in one JVM of the given JDK: Java's verdict on many cases."""

    def __init__(self, java: str, classes: Path):
        self.process = subprocess.Popen([java, "-cp", str(classes), "TrustCases"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def __call__(self, case: Case) -> str:
        """"OK", or "FAILED " and Java's exception."""
        fields = [case.kind, str(round(case.at.timestamp() * 1000)) if case.at else "", case.host or "",
                  str(len(case.trusted)), *(base64.b64encode(c).decode() for c in (*case.trusted, *case.chain))]
        self.process.stdin.write("\0".join(fields) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


def model(case: Case, jdk: jdks.Jdk) -> str:
    """jkstool's verdict: "OK", or the finding code of why Java would refuse."""
    problem = judge(case.chain, case.trusted, _VARIANT[case.kind], jdk, case.at or datetime.now(timezone.utc),
                    case.host, sent=False)
    return "OK" if problem is None else problem.code


@dataclass
class Tally:
    agreed: int = 0
    disagreed: list[tuple[str, str, str]] = field(default_factory=list)
    """(case, Java's answer, the model's) where one accepts and the other refuses."""

    @property
    def total(self) -> int:
        return self.agreed + len(self.disagreed)


def compare(cases: Iterable[Case], java: JavaJudge, jdk: jdks.Jdk) -> Tally:
    """Each case to Java and to the model; they agree when both accept or both refuse."""
    tally = Tally()
    for case in cases:
        truth, ours = java(case), model(case, jdk)
        if (truth == "OK") == (ours == "OK"):
            tally.agreed += 1
        else:
            tally.disagreed.append((case.id, truth, ours))
    return tally


def _java_classes() -> Path:
    import tempfile
    classes = Path(tempfile.mkdtemp(prefix="trust-cases-"))
    subprocess.run(["javac", "-d", str(classes), str(Path(__file__).parent / "java" / "TrustCases.java")], check=True)
    return classes


def main(argv: list[str]) -> int:
    import argparse
    import shutil
    parser = argparse.ArgumentParser(prog="python tests/x509_cases.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("limbo", type=Path, help="x509-limbo's limbo.json (with the BetterTLS cases)")
    parser.add_argument("homes", nargs="*", type=Path, help="JDK homes to judge (default: the java on PATH)")
    parser.add_argument("--sample", type=Path, help="write the tests' sample here instead")
    args = parser.parse_args(argv)
    cases = list(limbo(args.limbo))
    if args.sample:
        print(f"{write_sample(cases, args.sample)} of {len(cases)} cases written to {args.sample}")
        return 0
    classes = _java_classes()
    homes = args.homes or [Path(shutil.which("java") or "java").resolve().parent.parent]
    for home in homes:
        java = JavaJudge(str(home / "bin" / "java"), classes)
        tally = compare(cases, java, jdks.find(str(home)))
        java.close()
        print(f"{home}: {tally.agreed} of {tally.total} agree ({100 * tally.agreed / tally.total:.2f} %)")
        for case_id, truth, ours in tally.disagreed:
            print(f"  {case_id}: Java {truth}; model {ours}")
    return 0


if __name__ == "__main__":
    import sys
    raise SystemExit(main(sys.argv[1:]))
