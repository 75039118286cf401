"""Hostile input to the fleet commands and their reports: each ends in a result or one error line (exit 2),
in bounded time and memory, and a report a collector reads is always written.

Kubernetes Secrets given as YAML with an alias bomb; a pair whose layout.json no parser reads among good
pairs; file names that are not UTF-8; certificate names that hold characters XML does not allow.
"""

import json
import os
from pathlib import Path
from xml.etree import ElementTree

import hostile
import pytest
from cryptography.hazmat.primitives import serialization
from helpers import PASSWORD, certificate, new_key, run
from hostile import measure
from test_fleet import SCHEMA, _metrics, make_pair

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


def _alias_bomb(levels: int = 9) -> str:
    """A Secret of `levels` lists of nine aliases of the list before (tests/hostile.py's)."""
    return hostile.yaml_alias_bomb(levels - 8).decode()


def test_a_yaml_alias_bomb_in_secrets_is_one_line_in_bounded_memory(tmp_path):
    """kubectl get secret -o yaml | jkstool expiry -, and verify-pair FILE (its report written too)."""
    bomb = _alias_bomb()
    assert len(bomb) < 700
    source = tmp_path / "secrets.yaml"
    source.write_text(bomb)
    said = ("more than 1,000,000 values once its YAML aliases are followed (an alias bomb?) (give what kubectl "
            "get secret -o json (or -o yaml) prints)")
    with source.open("rb") as stdin:
        piped = measure(["expiry", "-"], ENV, timeout=15, stdin=stdin)
    assert piped.code == 2 and piped.stderr.splitlines() == [f"error: stdin: {said}"], piped.stderr
    assert piped.seconds < 15 and piped.peak_mib < 300, (piped.seconds, piped.peak_mib)
    source.write_text(_alias_bomb(7))  # 9**7 values still: in this process, a smaller one should it expand
    report = tmp_path / "pair.prom"
    named = run("verify-pair", source, "--model-only", "--format", "prometheus", "--output", report, env=ENV)
    assert named.exit_code == 2 and named.stderr.splitlines() == [f"error: {source}: {said}"], named.output
    assert [value for _, value in _metrics(report.read_text())["jkstool_pair_ok"]] == [0]


def test_secrets_within_the_yaml_limits_still_read(tmp_path):
    """Aliases kubectl never writes, but a person may: followed, within the limits, as before."""
    import base64

    from jkstool import api
    from jkstool.api.secrets import split_secrets
    folder = tmp_path / "tls"
    make_pair(folder)
    stores = {f"{kind}.p12": base64.b64encode((folder / f"server.{kind}.p12").read_bytes()).decode()
              for kind in ("keystore", "truststore")}
    source = tmp_path / "secrets.yaml"
    source.write_text("apiVersion: v1\nkind: List\nitems:\n"
                      f"- {{apiVersion: v1, kind: Secret, metadata: {{name: a}}, data: &stores {json.dumps(stores)}}}\n"
                      "- {apiVersion: v1, kind: Secret, metadata: {name: b}, data: *stores}\n")
    _, found = split_secrets([source], password=PASSWORD)
    assert sorted(f.name.rpartition("#")[2] for f in found) == \
        ["a/keystore.p12", "a/truststore.p12", "b/keystore.p12", "b/truststore.p12"]
    scanned = api.expiry([], secrets=found)
    assert scanned.errors == [] and len(scanned.certificates) == 3


