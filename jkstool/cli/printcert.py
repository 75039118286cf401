"""`jkstool printcert`: keytool -printcert, the certificates of a file or the chain a server presents."""

from pathlib import Path
from typing import Annotated

import typer

from . import output
from .options import Json


def printcert_command(
    file: Annotated[Path | None, typer.Argument(
        metavar="FILE", help="A certificate file: PEM (one or a bundle), DER, or PKCS#7 (.p7b), PEM or DER.",
        readable=False)] = None,
    sslserver: Annotated[str | None, typer.Option(
        "--sslserver", metavar="HOST:PORT", help="Print the chain this server presents instead of a file.")] = None,
    json: Json = False,
) -> None:
    """Print certificates in full, as keytool -printcert does: a file's, or those a server presents.

    Each certificate as list -v shows it: subject (keytool's owner), issuer, key, serial, validity,
    SHA-256, signature and the extensions mutual TLS depends on (alternative names, key usages, basic
    constraints, key ids). No truststore is needed and nothing is checked: to judge a server's chain,
    use jkstool probe.

    Example:

    \b
        jkstool printcert partner-ca.p7b
        jkstool printcert --sslserver api.example.com:443
    """
    from ..api.certificates import describe_certificate
    from .listing import certificate_lines
    source, certificates = _certificates(file, sslserver)
    described = [describe_certificate(der, details=True) for der in certificates]
    for number, item in enumerate(described, 1):
        if "parse_warning" in item:
            output.warn(f"{source}: certificate {number}: {item['parse_warning']}")
    if json:
        output.print_json({"source": source, "certificates": described}, "printcert")
        return
    output.info(f"{source}: {output.count(len(described), 'certificate')}")
    for number, item in enumerate(described, 1):
        if number > 1:
            typer.echo("")
        for text in certificate_lines(number, item):
            body = text.lstrip(" ")
            output.block(body, " " * (len(text) - len(body)))


def _certificates(file: Path | None, sslserver: str | None) -> tuple[str, list[bytes]]:
    """Where the certificates come from, as messages name it, and the certificates (DER), in their order."""
    from ..api.certificates import read_certificates
    from ..api.network import server_chain
    from .network import host_port
    if file is not None and sslserver is None:
        return str(file), read_certificates(file)
    if sslserver is not None and file is None:
        host, port = host_port(sslserver)
        return f"{host}:{port}", server_chain(host, port)
    output.fail("give a certificate file, or --sslserver HOST:PORT: one of them")
