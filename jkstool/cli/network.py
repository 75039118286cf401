"""Commands that talk to the network: probe (a live server) and serve (a test endpoint)."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import output, passwords
from .options import Json, StorePass

if TYPE_CHECKING:
    from ..api.network import Listening, Visit


def _passwords(storepass: str | None, keystore_pass: str | None, truststore_pass: str | None, keystore: bool = True,
               truststore: bool = True) -> dict[str, str | None]:
    """The passwords of the stores given: one for both (asked once), or each its own."""
    shared = passwords.resolve(storepass, prompt="Password of the stores: ") if keystore or truststore else None
    return {"password": shared,
            "keystore_password": passwords.from_option(keystore_pass, "--keystore-pass")
            if keystore and keystore_pass else None,
            "truststore_password": passwords.from_option(truststore_pass, "--truststore-pass")
            if truststore and truststore_pass else None}


def _noticed(path: Path, message: str) -> None:
    output.warn(f"{path}: {message}")


def _layout_storepass(folder: Path) -> str | None:
    """A layout's `storepass` file, as a password source (`file:`), when the environment gives none."""
    from .passwords import STOREPASS_ENV
    path = folder / "storepass"
    return f"file:{path}" if path.is_file() and STOREPASS_ENV not in os.environ else None


def _target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        output.fail(f"{text!r}: give HOST:PORT, such as api.example.com:443")
    return host.strip("[]"), int(port)


def probe_command(
    target: Annotated[str, typer.Argument(metavar="HOST:PORT", help="The server to probe.")],
    truststore: Annotated[Path | None, typer.Option(help="Check the server's chain against this truststore.")] = None,
    keystore: Annotated[Path | None, typer.Option(help="Present this keystore's certificate.")] = None,
    servername: Annotated[str | None, typer.Option(help="The name to send (SNI) and check (default: HOST).")] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the connection and handshake.")] = 10,
    storepass: StorePass = None,
    keystore_pass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --keystore.")] = None,
    truststore_pass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --truststore.")] = None,
    expect_sha256: Annotated[str | None, typer.Option(
        metavar="HEX", help="Fail unless the server presents the certificate of this SHA-256 (a deploy check: "
                            "is the renewed certificate live?).")] = None,
    crl: Annotated[list[Path] | None, typer.Option(
        "--crl", help="A CRL to check the server's certificate against (repeatable).")] = None,
    json: Json = False,
) -> None:
    """What a live server presents and asks for: openssl s_client, from Java stores.

    Shows the server's chain, whether it leads to the truststore and matches the name, whether the
    server asked for a client certificate and which CA names it accepts (what Java's key manager
    matches against), and the outcome: a request is sent after the handshake, so a server that refuses
    the client then (an alert, a close, nginx's HTTP 400 "The SSL certificate error") is caught. The
    keystore's own certificate is checked first (dates, clientAuth). Exit 0 when the server accepts
    the client; 1 when anything here fails, or a keystore was given and the server did not ask for a
    client certificate; 2 for unreadable input.

    Example:

    \b
        jkstool probe api.example.com:443 --truststore client.truststore.p12 --keystore client.keystore.p12
    """
    from ..api.network import probe
    host, port = _target(target)
    result = probe(host, port, servername=servername, timeout=timeout, keystore=keystore, truststore=truststore,
                   crls=crl or [], expect_sha256=expect_sha256, noticed=_noticed,
                   **_passwords(storepass, keystore_pass, truststore_pass, keystore is not None,
                                truststore is not None))
    problems = result.problems
    chain = [c.to_dict() for c in result.chain]
    trust = None if result.trusted is None else (
        f"yes, via {result.anchor}" if result.anchor is not None
        else f"no: broken at {result.broken_at}" if result.broken_at is not None else "no")
    if json:
        output.print_json(result.to_dict())
    else:
        if chain:
            output.print_table([[n, c["subject"], c["issuer"], c["not_after"]] for n, c in enumerate(chain, 1)],
                               ["#", "subject", "issuer", "not after"], flexible=(1, 2))
            typer.echo("")
        facts = [
            ("connected", "yes" if result.connected else f"no: {result.error}"),
            ("protocol", f"{result.protocol} {result.cipher}" if result.protocol else "-"),
            ("chain leads to the truststore", trust or "not checked (no --truststore)"),
            ("certificate matches the name", {True: "yes", False: "no", None: "-"}[result.name_matches]),
            ("client certificate requested", ("yes" if result.requested else "no") if result.protocol else "-"),
            ("acceptable client CAs", "; ".join(result.acceptable) or ("none named" if result.requested else "-")),
            ("keystore certificate from one of them",
             {True: "yes", False: "no", None: "-"}[result.keystore_acceptable]),
            ("client accepted", "yes" if result.handshake_ok else
             f"no: {result.rejected or result.error}" if result.connected else "-"),
        ]
        output.print_table(facts, ["", f"{host}:{port}"], flexible=(1,))
    for problem in problems:
        output.line(f"problem: {output.for_the_command_line(problem)}", err=True)
    raise typer.Exit(1 if problems else 0)


