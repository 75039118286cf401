"""`jkstool verify-pair`: will these two sides complete a mutual-TLS handshake? If not, why?"""

from datetime import datetime, timezone
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from ..model import ROLES
from . import output, passwords
from .options import Format, Json, PasswordFrom, PasswordMap, ReportFormat, ReportOutput, StorePass


class Engine(str, Enum):
    java = "java"
    openssl = "openssl"


def _store_option(role):
    return typer.Option(f"--{role}", help=f"The {role.replace('-', ' ')} (default: DIR's).", show_default=False)


def _pass_option(role):
    return typer.Option(f"--{role}-pass", metavar="PASSWORD",
                        help=f"Password of the {role.replace('-', ' ')} (default: --storepass).")


def verify_pair_command(
    folder: Annotated[Path | None, typer.Argument(metavar="DIR",
        help="A layout folder holding server.keystore, server.truststore, client.keystore and "
             "client.truststore (.jks or .p12); or Kubernetes Secrets as kubectl get -o json|yaml prints "
             "them (a file, or - for stdin).", show_default=False)] = None,
    server_keystore: Annotated[Path | None, _store_option("server-keystore")] = None,
    server_truststore: Annotated[Path | None, _store_option("server-truststore")] = None,
    client_keystore: Annotated[Path | None, _store_option("client-keystore")] = None,
    client_truststore: Annotated[Path | None, _store_option("client-truststore")] = None,
    storepass: StorePass = None,
    password_map: PasswordMap = None,
    password_from: PasswordFrom = None,
    server_secret: Annotated[str | None, typer.Option(
        metavar="NAME", help="Kubernetes input: the server's Secret (default: the one named *-server).")] = None,
    client_secret: Annotated[str | None, typer.Option(
        metavar="NAME", help="Kubernetes input: the client's Secret (default: the one named *-client).")] = None,
    server_keystore_pass: Annotated[str | None, _pass_option("server-keystore")] = None,
    server_truststore_pass: Annotated[str | None, _pass_option("server-truststore")] = None,
    client_keystore_pass: Annotated[str | None, _pass_option("client-keystore")] = None,
    client_truststore_pass: Annotated[str | None, _pass_option("client-truststore")] = None,
    hostname: Annotated[str | None, typer.Option(
        help="Check the server certificate for the name (or IP address) the client dials.")] = None,
    at: Annotated[str | None, typer.Option(
        metavar="DATE", help="Check validity on this date (YYYY-MM-DD) instead of now.")] = None,
    warn_days: Annotated[int, typer.Option(min=0, help="Warn about certificates expiring within N days.")] = 30,
    crl: Annotated[list[Path] | None, typer.Option(
        "--crl", help="A CRL to check the certificates against (repeatable).")] = None,
    jdk: Annotated[str | None, typer.Option(
        "--jdk", metavar="PATH|RELEASE",
        help="Whose rules decide: a JDK folder, or a release's defaults (17, 17.0.15, 21, 25; default: the JDK "
             "on this machine, JAVA_HOME then PATH, else 17).")] = None,
    java_security: Annotated[Path | None, typer.Option(
        help="A java.security override, as -Djava.security.properties=FILE gives the application.")] = None,
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
    report_format: ReportFormat = Format.table,
    report_output: ReportOutput = None,
):
    """Check that a server and a client will complete a mutual-TLS handshake, as JSSE would.

    Exit 0 when no check finds an error, 1 when one does, 2 when a store cannot be read.

    Example:

    \b
        jkstool verify-pair ./tls --hostname api.example.com --at 2027-06-30 --handshake
        jkstool verify-pair ./tls --first-break
        jkstool verify-pair /etc/tls --all --storepass env:STOREPASS
        jkstool verify-pair /etc/tls --all --format junit --output pairs.xml
    """
    from .. import api
    from ..errors import JkstoolError
    json = json or report_format == Format.json
    machine = report_format in (Format.prometheus, Format.junit)
    if report_output is not None and not machine:
        output.fail("--output writes the --format prometheus or junit report; the table and JSON go to stdout")
    first_break = first_break or report_format == Format.prometheus
    lookup = passwords.load_map(password_map) if password_map else None
    if all_pairs:
        if folder is None or handshake or handshake_engine or any(
                (server_keystore, server_truststore, client_keystore, client_truststore)):
            output.fail("--all checks the pairs under a folder: give DIR, and no store options or --handshake")
        check = partial(api.verify_pair, hostname=hostname, at=_date(at), warn_days=warn_days, crls=crl or [],
                        jdk=jdk, java_security=java_security, first_break=True)
        return _all_pairs(folder, passwords.resolve(storepass), check, json, report_format, report_output, lookup)
    from ..layout.manifest import find_stores
    when = _date(at)
    if folder is not None and (str(folder) == "-" or folder.is_file()):
        if handshake or handshake_engine:
            output.fail("--handshake needs the stores as files: run it on a layout folder or --server-keystore ...")
        try:
            report = _from_secrets(folder, passwords.resolve(storepass), password_from, server_secret,
                                   client_secret, partial(api.verify_secrets, hostname=hostname, at=when,
                                                          warn_days=warn_days, crls=crl or [], jdk=jdk,
                                                          java_security=java_security, first_break=first_break))
        except JkstoolError as e:
            if not machine:
                raise
            return _unreadable(folder, e, report_format, report_output)
        return _finish(report, folder, json, report_format, report_output, first_break, machine)
    try:  # in the machine formats, a pair not read is reported too
        given = {"server-keystore": server_keystore, "server-truststore": server_truststore,
                 "client-keystore": client_keystore, "client-truststore": client_truststore}
        paths = _paths(folder, given, find_stores)
        own = {"server-keystore": server_keystore_pass, "server-truststore": server_truststore_pass,
               "client-keystore": client_keystore_pass, "client-truststore": client_truststore_pass}
        shared = passwords.resolve(storepass, layout=folder)
        secrets = {}
        for role in ROLES:
            option = own[role]
            mapped = lookup(paths[role]) if lookup else None
            password = passwords.from_option(option, f"--{role}-pass") if option else mapped if mapped is not None \
                else shared
            pem = _is_pem(paths[role])  # a PEM store needs no password
            if password is None and not pem:
                password = shared = passwords.resolve(None, prompt="Password of the stores: ")
            secrets[role] = password if pem else passwords.require(password, str(paths[role]))
        crls = [*(crl or []), *(api.layout_crls(folder) if folder is not None else [])]
        report = api.verify_pair(paths, passwords=secrets, hostname=hostname, at=when, warn_days=warn_days,
                                 crls=crls, jdk=jdk, java_security=java_security, first_break=first_break)
    except JkstoolError as e:
        if not machine:
            raise
        return _unreadable(folder or server_keystore or Path("."), e, report_format, report_output)
    for role in ROLES:
        for message in report.stores[role].loaded.warnings:
            output.warn(f"{paths[role]}: {message}")
    if handshake or handshake_engine:
        from ..mtls import handshake as engines
        outcome = engines.run(report.stores, secrets, hostname, handshake_engine.value if handshake_engine else None)
        report.findings.append(engines.outcome_finding(outcome, paths["server-keystore"]))
    return _finish(report, folder or paths["server-keystore"], json, report_format, report_output, first_break,
                   machine)


