"""`--format prometheus|junit` and `--output FILE` for expiry and verify-pair: the tools around them.

Prometheus: the text exposition format that node_exporter's textfile collector reads, with
x509-certificate-exporter's metric and label names where they mean the same (x509_cert_not_after,
x509_cert_not_before, x509_cert_expired; filepath, subject_CN, issuer_CN, serial_number), so its
dashboards and alerts work, and jkstool's own for what only it knows (jkstool_pair_ok,
jkstool_pair_first_break_timestamp_seconds, jkstool_read_errors). Every series is a gauge: each run
rewrites the whole file, so nothing counts across runs (no _total). Label values that alerts match on
are codes from fixed sets (a read error's `reason`: jkstool.fleet.reasons), never message text.
JUnit: the XML CI systems show, one testcase per certificate or per pair, a failure per finding.
"""

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import typer

from . import output

if TYPE_CHECKING:
    from ..api.checks import Scan


def emit(text: str, path: Path | None) -> None:
    """To stdout, or replacing `path` atomically (a textfile collector never reads a half-written file)."""
    if path is None:
        typer.echo(text, nl=False)
        return
    from ..api import outputs
    outputs.write_file(path, text.encode("utf-8"), outputs.Secrecy.PUBLIC)


# -- Prometheus ------------------------------------------------------------------

def label_value(value: object) -> str:
    """A label's value as the reports carry it: a file name's bytes that are not UTF-8 as backslash escapes, and
    control characters but the newline (which the exposition format escapes), which could move a terminal's
    cursor, as U+FFFD. The exporter hands these values to prometheus_client, which escapes as `_label` does."""
    text = output.readable(str(value))
    return "".join("\ufffd" if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0 else c for c in text)


def _label(value: str) -> str:
    """A label value (label_value's) in the exposition format's escaping: backslash, quote, newline."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _series(name: str, labels: dict[str, str], value: float) -> str:
    inner = ",".join(f"{key}={_label(v)}" for key, v in labels.items())
    number = str(int(value)) if float(value).is_integer() else repr(float(value))  # exact: timestamps
    return f"{name}{{{inner}}} {number}" if inner else f"{name} {number}"


class Exposition:
    """Metric families, each written once with its HELP and TYPE, its series below: the textfile's text, or
    the families themselves for prometheus_client (`jkstool exporter` serves the same series)."""

    def __init__(self) -> None:
        self._families: dict[str, tuple[str, str, dict[tuple[tuple[str, str], ...], tuple[dict[str, str], float]]]] \
            = {}

    def add(self, name: str, kind: str, help_text: str, labels: dict[str, Any], value: float) -> None:
        """A series; one whose labels repeat one already added is left out (Prometheus refuses duplicates). A
        label whose value is None is left out."""
        series = self._families.setdefault(name, (kind, help_text, {}))[2]
        given = {key: label_value(v) for key, v in labels.items() if v is not None}
        key = tuple(sorted((k, str(v)) for k, v in labels.items() if v is not None))
        series.setdefault(key, (given, value))

    def families(self) -> list[tuple[str, str, str, list[tuple[dict[str, str], float]]]]:
        """(name, kind, help, [(labels, value)]) of each family, in the order added."""
        return [(name, kind, help_text, list(series.values()))
                for name, (kind, help_text, series) in self._families.items()]

    def text(self) -> str:
        lines = []
        for name, kind, help_text, series in self.families():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}",
                      *(_series(name, labels, value) for labels, value in series)]
        return "\n".join(lines) + "\n"


def _cn(name: str) -> str | None:
    """The CN of an RFC 4514 name as jkstool prints it (first CN=, up to an unescaped comma)."""
    found = re.search(r"(?:^|,)CN=((?:\\.|[^,\\])*)", name or "")
    return re.sub(r"\\(.)", r"\1", found.group(1)) if found else None  # RFC 4514's escapes undone


def certificate_metrics(metrics: Exposition, places: list[dict[str, Any]], now: datetime) -> None:
    """x509-certificate-exporter's three series per certificate and place (file, alias)."""
    for place in places:
        labels = {"filepath": place["path"], "alias": place.get("alias"), "subject_CN": _cn(place["subject"]),
                  "issuer_CN": _cn(place["issuer"]), "serial_number": place["serial"]}
        not_after, not_before = place["not_after"], place["not_before"]
        metrics.add("x509_cert_not_after", "gauge", "The date after which the certificate expires, in seconds "
                    "since the epoch.", labels, not_after.timestamp())
        metrics.add("x509_cert_not_before", "gauge", "The date before which the certificate is not valid, in "
                    "seconds since the epoch.", labels, not_before.timestamp())
        metrics.add("x509_cert_expired", "gauge", "1 when the certificate has expired.", labels,
                    1 if not_after < now else 0)


def places(scan: "Scan") -> list[dict[str, Any]]:
    """Each place (file, alias) an expiry scan found a certificate or CRL at, with what the reports show."""
    found: list[dict[str, Any]] = []
    for item in scan.found:
        f = item.facts
        found.append({"path": item.path, "alias": item.alias, "subject": f.subject, "issuer": f.issuer,
                      "serial": f.serial, "not_before": f.not_before, "not_after": f.not_after,
                      "sha256": f.sha256, "crl": item.kind == "crl"})
    return found


