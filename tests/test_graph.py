"""The pictures: `jkstool graph` and `verify-pair --all --format html`, checked by the programs that read them.

Four pairs under one root, made as verify-pair meets them: a good one, one whose client truststore lacks the
server's CA, one whose server keystore sends an expired company intermediate, and one whose certificates
and folder carry hostile names (markup, quotes, control characters). The picture shows exactly the
report's findings (the same Report drives both: every error on a red node or edge, nothing red without
one). The SVG parses as XML and renders in a real browser; DOT parses with Graphviz; Mermaid with
Mermaid's own parser (mermaid.parse in Node, tests/mermaid/); the HTML report runs in headless Chromium
without a console message, its table sorts and filters, a broken edge is red in the rendered DOM, no text
is under 11 px, a phone-wide frame does not scroll sideways, and it prints to PDF. Chromium starts three
times for all of it.

Outside CI the browser, Graphviz and Mermaid tests skip where the program is missing; in CI (CI=true)
they fail instead (.ci/run installs them).
"""

import dataclasses
import datetime
import html
import json
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import _need
from helpers import certificate, new_key, run

import jkstool
from jkstool import api

PASSWORD = "changeit"
ENV = {"JKSTOOL_STOREPASS": PASSWORD}
SVG = "{http://www.w3.org/2000/svg}"
RED = "#c62828"
HOSTILE_CN = "x</text><script>alert(1)</script>&\"'\x1b[31m\n"
HOSTILE_CLIENT = "<img src=x onerror=alert(2)>"
HOSTILE_PAIR = "hostile <b>&'\""
MERMAID = Path(__file__).resolve().parent / "mermaid"  # mermaid and jsdom, pinned: `npm ci --prefix tests/mermaid`


