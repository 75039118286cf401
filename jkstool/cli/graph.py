"""`jkstool graph`: a picture of a pair: who issued what each side presents, and what the other side trusts."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from . import output
from .options import JavaSecurity, Json, PasswordFrom, PasswordMap, StorePass
from .verifypair import (
    At,
    ClientKeystore,
    ClientKeystorePass,
    ClientSecret,
    ClientTruststore,
    ClientTruststorePass,
    Crls,
    Hostname,
    Jdk,
    ModelOnly,
    PairFolder,
    ServerKeystore,
    ServerKeystorePass,
    ServerSecret,
    ServerTruststore,
    ServerTruststorePass,
    at_date,
    by_role,
    read_pair,
)


class GraphFormat(str, Enum):
    svg = "svg"
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


def graph_command(
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
    within: Annotated[int, typer.Option(
        min=0, metavar="DAYS", help="Draw in amber what ends within DAYS (verify-pair's --warn-days).")] = 30,
    crl: Crls = None,
    jdk: Jdk = None,
    java_security: JavaSecurity = None,
    model_only: ModelOnly = False,
    graph_format: Annotated[GraphFormat, typer.Option(
        "--format", help="svg (one self-contained file, the default), mermaid (renders in GitHub and GitLab "
                         "Markdown), dot (Graphviz) or json (the nodes and edges).")] = GraphFormat.svg,
    json: Json = False,
    graph_output: Annotated[Path | None, typer.Option(
        "--output", metavar="FILE", help="Write the picture to FILE, replaced atomically, instead of "
                                         "stdout.", readable=False)] = None,
) -> None:
    """Draw a pair: its CAs, what each keystore presents, what each truststore trusts, and what breaks.

    The picture shows exactly what verify-pair reports: each broken edge in red with its finding's code,
    what ends within --within DAYS in amber, the first break's date on its edge. The stores are named
    as verify-pair names them. Exit 0 when the pair passes, 1 when it fails, 2 when a store cannot be read.

    Example:

    \b
        jkstool graph ./tls --output tls.svg
        jkstool graph ./tls --format mermaid --output tls.mmd
        jkstool graph ./tls --format dot --output tls.dot
        jkstool graph ./tls --json --model-only
    """
    from .. import api
    chosen = GraphFormat.json if json else graph_format
    given = by_role(server_keystore, server_truststore, client_keystore, client_truststore)
    own = by_role(server_keystore_pass, server_truststore_pass, client_keystore_pass, client_truststore_pass)
    checks: dict[str, Any] = {"hostname": hostname, "at": at_date(at), "warn_days": within, "crls": crl or [],
                              "jdk": jdk, "java_security": java_security, "model_only": model_only,
                              "first_break": True}
    report = read_pair(folder, given, own, storepass, password_map, password_from, server_secret, client_secret,
                       checks)
    name = str(folder) if folder is not None else Path(report.stores["server-keystore"].path).parent.name
    picture = api.graph(report, name)
    if chosen == GraphFormat.json and graph_output is None:
        output.print_json(picture.to_dict(), "graph")
    else:
        text = output.json_text(picture.to_dict(), "graph") + "\n" if chosen == GraphFormat.json else \
            {GraphFormat.svg: picture.svg, GraphFormat.mermaid: picture.mermaid, GraphFormat.dot: picture.dot}[chosen]()
        if graph_output is None:
            typer.echo(text, nl=False)
        else:  # as verify-pair's reports: atomically (reports.emit, without the XML modules it loads)
            from ..api import outputs
            outputs.write_file(graph_output, text.encode("utf-8"), outputs.Secrecy.PUBLIC)
        if graph_output is not None:
            output.info(f"wrote {graph_output}")
    raise typer.Exit(0 if report.ok else 1)