def expiry_metrics(metrics: Exposition, scan: "Scan", now: datetime) -> None:
    """The certificate and CRL series of an expiry scan (its read errors are the caller's: a file's series is
    written once, with every read of the run that it stopped)."""
    found = places(scan)
    certificate_metrics(metrics, [p for p in found if not p["crl"]], now)
    crl_metrics(metrics, [p for p in found if p["crl"]], now)


def crl_metrics(metrics: Exposition, places: list[dict[str, Any]], now: datetime) -> None:
    """A CRL's nextUpdate, by file and issuer: a server that checks a stale CRL refuses every client."""
    for place in places:
        labels = {"filepath": place["path"], "issuer_CN": _cn(place["issuer"])}
        metrics.add("jkstool_crl_next_update", "gauge", "The date by which the CRL is to be replaced, in seconds "
                    "since the epoch.", labels, place["not_after"].timestamp())
        metrics.add("jkstool_crl_stale", "gauge", "1 when the CRL is past its nextUpdate.", labels,
                    1 if place["not_after"] < now else 0)


def read_error_metrics(metrics: Exposition, errors: list[tuple[str, str]]) -> None:
    """A series per file (path) and reason code that stopped a read, its value how many reads it stopped in
    this run: a gauge, since the next run rewrites it (a file read again is 0 by its absence)."""
    counts: dict[tuple[str, str], int] = {}
    for path, reason in errors:
        counts[path, reason] = counts.get((path, reason), 0) + 1
    for (path, reason), count in counts.items():
        metrics.add("jkstool_read_errors", "gauge", "Stores or pairs this run could not read, by file and reason "
                    "code.", {"filepath": path, "reason": reason}, count)


def pair_metrics(metrics: Exposition, rows: list[dict[str, Any]]) -> None:
    for row in rows:  # a pair not read is not ok either: the pair_ok == 0 alert catches it
        labels = {"pair": row["pair"]}
        metrics.add("jkstool_pair_ok", "gauge", "1 when the pair completes a mutual-TLS handshake, as JSSE "
                    "decides it.", labels, 1 if row["verdict"] == "ok" else 0)
        if row["first_break"]:
            moment = datetime.strptime(row["first_break"]["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            metrics.add("jkstool_pair_first_break_timestamp_seconds", "gauge", "When the pair first fails if "
                        "nothing is done, in seconds since the epoch.", labels, moment.timestamp())


# -- JUnit -----------------------------------------------------------------------

def junit(suite: str, cases: list[tuple[str, str, list[tuple[str, str, str]]]]) -> str:
    """A testsuite of (classname, name, [(element, message, text)]) cases: element is failure or error. A case's
    problems of one element are one such element (the first message, and every problem in its text), so the
    suite's failures and errors count both the cases and the elements, as each consumer reads them."""
    merged = [(classname, name, _one_of_each(problems)) for classname, name, problems in cases]
    failures = sum(1 for _, _, problems in merged for element, _, _ in problems if element == "failure")
    errors = sum(1 for _, _, problems in merged for element, _, _ in problems if element == "error")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuite name={quoteattr(_xml(suite))} tests="{len(merged)}" failures="{failures}" errors="{errors}">']
    for classname, name, problems in merged:
        opening = f"  <testcase classname={quoteattr(_xml(classname))} name={quoteattr(_xml(name))}"
        if not problems:
            lines.append(opening + "/>")
            continue
        lines.append(opening + ">")
        for element, message, texts in problems:  # a line per problem, each escaped on its own
            lines.append(f"    <{element} message={quoteattr(_xml(message))} type={quoteattr(element)}>"
                         + "\n".join(escape(_xml(text)) for text in texts) + f"</{element}>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"


def _one_of_each(problems: list[tuple[str, str, str]]) -> list[tuple[str, str, list[str]]]:
    """A case's problems of one element as one: the first message (and how many more), and its text, a line per
    problem."""
    found = []
    for element in dict.fromkeys(element for element, _, _ in problems):
        same = [(message, text) for kind, message, text in problems if kind == element]
        message = same[0][0] + (f" (and {len(same) - 1} more)" if len(same) > 1 else "")
        found.append((element, message, [same[0][1], *(f"{m}: {t}" for m, t in same[1:])]))
    return found


_NOT_XML = re.compile("[\ufffe\uffff]")
"""What XML 1.0 does not allow (Char) once `output.printable` has escaped the control characters and a file
name's bytes that are not UTF-8."""


def _xml(text: str) -> str:
    """Text fit for an XML 1.0 attribute or element, escapes aside: control characters, a file name's bytes that
    are not UTF-8 and the non-characters U+FFFE and U+FFFF (a certificate's CN may hold any) as backslash
    escapes, as `output.printable` shows them, else no parser takes the report."""
    text = output.printable(text)
    return _NOT_XML.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
