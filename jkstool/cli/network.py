"""Commands that talk to the network: probe (a live server) and serve (a test endpoint)."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import output, passwords
from .options import AllowWeakPassword, Json, StorePass

if TYPE_CHECKING:
    from ..api import ImportResult
    from ..api.network import Listening, ProbeResult, Visit


def _passwords(storepass: str | None, keystore_pass: str | None, truststore_pass: str | None, keystore: bool = True,
               truststore: bool = True, saving: bool = False) -> dict[str, str | None]:
    """The passwords of the stores given: one for all (asked once), or each its own; the store --save-chain
    writes takes the one for all."""
    shared = passwords.resolve(storepass, prompt="Password of the stores: ") \
        if keystore or truststore or saving else None
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


def host_port(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 address in brackets), or one line saying how to write it."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        output.fail(f"{text!r}: give HOST:PORT, such as api.example.com:443")
    return host.strip("[]"), int(port)


def probe_command(
    target: Annotated[str, typer.Argument(metavar="HOST:PORT", help="The server to probe.")],
    truststore: Annotated[Path | None, typer.Option(help="Check the server's chain against this truststore.",
    readable=False)] = None,
    keystore: Annotated[Path | None, typer.Option(help="Present this keystore's certificate.", readable=False)] = None,
    servername: Annotated[str | None, typer.Option(help="The name to send (SNI) and check (default: HOST).")] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the connection and handshake.")] = 10,
    storepass: StorePass = None,
    keystore_pass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --keystore.")] = None,
    truststore_pass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --truststore.")] = None,
    expect_sha256: Annotated[str | None, typer.Option(
        metavar="HEX", help="Fail unless the server presents the certificate of this SHA-256 (a deploy check: "
                            "is the renewed certificate live?).")] = None,
    crl: Annotated[list[Path] | None, typer.Option(
        "--crl", help="A CRL to check the server's certificate against (repeatable).", readable=False)] = None,
    save_chain: Annotated[Path | None, typer.Option(
        metavar="TRUSTSTORE", help="Trust what the server presents, as InstallCert does: add the top certificate "
                                   "of its chain (its CA; a lone server certificate, pinned) to TRUSTSTORE, "
                                   "created if missing, with --storepass. Check the SHA-256 printed with the "
                                   "server's owner.", readable=False)] = None,
    allow_weak_password: AllowWeakPassword = False,
    json: Json = False,
) -> None:
    """What a live server presents and asks for: openssl s_client, from Java stores.

    Shows the server's chain, whether it leads to the truststore and matches the name, whether the
    server asked for a client certificate and which CA names it accepts (what Java's key manager
    matches against), and the outcome: a request is sent after the handshake, so a server that refuses
    the client then (an alert, nginx's HTTP 400 "The SSL certificate error") is caught; a server that
    closes without a word is "no answer", which proves no refusal. The keystore's own certificate is
    checked first (dates, clientAuth). Exit 0 when the server accepts the client (or gives no answer
    after the handshake); 1 when anything here fails, or a keystore was given and the server did not
    ask for a client certificate; 2 for unreadable input.

    Example:

    \b
        jkstool probe api.example.com:443 --truststore client.truststore.p12 \\
            --keystore client.keystore.p12
        jkstool probe dev.example.com:8443 --save-chain dev.truststore.p12 --storepass env:STOREPASS
    """
    from ..api.network import probe
    host, port = host_port(target)
    given = _passwords(storepass, keystore_pass, truststore_pass, keystore is not None, truststore is not None,
                       save_chain is not None)
    result = probe(host, port, servername=servername, timeout=timeout, keystore=keystore, truststore=truststore,
                   crls=crl or [], expect_sha256=expect_sha256, noticed=_noticed, **given)
    saved = _save(result, save_chain, given["password"], allow_weak_password) if save_chain is not None else None
    if json:
        output.print_json({**result.to_dict(), **({"saved": saved.to_dict()} if saved else {})}, "probe")
    else:
        _show(result, host, port, truststore is not None)
    _problems(result)
    _no_answer(result)
    if save_chain is not None and saved is not None:
        _saved(saved, save_chain, len(result.chain))
    raise typer.Exit(1 if result.problems else 0)


def _show(result: "ProbeResult", host: str, port: int, truststore: bool) -> None:
    """probe's tables: the chain the server presented, then what was seen, one fact a row (`truststore`:
    whether one was given, for a chain that could not be checked)."""
    chain = [c.to_dict() for c in result.chain]
    trust = None if result.trusted is None else (
        f"yes, via {result.anchor}" if result.anchor is not None
        else f"no: broken at {result.broken_at}" if result.broken_at is not None else "no")
    if chain:
        output.print_table([[n, c["subject"], c["issuer"], c["not_after"]] for n, c in enumerate(chain, 1)],
                           ["#", "subject", "issuer", "not after"], flexible=(1, 2))
        typer.echo("")
    facts = [
        ("connected", "yes" if result.connected else f"no: {result.error}"),
        ("protocol", f"{result.protocol} {result.cipher}" if result.protocol else "-"),
        ("chain leads to the truststore", trust or ("- (no chain)" if truststore else "not checked (no --truststore)")),
        ("certificate matches the name", {True: "yes", False: "no", None: "-"}[result.name_matches]),
        ("client certificate requested", ("yes" if result.requested else "no") if result.protocol else "-"),
        ("acceptable client CAs", "; ".join(result.acceptable) or ("none named" if result.requested else "-")),
        ("keystore certificate from one of them",
         {True: "yes", False: "no", None: "-"}[result.keystore_acceptable]),
        ("client accepted", _accepted(result)),
    ]
    output.print_table(facts, ["", f"{host}:{port}"], flexible=(1,))


def _accepted(result: "ProbeResult") -> str:
    """Whether the server took the client: a silence after the handshake says neither yes nor no."""
    if result.handshake_ok:
        return "yes"
    if result.no_answer and result.protocol:
        return "unknown: no answer"
    return f"no: {result.rejected or result.error}" if result.connected else "-"


def _problems(result: "ProbeResult") -> None:
    """Each problem on stderr, fitting the width; --expect-sha256's (the last) with its two fingerprints a line
    each, where the core's sentence would be 200 columns."""
    problems = result.problems[:-1] if result.unexpected else result.problems
    for problem in problems:
        for part in _wrapped(f"problem: {output.for_the_command_line(problem)}"):
            output.line(part, err=True)
    if result.unexpected:
        output.line("problem: the server presents another certificate than the one expected (--expect-sha256)",
                    err=True)
        output.line(f"  presented {result.chain[0].sha256 if result.chain else '(no certificate)'}", err=True)
        output.line(f"  expected  {result.expected_sha256}", err=True)


