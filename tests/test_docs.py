"""Every finding code verify-pair can report is documented with its cause and fix."""

import re
from pathlib import Path

from jkstool import verify

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_finding_code_is_documented():
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", (DOCS / "findings.md").read_text(), re.M))
    assert documented == set(verify.CODES)


def test_every_code_the_source_uses_is_registered():
    source = (Path(verify.__file__).read_text())
    used = set(re.findall(r'\.add\((?:ERROR|WARNING|INFO), "([a-z-]+)"', source))
    used |= {f"{side}-{kind}" for side in ("server", "client") for kind in ("untrusted", "eku")}
    cli = (Path(verify.__file__).parent / "cli" / "verifypair.py").read_text()
    used |= set(re.findall(r'(?:ERROR|INFO), "(handshake-[a-z]+)"', cli))
    assert used == set(verify.CODES)
