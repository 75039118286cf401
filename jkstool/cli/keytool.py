"""keytool's habits, met on jkstool's command line: its commands and options, and what they are here.

Java teams type `-list -keystore x.jks -storepass ...` by reflex. Click reads `-keystore` as the short
options -k -e -y..., and says "No such option: -k"; this says, in one line, what to type instead.
"""

import difflib
from collections.abc import Callable, Iterable
from typing import Any

COMMANDS = {
    "-list": "list", "-importcert": "import-ca", "-import": "import-ca",
    "-genkeypair": "genkey", "-genkey": "genkey", "-certreq": "csr", "-gencert": "sign",
    "-exportcert": "export", "-export": "export", "-delete": "delete", "-changealias": "rename",
    "-storepasswd": "passwd", "-keypasswd": "passwd", "-importkeystore": "convert", "-printcert": "printcert",
}
"""keytool's commands, and jkstool's."""

OPTIONS = {
    "-keystore": "the store is an argument: jkstool COMMAND STORE",
    "-storepass": "--storepass (env:NAME or file:PATH keep it out of the process list)",
    "-keypass": "--keypass",
    "-alias": "--alias",
    "-storetype": "--store-type (where the command writes a store; a store read is recognised by its bytes)",
    "-file": "the file is an argument: jkstool COMMAND STORE FILE",
    "-srckeystore": "the source is the first argument: jkstool convert SOURCE DEST",
    "-destkeystore": "the destination is the second argument: jkstool convert SOURCE DEST",
    "-srcstorepass": "--storepass", "-deststorepass": "--dest-storepass", "-srckeypass": "--keypass",
    "-dname": "--cn (and --san)", "-ext": "--san", "-validity": "--days", "-keyalg": "--key-type",
    "-keysize": "--key-type (rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384, ed25519)",
    "-trustcacerts": "nothing: the chain is completed from the store's trusted certificates and --ca",
    "-noprompt": "nothing: jkstool asks only on a terminal, when a password is missing",
    "-rfc": "nothing: certificates are written as PEM",
    "-sslserver": "--sslserver (jkstool printcert --sslserver HOST:PORT)",
    "-cacerts": "--cacerts (the JDK's cacerts as the store, with its default password)",
}
"""keytool's options, and what stands for them here."""

OPTIONS_OF = {("printcert", "-file"): "the file is an argument: jkstool printcert FILE"}
"""Where a command takes a keytool option otherwise than the others do."""


def habit(args: list[str]) -> str | None:
    """What to type instead of the first keytool command or option in `args` (before a `--`), if any; COMMAND
    in the advice is the jkstool command given, where there is one."""
    command = args[0] if args and not args[0].startswith("-") else "COMMAND"
    for arg in args:
        if arg == "--":
            return None
        if arg in COMMANDS:
            return f"{arg} is keytool's: here it is jkstool {COMMANDS[arg]}"
        if arg in OPTIONS:
            said = OPTIONS_OF.get((command, arg), OPTIONS[arg])
            return f"{arg} is keytool's: here, {said.replace('COMMAND', command)}"
    return None


def nearest(name: str, commands: Iterable[str]) -> str | None:
    """The command `name` was most likely meant to be (a typo), if one is close."""
    found = difflib.get_close_matches(name, list(commands), n=1, cutoff=0.6)
    return found[0] if found else None


def secrets_from_stdin_last(args: list[str], command: Callable[[], Any]) -> list[str]:
    """`args` with `-#SECRET/KEY` (a store in a Kubernetes Secret read from standard input) taken as the
    argument it is: click would read it as options -# ..., so it and the arguments after it go behind a `--`,
    and the options after it (with their values) before. `command()` builds the command, for its options:
    only then (click builds it again to run it)."""
    if "--" in args or not any(arg.startswith("-#") for arg in args):
        return args
    first = next(i for i, arg in enumerate(args) if arg.startswith("-#"))
    valued = {name for param in command().params if getattr(param, "param_type_name", "") == "option"
              and not param.is_flag and not param.count for name in param.opts}
    options, arguments = [], []
    rest = iter(args[first:])
    for arg in rest:
        if arg.startswith("-") and not arg.startswith("-#") and arg != "-":
            options.append(arg)
            if arg in valued:
                options.append(next(rest, ""))
        else:
            arguments.append(arg)
    return [*args[:first], *options, "--", *arguments]


CACERTS_COMMANDS = ("list", "import-ca", "delete", "rename", "export", "compat", "expiry")
"""The commands whose first argument is a store: --cacerts stands for it, as keytool's -cacerts does."""


def cacerts_as_store(args: list[str], cacerts: Callable[[], tuple[str, str]], password_set: bool) -> list[str]:
    """`args` (a command and its arguments) with `--cacerts` replaced by the JDK's cacerts as the store, and
    that file's known password (`cacerts()` gives both) unless one is given: --storepass, or the environment
    (`password_set`)."""
    end = args.index("--") if "--" in args else len(args)
    if "--cacerts" not in args[:end] or args[0] not in CACERTS_COMMANDS:
        return args
    rest = [arg for arg in args[1:end] if arg != "--cacerts"] + args[end:]
    path, password = cacerts()
    given = password_set or any(arg == "--storepass" or arg.startswith("--storepass=") for arg in rest)
    return [args[0], path, *rest, *([] if given else ["--storepass", f"pass:{password}"])]
