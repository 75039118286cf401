"""`jkstool snippet`: configuration for a layout, for Spring Boot, Tomcat, the JVM, nginx, Apache, curl."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Force, LockTimeout, StorePass
from .stores import asking_with


class Format(str, Enum):
    spring_boot = "spring-boot"
    tomcat = "tomcat"
    jvm = "jvm"
    nginx = "nginx"
    apache = "apache"
    curl = "curl"


def snippet_command(
    fmt: Annotated[Format, typer.Argument(metavar="FORMAT",
                                          help="spring-boot, tomcat, jvm, nginx, apache or curl.")],
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The layout folder (with its layout.json).",
    readable=False)],
    side: Annotated[str | None, typer.Option(help="server or client (default: client for curl, else server).")] = None,
    port: Annotated[int, typer.Option(help="The port to listen on or connect to.")] = 8443,
    bind: Annotated[str | None, typer.Option(
        metavar="ADDRESS", help="The IP address a server listens on alone (default: all); curl dials it.")] = None,
    storepass: StorePass = None,
    force: Force = False,
    lock_timeout: LockTimeout = 30,
) -> None:
    """Print configuration for a layout, with its real paths and store types; never a password.

    nginx, apache and curl need PEM files: they are written to DIR/pem/ (the key unencrypted, mode 0600).

    Example:

    \b
        jkstool snippet spring-boot ./tls --side server
        jkstool snippet nginx ./tls --bind 10.0.0.5 --port 443
    """
    from ..api.layouts import PEM_SNIPPETS, SERVER_SNIPPETS, snippet
    side = side or None  # the format's own (client for curl, else server)
    if side is not None and side not in ("server", "client"):
        output.fail(f"--side {side!r}: choose server or client")
    if fmt.value in SERVER_SNIPPETS and side not in (None, "server"):
        output.fail(f"{fmt.value} runs the server side: leave out --side, or give --side server")
    password = None
    if fmt.value in PEM_SNIPPETS:
        password = passwords.resolve(storepass, layout=folder, prompt="Password of the stores: ")
    with asking_with():
        made = snippet(folder, fmt.value, side=side, port=port, password=password, bind=bind, replace=force,
                       lock_timeout=lock_timeout)
    for path in made.written:  # a line each: three paths on one line were too long for a log
        output.info(f"wrote {path}")
    if made.pem_files and not made.written:
        output.info(f"the PEM files in {made.pem_files[0].parent} are up to date")
    typer.echo(made.text, nl=False)
