"""`jkstool snippet`: configuration for a layout, for Spring Boot, Tomcat, the JVM, nginx, Apache, curl."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Force, LockTimeout, StorePass


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
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The layout folder (with its layout.json).")],
    side: Annotated[str | None, typer.Option(help="server or client (default: client for curl, else server).")] = None,
    port: Annotated[int, typer.Option(help="The port to listen on or connect to.")] = 8443,
    storepass: StorePass = None,
    force: Force = False,
    lock_timeout: LockTimeout = 30,
):
    """Print configuration for a layout, with its real paths and store types; never a password.

    nginx, apache and curl need PEM files: they are written to DIR/pem/ (the key unencrypted, mode 0600).

    Example:

    \b
        jkstool snippet spring-boot ./tls --side server
    """
    from .. import files
    from ..errors import file_exists
    from ..layout import snippets
    from ..layout.manifest import MANIFEST, Layout, backups_for
    side = side or snippets.DEFAULT_SIDE.get(fmt.value, "server")
    if side not in ("server", "client"):
        output.fail(f"--side {side!r}: choose server or client")
    if fmt.value in ("tomcat", "nginx", "apache") and side != "server":
        output.fail(f"{fmt.value} runs the server side: leave out --side, or give --side server")
    password = None
    if fmt.value in snippets.PEM_FORMATS:
        password = passwords.require(passwords.resolve(storepass, layout=folder, prompt="Password of the stores: "),
                                     f"the layout {folder}")
    with files.locked(folder / MANIFEST, lock_timeout):  # its PEM files are the layout's
        layout = Layout.open(folder)
        exported = side in layout.manifest.exports
        text, pem = snippets.snippet(layout, fmt.value, side, port, password)
        fresh = [path for path, data, _ in pem[:-1] if not (path.exists() and files.read_bytes(path) == data)]
        if fresh and not (exported or force) and fresh[0].exists():  # files it exported before are its own
            raise file_exists(fresh[0])
        if pem:
            files.write_all(pem, replace=True, backups=backups_for(folder / MANIFEST))
    if pem:
        output.info(f"wrote {', '.join(map(str, fresh))}" if fresh else
                    f"the PEM files are up to date: {', '.join(str(p) for p, _, _ in pem[:-1])}")
    typer.echo(text, nl=False)