def _expired_intermediate(folder: Path, company: Path) -> None:
    """A layout under a company root and intermediate, whose server keystore still sends an old copy of the
    intermediate (same name and key, expired 35 days ago): the client refuses the path (cert-expired)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    root_key, key = new_key("ec"), new_key("ec")
    root = certificate(root_key, "Company Root CA", ca=True, days=3650)
    intermediate = certificate(key, "Company Issuing CA", root, root_key, ca=True, days=730)
    company.mkdir(parents=True)
    (company / "chain.pem").write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                                 for c in (intermediate, root)))
    (company / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    (company / "key.pem").chmod(0o600)
    layout = jkstool.init_pair(folder, password=PASSWORD, ca=(company / "chain.pem", company / "key.pem"))
    now = datetime.datetime.now(datetime.timezone.utc)
    old = (x509.CertificateBuilder().subject_name(intermediate.subject).issuer_name(root.subject)
           .public_key(key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - datetime.timedelta(days=400)).not_valid_after(now - datetime.timedelta(days=35))
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
           .sign(root_key, hashes.SHA256()))
    with api.edit_store(layout.store_path("server-keystore"), PASSWORD) as edit:
        entry = edit.key_entry("server")
        chain = (entry.chain[0], old.public_bytes(serialization.Encoding.DER), *entry.chain[2:])
        edit.store.put(dataclasses.replace(entry, chain=chain))


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """The four pairs under one root (their folder names are the pairs' names)."""
    work = tmp_path_factory.mktemp("graph")
    root = work / "fleet"
    jkstool.init_pair(root / "good", password=PASSWORD)
    untrusted = jkstool.init_pair(root / "untrusted", password=PASSWORD)
    other = jkstool.init_pair(work / "other", password=PASSWORD)
    shutil.copyfile(other.store_path("client-truststore"), untrusted.store_path("client-truststore"))
    _expired_intermediate(root / "expired", work / "company")
    jkstool.init_pair(root / HOSTILE_PAIR, password=PASSWORD, server_cn=HOSTILE_CN, client_cn=HOSTILE_CLIENT)
    return root


@pytest.fixture(scope="module")
def pictures(root) -> dict[str, tuple[dict, dict]]:
    """Each pair's verify-pair --json and graph --json, two separate runs of the command line."""
    found = {}
    for folder in sorted(root.iterdir()):
        checked = run("verify-pair", folder, "--model-only", "--first-break", "--json", env=ENV)
        drawn = run("graph", folder, "--model-only", "--json", env=ENV)
        assert checked.exit_code == drawn.exit_code in (0, 1), (checked.output, drawn.output)
        found[folder.name] = (json.loads(checked.stdout), json.loads(drawn.stdout))
    return found


@pytest.fixture(scope="module")
def svgs(root) -> dict[str, str]:
    """Each pair's SVG: the good pair's written by the command line (--output), the others' by the API."""
    found = {}
    for folder in sorted(root.iterdir()):
        found[folder.name] = api.graph(api.verify_pair(folder, password=PASSWORD, model_only=True, first_break=True),
                                       folder.name).svg()
    written = root.parent / "good.svg"
    result = run("graph", root / "good", "--model-only", "--output", written, env=ENV)
    assert result.exit_code == 0 and result.stdout == "", result.output
    named = str(root / "good")  # the command line names the picture as DIR was given
    assert written.read_text() == api.graph(api.verify_pair(root / "good", password=PASSWORD, model_only=True,
                                                            first_break=True), named).svg()
    return found


def _elements(picture: dict) -> list[dict]:
    return [*picture["nodes"], *picture["edges"]]


def _red_is_exactly_the_errors(picture: dict) -> None:
    """Every error finding is on a red (broken) node or edge, every red one carries an error finding, and
    every finding is somewhere in the picture, each reference naming the finding's code."""
    findings = picture["findings"]
    errors = {n for n, f in enumerate(findings) if f["severity"] == "error"}
    red = [e for e in _elements(picture) if e["status"] == "broken"]
    assert errors <= {ref["index"] for e in red for ref in e["findings"]}, (errors, red)
    for element in red:
        assert any(findings[ref["index"]]["severity"] == "error" for ref in element["findings"]), element
    for element in _elements(picture):
        assert all(findings[ref["index"]]["code"] == ref["code"] for ref in element["findings"]), element
        if any(findings[ref["index"]]["severity"] == "error" for ref in element["findings"]):
            assert element["status"] == "broken", element
    assert {ref["index"] for e in _elements(picture) for ref in e["findings"]} == set(range(len(findings)))


def test_the_picture_shows_exactly_what_verify_pair_reports(pictures):
    for name, (checked, drawn) in pictures.items():
        assert drawn["findings"] == checked["findings"] and drawn["ok"] == checked["ok"], name
        now = not checked["first_break"]["ended"]  # broken already: "at" is each run's own now
        assert {**drawn["first_break"], **({"at": None} if now else {})} == \
            {**checked["first_break"], **({"at": None} if now else {})}, name
        _red_is_exactly_the_errors(drawn)
    good = pictures["good"][1]
    assert good["ok"] and not [e for e in _elements(good) if e["status"] == "broken"]
    assert {e["kind"] for e in good["edges"]} == {"issued", "presents", "trusts"}
    assert [e["kind"] for e in good["edges"] if e["first_break"]] == ["presents", "presents"]  # both leaves end
    untrusted = pictures["untrusted"][1]
    (broken,) = [e for e in untrusted["edges"] if e["status"] == "broken"]
    assert (broken["kind"], broken["from"], [r["code"] for r in broken["findings"]]) == \
        ("trusts", "client-truststore", ["server-untrusted"])
    expired = pictures["expired"][1]
    red = {(e.get("kind"), e["status"], tuple(r["code"] for r in e["findings"])) for e in _elements(expired)
           if e["status"] == "broken"}
    assert red == {("ca", "broken", ("cert-expired",)), ("issued", "broken", ("cert-expired",))}
    node = next(n for n in expired["nodes"] if n["status"] == "broken")
    assert node["label"] == "Company Issuing CA" and node["not_after"] < expired["first_break"]["at"]


def test_java_refusing_is_on_the_verdict_and_the_rules_error_on_its_edge(root):
    """Where the JDK on the machine decides, its refusal (java-refused) is on the verdict node and the rules'
    explanation on the broken trust edge: the same Report as verify-pair's, placed whole."""
    report = api.verify_pair(root / "untrusted", password=PASSWORD)
    assert report.java is not None or not os.environ.get("CI"), "CI has a JDK: Java must decide here"
    picture = api.graph(report).to_dict()
    assert picture["findings"] == report.to_dict()["findings"]
    _red_is_exactly_the_errors(picture)
    if report.java is not None:
        verdict = next(n for n in picture["nodes"] if n["id"] == "verdict")
        assert [r["code"] for r in verdict["findings"]] == ["java-refused"] and verdict["status"] == "broken"


def test_the_svg_is_xml_in_the_svg_namespace_and_red_where_the_json_is(pictures, svgs):
    for name, text in svgs.items():
        tree = ElementTree.fromstring(text)
        assert tree.tag == f"{SVG}svg", name
        groups = {g.get("data-id"): g for g in tree.iter(f"{SVG}g") if g.get("data-id")}
        picture = pictures[name][1]
        for element in _elements(picture):
            shown = groups.get(element["id"])
            if element["kind"] == "verdict":
                continue
            assert shown is not None and shown.get("data-status") == element["status"], (name, element["id"])
            assert shown.get("data-codes").split() == list(dict.fromkeys(r["code"] for r in element["findings"]))
            outline = shown.find(f"{SVG}path" if element in picture["edges"] else f"{SVG}rect")
            assert (outline.get("stroke") == RED) == (element["status"] == "broken"), (name, element["id"])
        sizes = [float(t.get("font-size")) for t in tree.iter(f"{SVG}text")]
        assert sizes and min(sizes) >= 11, name
        assert all(len(line) <= 100 or " " not in line.strip() for line in text.splitlines()), name


def test_a_hostile_subject_is_text_everywhere(root, svgs):
    """A certificate subject and a folder name holding markup, quotes and control characters are text in
    the SVG, Mermaid, DOT and HTML: no element, attribute or line is injected."""
    text = svgs[HOSTILE_PAIR]
    tree = ElementTree.fromstring(text)
    tags = {element.tag.removeprefix(SVG) for element in tree.iter()}
    assert tags <= {"svg", "title", "rect", "text", "tspan", "g", "path", "line"}, tags
    assert not [name for element in tree.iter() for name in element.attrib if name.lower().startswith("on")]
    shown = "".join(tree.itertext())  # the texts drawn, and the titles (tooltips) that hold names whole
    assert "x</text><script>alert(1)</script>&\"'\\x1b[31m\\x0a" in shown and "\x1b" not in text
    assert "<img src=x onerror=alert(2)>" in shown
    picture = api.graph(api.verify_pair(root / HOSTILE_PAIR, password=PASSWORD, model_only=True), HOSTILE_PAIR)
    mermaid = picture.mermaid()
    assert "<" not in mermaid.replace("-->", "").replace("-.->", "").replace("==>", "")
    assert "#60;script#62;alert(1)#60;/script#62;" in mermaid and "\x1b" not in mermaid
    dot = picture.dot()
    assert 'x</text><script>alert(1)</script>&\\"' in dot and "\x1b" not in dot


@pytest.fixture(scope="module")
def report_html(root) -> Path:
    """verify-pair ROOT --all --format html --output, as a user runs it."""
    page = root.parent / "report.html"
    result = run("verify-pair", root, "--all", "--model-only", "--format", "html", "--output", page, env=ENV)
    assert result.exit_code == 1 and result.stdout == "", result.output  # two pairs fail
    return page


def test_the_report_reads_without_its_script(report_html):
    """No script ran: the table is all there (a row per pair, its status), every pair has its picture,
    the controls the script drives are hidden, and nothing is fetched."""
    page = report_html.read_text()
    assert page.count("<tr data-status=") == 4 and page.count('<section class="pair"') == 4
    assert page.count("<svg") == 4 and '<div class="controls" id="controls" hidden>' in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)|@import|url\(""", page)
    statuses = re.findall(r'<td data-label="status" data-sort="\d" class="status status-(\w+)">', page)
    assert sorted(statuses) == ["FAIL", "FAIL", "ok", "ok"]
    assert html.escape(HOSTILE_PAIR) in page and HOSTILE_PAIR not in page
    single = run("verify-pair", report_html.parent / "fleet" / "untrusted", "--model-only", "--format", "html",
                 env=ENV)  # one pair: the same page, to stdout
    assert single.exit_code == 1 and single.stdout.startswith("<!DOCTYPE html>")
    assert single.stdout.count('<section class="pair"') == 1 and "server-untrusted" in single.stdout


def test_an_unreadable_pair_is_a_row_and_a_section_with_its_error(tmp_path):
    folder = tmp_path / "lost <pair>"
    error = jkstool.JkstoolError("wrong password, or the store is damaged <&>", path=str(folder / "x.p12"))
    page = api.fleet_report_html(api.Fleet(tmp_path, [api.PairResult.failed(folder, error)]))
    assert '<tr data-status="unreadable"' in page and page.count('<section class="pair"') == 1
    assert "lost &lt;pair&gt;" in page and "damaged &lt;&amp;&gt;" in page and "<pair>" not in page
    assert "<svg" not in page and "1 pair: 0 failing, 1 unreadable." in page


# -- in real programs ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """`chromium(url, *flags)`: Debian's Chromium, headless, with its own profile; returns the process
    (stdout: what --dump-dom printed; stderr: its log, console messages included)."""
    found = _need("chromium", shutil.which("chromium") or shutil.which("chromium-browser")
                  or shutil.which("google-chrome"))
    profile = tmp_path_factory.mktemp("chromium-profile")

    def browse(url: str, *flags: str) -> subprocess.CompletedProcess:
        return subprocess.run([found, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                               "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr",
                               "--v=0", *flags, url], capture_output=True, text=True, timeout=120)
    browse.path = found
    return browse


_CHECKS = r"""
window.addEventListener("load", function () {
  "use strict";
  var out = {};
  var table = document.getElementById("pairs");
  function visible() {
    return Array.prototype.filter.call(table.tBodies[0].rows, function (row) { return !row.hidden; })
      .map(function (row) { return row.cells[0].textContent; });
  }
  out.controls = !document.getElementById("controls").hidden;
  out.shown = document.getElementById("shown").textContent;
  out.broken = Array.prototype.map.call(
    document.querySelectorAll('section svg g[data-status="broken"]'), function (g) {
      var outline = g.querySelector(g.classList.contains("edge") ? "path" : "rect");
      return {pair: g.closest("section").querySelector("h2").firstChild.textContent.trim(),
              id: g.getAttribute("data-id"), codes: g.getAttribute("data-codes"),
              stroke: getComputedStyle(outline).stroke};
    });
  var smallest = 1e9;
  Array.prototype.forEach.call(document.querySelectorAll("section svg text"), function (text) {
    smallest = Math.min(smallest, parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a);
  });
  out.smallest = smallest;
  out.pictures = Array.prototype.map.call(document.querySelectorAll("section svg"), function (svg) {
    var box = svg.getBoundingClientRect();
    return [box.width, box.height];
  });
  out.injected = document.querySelectorAll("img, object, embed, svg script, foreignObject, iframe:not(#phone)")
    .length;
  out.scripts = document.scripts.length;
  out.payload = Array.prototype.filter.call(document.querySelectorAll("section svg text"), function (text) {
    return text.textContent.indexOf("<script>alert(1)</scrip") !== -1;
  }).length;
  var errors = table.tHead.rows[0].cells[2].querySelector("button");
  errors.click();
  out.ascending = visible();
  errors.click();
  out.descending = visible();
  var filter = document.getElementById("filter");
  filter.value = "cert-expired";
  filter.dispatchEvent(new Event("input"));
  out.filtered = visible();
  out.sections = Array.prototype.filter.call(document.querySelectorAll("section.pair"), function (section) {
    return !section.hidden;
  }).length;
  filter.value = "";
  filter.dispatchEvent(new Event("input"));
  var status = document.getElementById("status");
  status.value = "ok";
  status.dispatchEvent(new Event("change"));
  out.ok = visible();
  var phone = document.getElementById("phone").contentDocument;
  out.phone = {head: getComputedStyle(phone.querySelector("thead")).display,
               sideways: phone.documentElement.scrollWidth - phone.documentElement.clientWidth,
               label: getComputedStyle(phone.querySelector("td"), "::before").content};
  var result = document.createElement("pre");
  result.id = "graph-test-result";
  result.textContent = JSON.stringify(out);
  document.body.appendChild(result);
});
"""


def test_the_report_in_chromium(chromium, report_html, tmp_path):
    """The report as it is, plus a script of checks after its own and the same page in a phone-wide frame:
    its script runs without a console message, the broken edges and nodes are red as rendered, no text is
    under 11 px at 100 %, the table sorts and filters (the sections follow), and on a phone the table is a
    list of cards and the page does not scroll sideways."""
    page = report_html.read_text()
    frame = f'<iframe id="phone" width="390" height="700" srcdoc="{html.escape(page, quote=True)}"></iframe>'
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", f"{frame}<script>{_CHECKS}</script></body>"))
    shown = chromium(checked.as_uri(), "--window-size=1280,2000", "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "CONSOLE" not in shown.stderr, [line for line in shown.stderr.splitlines() if "CONSOLE" in line]
    result = json.loads(html.unescape(re.search(r'<pre id="graph-test-result">(.*?)</pre>', shown.stdout, re.S)[1]))
    assert result["controls"] and result["shown"] == "4 of 4 pairs shown"
    assert result["broken"] and all(item["stroke"] == "rgb(198, 40, 40)" for item in result["broken"])
    assert {(item["pair"], item["codes"]) for item in result["broken"]} == {
        ("untrusted", "server-untrusted"), ("expired", "cert-expired")}
    assert any(item["id"].startswith("trusts:client-truststore->") for item in result["broken"])
    assert result["smallest"] >= 11 and all(w >= 1100 and h > 400 for w, h in result["pictures"])
    assert result["injected"] == 0 and result["scripts"] == 2 and result["payload"] == 1
    assert result["ascending"][-2:] == ["expired", "untrusted"] or set(result["ascending"][-2:]) == {
        "expired", "untrusted"}
    assert set(result["descending"][:2]) == {"expired", "untrusted"}
    assert result["filtered"] == ["expired"] and result["sections"] == 1
    assert sorted(result["ok"]) == sorted(["good", HOSTILE_PAIR])
    assert result["phone"]["head"] == "none" and result["phone"]["sideways"] <= 0
    assert result["phone"]["label"] == '"pair: "'


def _drawn(png: bytes) -> int:
    """How many distinct byte values a PNG's image data holds once inflated: a blank page's filtered
    scanlines hold a handful, a picture's hundreds."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    data, at = b"", 8
    while at < len(png):
        size = int.from_bytes(png[at:at + 4], "big")
        if png[at + 4:at + 8] == b"IDAT":
            data += png[at + 8:at + 8 + size]
        at += 12 + size
    return len(set(zlib.decompress(data)))


def test_the_svg_renders_and_the_report_prints(chromium, svgs, report_html, tmp_path):
    """A real SVG renderer draws the standalone file (the screenshot is not blank), and the report prints
    to a PDF of several pages (its print stylesheet: the controls hidden, a pair to a page)."""
    picture = tmp_path / "untrusted.svg"
    picture.write_text(svgs["untrusted"])
    height = int(ElementTree.fromstring(svgs["untrusted"]).get("height"))
    shot = tmp_path / "untrusted.png"
    taken = chromium(picture.as_uri(), f"--window-size=1180,{height}", f"--screenshot={shot}")
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    assert _drawn(shot.read_bytes()) > 100
    pdf = tmp_path / "report.pdf"
    printed = chromium(report_html.as_uri(), f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert printed.returncode == 0 and pdf.exists(), printed.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 30_000
    pages = re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", data, re.S)
    assert pages is None or int(pages[1]) >= 2


def test_dot_parses_with_graphviz(root, tmp_path):
    dot = _need("graphviz (dot)", shutil.which("dot"))
    for folder in sorted(root.iterdir()):
        source = tmp_path / "pair.dot"
        result = run("graph", folder, "--model-only", "--format", "dot", env=ENV)
        source.write_text(result.stdout)
        drawn = subprocess.run([dot, "-Tsvg", source], capture_output=True, text=True, timeout=60)
        assert drawn.returncode == 0 and "<svg" in drawn.stdout, (folder.name, drawn.stderr)
        assert "Warning" not in drawn.stderr and "Error" not in drawn.stderr, drawn.stderr


def test_mermaid_parses_with_mermaids_own_parser(root, tmp_path):
    """Every pair's flowchart through mermaid.parse, the parser GitHub's and GitLab's renderers run first
    (in Node, jsdom standing in for the browser); a broken flowchart is refused, so the check is real."""
    node = _need("node and tests/mermaid's modules (npm ci --prefix tests/mermaid; .ci/run runs it)",
                 shutil.which("node") if (MERMAID / "node_modules" / "mermaid").is_dir() else None)
    charts = []
    for folder in sorted(root.iterdir()):
        chart = tmp_path / f"{folder.name}.mmd"
        chart.write_text(run("graph", folder, "--model-only", "--format", "mermaid", env=ENV).stdout)
        charts.append(chart)
    broken = tmp_path / "broken.mmd"
    broken.write_text(charts[0].read_text().replace("-->", "-->|", 1))
    parsed = subprocess.run([node, MERMAID / "parse.mjs", *charts, broken], capture_output=True, text=True,
                            timeout=120)
    said = parsed.stdout.splitlines()
    assert said[:-1] == [f"ok {chart}" for chart in charts], parsed.stdout + parsed.stderr
    assert said[-1].startswith(f"error {broken}: Parse error") and parsed.returncode == 1
