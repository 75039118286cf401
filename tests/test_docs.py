"""Every finding code verify-pair can report is documented with its cause and fix."""

import re
from pathlib import Path

from jkstool.mtls import checks, findings, handshake

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_finding_code_is_documented():
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", (DOCS / "findings.md").read_text(), re.M))
    assert documented == set(findings.CODES)


def test_every_code_the_source_uses_is_registered():
    source = Path(checks.__file__).read_text()
    used = set(re.findall(r'\.add\((?:ERROR|WARNING|INFO), "([a-z-]+)"', source))
    used |= {f"{side}-{kind}" for side in ("server", "client") for kind in ("untrusted", "eku")}
    used |= set(re.findall(r'(?:ERROR|INFO), "(handshake-[a-z]+)"', Path(handshake.__file__).read_text()))
    assert used == set(findings.CODES)
