"""A fleet's reports as one self-contained HTML page: a table of the pairs (status, first break, soonest
expiry) that sorts and filters, and each pair's picture and findings below it.

Nothing is fetched: the style, the script and each picture (inline SVG) are in the page, and the fonts are
the reader's own. The page reads without its script (the table as written, every pair below), prints (the
controls hidden, landscape, a pair to a page where it fits) and fits a phone (the table becomes a list of
cards); a picture is always drawn at 100 %, scrolling sideways where the window is narrower. Every text
from a certificate, a store or a folder name is escaped.
"""

from datetime import datetime, timezone
from html import escape

from ..fleet.pairs import Fleet, PairResult
from ..shown import printable
from .graph import Graph, graph
from .model import common_name, day

_STATUS_ORDER = {"FAIL": 0, "unreadable": 1, "ok": 2}

_STYLE = """
:root { color-scheme: light; --red: #c62828; --amber: #b45309; --green: #2e7d32; --ink: #263238;
  --muted: #5f6b71; --line: #dfe3e6; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1240px; padding: 16px; color: var(--ink); line-height: 1.4;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
h1 { font-size: 1.5rem; margin: 0.2em 0; }
h2 { font-size: 1.2rem; margin: 0 0 0.4em; overflow-wrap: anywhere; }
.summary { color: var(--muted); margin: 0 0 1em; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 0 0 10px; }
.controls input, .controls select { font: inherit; padding: 4px 6px; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f4f5f6; white-space: nowrap; }
th button { font: inherit; font-weight: bold; border: 0; background: none; padding: 0; cursor: pointer;
  color: inherit; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
td.pair { overflow-wrap: anywhere; }
.status { font-weight: bold; white-space: nowrap; }
.status-FAIL { color: var(--red); }
.status-unreadable { color: var(--amber); }
.status-ok { color: var(--green); }
.soon { color: var(--amber); font-weight: bold; }
section.pair { border-top: 2px solid var(--line); padding: 16px 0 8px; content-visibility: auto;
  contain-intrinsic-size: auto 700px; }
.pic { overflow-x: auto; margin: 8px 0; }
.pic svg { display: block; width: 1180px; max-width: none; height: auto; }
ul.findings { padding-left: 1.2em; margin: 0.4em 0; }
ul.findings li { margin: 0.2em 0; overflow-wrap: anywhere; }
.code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-weight: bold; }
.sev-error .code { color: var(--red); }
.sev-warning .code { color: var(--amber); }
.where { color: var(--muted); }
a { color: #1565c0; }
.back { font-size: 0.9em; }
@media (max-width: 700px) {
  body { padding: 10px; font-size: 14px; }
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 10px; padding: 4px 0; }
  td { border: 0; padding: 2px 10px; }
  td::before { content: attr(data-label) ": "; font-weight: bold; color: var(--muted); }
}
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .controls, .back { display: none !important; }
  section.pair { content-visibility: visible; break-inside: avoid; page-break-inside: avoid; }
  .pic { overflow: visible; }
  .pic svg { width: 100%; }
  a { color: inherit; text-decoration: none; }
  tr { break-inside: avoid; }
}
"""

_SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("pairs");
  var controls = document.getElementById("controls");
  if (!table || !controls) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("filter");
  var status = document.getElementById("status");
  var shown = document.getElementById("shown");
  controls.hidden = false;
  function apply() {
    var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var wanted = status.value;
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var visible = (!wanted || row.getAttribute("data-status") === wanted) &&
        words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !visible;
      var section = document.getElementById(row.getAttribute("data-section"));
      if (section) { section.hidden = !visible; }
      if (visible) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " pairs shown";
  }
  filter.addEventListener("input", apply);
  status.addEventListener("change", apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell, column) {
    var button = cell.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var ascending = cell.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      cell.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = cell.getAttribute("data-type") === "number";
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-sort"), y = b.cells[column].getAttribute("data-sort");
        var order = numeric ? Number(x) - Number(y) : (x < y ? -1 : x > y ? 1 : 0);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  apply();
}());
"""

_COLUMNS = [("pair", "text"), ("status", "number"), ("errors", "number"), ("first break", "text"),
            ("soonest expiry", "text")]


def _text(value: object) -> str:
    return escape(printable(str(value)), quote=True)


def _ends(picture: Graph) -> tuple[datetime, str] | None:
    """The soonest end on the pair's paths: when, and what (a certificate's CN, a CRL)."""
    found = [(n.not_after, n.label) for n in picture.nodes.values()
             if n.on_path and n.not_after is not None and n.kind in ("ca", "keystore", "crl")]
    return min(found) if found else None


def fleet_report(fleet: Fleet, title: str | None = None, now: datetime | None = None) -> str:
    """The fleet as one HTML page (see the module's docstring); `title` defaults to the root's name."""
    now = now or datetime.now(timezone.utc)
    heading = title if title is not None else f"Mutual-TLS pairs under {fleet.root}"
    failing, unreadable = len(fleet.failing), len(fleet.unreadable)
    soonest = fleet.soonest
    summary = (f"{len(fleet.pairs)} pair{'s' * (len(fleet.pairs) != 1)}: {failing} failing"
               + (f", {unreadable} unreadable" if unreadable else "")
               + (f"; the first break is {day(soonest)}" if soonest else "")
               + f". Checked {now:%Y-%m-%d %H:%M} UTC by jkstool verify-pair.")
    rows, sections = [], []
    for number, pair in enumerate(fleet.pairs, 1):
        row, section = _pair(pair, number)
        rows.append(row)
        sections.append(section)
    head = "".join(f'<th scope="col" data-type="{kind}"><button type="button">{escape(name)}</button></th>'
                   for name, kind in _COLUMNS)
    options = "".join(f'<option value="{status}">{status}</option>' for status in ("FAIL", "unreadable", "ok"))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(heading)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<header><h1>{_text(heading)}</h1>", f'<p class="summary">{_text(summary)}</p></header>',
        '<div class="controls" id="controls" hidden>',
        '<label>Filter <input type="search" id="filter" placeholder="pair name or finding code"></label>',
        f'<label>Status <select id="status"><option value="">all</option>{options}</select></label>',
        '<span id="shown" aria-live="polite"></span></div>',
        '<div class="table"><table id="pairs">', f"<thead><tr>{head}</tr></thead>", "<tbody>", *rows,
        "</tbody></table></div>", "<main>", *sections, "</main>", f"<script>{_SCRIPT}</script>", "</body>",
        "</html>"]) + "\n"


def _pair(pair: PairResult, number: int) -> tuple[str, str]:
    """A pair's row of the table and its section (picture and findings)."""
    name = pair.name if pair.name is not None else str(pair.folder)
    anchor = f"pair-{number}"
    verdict = pair.verdict
    report = pair.report
    cells: list[tuple[object, object]]
    if report is None:
        cells = [(name, name.lower()), (verdict, _STATUS_ORDER[verdict]), ("-", -1), ("-", ""), ("-", "")]
        search = f"{name} {verdict} {pair.error_code or ''}".lower()
        body = f'<p class="status status-unreadable">not read: {_text(f"{pair.error_path}: {pair.error}")}</p>'
    else:
        picture = graph(report, name)
        found = report.first_break
        broke = (f"{day(found.at)} " + (", ".join(common_name(e.what) for e in found.endings) or "now")) \
            if found else "-"
        ends = _ends(picture)
        ending = f"{day(ends[0])} {ends[1]}" if ends else "-"
        cells = [(name, name.lower()), (verdict, _STATUS_ORDER[verdict]), (report.error_count, report.error_count),
                 (broke, found.at.strftime("%Y-%m-%dT%H:%M:%S") if found else "9999"),
                 (ending, ends[0].strftime("%Y-%m-%dT%H:%M:%S") if ends else "9999")]
        codes = " ".join(dict.fromkeys(f.code for f in report.findings))
        search = f"{name} {verdict} {codes}".lower()
        items = "".join(
            f'<li class="sev-{escape(f.severity)}"><span class="code">{escape(f.code)}</span> '
            f'<span class="where">{_text(f.store + (f" (alias {f.alias})" if f.alias else ""))}</span>: '
            f"{_text(f.message)}" + (f" <em>Fix: {_text(f.fix)}</em>" if f.fix else "") + "</li>"
            for f in report.findings)
        soon = f'<p>First break: <span class="soon">{_text(broke)}</span></p>' if found else ""
        body = (soon + (f'<ul class="findings">{items}</ul>' if items else "<p>No findings.</p>")
                + f'<div class="pic">{picture.svg()}</div>')
    row = [f'<tr data-status="{verdict}" data-search="{_text(search)}" data-section="{anchor}">']
    for column, ((shown, key), (label, _)) in enumerate(zip(cells, _COLUMNS, strict=True)):
        content = f'<a href="#{anchor}">{_text(shown)}</a>' if column == 0 else _text(shown)
        extra = f' class="status status-{verdict}"' if column == 1 else ' class="pair"' if column == 0 else ""
        row.append(f'<td data-label="{label}" data-sort="{_text(key)}"{extra}>{content}</td>')
    row.append("</tr>")
    section = (f'<section class="pair" id="{anchor}"><h2>{_text(name)} '
               f'<span class="status status-{verdict}">{verdict}</span></h2>{body}'
               f'<p class="back"><a href="#pairs">back to the table</a></p></section>')
    return "".join(row), section
