"""The command layer: parse, call the core, render. Nothing here is imported by the core.

A command runs after importing only its own module, and heavy modules
(cryptography, pyjks, tabulate, pyOpenSSL) only inside the commands that use
them: typer builds the one command invoked, not all of them, so a call
starts in a few tens of milliseconds.
"""

import importlib
import os
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__
from . import output

# name: (module, function); the order is the order of `jkstool --help`.
COMMANDS = {
    "init-pair": ("initpair", "init_pair_command"),
    "import-ca": ("importca", "import_ca_command"),
    "verify-pair": ("verifypair", "verify_pair_command"),
    "graph": ("graph", "graph_command"),
    "list": ("listing", "list_command"),
    "printcert": ("printcert", "printcert_command"),
    "convert": ("convert", "convert_command"),
    "compat": ("compat", "compat_command"),
    "doctor": ("doctor", "doctor_command"),
    "expiry": ("expiry", "expiry_command"),
    "exporter": ("exporter", "exporter_command"),
    "probe": ("network", "probe_command"),
    "serve": ("network", "serve_command"),
    "snippet": ("snippet", "snippet_command"),
    "genkey": ("keys", "genkey_command"),
    "csr": ("keys", "csr_command"),
    "sign": ("keys", "sign_command"),
    "import-reply": ("keys", "import_reply_command"),
    "import-key": ("keys", "import_key_command"),
    "export": ("keys", "export_command"),
    "copy": ("entries", "copy_command"),
    "delete": ("entries", "delete_command"),
    "rename": ("entries", "rename_command"),
    "passwd": ("entries", "passwd_command"),
    "renew": ("layoutcmds", "renew_command"),
    "add-client": ("layoutcmds", "add_client_command"),
    "rollover-ca": ("layoutcmds", "rollover_ca_command"),
    "revoke": ("revoke", "revoke_command"),
    "restore": ("layoutcmds", "restore_command"),
    "k8s-secret": ("layoutcmds", "k8s_secret_command"),
}
# Help takes the terminal's width, up to 100 columns (click stops at 80 unless told).
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Commands(TyperGroup):
    """typer's group, listing the jkstool commands and building each (and importing its module) only
    when it is used: a call pays for its own command, not for all of them."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """keytool's words (`-list`, `-keystore`) and a mistyped command get one line saying what to type."""
        from . import keytool
        said = keytool.habit(args, lambda name: self._options(ctx, name))
        if said:
            output.fail(said)
        if args and not args[0].startswith("-") and args[0] not in COMMANDS:
            meant = keytool.nearest(args[0], COMMANDS)
            output.fail(f"no command {args[0]!r}" + (f": did you mean jkstool {meant}?" if meant else "")
                        + " (jkstool -h lists them)")
        if args and args[0] in COMMANDS:
            args = keytool.cacerts_as_store(args, _cacerts, "JKSTOOL_STOREPASS" in os.environ)
            args = [args[0], *keytool.secrets_from_stdin_last(args[1:], lambda: self.get_command(ctx, args[0]))]
        return super().parse_args(ctx, args)

    def _options(self, ctx: Any, name: str) -> set[str] | None:
        """The option names of the command `name` (None when there is no such command)."""
        command = self.get_command(ctx, name)
        return None if command is None else {opt for param in command.params for opt in param.opts}

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Each command with its first sentence whole, wrapped to the width (click cuts it with "...")."""
        rows = [(name, self.get_command(ctx, name).get_short_help_str(limit=10_000)) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        module, function = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f".{module}", __name__), function)
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                             context_settings=CONTEXT)
        from .keytool import CACERTS_COMMANDS
        single.command(cmd_name)(output.guarded(_with_common(command, cmd_name in CACERTS_COMMANDS)))
        return typer.main.get_command(single)


def _cacerts() -> tuple[str, str]:
    """The JDK's cacerts and its known password, or one line saying why there is none."""
    from .. import JkstoolError
    from ..api import CACERTS_PASSWORD, cacerts
    try:
        return str(cacerts()), CACERTS_PASSWORD
    except JkstoolError as e:
        output.fail(str(e))


def _with_common(command: Callable[..., Any], cacerts: bool) -> Callable[..., Any]:
    """`command` taking --quiet and --debug too (and --cacerts where a store is its first argument): every
    command has them, and none uses them (their callbacks set the output's state, and parse_args puts the
    cacerts file in place of --cacerts), so they are added here rather than declared in each."""
    import functools
    import inspect

    from .options import Cacerts, Debug, Quiet

    @functools.wraps(command)
    def run(*args: Any, quiet: bool = False, debug: bool = False, cacerts: bool = False, **kwargs: Any) -> Any:
        return command(*args, **kwargs)
    common = {"quiet": Quiet, "debug": Debug, **({"cacerts": Cacerts} if cacerts else {})}
    signature = inspect.signature(command)
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=kind)
             for name, kind in common.items()]
    run.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *added])  # type: ignore[attr-defined]
    run.__annotations__ = {**command.__annotations__, **common}
    return run


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jkstool {__version__}")
        raise typer.Exit()


app = typer.Typer(cls=_Commands, name="jkstool", context_settings=CONTEXT, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Build, inspect, convert and check Java keystores and truststores for mutual TLS.\n\n"
                       "Example: jkstool init-pair ./tls && jkstool verify-pair ./tls --handshake")


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                                help="Show the version and exit.")] = False) -> None:
    import warnings
    warnings.simplefilter("ignore")  # a library's warning (a BER fallback, a deprecation) is not the user's: jkstool
    output.reset()                   # says what matters about a file in its own words


def main() -> None:
    app(prog_name="jkstool")