def _unreadable(name, error, report_format, path):
    """A pair that cannot be read, in the machine formats too (a textfile collector must not keep serving
    the last good value): the error on stderr, the report written, exit 2."""
    _machine_report(report_format, [_pair_row(str(name), None, error.what, error.path or str(name))], path)
    output.line(f"error: {error}", err=True)
    raise typer.Exit(2)


def _from_secrets(source: Path, password, password_from, server: str | None, client: str | None, check):
    """verify-pair on the stores of two Kubernetes Secrets."""
    from ..fleet import secrets
    from .stores import secret_sources
    _, found = secret_sources([source], password, password_from)
    report = check(secrets.pair(found, server, client, "stdin" if str(source) == "-" else str(source)))
    for store in report.stores.values():
        for message in store.loaded.warnings:
            output.warn(f"{store.path}: {message}")
    return report


def _finish(report, name, json: bool, report_format, report_output, first_break: bool, machine: bool):
    """The report in the format asked, and the exit code: 0 when the pair passes, else 1."""
    if machine:
        _machine_report(report_format, [_pair_row(str(name), report)], report_output)
    else:
        _render(report, json, first_break)
    raise typer.Exit(0 if report.ok else 1)


def _all_pairs(root: Path, password, check, json: bool, report_format, path, lookup):
    """--all: one row per pair, a summary on stderr; exit 2 if a pair cannot be read, else 1 if one fails."""
    from ..fleet import pairs
    with output.Progress("checking pairs", quiet=json or report_format != Format.table) as progress:
        results = pairs.check_all(root, password, check, progress, lookup)
    rows = [_pair_row(str(r.folder.relative_to(root)), r.report, r.error, r.error_path) for r in results]
    if report_format in (Format.prometheus, Format.junit):
        _machine_report(report_format, rows, path)
    elif json:
        output.print_json({"pairs": rows})
    elif rows:
        output.print_table([[r["pair"], r["verdict"], _or_dash(r["errors"]), _or_dash(r["warnings"]), _break_cell(r)]
                            for r in rows],
                           ["pair", "verdict", "errors", "warnings", "first break"], flexible=(0, 4))
    failing = sum(r["verdict"] == "FAIL" for r in rows)
    unreadable = [r for r in rows if r["verdict"] == "unreadable"]
    for row in unreadable:
        output.line(f"error: {row['error']}", err=True)
    soonest = pairs.soonest(results)
    output.info(f"{output.count(len(rows), 'pair')}: {failing} failing"
                + (f", {len(unreadable)} unreadable" if unreadable else "")
                + (f"; the first break is {_iso(soonest)}" if soonest else ""))
    raise typer.Exit(2 if unreadable else 1 if failing else 0)


