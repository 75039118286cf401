"""Outputs are contracts: what scripts, collectors and CI read from jkstool keeps its shape.

Every `--json` output is run for real, on one layout and the stores made from it, and validated against
its JSON Schema (docs/schemas/, draft 2020-12), which names its version ("schema": "jkstool/NAME/N");
every command with --json has one. The Prometheus reports parse with Prometheus's own parser, their
metric names and reason codes as docs/fleet.md lists them; each JUnit suite counts the elements it holds.
"""

import copy
import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from helpers import PASSWORD, run

from jkstool.cli.schemas import VERSIONS, tag
from jkstool.fleet.reasons import REASONS

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas"
ENV = {"JKSTOOL_STOREPASS": PASSWORD}
KEYPASS = "env:JKSTOOL_STOREPASS"  # the CA key and exported keys are encrypted with the store password


def _cases(work: Path) -> list[tuple[str, list[object]]]:
    """(output, jkstool arguments) in the order they run: each case uses what the ones before it made."""
    tls, g = work / "tls", work / "g.p12"
    return [
        ("list", ["list", tls / "server.keystore.p12"]),
        ("list", ["list", tls / "server.truststore.p12", "-v"]),
        ("compat", ["compat", tls / "server.keystore.p12"]),
        ("expiry", ["expiry", work]),
        ("verify-pair", ["verify-pair", tls, "--model-only", "--first-break"]),
        ("verify-pair", ["verify-pair", tls, "--model-only", "--at", "2100-01-01"]),
        ("verify-pair-all", ["verify-pair", work, "--all", "--model-only"]),
        ("graph", ["graph", tls, "--model-only"]),
        ("graph", ["graph", tls, "--model-only", "--at", "2100-01-01"]),  # broken: findings on nodes and edges
        ("genkey", ["genkey", g, "--alias", "g", "--cn", "g.example", "--san", "DNS:g.example"]),
        ("csr", ["csr", g, "--alias", "g", "--out", work / "g.csr"]),
        ("csr", ["csr", g, "--alias", "g"]),
        ("sign", ["sign", work / "g.csr", "--ca-cert", tls / "ca" / "server-ca.pem", "--ca-key",
                  tls / "ca" / "server-ca-key.pem", "--ca-keypass", KEYPASS, "--profile", "server", "--out",
                  work / "g.pem"]),
        ("import-reply", ["import-reply", g, work / "g.pem", "--alias", "g"]),
        ("export", ["export", g, "--alias", "g", "--chain", work / "chain.pem", "--key", work / "key.pem"]),
        ("export", ["export", g]),
        ("import-key", ["import-key", work / "k.p12", "--alias", "k", "--key", work / "key.pem", "--cert",
                        work / "chain.pem", "--src-keypass", KEYPASS]),
        ("copy", ["copy", g, work / "c.p12", "--alias", "g", "--dest-alias", "copied"]),
        ("rename", ["rename", work / "c.p12", "--alias", "copied", "--dest-alias", "renamed"]),
        ("delete", ["delete", work / "c.p12", "--alias", "renamed"]),
        ("passwd", ["passwd", work / "k.p12", "--alias", "k", "--new-keypass", "pass:another-one"]),
        ("passwd", ["passwd", g, "--new-storepass", KEYPASS]),
        ("convert", ["convert", g, work / "g.jks"]),
        ("import-ca", ["import-ca", work / "t.p12", tls / "ca" / "client-ca.pem"]),
        ("import-ca", ["import-ca", work / "t.p12", work / "chain.pem"]),  # a leaf skipped, a CA added
        ("renew", ["renew", tls, "--side", "server"]),
        ("add-client", ["add-client", tls, "--cn", "partner"]),
        ("revoke", ["revoke", tls, "--alias", "partner"]),
        ("rollover-ca-status", ["rollover-ca", tls, "--status"]),
        ("rollover-ca", ["rollover-ca", tls, "--side", "client"]),
        ("rollover-ca-status", ["rollover-ca", tls, "--status"]),
        ("restore", ["restore", tls]),
        ("doctor", ["doctor", work / "application.yml"]),
        ("printcert", ["printcert", tls / "ca" / "server-ca.pem"]),
        ("convert-layout", ["convert", tls, "--store-type", "jks"]),
    ]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A layout with separate CAs (`tls`), a pair folder no reader takes (`broken`) and a damaged store
    among them, a Spring Boot configuration of the layout's server: what the cases start from. Returns
    the folder and init-pair's JSON."""
    folder = tmp_path_factory.mktemp("contracts")
    made = run("init-pair", folder / "tls", "--separate-cas", "--json", env=ENV)
    assert made.exit_code == 0, made.output
    (folder / "broken").mkdir()
    (folder / "broken" / "server.keystore.p12").write_bytes((folder / "tls" / "server.keystore.p12").read_bytes()[:90])
    (folder / "damaged.p12").write_bytes((folder / "tls" / "client.truststore.p12").read_bytes()[:200])
    (folder / "application.yml").write_text(run("snippet", "spring-boot", folder / "tls", env=ENV).stdout)
    return folder, json.loads(made.stdout)


