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
    "-srcstoretype": "nothing: a store read is recognised by its bytes", "-deststoretype": "--store-type",
    "-srcalias": "--alias", "-destalias": "--dest-alias", "-new": "--new-storepass (or --new-keypass)",
    "-infile": "the file is an argument: jkstool COMMAND FILE", "-outfile": "--out",
}
"""keytool's options, and what stands for them here."""

OPTIONS_OF = {
    ("printcert", "-file"): "the file is an argument: jkstool printcert FILE",
    ("import-ca", "-file"): "the certificate is an argument: jkstool import-ca TRUSTSTORE FILE",
    ("import-reply", "-file"): "the reply is an argument: jkstool import-reply STORE FILE",
    ("csr", "-file"): "--out", ("export", "-file"): "--cert (or --chain, --key)",
    ("sign", "-outfile"): "--out",
}
"""Where a command takes a keytool option otherwise than the others do."""


def habit(args: list[str], options: Callable[[str], set[str] | None]) -> str | None:
    """What to type instead of a keytool command (with its dash or without) or the first keytool option in
    `args` (before a `--`), if any. `options(command)` gives a jkstool command's options (None: no such
    command): keytool's option is named as missing from a command that has nothing in its place."""
    command = args[0] if args and not args[0].startswith("-") else None  # options() builds it: only when asked
    if command and f"-{command}" in COMMANDS and options(command) is None:
        return f"{command} is keytool's -{command}: here it is jkstool {COMMANDS['-' + command]}"
    for i, arg in enumerate(args):
        if arg == "--":
            return None
        if arg in COMMANDS:
            return f"{arg} is keytool's: here it is jkstool {COMMANDS[arg]}"
        base, _, source = arg.partition(":")  # keytool's -storepass:env NAME, -keypass:file PATH
        if base in OPTIONS:
            said = OPTIONS_OF.get((command or "", base), OPTIONS[base]).replace("COMMAND", command or "COMMAND")
            option = said.split()[0] if said.startswith("--") else None
            if option and command and option not in (options(command) or {option}):
                return f"{base} is keytool's, and jkstool {command} has nothing for it (jkstool {command} -h)"
            if option and source in ("env", "file"):
                return f"{arg} is keytool's: here, {option} {source}:{args[i + 1] if i + 1 < len(args) else '...'}"
            return f"{arg} is keytool's: here, {said}"
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
