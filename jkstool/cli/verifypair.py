"""`jkstool verify-pair`: will these two sides complete a mutual-TLS handshake? If not, why?"""

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from . import output, passwords, reports
from .options import (
    JavaSecurity,
    Json,
    PairFormat,
    PairReportFormat,
    PasswordFrom,
    PasswordMap,
    ReportOutput,
    StorePass,
)

if TYPE_CHECKING:
    from ..api import JkstoolError
    from ..api.checks import Break, Finding, PasswordChooser, Report


class Engine(str, Enum):
    java = "java"
    openssl = "openssl"


def _store_option(role: str) -> Any:
    return typer.Option(f"--{role}", help=f"The {role.replace('-', ' ')} (default: DIR's).", show_default=False,
                        readable=False)


def _pass_option(role: str) -> Any:
    return typer.Option(f"--{role}-pass", metavar="PASSWORD",
                        help=f"Password of the {role.replace('-', ' ')} (default: --storepass).")


# The options that name a pair and how it is judged, shared with `graph` (which draws what verify-pair says).
PairFolder = Annotated[Path | None, typer.Argument(
    metavar="DIR", help="A layout folder holding server.keystore, server.truststore, client.keystore and "
                        "client.truststore (.jks or .p12); or Kubernetes Secrets as kubectl get -o json|yaml "
                        "prints them (a file, or - for stdin).", show_default=False, readable=False)]
ServerKeystore = Annotated[Path | None, _store_option("server-keystore")]
ServerTruststore = Annotated[Path | None, _store_option("server-truststore")]
ClientKeystore = Annotated[Path | None, _store_option("client-keystore")]
ClientTruststore = Annotated[Path | None, _store_option("client-truststore")]
ServerSecret = Annotated[str | None, typer.Option(
    metavar="NAME", help="Kubernetes input: the server's Secret (default: the one named *-server).")]
ClientSecret = Annotated[str | None, typer.Option(
    metavar="NAME", help="Kubernetes input: the client's Secret (default: the one named *-client).")]
ServerKeystorePass = Annotated[str | None, _pass_option("server-keystore")]
ServerTruststorePass = Annotated[str | None, _pass_option("server-truststore")]
ClientKeystorePass = Annotated[str | None, _pass_option("client-keystore")]
ClientTruststorePass = Annotated[str | None, _pass_option("client-truststore")]
Hostname = Annotated[str | None, typer.Option(
    help="Check the server certificate for the name (or IP address) the client dials.")]
At = Annotated[str | None, typer.Option(
    metavar="DATE", help="Check validity on this date (YYYY-MM-DD) instead of now.")]
Crls = Annotated[list[Path] | None, typer.Option(
    "--crl", help="A CRL to check the certificates against (repeatable).", readable=False)]
Jdk = Annotated[str | None, typer.Option(
    "--jdk", metavar="PATH|RELEASE",
    help="Whose rules decide: a JDK folder, or a release's defaults (17, 17.0.15, 21, 25; default: the JDK "
         "on this machine, JAVA_HOME then PATH, else 17).")]
ModelOnly = Annotated[bool, typer.Option(
    "--model-only", help="jkstool's rules alone, no JVM (fast). By default the target JDK, where it is on "
                         "this machine, decides with its own handshake, and the rules explain it.")]


