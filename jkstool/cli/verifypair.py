"""`jkstool verify-pair`: will these two sides complete a mutual-TLS handshake? If not, why?"""

from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Debug, Json, StorePass
from .stores import read_store

ROLES = ("server-keystore", "server-truststore", "client-keystore", "client-truststore")


class Engine(str, Enum):
    java = "java"
    openssl = "openssl"


def _store_option(role):
    return typer.Option(f"--{role}", help=f"The {role.replace('-', ' ')} (default: DIR's).", show_default=False)


def _pass_option(role):
    return typer.Option(f"--{role}-pass", metavar="PASSWORD",
                        help=f"Password of the {role.replace('-', ' ')} (default: --storepass).")


def verify_pair_command(
    folder: Annotated[Path | None, typer.Argument(
        help="A layout folder holding server.keystore, server.truststore, client.keystore and "
             "client.truststore (.jks or .p12).", show_default=False)] = None,
    server_keystore: Annotated[Path | None, _store_option("server-keystore")] = None,
    server_truststore: Annotated[Path | None, _store_option("server-truststore")] = None,
    client_keystore: Annotated[Path | None, _store_option("client-keystore")] = None,
    client_truststore: Annotated[Path | None, _store_option("client-truststore")] = None,
    storepass: StorePass = None,
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
    handshake: Annotated[bool, typer.Option(
        "--handshake", help="Also run a real handshake on 127.0.0.1 (JSSE when Java is found).")] = False,
    handshake_engine: Annotated[Engine | None, typer.Option(
        help="Force the handshake engine: java (JSSE) or openssl (Python's ssl).")] = None,
    json: Json = False,
    debug: Debug = False,
):
    """Check that a server and a client will complete a mutual-TLS handshake, as JSSE would.

    Exit 0 when no check finds an error, 1 when one does, 2 when a store cannot be read.

    Example:

        jkstool verify-pair ./tls --hostname api.example.com --at 2027-06-30 --handshake
    """
    from .. import verify
    from ..errors import JkstoolError
    when = _date(at)
    paths = _paths(folder, {"server-keystore": server_keystore, "server-truststore": server_truststore,
                            "client-keystore": client_keystore, "client-truststore": client_truststore})
    given = {"server-keystore": server_keystore_pass, "server-truststore": server_truststore_pass,
             "client-keystore": client_keystore_pass, "client-truststore": client_truststore_pass}
    shared = passwords.resolve(storepass, layout=folder)
    secrets, stores = {}, {}
    for role in ROLES:
        password = passwords.from_option(given[role], f"--{role}-pass") if given[role] else shared
        pem = _is_pem(paths[role])  # a PEM store needs no password
        if password is None and not pem:
            password = shared = passwords.resolve(None, prompt="Password of the stores: ")
        secrets[role] = password if pem else passwords.require(password, str(paths[role]))
        loaded = read_store(paths[role], secrets[role], strict=False)
        stores[role] = verify.StoreInput(role, str(paths[role]), loaded)
    report = verify.verify(stores, hostname=hostname, at=when, warn_days=warn_days, crls=_crls(crl or []))
    if handshake or handshake_engine:
        from .. import handshake as engines
        try:
            outcome = engines.run(stores, secrets, hostname, handshake_engine.value if handshake_engine else None)
        except JkstoolError as e:
            output.fail(str(e))
        report.findings.append(_handshake_finding(outcome, paths))
    _render(report, stores, json)
    raise typer.Exit(0 if report.ok else 1)


def _date(text: str | None):
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        output.fail(f"--at {text!r} is not a date (write it as YYYY-MM-DD)")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _crls(paths: list[Path]):
    from .. import crl, files
    from ..errors import JkstoolError
    found = []
    for path in paths:
        try:
            found.append((str(path), crl.load(files.read_bytes(path))))
        except JkstoolError as e:
            raise e.at(path=path) from None
    return found


def _is_pem(path: Path) -> bool:
    from ..files import read_bytes
    from ..formats import pem
    return pem.is_pem(read_bytes(path))


def _paths(folder: Path | None, given: dict) -> dict[str, Path]:
    """Each store's path: the option, else the folder's conventional file."""
    from ..errors import JkstoolError
    paths = {}
    for role in ROLES:
        if given[role] is not None:
            paths[role] = given[role]
            continue
        if folder is None:
            raise JkstoolError(f"no {role.replace('-', ' ')} given",
                               f"give a layout folder, or --{role}")
        side, kind = role.split("-")
        found = [folder / f"{side}.{kind}.{ext}" for ext in ("jks", "p12")
                 if (folder / f"{side}.{kind}.{ext}").exists()]
        if len(found) != 1:
            names = (f"both {side}.{kind}.jks and {side}.{kind}.p12" if found
                     else f"neither {side}.{kind}.jks nor {side}.{kind}.p12")
            raise JkstoolError(f"the folder holds {names}",
                               f"name the store with --{role}", path=str(folder))
        paths[role] = found[0]
    return paths


def _handshake_finding(outcome, paths):
    from ..verify import ERROR, INFO, Finding
    if outcome.ok:
        return Finding(INFO, "handshake-ok", str(paths["server-keystore"]), None,
                       f"a real handshake with {outcome.engine} succeeded: {outcome.detail}", "")
    note = "" if outcome.engine.startswith("JSSE") else (
        " (an OpenSSL cross-check, not JSSE: no Java was found or it was not chosen)")
    return Finding(ERROR, "handshake-failed", str(paths["server-keystore"]), None,
                   f"a real handshake with {outcome.engine} failed{note}: {outcome.detail}",
                   "see the other findings; docs/troubleshooting.md maps each Java message to its cause")


def _render(report, stores, json: bool) -> None:
    from ..certs import load, subject_of
    errors = sum(f.severity == "error" for f in report.findings)
    warnings = sum(f.severity == "warning" for f in report.findings)
    trust = {}
    for side, path in report.paths.items():
        peer = "client" if side == "server" else "server"
        trust[side] = {
            "to": f"{peer}-truststore", "ok": path.ok,
            "anchor": subject_of(load(path.anchor.cert)) if path.anchor else None,
            "broken_at": subject_of(load(path.broken_at)) if path.broken_at else None}
    if json:
        output.print_json({"ok": report.ok, "trust": trust,
                           "findings": [f.__dict__ for f in report.findings]})
        return
    verdict = ("OK: the server and the client will complete a mutual-TLS handshake"
               if report.ok else "FAIL: the server and the client will not complete a mutual-TLS handshake")
    typer.echo(f"{verdict} ({errors} error(s), {warnings} warning(s))")
    rows = [[f"{side} chain -> {t['to']}",
             f"trusted via {t['anchor']}" if t["ok"] else f"broken at {t['broken_at']}"]
            for side, t in trust.items()]
    if rows:
        typer.echo("")
        output.print_table(rows, ["path", "result"])
    if report.findings:
        typer.echo("")
        output.print_table([[f.severity, f.code, f.store, f.alias or "", f.message, f.fix]
                            for f in report.findings],
                           ["severity", "code", "store", "alias", "message", "fix"])
