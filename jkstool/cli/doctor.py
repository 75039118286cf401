"""`jkstool doctor`: check the stores as the application's own configuration loads them."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import JavaSecurity, Json, Side, StorePass
from .stores import read_store


def doctor_command(
    sources: Annotated[list[Path], typer.Argument(
        metavar="SOURCE", help="Spring Boot application.properties/yml, Tomcat server.xml, a file of JVM flags "
                               "(-Djavax.net.ssl.*), Kafka client or broker properties.", readable=False)],
    env_file: Annotated[Path | None, typer.Option(
        "--env", metavar="FILE",
        help="Variables the service starts with: a dotenv file or a systemd EnvironmentFile.", readable=False)] = None,
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", metavar="NAME", help="Spring Boot: an active profile (repeatable): application-NAME.* "
                                          "overlays the files, as Spring orders them.")] = None,
    classpath: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Spring Boot: where classpath: locations are (default: the configuration's folder).",
        readable=False)
    ] = None,
    peer: Annotated[Path | None, typer.Option(
        metavar="DIR", help="The peer's layout: the pair is checked as verify-pair checks it, this side as "
                            "configured.", readable=False)] = None,
    peer_truststore: Annotated[Path | None, typer.Option(
        metavar="FILE", help="The peer's truststore alone: this side's chain is checked against it.",
        readable=False)] = None,
    peer_url: Annotated[str | None, typer.Option(
        metavar="HOST:PORT", help="A live server: a client's stores, as configured, are tried against it "
                                  "(as jkstool probe tries them).")] = None,
    peer_storepass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of the peer's stores (default: its storepass file, --storepass).")] = None,
    side: Annotated[Side | None, typer.Option(
        help="JVM flags: the side the JVM plays (default: the side its keystore's certificate is for; "
             "both, when it fits both; client with --peer-url).")] = None,
    user: Annotated[str | None, typer.Option(
        metavar="NAME", help="The user the service runs as: its stores must be readable by it.")] = None,
    jdk: Annotated[str | None, typer.Option(
        "--jdk", metavar="PATH|RELEASE", help="Whose rules decide (as verify-pair's --jdk).")] = None,
    java_security: JavaSecurity = None,
    storepass: StorePass = None,
    json: Json = False,
) -> None:
    """Open the stores as the application's configuration opens them, and check them against a peer.

    The file its configuration names, the type it declares, the passwords and alias it gives, cacerts
    when no truststore is set; then the pair against a peer with verify-pair's checks. Every finding
    names the file and line it comes from.

    Exit 0 when no error is found, 1 when one is, 2 when a configuration cannot be read.

    \b
    Example:

    \b
        jkstool doctor src/main/resources/application.yml --profile prod \\
            --env /etc/myapp/env --peer ./partner
        jkstool doctor /etc/tomcat10/server.xml --user tomcat
    """
    from ..api.checks import doctor

    def peer_password(folder: Path) -> str:
        secret = passwords.resolve(peer_storepass or storepass, option="--peer-storepass", layout=folder)
        return passwords.require(secret, str(folder), "--peer-storepass")
    trust = None
    if peer_truststore is not None:
        secret = passwords.resolve(peer_storepass or storepass, option="--peer-storepass")
        trust = (str(peer_truststore), read_store(peer_truststore, secret, keys=False))
    checkup = doctor(sources, env_file=env_file, profiles=profile or [], classpath=classpath,
                     side=side.value if side else None, peer=peer, peer_password=peer_password,
                     peer_truststore=trust, peer_url=peer_url, user=user, jdk=jdk, java_security=java_security)
    for result in checkup.diagnoses:
        if result.assumed:
            output.info(f"note: {result.endpoint.name}: {result.assumed}; JVM flags do not say which side the "
                        "JVM plays (give --side to choose)")
    if json:
        output.print_json(checkup.to_dict(), "doctor")
    else:
        from .verifypair import print_findings
        for result in checkup.diagnoses:
            errors = sum(f.severity == "error" for f in result.findings)
            output.block(f"{'OK' if result.ok else 'FAIL'}: {result.endpoint.name} "
                         f"({output.count(errors, 'error')}, "
                         f"{output.count(len(result.findings) - errors, 'other finding')})")
            print_findings(result.findings)
            if result.decided_by:
                output.block(f"the pair with the peer's stores: decided by {result.decided_by}")
            typer.echo("")
    raise typer.Exit(0 if checkup.ok else 1)