def verify_pair_command(
    folder: PairFolder = None,
    server_keystore: ServerKeystore = None,
    server_truststore: ServerTruststore = None,
    client_keystore: ClientKeystore = None,
    client_truststore: ClientTruststore = None,
    storepass: StorePass = None,
    password_map: PasswordMap = None,
    password_from: PasswordFrom = None,
    server_secret: ServerSecret = None,
    client_secret: ClientSecret = None,
    server_keystore_pass: ServerKeystorePass = None,
    server_truststore_pass: ServerTruststorePass = None,
    client_keystore_pass: ClientKeystorePass = None,
    client_truststore_pass: ClientTruststorePass = None,
    hostname: Hostname = None,
    at: At = None,
    warn_days: Annotated[int, typer.Option(min=0, help="Warn about certificates expiring within N days.")] = 30,
    crl: Crls = None,
    jdk: Jdk = None,
    java_security: JavaSecurity = None,
    model_only: ModelOnly = False,
    handshake: Annotated[bool, typer.Option(
        "--handshake", help="Also run a real handshake on 127.0.0.1 (JSSE when Java is found).")] = False,
    handshake_engine: Annotated[Engine | None, typer.Option(
        help="Force the handshake engine: java (JSSE) or openssl (Python's ssl).")] = None,
    all_pairs: Annotated[bool, typer.Option(
        "--all", help="DIR is a root: check every pair under it (layout folders, and folders holding the four "
                      "stores by name), one row each, with its first break.")] = False,
    first_break: Annotated[bool, typer.Option(
        "--first-break", help="Also say when the pair first fails if nothing is done, and which certificate "
                              "(or CRL) ends then.")] = False,
    json: Json = False,
    report_format: PairReportFormat = PairFormat.table,
    report_output: ReportOutput = None,
) -> None:
    """Check that a server and a client will complete a mutual-TLS handshake, as JSSE would.

    Exit 0 when no check finds an error, 1 when one does, 2 when a store cannot be read.

    Example:

    \b
        jkstool verify-pair ./tls --hostname api.example.com
        jkstool verify-pair ./tls --at 2027-06-30 --model-only
        jkstool verify-pair ./tls --first-break
        jkstool verify-pair /etc/tls --all --storepass env:STOREPASS
        jkstool verify-pair /etc/tls --all --format junit --output pairs.xml
        jkstool verify-pair /etc/tls --all --format html --output pairs.html
    """
    from .. import api
    from ..api.checks import run_handshake
    json = json or report_format == PairFormat.json
    machine = report_format in (PairFormat.prometheus, PairFormat.junit)
    if report_output is not None and not machine and report_format != PairFormat.html:
        output.fail("--output writes the --format prometheus or junit report, or the html page; the table and "
                    "JSON go to stdout")
    first_break = first_break or report_format in (PairFormat.prometheus, PairFormat.html)
    lookup = passwords.load_map(password_map) if password_map and all_pairs else None
    given = by_role(server_keystore, server_truststore, client_keystore, client_truststore)
    if all_pairs and (folder is None or handshake or handshake_engine or any(given.values())):
        output.fail("--all checks the pairs under a folder: give DIR, and no store options or --handshake")
    checks: dict[str, Any] = {"hostname": hostname, "at": at_date(at), "warn_days": warn_days, "crls": crl or [],
                              "jdk": jdk, "java_security": java_security, "model_only": model_only}
    if all_pairs and folder is not None:
        _all_pairs(folder, passwords.resolve(storepass), lookup, json, report_format, report_output, **checks)
    checks["first_break"] = first_break
    secrets = folder is not None and (str(folder) == "-" or folder.is_file())
    if secrets and (handshake or handshake_engine):
        output.fail("--handshake needs the stores as files: run it on a layout folder or --server-keystore ...")
    own = by_role(server_keystore_pass, server_truststore_pass, client_keystore_pass, client_truststore_pass)
    chosen: dict[str, str | None] = {}
    try:  # in the machine formats, a pair not read is reported too
        report = read_pair(folder, given, own, storepass, password_map, password_from, server_secret, client_secret,
                           checks, chosen)
    except api.JkstoolError as e:
        if not machine:
            raise
        _unreadable(folder or server_keystore or Path("."), e, report_format, report_output)
    if folder is not None and secrets:
        _finish(report, folder, json, report_format, report_output, machine)
    if handshake or handshake_engine:
        run_handshake(report, passwords=chosen, hostname=hostname,
                      engine=handshake_engine.value if handshake_engine else None)
    _finish(report, folder or Path(report.stores["server-keystore"].path), json, report_format, report_output,
            machine)


_T = TypeVar("_T")


def by_role(server_keystore: _T, server_truststore: _T, client_keystore: _T, client_truststore: _T) -> dict[str, _T]:
    """The four store options (or their password options) keyed by the role they name."""
    return {"server-keystore": server_keystore, "server-truststore": server_truststore,
            "client-keystore": client_keystore, "client-truststore": client_truststore}


def read_pair(folder: Path | None, given: dict[str, Path | None], own: dict[str, str | None],
              storepass: str | None, password_map: Path | None, password_from: str | None, server_secret: str | None,
              client_secret: str | None, checks: dict[str, Any], chosen: dict[str, str | None] | None = None
              ) -> "Report":
    """The report of one pair as verify-pair reads it: DIR's stores (a layout folder, or the four files by
    name) with those the store options name instead, each opened with its --ROLE-pass, else its
    --password-map line, else the shared password; or the stores of two Kubernetes Secrets (DIR a file, or -).
    What the readers noticed is said on stderr; what each store was opened with is kept in `chosen`."""
    from .. import api
    if folder is not None and (str(folder) == "-" or folder.is_file()):
        return _from_secrets(folder, passwords.resolve(storepass), password_from, server_secret, client_secret,
                             checks)
    lookup = passwords.load_map(password_map) if password_map else None
    report = api.verify_pair(given, folder=folder, passwords=_chooser(own, lookup, storepass, folder,
                                                                      {} if chosen is None else chosen), **checks)
    _warn(report)
    return report