def serve_command(
    folder: Annotated[Path | None, typer.Argument(metavar="DIR",
        help="A layout folder: its server stores and CRLs (instead of --keystore and --truststore).")] = None,
    keystore: Annotated[Path | None, typer.Option(help="The server keystore.")] = None,
    truststore: Annotated[Path | None, typer.Option(
        help="The server truststore: the CAs whose clients are accepted.")] = None,
    crl: Annotated[list[Path] | None, typer.Option(
        "--crl", help="A CRL to refuse revoked clients by (repeatable).")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port (0: any free one).")] = 8443,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    once: Annotated[bool, typer.Option("--once", help="Stop after one client.")] = False,
    storepass: StorePass = None,
    keystore_pass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --keystore.")] = None,
    truststore_pass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --truststore.")] = None,
    json: Json = False,
) -> None:
    """A mutual-TLS test endpoint from the server's stores, for partners to try their client set-up.

    Requires a client certificate, naming the truststore's subjects as acceptable CAs (as a JSSE server
    does), and logs each client's certificate subject, issuer and verification result, rejected ones
    included, one line each on stdout. Answers a short line (or an HTTP response). Stops on Ctrl-C, or
    after one client with --once. Given a layout folder, it serves the layout's server side and refuses
    the clients its CRLs revoke (jkstool revoke DIR).

    Example:

    \b
        jkstool serve ./tls --port 8443
        jkstool serve --keystore server.keystore.p12 --truststore server.truststore.p12 --crl client-ca.crl
    """
    from ..api.network import serve
    if folder is not None:
        if keystore or truststore:
            output.fail(f"{folder}: give a layout folder, or --keystore and --truststore, not both")
        storepass = storepass or _layout_storepass(folder)
    elif keystore is None or truststore is None:
        output.fail("give a layout folder, or --keystore and --truststore")

    def ready(listening: "Listening") -> None:
        output.info(f"listening on {host}:{listening.port}; accepting client certificates from: "
                    + (", ".join(listening.accepted) or "nobody (the truststore is empty)"))

    def report(visit: "Visit") -> None:
        if json:
            output.print_json(visit.to_dict())
        else:
            result = "accepted" if visit.accepted else f"rejected: {visit.reason}"
            output.line(f"{visit.time} {visit.address} subject={visit.subject or '-'} "
                        f"issuer={visit.issuer or '-'} {result}")
        sys.stdout.flush()

    try:
        serve(folder, keystore=keystore, truststore=truststore, crls=crl or [], host=host, port=port, once=once,
              report=report, ready=ready, noticed=_noticed,
              **_passwords(storepass, keystore_pass, truststore_pass))
    except KeyboardInterrupt:
        output.info("stopped")
