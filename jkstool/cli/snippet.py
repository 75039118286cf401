"""`jkstool snippet`: configuration for a layout, for Spring Boot, Tomcat, the JVM, nginx, Apache, curl."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Debug, Force, LockTimeout, StorePass
from .stores import write_files


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
    folder: Annotated[Path, typer.Argument(help="The layout folder (with its layout.json).")],
    side: Annotated[str | None, typer.Option(help="server or client (default: client for curl, else server).")] = None,
    port: Annotated[int, typer.Option(help="The port to listen on or connect to.")] = 8443,
    storepass: StorePass = None,
    force: Force = False,
    lock_timeout: LockTimeout = 30,
    debug: Debug = False,
):
    """Print configuration for a layout, with its real paths and store types; never a password.

    nginx, apache and curl need PEM files: they are written to DIR/pem/ (the key unencrypted, mode 0600).

    Example:

        jkstool snippet spring-boot ./tls --side server
    """
    from .. import files
    from ..layout import snippets
    from ..layout.manifest import MANIFEST, Layout
    side = side or snippets.DEFAULT_SIDE.get(fmt.value, "server")
    if side not in ("server", "client"):
        output.fail(f"--side {side!r}: choose server or client")
    if fmt.value in ("tomcat", "nginx", "apache") and side != "server":
        output.fail(f"{fmt.value} runs the server side: leave out --side, or give --side server")
    layout = Layout.open(folder)
    password = None
    if fmt.value in snippets.PEM_FORMATS:
        password = passwords.require(passwords.resolve(storepass, layout=folder, prompt="Password of the stores: "),
                                     f"the layout {folder}")
    with files.locked(layout.folder / MANIFEST, lock_timeout):  # its PEM files are the layout's
        text, pem = snippets.snippet(layout, fmt.value, side, port, password)
        if pem:
            write_files(pem, force)
    if pem:
        output.info("wrote " + ", ".join(str(p) for p, _, _ in pem))
    typer.echo(text, nl=False)