def _machine_report(report_format, rows: list[dict], path) -> None:
    """Prometheus: jkstool_pair_ok and the first break per pair, read errors; JUnit: a case per pair, a
    failure per error finding, an error for a pair not read."""
    from . import reports
    if report_format == Format.prometheus:
        metrics = reports.Exposition()
        reports.pair_metrics(metrics, rows)
        reports.read_error_metrics(metrics, [(r["error_path"], r["error_reason"]) for r in rows if r["error"]])
        reports.emit(metrics.text(), path)
        return
    cases = []
    for row in rows:
        problems = [("error", row["error"], row["error"])] if row["error"] else [
            ("failure", f"{f['code']}: {f['message']}", f"{f['store']}: {f['fix']}")
            for f in row["findings"] if f["severity"] == "error"]
        cases.append(("jkstool verify-pair", row["pair"], problems))
    reports.emit(reports.junit("jkstool verify-pair", cases), path)


def _pair_row(name: str, report, error: str | None = None, error_path: str | None = None) -> dict:
    """A pair's row for the machine formats, --json and the --all table: its report, or why there is none."""
    if report is None:
        return {"pair": name, "verdict": "unreadable", "errors": None, "warnings": None, "first_break": None,
                "findings": [], "error": f"{error_path}: {error}", "error_path": error_path, "error_reason": error}
    return {"pair": name, "verdict": "ok" if report.ok else "FAIL",
            "errors": sum(f.severity == "error" for f in report.findings),
            "warnings": sum(f.severity == "warning" for f in report.findings),
            "first_break": break_json(report.first_break), "findings": [f.__dict__ for f in report.findings],
            "error": None, "error_path": None, "error_reason": None}


def _or_dash(value) -> object:
    return "-" if value is None else value


def _break_cell(row: dict) -> str:
    found = row["first_break"]
    if found is None:
        return "-"
    what = found["ended"][0]["what"] if found["ended"] else ", ".join(f["code"] for f in found["findings"])
    return f"{found['at'][:10]} {what}"