def _chooser(own: dict[str, str | None], lookup: Callable[[Path], str | None] | None, storepass: str | None,
             folder: Path | None, chosen: dict[str, str | None]) -> "PasswordChooser":
    """Each store's password: its --ROLE-pass, else the --password-map line that matches it, else the shared
    one (--storepass, JKSTOOL_STOREPASS, DIR's storepass file); a store that needs one and has none asks
    once, for all. What each store got is kept in `chosen` (a real handshake opens them again)."""
    shared: list[str | None] = []

    def choose(role: str, path: Path, required: bool) -> str | None:
        if not shared:
            shared.append(passwords.resolve(storepass, layout=folder))
        option = own[role]
        mapped = lookup(path) if lookup else None
        password = passwords.from_option(option, f"--{role}-pass") if option else mapped if mapped is not None \
            else shared[0]
        if password is None and required:
            password = shared[0] = passwords.resolve(None, prompt="Password of the stores: ")
        chosen[role] = passwords.require(password, str(path)) if required else password
        return chosen[role]
    return choose


def _warn(report: "Report") -> None:
    """What the readers noticed about the stores (a key file others can read...), on stderr."""
    for store in report.stores.values():
        for message in store.loaded.warnings:
            output.warn(f"{store.path}: {message}")


def _unreadable(name: Path, error: "JkstoolError", report_format: PairFormat, path: Path | None) -> NoReturn:
    """A pair that cannot be read, in the machine formats too (a textfile collector must not keep serving
    the last good value): the error on stderr, the report written, exit 2."""
    from ..api.checks import PairResult
    _machine_report(report_format, [_as_said(PairResult.failed(name, error).to_dict())], path)
    output.line(f"error: {output.for_the_command_line(str(error))}", err=True)
    raise typer.Exit(2)


def _from_secrets(source: Path, password: str | None, password_from: str | None, server: str | None,
                  client: str | None, checks: dict[str, Any]) -> "Report":
    """verify-pair on the stores of two Kubernetes Secrets."""
    from ..api import PasswordNeeded
    from ..api.checks import verify_secrets
    from .stores import secret_sources
    _, found = secret_sources([source], password, password_from)
    try:
        report = verify_secrets(found, server=server, client=client,
                                source="stdin" if str(source) == "-" else str(source), **checks)
    except PasswordNeeded as e:
        raise PasswordNeeded(e.what, "give --password-from SECRET/KEY (the Secret that holds it), or --storepass "
                                     "env:NAME or file:PATH") from None
    _warn(report)
    return report


def _finish(report: "Report", name: Path, json: bool, report_format: PairFormat, report_output: Path | None,
            machine: bool) -> NoReturn:
    """The report in the format asked, and the exit code: 0 when the pair passes, else 1."""
    from ..api.checks import PairResult
    if report_format == PairFormat.html:
        from ..api import Fleet, fleet_report_html
        reports.emit(fleet_report_html(Fleet(name, [PairResult(name, report, name=str(name))])), report_output)
    elif machine:
        _machine_report(report_format, [_as_said(PairResult(name, report).to_dict())], report_output)
    elif json:
        output.print_json(report.to_dict(), "verify-pair")
    else:
        _render(report)
    raise typer.Exit(0 if report.ok else 1)


def _all_pairs(root: Path, password: str | None, lookup: Callable[[Path], str | None] | None, json: bool,
               report_format: PairFormat, path: Path | None, **checks: Any) -> NoReturn:
    """--all: one row per pair, a summary on stderr; exit 2 if a pair cannot be read, else 1 if one fails."""
    from ..api.checks import verify_fleet
    with output.Progress("checking pairs", quiet=json or report_format != PairFormat.table) as progress:
        fleet = verify_fleet(root, password=password, passwords=lookup, progress=progress, **checks)
    rows = [_as_said(pair.to_dict()) for pair in fleet.pairs]
    if report_format in (PairFormat.prometheus, PairFormat.junit):
        _machine_report(report_format, rows, path)
    elif report_format == PairFormat.html:
        from ..api import fleet_report_html
        reports.emit(fleet_report_html(fleet), path)
    elif json:
        output.print_json({**fleet.to_dict(), "pairs": rows}, "verify-pair-all")
    elif rows:
        output.print_table([[r["pair"], r["verdict"], _or_dash(r["errors"]), _or_dash(r["warnings"]), _break_cell(r)]
                            for r in rows],
                           ["pair", "verdict", "errors", "warnings", "first break"], flexible=(0, 4))
    for row in rows:
        if row["error"]:
            output.line(f"error: {row['error']}", err=True)
    soonest = fleet.soonest
    output.info(f"{output.count(len(rows), 'pair')}: {len(fleet.failing)} failing"
                + (f", {len(fleet.unreadable)} unreadable" if fleet.unreadable else "")
                + (f"; the first break is {_iso(soonest)}" if soonest else ""))
    raise typer.Exit(2 if fleet.unreadable else 1 if fleet.failing else 0)