@pytest.mark.parametrize("gives_out", ["in-the-reader", "beyond-it"])
def test_a_pair_no_parser_reads_is_a_row_of_a_report_written_with_the_good_ones(tmp_path, monkeypatch, gives_out):
    """layout.json of 200,000 open brackets (the JSON parser's recursion gives out) among good pairs: the
    textfile report is replaced, the pair unreadable in it (not ok, a read error), the others ok, exit 2.
    Whether the layout reader turns that into its error or the RecursionError gets past it (beyond-it)."""
    root = tmp_path / "fleet"
    for name in ("a-good", "b-hostile", "c-good"):
        make_pair(root / name)
    (root / "b-hostile" / "layout.json").write_text("[" * 200_000)
    if gives_out == "beyond-it":
        from jkstool.layout.manifest import Layout

        def opened(folder):
            raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")
        monkeypatch.setattr(Layout, "open", opened)
    report = tmp_path / "textfile" / "jkstool.prom"
    report.parent.mkdir()
    report.write_text('jkstool_pair_ok{pair="b-hostile"} 1\n')
    result = run("verify-pair", root, "--all", "--model-only", "--format", "prometheus", "--output", report, env=ENV)
    assert result.exit_code == 2, result.output
    (said,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert said.startswith(f"error: {root / 'b-hostile'}") and "Traceback" not in result.output
    metrics = _metrics(report.read_text())
    assert {labels["pair"]: value for labels, value in metrics["jkstool_pair_ok"]} == \
        {"a-good": 1, "b-hostile": 0, "c-good": 1}
    (errors,) = metrics["jkstool_read_errors"]
    assert Path(errors[0]["filepath"]).is_relative_to(root / "b-hostile") and errors[1] == 1
    assert errors[0]["reason"] == {"in-the-reader": "damaged", "beyond-it": "unexpected"}[gives_out]
    assert sorted(p.name for p in report.parent.iterdir()) == ["jkstool.prom"]
    junit = tmp_path / "pairs.xml"
    result = run("verify-pair", root, "--all", "--model-only", "--format", "junit", "--output", junit, env=ENV)
    assert result.exit_code == 2, result.output
    import xmlschema
    xmlschema.XMLSchema(SCHEMA).validate(junit.read_text())
    cases = {case.get("name"): case for case in ElementTree.parse(junit).iter("testcase")}
    assert set(cases) == {"a-good", "b-hostile", "c-good"}
    assert cases["b-hostile"].find("error") is not None
    assert all(len(cases[name]) == 0 for name in ("a-good", "c-good"))


def test_a_file_name_that_is_not_utf8_is_listed_in_every_output(tmp_path):
    """bad\\xff.p12 in a scanned folder: its certificates, and a damaged store's error, in the table, JSON,
    Prometheus and JUnit, the name's bytes that are not UTF-8 as backslash escapes."""
    made = tmp_path / "made"
    make_pair(made)
    folder = tmp_path / "scan"
    folder.mkdir()
    bad = os.fsdecode(os.fsencode(folder) + b"/bad\xff.p12")
    Path(bad).write_bytes((made / "client.keystore.p12").read_bytes())
    damaged = os.fsdecode(os.fsencode(folder) + b"/damaged\xfe.p12")
    Path(damaged).write_bytes((made / "client.truststore.p12").read_bytes()[:200])
    shown, shown_damaged = f"{folder}/bad\\xff.p12", f"{folder}/damaged\\xfe.p12"
    table = run("expiry", folder, env={**ENV, "COLUMNS": "500"})
    assert table.exit_code == 2 and f"{shown}: client" in table.stdout, table.output
    assert table.stderr.startswith(f"error: {shown_damaged}: ")
    listed = json.loads(run("expiry", folder, "--json", env=ENV).stdout)
    assert {c["path"] for c in listed["certificates"]} == {shown} and \
        [e["path"] for e in listed["errors"]] == [shown_damaged]
    report = tmp_path / "expiry.prom"
    assert run("expiry", folder, "--format", "prometheus", "--output", report, env=ENV).exit_code == 2
    metrics = _metrics(report.read_text())
    assert {labels["filepath"] for labels, _ in metrics["x509_cert_not_after"]} == {shown}
    assert [labels["filepath"] for labels, _ in metrics["jkstool_read_errors"]] == [shown_damaged]
    junit = run("expiry", folder, "--format", "junit", env=ENV)
    cases = {(case.get("classname"), case.get("name"))
             for case in ElementTree.fromstring(junit.stdout).iter("testcase")}
    assert (shown, "client: CN=client") in cases and (shown_damaged, "read") in cases
    root = tmp_path / "fleet"
    root.mkdir()
    os.rename(made, os.fsdecode(os.fsencode(root) + b"/pair\xff"))  # a pair folder named so: verify-pair --all
    pairs = tmp_path / "pairs.prom"
    checked = run("verify-pair", root, "--all", "--model-only", "--format", "prometheus", "--output", pairs, env=ENV)
    assert checked.exit_code == 0, checked.output
    assert _metrics(pairs.read_text())["jkstool_pair_ok"] == [({"pair": "pair\\xff"}, 1)]
    judged = run("verify-pair", os.fsdecode(os.fsencode(root) + b"/pair\xff"), env=ENV)  # Java opens it too
    assert judged.exit_code == 0 and "decided by JSSE" in " ".join(judged.stdout.split()), judged.output


XML_ILLEGAL = "bad\uffff\x00\x08\ufffe end"


def test_characters_xml_does_not_allow_leave_junit_well_formed(tmp_path):
    """A certificate whose CN holds U+FFFF, U+FFFE, NUL and a backspace, and a pair folder named with them:
    the JUnit reports parse and validate, those characters escaped."""
    import xmlschema
    cert = certificate(new_key("ec"), XML_ILLEGAL, ca=True, days=10)
    pem = tmp_path / "ca.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    expiry = run("expiry", pem, "--format", "junit")
    assert expiry.exit_code == 1, expiry.output
    root = tmp_path / "fleet"
    make_pair(root / "team\uffff\x01\ufffe")
    (root / "team\uffff\x01\ufffe" / "client.truststore.p12").write_bytes(b"\x30\x03\x02\x01\x03")
    pairs = run("verify-pair", root, "--all", "--model-only", "--format", "junit", env=ENV)
    assert pairs.exit_code == 2, pairs.output
    for report in (expiry.stdout, pairs.stdout):
        xmlschema.XMLSchema(SCHEMA).validate(report)
        texts = [value for element in ElementTree.fromstring(report).iter()
                 for value in [*element.attrib.values(), element.text or ""]]
        assert not any(c in text for text in texts for c in "\uffff\ufffe\x00\x08\x01")
    (case,) = ElementTree.fromstring(expiry.stdout).iter("testcase")
    assert case.find("failure").text.endswith("issuer CN=bad\\uffff\\00\\x08\\ufffe end")
    (case,) = ElementTree.fromstring(pairs.stdout).iter("testcase")
    assert case.get("name") == "team\\uffff\\x01\\ufffe" and case.find("error") is not None


def test_the_yaml_limits_hold_for_a_whole_input_of_many_documents(tmp_path):
    """Small bombs in many documents: the limits count the input, not each document."""
    source = tmp_path / "secrets.yaml"
    source.write_text("---\n".join([_alias_bomb(6)] * 200))  # 9**6 values each: 200 of them, a hundred million
    outcome = measure(["expiry", source], ENV, timeout=30)
    assert outcome.code == 2 and "alias bomb" in outcome.stderr and outcome.seconds < 10, outcome


def test_a_junit_suite_counts_its_failure_elements():
    """A pair of two error findings: one <failure> (both in its text), and failures="1" says the same."""
    from jkstool.cli import reports
    text = reports.junit("s", [("pair", "a", [("failure", "one", "first"), ("failure", "two", "second")]),
                               ("pair", "b", [])])
    suite = ElementTree.fromstring(text)
    assert suite.get("failures") == str(len(suite.findall(".//failure"))) == "1"
    failure = suite.find(".//failure")
    assert failure.get("message") == "one (and 1 more)" and "two: second" in failure.text
