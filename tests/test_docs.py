"""The docs that mirror code: docs/findings.md is the table of finding codes (jkstool.mtls.findings), row
for row; docs/security.md states every limit of jkstool/limits.py."""

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


def test_security_md_states_every_limit_and_its_setting(monkeypatch):
    """docs/security.md's table of limits has each constant of jkstool/limits.py, each setting and its default."""
    from jkstool import limits
    rows = "\n".join(line for line in (DOCS / "security.md").read_text().splitlines() if line.startswith("|"))
    for name, value in vars(limits).items():
        if name.isupper() and isinstance(value, int):
            assert f"{value:,}" in rows or f"{value // 1024} KiB" in rows, name
    for variable in set(re.findall(r"JKSTOOL_MAX_[A-Z_]+", Path(limits.__file__).read_text())):
        monkeypatch.delenv(variable, raising=False)
        assert f"`{variable}`" in rows, variable
    defaults = [limits.max_file_bytes() // 2**20, limits.max_entries(), limits.max_chain(),
                limits.max_kdf_iterations()]
    assert all(f"| {value:,}" in rows or f"| {value} MiB" in rows for value in defaults), defaults


def test_the_long_runs_are_where_the_docs_say():
    text = (DOCS / "reliability.md").read_text()
    assert "bash tests/stress.sh" in text and (DOCS.parent / "tests" / "stress.sh").is_file()
    assert "python tests/hostile.py --scale" in text