def _as_said(row: dict[str, Any]) -> dict[str, Any]:
    """A pair's row with its read error as the command line says it (its options, where the core names the
    API's parameters: jdk=... is --jdk)."""
    row = output.readable_all(row)  # a folder or file name that is not UTF-8: escaped
    if not row["error"]:
        return row
    return {**row, "error": output.for_the_command_line(row["error"]),
            "error_reason": output.for_the_command_line(row["error_reason"])}


def _machine_report(report_format: PairFormat, rows: list[dict[str, Any]], path: Path | None) -> None:
    """Prometheus: jkstool_pair_ok and the first break per pair, read errors; JUnit: a case per pair, a
    failure per error finding, an error for a pair not read."""
    if report_format == PairFormat.prometheus:
        metrics = reports.Exposition()
        reports.pair_metrics(metrics, rows)
        reports.read_error_metrics(metrics, [(r["error_path"], r["error_code"]) for r in rows if r["error"]])
        reports.emit(metrics.text(), path)
        return
    cases = []
    for row in rows:
        problems = [("error", row["error"], row["error"])] if row["error"] else [
            ("failure", f"{f['code']}: {f['message']}", f"{f['store']}: {f['fix']}")
            for f in row["findings"] if f["severity"] == "error"]
        cases.append(("jkstool verify-pair", row["pair"], problems))
    reports.emit(reports.junit("jkstool verify-pair", cases), path)


def _or_dash(value: object) -> object:
    return "-" if value is None else value


def _break_cell(row: dict[str, Any]) -> str:
    found = row["first_break"]
    if found is None:
        return "-"
    what = found["ended"][0]["what"] if found["ended"] else ", ".join(f["code"] for f in found["findings"])
    return f"{found['at'][:10]} {what}"


def at_date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        output.fail(f"--at {text!r} is not a date (write it as YYYY-MM-DD)")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _path_result(trust: dict[str, Any]) -> str:
    if trust["presented"] is None:
        return "no certificate sent"
    if trust["pinned"]:
        return f"'{trust['presented']}' trusted as it is (pinned)"
    if trust["ok"]:
        return f"'{trust['presented']}' trusted via {trust['anchor']}"
    return f"'{trust['presented']}' broken at {trust['broken_at']}"


def _render(report: "Report") -> None:
    verdict = ("OK: the server and the client will complete a mutual-TLS handshake"
               if report.ok else "FAIL: the server and the client will not complete a mutual-TLS handshake")
    output.block(f"{verdict} ({output.count(report.error_count, 'error')}, "
                 f"{output.count(report.warning_count, 'warning')}); decided by {report.decided_by}, explained by "
                 f"the rules of {report.rules}")
    for side, trust in report.trust().items():
        output.block(f"{side} chain -> {trust['to']}: {_path_result(trust)}", "  ")
    if report.first_break_asked:
        output.block(f"first break: {break_text(report.first_break)}", "  ")
    print_findings(report.findings)


def break_text(found: "Break | None") -> str:
    if found is None:
        return "none: nothing that ends on the paths breaks the pair"
    codes = ", ".join(dict.fromkeys(f.code for f in found.findings))
    if not found.endings:
        return f"now ({codes})"
    ended = " and ".join(f"{e.what} ({e.where})" for e in found.endings)
    return f"{_iso(found.at)}, when {ended} {'ends' if len(found.endings) == 1 else 'end'} ({codes})"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_findings(findings: "Sequence[Finding]") -> None:
    """One block each, wrapped to the width: severity and code, where, what, and the fix."""
    for f in findings:
        typer.echo("")
        output.block(f"{f.severity} {f.code}: {f.store}" + (f", alias '{f.alias}'" if f.alias else ""))
        output.block(f.message, "  ")
        if f.fix:
            output.block(f"fix: {f.fix}", "  ")