def _read_until(stream, enough, seconds: float = 30) -> str:
    """What a child process writes to `stream` until `enough(text)` says it has all it needs (or it stops)."""
    text = ""
    while not enough(text) and select.select([stream], [], [], seconds)[0]:
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            break
        text += chunk.decode()
    return text


def _served(tls: Path, work: Path) -> dict[str, list[dict]]:
    """serve's JSON for two clients, and probe's for each: the layout's own client, and one that trusts what
    the server presents (--save-chain)."""
    process = subprocess.Popen([sys.executable, "-m", "jkstool", "serve", tls, "--port", "0", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **ENV})
    try:
        said = _read_until(process.stderr, lambda text: re.search(r"listening on 127\.0\.0\.1:\d+;", text))
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+);", said)[1])
        client = ["--keystore", tls / "client.keystore.p12", "--truststore", tls / "client.truststore.p12"]
        probed = [run("probe", f"127.0.0.1:{port}", "--servername", "localhost", *extra, "--json", env=ENV)
                  for extra in (client, [*client, "--save-chain", work / "saved.p12"])]
        assert all(result.exit_code == 0 for result in probed), [result.output for result in probed]
        served = _read_until(process.stdout, lambda text: text.count("\n}\n") == len(probed))
    finally:
        process.kill()
        process.wait()
    return {"probe": [json.loads(result.stdout) for result in probed],
            "serve": [json.loads(document + "}") for document in served.split("\n}\n")[:-1]]}


@pytest.fixture(scope="module")
def outputs(work) -> dict[str, list[dict]]:
    """Every case's JSON, by output name: each command run once, in order, on the same files."""
    folder, made = work
    found: dict[str, list[dict]] = {"init-pair": [made], **_served(folder / "tls", folder)}
    for name, args in _cases(folder):
        result = run(*args, "--json", env=ENV)
        assert result.exit_code in (0, 1, 2) and result.stdout.startswith("{"), (args, result.output)
        found.setdefault(name, []).append(json.loads(result.stdout))
    return found


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


def _validator(name: str):
    """A draft 2020-12 validator of the output `name`, its references to common.schema.json resolved."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    resources = [(schema["$id"], Resource.from_contents(schema))
                 for schema in map(_schema, ["common", *VERSIONS])]
    return Draft202012Validator(_schema(name), registry=Registry().with_resources(resources))


@pytest.mark.parametrize("name", sorted(VERSIONS))
def test_each_output_validates_against_its_schema(outputs, name):
    """Each JSON output, as the real command prints it, opens with its schema's name and version and keeps
    the shape the schema describes."""
    documents = outputs.get(name)
    assert documents, f"no case runs the output {name}: add one to _cases"
    validator = _validator(name)
    for document in documents:
        assert next(iter(document), None) == "schema" and document["schema"] == tag(name), \
            f"{name}: the output does not open with \"schema\": \"{tag(name)}\" (output.print_json(..., {name!r}))"
        validator.validate(document)


def test_the_cases_take_the_outputs_where_they_matter(outputs):
    """The cases reach the shapes a happy path would not: an unreadable store in expiry, an unreadable pair
    in --all, a key password of its own, a first break, the findings of a pair that fails."""
    (expiry,) = outputs["expiry"]
    assert {error["code"] for error in expiry["errors"]} == {"damaged"}, expiry["errors"]
    pairs = {pair["pair"]: pair for pair in outputs["verify-pair-all"][0]["pairs"]}
    assert pairs["broken"]["error_code"] == "missing" and pairs["tls"]["verdict"] == "ok"
    assert [p["key_password_differs"] for p in outputs["passwd"]] == [True, False]
    checked, broken = outputs["verify-pair"]
    assert checked["first_break"] is not None and not broken["ok"] and broken["findings"]
    assert outputs["list"][1]["entries"][0]["certificates"][0]["basic_constraints"] == \
        {"ca": True, "path_length": None}
    assert [visit["accepted"] for visit in outputs["serve"]] == [True, True] and outputs["probe"][0]["ok"]
    assert outputs["probe"][1]["saved"]["added"] and outputs["import-ca"][1]["skipped"]


@pytest.mark.parametrize("name", sorted(VERSIONS))
def test_a_renamed_or_missing_key_breaks_the_contract(outputs, name):
    """The schemas are strict: every key the output has is required or at least named, so a key renamed, or a
    required one left out, fails validation, and a new key cannot slip in without its schema."""
    from jsonschema import ValidationError
    validator, required = _validator(name), set(_schema(name)["required"])
    for document in outputs.get(name, []):
        for key in document:
            renamed = {(f"{key}_renamed" if k == key else k): v for k, v in document.items()}
            with pytest.raises(ValidationError):
                validator.validate(renamed)
            if key in required:
                missing = copy.deepcopy(document)
                del missing[key]
                with pytest.raises(ValidationError):
                    validator.validate(missing)


def test_every_command_with_json_has_a_schema():
    """A command given --json cannot be forgotten: its output is in cli/schemas.py and docs/schemas/."""
    import typer

    from jkstool.cli import COMMANDS, app
    group = typer.main.get_command(app)
    context = group.context_class(group)
    with_json = {name for name in COMMANDS
                 if any("--json" in param.opts for param in group.get_command(context, name).params)}
    assert with_json - set(VERSIONS) == set(), "commands with --json and no schema"
    assert {"copy", "delete", "rename", "passwd", "convert", "export", "csr", "sign"} <= with_json


def test_every_schema_is_a_valid_versioned_output():
    """docs/schemas/ holds a schema per output of cli/schemas.py (and common.schema.json, which they share),
    each valid draft 2020-12 whose "schema" is the output's name and version."""
    from jsonschema import Draft202012Validator
    files = {path.name.removesuffix(".schema.json") for path in SCHEMAS.glob("*.schema.json")}
    assert files == {"common", *VERSIONS}
    for name in files:
        schema = _schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/{name}.schema.json")
        if name != "common":
            assert schema["properties"]["schema"] == {"const": tag(name)} and schema["additionalProperties"] is False
            assert schema["required"][0] == "schema"


