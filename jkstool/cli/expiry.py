"""`jkstool expiry`: the pre-deploy gate on certificate expiry."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import output, passwords, reports
from .options import Format, Json, PasswordFrom, PasswordMap, ReportFormat, ReportOutput, StorePass
from .stores import secret_sources

if TYPE_CHECKING:
    from ..api.checks import Scan


def expiry_command(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH",
        help="Stores, PEM or DER files, folders (searched recursively), and Kubernetes Secrets as kubectl get "
             "-o json|yaml prints them (a file, or - for stdin).", readable=False)],
    within: Annotated[int, typer.Option(min=0, metavar="DAYS", help=(
        "Fail (exit 1) when a certificate expires within DAYS, or a CRL's nextUpdate is within 3 days (or DAYS, "
        "when fewer)."))] = 30,
    storepass: StorePass = None,
    password_map: PasswordMap = None,
    password_from: PasswordFrom = None,
    json: Json = False,
    report_format: ReportFormat = Format.table,
    report_output: ReportOutput = None,
) -> None:
    """Every certificate, soonest to expire first; exit 1 when one expires within --within days.

    Exit 0 when none does, 1 when one does (or already has), 2 when a store cannot be read (the
    others are still listed). JKS stores list without a password; PKCS12 ones need theirs.

    Example:

    \b
        jkstool expiry /etc/myapp/tls --within 21 --storepass env:STOREPASS
        jkstool expiry /etc/tls --format prometheus --output /var/lib/node_exporter/jkstool.prom
        jkstool expiry secrets.json --password-from payments-pass/password
    """
    from .. import api
    json = json or report_format == Format.json
    if report_output is not None and report_format not in (Format.prometheus, Format.junit):
        output.fail("--output writes the --format prometheus or junit report; the table and JSON go to stdout")
    password = passwords.resolve(storepass)
    with output.Progress("scanning files", quiet=json or report_format != Format.table) as progress:
        files, secrets = secret_sources(paths, password, password_from)
        result = api.expiry(files, password=password, progress=progress, secrets=secrets,
                            passwords=passwords.load_map(password_map) if password_map else None)
    rows = result.certificates  # one row per certificate, with every place that holds it
    due = result.due(within)
    if report_format in (Format.prometheus, Format.junit):
        _report(report_format, result, within, report_output)
    elif json:
        errors = [{**f.to_dict(), "error": output.for_the_command_line(f.error)} for f in result.failures]
        output.print_json({**result.to_dict(within), "errors": errors}, "expiry")
    elif rows:
        output.print_table([[r.days_left, f"{r.not_after:%Y-%m-%d}", r.subject, _places(r.locations)]
                            for r in rows], ["days left", "not after", "subject", "where (file: alias)"],
                           flexible=(2, 3))
    for path, error in result.errors:
        output.line(f"error: {path}: {output.for_the_command_line(error)}", err=True)
    lists = sum(r.kind == "crl" for r in rows)
    found = output.count(len(rows) - lists, "certificate") + (f" and {output.count(lists, 'CRL')}" if lists else "")
    output.info(f"{found} in {output.count(result.files, 'file')}; "
                f"{len(due)} {'expires' if len(due) == 1 else 'expire'} within {output.count(within, 'day')}"
                + (f"; {output.count(len(result.errors), 'file')} could not be read" if result.errors else ""))
    raise typer.Exit(2 if result.errors else 1 if due else 0)


def _places(locations: tuple[tuple[str, str | None], ...]) -> str:
    path, alias = locations[0]
    text = output.readable(f"{path}: {alias}" if alias else path)  # a file name that is not UTF-8: escaped
    return text + (f" (+{len(locations) - 1} more)" if len(locations) > 1 else "")


def _report(report_format: Format, result: "Scan", within: int, path: Path | None) -> None:
    """The Prometheus exposition (a series per certificate and place) or a JUnit suite (a case per
    certificate and place, failing as the gate fails it; a store not read is an error)."""
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    if report_format == Format.prometheus:
        metrics = reports.Exposition()
        reports.expiry_metrics(metrics, result, now)
        reports.read_error_metrics(metrics, [(failure.path, failure.code) for failure in result.failures])
        reports.emit(metrics.text(), path)
        return
    due = {c.sha256 for c in result.due(within)}  # what fails the gate fails its cases
    cases = [(p["path"], f"{p['alias']}: {p['subject']}" if p["alias"] else p["subject"],
              [("failure", f"is due for renewal on {p['not_after']:%Y-%m-%d}" if p["crl"] else
                f"expires on {p['not_after']:%Y-%m-%d}, within {within} days",
                f"serial {p['serial']}, issuer {p['issuer']}")]
              if p["sha256"] in due else [])
             for p in reports.places(result)]
    cases += [(path_, "read", [("error", said, said)]) for path_, error in result.errors
              for said in [output.for_the_command_line(error)]]
    reports.emit(reports.junit("jkstool expiry", cases), path)