def _wrapped(text: str) -> list[str]:
    """A message in lines that fit the width (100 columns in a pipe or a log), continued indented: probe's
    texts carry names and paths that would make lines of 200 columns."""
    import textwrap
    return textwrap.wrap(output.printable(text), output.width(), subsequent_indent="  ", break_long_words=False,
                         break_on_hyphens=False)


def _no_answer(result: "ProbeResult") -> None:
    """What a close without a word may mean: it is no proof of a refusal, as an alert or an HTTP error is."""
    if not result.no_answer:
        return
    if result.protocol:
        output.info("no answer: the server closed the connection without a TLS alert or an HTTP answer")
        output.info("  it may not speak HTTP, or may drop clients it refuses silently: check its log")
    else:
        output.info("no answer: it may not speak TLS here, or may drop clients it refuses silently: check its log")


def _save(result: "ProbeResult", truststore: Path, password: str | None, allow_weak: bool) -> "ImportResult":
    """--save-chain: the top of the server's chain added to the truststore (api.network.save_chain)."""
    from ..api.network import save_chain
    from .stores import asking_with
    with asking_with():
        return save_chain(result, truststore, password=password, allow_weak=allow_weak)


def _saved(saved: "ImportResult", truststore: Path, sent: int) -> None:
    """What --save-chain added (or found already there), each with its SHA-256 on a line of its own, and why
    that fingerprint must be checked: a server presents whatever it holds."""
    from ..api.certificates import load, sha256, subject_of
    for verb, entries in (("added to", saved.added), ("already in", saved.present)):
        for entry in entries:
            for part in [*_wrapped(f"{verb} {truststore} as '{entry.alias}':"),
                         *_wrapped(f"  subject {subject_of(load(entry.cert))}"), f"  sha256  {sha256(entry.cert)}"]:
                output.info(part)
    if sent == 1:
        output.warn("the server sent only its own certificate, so that is pinned: save it again once renewed")
    output.warn("a server presents whatever it holds: check this SHA-256 with its owner, out of band")


def serve_command(
    folder: Annotated[Path | None, typer.Argument(metavar="DIR",
        help="A layout folder: its server stores and CRLs (instead of --keystore and --truststore).",
        readable=False)] = None,
    keystore: Annotated[Path | None, typer.Option(help="The server keystore.", readable=False)] = None,
    truststore: Annotated[Path | None, typer.Option(
        help="The server truststore: the CAs whose clients are accepted.", readable=False)] = None,
    crl: Annotated[list[Path] | None, typer.Option(
        "--crl", help="A CRL to refuse revoked clients by (repeatable).", readable=False)] = None,
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
        jkstool serve --keystore server.keystore.p12 --truststore server.truststore.p12 \\
            --crl client-ca.crl
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
            output.print_json(visit.to_dict(), "serve")
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