def test_the_docs_list_every_schema_and_reason_code():
    """docs/conventions.md lists each output's schema; docs/fleet.md each reason code; the schemas' reason
    codes are fleet.reasons's."""
    conventions = (ROOT / "docs" / "conventions.md").read_text()
    assert all(f"[`{tag(name)}`](schemas/{name}.schema.json)" in conventions for name in VERSIONS)
    fleet = (ROOT / "docs" / "fleet.md").read_text()
    assert all(f"| `{code}` | {meaning} |" in fleet for code, meaning in REASONS.items())
    assert _schema("common")["$defs"]["read_error_code"]["enum"] == list(REASONS)


def _families(text: str) -> dict:
    """{name: family} of a Prometheus exposition, as Prometheus's own client library parses it; each family
    has one HELP and one TYPE line, before its series."""
    from prometheus_client.parser import text_string_to_metric_families
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for name in families:
        assert text.count(f"# HELP {name} ") == 1 and text.count(f"# TYPE {name} ") == 1, name
    return families


def test_prometheus_reports_are_gauges_with_coded_reasons(work):
    """expiry and verify-pair --all in the textfile format: every series a gauge (each run rewrites the file,
    so none is a _total), every metric named in docs/fleet.md, a read error's reason a code of
    fleet.reasons, not its message."""
    folder, _ = work
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", (ROOT / "docs" / "fleet.md").read_text(), re.M))
    reasons = set()
    for args in (["expiry", folder], ["verify-pair", folder, "--all", "--model-only"]):
        result = run(*args, "--format", "prometheus", env=ENV)
        assert result.exit_code == 2, result.output  # a store and a pair cannot be read
        families = _families(result.stdout)
        assert set(families) <= documented, set(families) - documented
        assert all(f.type == "gauge" and not f.name.endswith("_total") for f in families.values())
        reasons |= {(s.labels["filepath"], s.labels["reason"]) for s in families["jkstool_read_errors"].samples}
    assert reasons == {(str(folder / "damaged.p12"), "damaged"), (str(folder / "broken" / "server.keystore.p12"),
                                                                  "damaged"), (str(folder / "broken"), "missing")}


def test_each_junit_suite_counts_the_elements_it_holds(work):
    """failures, errors and tests of each testsuite are its <failure>, <error> and <testcase> elements: a pair
    with two errors is one failure (one element naming both), an unreadable pair one error."""
    folder, _ = work
    reports = [run("verify-pair", folder, "--all", "--model-only", "--at", "2100-01-01", "--format", "junit", env=ENV),
               run("expiry", folder, "--within", "100000", "--format", "junit", env=ENV)]
    for result in reports:
        assert result.exit_code == 2, result.output
        suites = list(ElementTree.fromstring(result.stdout).iter("testsuite"))
        assert suites
        for suite in suites:
            cases = suite.findall("testcase")
            assert int(suite.get("tests")) == len(cases)
            assert int(suite.get("failures")) == len(suite.findall("testcase/failure")) >= 1
            assert int(suite.get("errors")) == len(suite.findall("testcase/error")) >= 1
            assert all(len(case.findall("failure")) <= 1 for case in cases)
    cases = {case.get("name"): case for case in ElementTree.fromstring(reports[0].stdout).iter("testcase")}
    (failure,) = cases["tls"].findall("failure")
    assert "(and 1 more)" in failure.get("message") and len(failure.text.splitlines()) == 2, failure.text
