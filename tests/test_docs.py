"""docs/findings.md is the table of finding codes in the code (jkstool.mtls.findings), row for row."""

import re
from pathlib import Path

from jkstool.mtls.findings import RULES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def row(rule) -> str:
    return f"| `{rule.code}` | {rule.severity} | {rule.cause} | {rule.java or '—'} | {rule.fix or '—'} |"


def test_findings_md_has_each_rule_as_defined():
    text = (DOCS / "findings.md").read_text()
    missing = [rule.code for rule in RULES.values() if row(rule) not in text.splitlines()]
    assert not missing, "docs/findings.md rows differ from jkstool/mtls/findings.py: " + ", ".join(missing)


def test_findings_md_documents_no_other_code():
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", (DOCS / "findings.md").read_text(), re.M))
    assert documented == set(RULES)