def _date(text: str | None):
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        output.fail(f"--at {text!r} is not a date (write it as YYYY-MM-DD)")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _is_pem(path: Path) -> bool:
    from ..files import read_bytes
    from ..formats import pem
    return pem.is_pem(read_bytes(path))


def _paths(folder: Path | None, given: dict, find_stores) -> dict[str, Path]:
    """Each store's path: the option, else the folder's (its layout.json's, or by name)."""
    from ..errors import JkstoolError
    if all(given.values()):
        return dict(given)
    if folder is None:
        role = next(r for r in ROLES if given[r] is None)
        raise JkstoolError(f"no {role.replace('-', ' ')} given", f"give a layout folder, or --{role}")
    found = find_stores(folder, skip=[role for role in ROLES if given[role] is not None])
    return {role: given[role] or found[role] for role in ROLES}


def _path_result(trust: dict) -> str:
    if trust["presented"] is None:
        return "no certificate sent"
    if trust["pinned"]:
        return f"'{trust['presented']}' trusted as it is (pinned)"
    if trust["ok"]:
        return f"'{trust['presented']}' trusted via {trust['anchor']}"
    return f"'{trust['presented']}' broken at {trust['broken_at']}"


def _render(report, json: bool, asked_break: bool = False) -> None:
    from ..pki.certs import load, subject_of
    errors = sum(f.severity == "error" for f in report.findings)
    warnings = sum(f.severity == "warning" for f in report.findings)
    trust = {}
    for side in ("server", "client"):
        path = report.paths.get(side)
        peer = "client" if side == "server" else "server"
        trust[side] = {
            "to": f"{peer}-truststore", "ok": bool(path and path.ok), "presented": report.presented.get(side),
            "pinned": bool(path and path.pinned),
            "anchor": subject_of(load(path.anchor.cert)) if path and path.anchor else None,
            "broken_at": subject_of(load(path.broken_at)) if path and path.broken_at else None}
    if json:
        output.print_json({"ok": report.ok, "rules": report.rules, "trust": trust,
                           "findings": [f.__dict__ for f in report.findings],
                           **({"first_break": break_json(report.first_break)} if asked_break else {})})
        return
    verdict = ("OK: the server and the client will complete a mutual-TLS handshake"
               if report.ok else "FAIL: the server and the client will not complete a mutual-TLS handshake")
    output.block(f"{verdict} ({output.count(errors, 'error')}, {output.count(warnings, 'warning')}), by the "
                 f"rules of {report.rules}")
    for side, t in trust.items():
        output.block(f"{side} chain -> {t['to']}: {_path_result(t)}", "  ")
    if asked_break:
        output.block(f"first break: {break_text(report.first_break)}", "  ")
    print_findings(report.findings)


def break_json(found) -> dict | None:
    """The first break for --json: when, what ended, and the findings it brings (None: none is known)."""
    if found is None:
        return None
    return {"at": _iso(found.at),
            "ended": [{"what": e.what, "where": e.where, "at": _iso(e.at)} for e in found.endings],
            "findings": [f.__dict__ for f in found.findings]}


def break_text(found) -> str:
    if found is None:
        return "none: nothing that ends on the paths breaks the pair"
    codes = ", ".join(dict.fromkeys(f.code for f in found.findings))
    if not found.endings:
        return f"now ({codes})"
    ended = " and ".join(f"{e.what} ({e.where})" for e in found.endings)
    return f"{_iso(found.at)}, when {ended} {'ends' if len(found.endings) == 1 else 'end'} ({codes})"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_findings(findings) -> None:
    """One block each, wrapped to the width: severity and code, where, what, and the fix."""
    for f in findings:
        typer.echo("")
        output.block(f"{f.severity} {f.code}: {f.store}" + (f", alias '{f.alias}'" if f.alias else ""))
        output.block(f.message, "  ")
        if f.fix:
            output.block(f"fix: {f.fix}", "  ")
