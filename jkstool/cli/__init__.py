"""The command layer: parse, call the core, render. Nothing here is imported by the core.

Heavy modules (cryptography, pyjks, tabulate) are imported inside commands,
so `jkstool --help` and `--version` start fast.
"""

from typing import Annotated

import typer

from .. import __version__
from . import output
from .convert import convert_command
from .entries import copy_command, delete_command, passwd_command, rename_command
from .expiry import expiry_command
from .importca import import_ca_command
from .initpair import init_pair_command
from .keys import csr_command, export_command, genkey_command, import_key_command, import_reply_command, sign_command
from .layoutcmds import add_client_command, renew_command, rollover_ca_command
from .listing import list_command
from .network import probe_command, serve_command
from .revoke import revoke_command
from .snippet import snippet_command
from .verifypair import verify_pair_command

app = typer.Typer(
    name="jkstool",
    help="Build, inspect, convert and check Java keystores and truststores for mutual TLS.\n\n"
         "Example: jkstool init-pair ./tls && jkstool verify-pair ./tls --handshake",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jkstool {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False):
    """Build, inspect, convert and check Java keystores and truststores for mutual TLS."""
    output.reset()


app.command("list")(output.guarded(list_command))
app.command("convert")(output.guarded(convert_command))
app.command("init-pair")(output.guarded(init_pair_command))
app.command("import-ca")(output.guarded(import_ca_command))
app.command("verify-pair")(output.guarded(verify_pair_command))
app.command("genkey")(output.guarded(genkey_command))
app.command("csr")(output.guarded(csr_command))
app.command("sign")(output.guarded(sign_command))
app.command("import-reply")(output.guarded(import_reply_command))
app.command("import-key")(output.guarded(import_key_command))
app.command("export")(output.guarded(export_command))
app.command("copy")(output.guarded(copy_command))
app.command("delete")(output.guarded(delete_command))
app.command("rename")(output.guarded(rename_command))
app.command("passwd")(output.guarded(passwd_command))
app.command("renew")(output.guarded(renew_command))
app.command("add-client")(output.guarded(add_client_command))
app.command("rollover-ca")(output.guarded(rollover_ca_command))
app.command("revoke")(output.guarded(revoke_command))
app.command("expiry")(output.guarded(expiry_command))
app.command("probe")(output.guarded(probe_command))
app.command("serve")(output.guarded(serve_command))
app.command("snippet")(output.guarded(snippet_command))


def main() -> None:
    app()
