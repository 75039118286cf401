"""How commands speak: data on stdout, messages and warnings on stderr.

One error line, `error: <file>: <what> (<fix>)`, and exit code 2 for any
problem with the input; a traceback only with --debug.
"""

import functools
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

import typer

from .. import JkstoolError
from .. import printable as printable  # shown by the commands through this module too
from .. import readable as readable


class _State:
    """What one invocation has said so far, and whether --debug or --quiet is on."""

    debug = False
    quiet = False
    warned: set[str] = set()


def reset() -> None:
    """Forget --debug, --quiet and the warnings given: one state per invocation."""
    _State.debug = _State.quiet = False
    _State.warned.clear()


def enable_debug(value: bool) -> bool:
    if value:
        _State.debug = True
    return value


def enable_quiet(value: bool) -> bool:
    if value:
        _State.quiet = True
    return value


def width() -> int:
    """The columns output may take: the terminal's (or COLUMNS), else 100."""
    import shutil
    return shutil.get_terminal_size((100, 24)).columns


_VERDICT = re.compile(r"^(\s*)(OK|FAIL|error|warning)\b")
_COLOURS = {"OK": "32", "FAIL": "31", "error": "31", "warning": "33"}  # green, red, red, yellow


def coloured(err: bool) -> bool:
    """Whether output to stdout (or stderr) is coloured: on a terminal, unless NO_COLOR is set (no-color.org);
    FORCE_COLOR colours a pipe too. Never in --json output, which does not come here."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    stream = sys.stderr if err else sys.stdout
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _echo(text: str, err: bool) -> None:
    """Print text whose untrusted parts are printable already, a verdict word that starts it (OK, FAIL, error,
    warning) in its colour when colour is on."""
    if not coloured(err):
        typer.echo(text, err=err)
        return
    painted = _VERDICT.sub(lambda m: f"{m[1]}\033[{_COLOURS[m[2]]}m{m[2]}\033[0m", text, count=1)
    typer.echo(painted, err=err, color=True)  # click strips colour in a pipe unless told: FORCE_COLOR tells it


def line(text: str, err: bool = False) -> None:
    """One line of output, its untrusted parts made printable; a message (stderr) is wrapped to the width
    of a terminal, and stays one line in a pipe or a log."""
    text = printable(text)
    if err and sys.stderr.isatty() and len(text) > width():
        import textwrap
        text = textwrap.fill(text, width(), subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)
    _echo(text, err)


def block(text: str, indent: str = "") -> None:
    """A paragraph of data on stdout, wrapped to the width."""
    import textwrap
    _echo(textwrap.fill(printable(text), width(), initial_indent=indent, subsequent_indent=indent + "  ",
                        break_long_words=False, break_on_hyphens=False), err=False)


def count(n: int, noun: str) -> str:
    """"1 entry", "2 entries": a number with its noun, singular or plural."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else f"{n} {noun}s"


def info(message: str) -> None:
    """A message on stderr (what was written, what was assumed); --quiet silences it."""
    if not _State.quiet:
        line(message, err=True)


def warn(message: str) -> None:
    """A warning on stderr; --quiet silences it (errors are always said)."""
    if not _State.quiet:
        line(f"warning: {message}", err=True)


def warn_once(message: str) -> None:
    if message not in _State.warned:
        _State.warned.add(message)
        warn(message)


class Progress:
    """A count on stderr while long work runs (thousands of certificates, a folder of files): on a
    terminal only, never in a pipe or with --json, and erased when the work is done."""

    def __init__(self, label: str, total: int | None = None, quiet: bool = False):
        self.label, self.total = label, total
        self.on = not (quiet or _State.quiet) and sys.stderr.isatty() and (total is None or total >= 1000)
        self.step = max(1, (total or 2500) // 100)

    def __call__(self, done: int) -> None:
        if self.on and done % self.step == 0:
            of = f"/{self.total}" if self.total else ""
            sys.stderr.write(f"\r{self.label}: {done}{of}")
            sys.stderr.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.on:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def print_json(data: dict[str, Any], schema: str) -> None:
    """An output as JSON on stdout (json_text)."""
    typer.echo(json_text(data, schema))


# What JSON keeps raw with ensure_ascii=False and a terminal acts on: C1 controls (ESC's 8-bit form), line and
# paragraph separators, bidirectional overrides. Written as \uXXXX, the JSON means the same.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_text(data: dict[str, Any], schema: str) -> str:
    """An output as JSON, headed by "schema": "jkstool/NAME/VERSION" (cli/schemas.py), the contract a script
    checks before it reads on; `schema` is NAME, the output's file in docs/schemas/. Text from a certificate
    cannot move a terminal's cursor or turn its text around when the JSON is shown raw."""
    from .schemas import tag
    text = json.dumps(readable_all({"schema": tag(schema), **data}), indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def readable_all(value: Any) -> Any:
    """`readable` on every string of a row (dicts, lists), for JSON."""
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, dict):
        return {readable_all(k): readable_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [readable_all(v) for v in value]
    return value



def print_table(rows: Iterable[Iterable[object]], headers: Sequence[object], wide: bool = False,
                flexible: tuple[int, ...] | None = None) -> None:
    """A table on stdout that fits the width: the `flexible` columns (all by default) cut with …, the widest
    first; `wide`: whole, however wide."""
    cells = [[c if c.isprintable() else printable(c) for c in map(str, row)] for row in rows]  # the check is C-fast
    names = [str(h) for h in headers]
    if not wide:
        cells = _fit(cells, names, width(), flexible)
    typer.echo(_tabulate(cells, names, len(names) if flexible is None else max(flexible) + 1))


def _tabulate(rows: list[list[str]], headers: list[str], fixed: int) -> str:
    """tabulate's simple table. The columns from `fixed` on (dates, counts, fingerprints: nothing to cut or
    align) are padded here and set after tabulate's lines: tabulate types and pads every cell, which was a
    third of listing 10,000 certificates (and it would strip the padding of a row whose first one is empty)."""
    from tabulate import tabulate
    if fixed >= len(headers) - 1:
        return str(tabulate(rows, headers=headers, disable_numparse=True))
    widths = [max(len(headers[i]) + 2, *(len(r[i]) for r in rows)) for i in range(fixed, len(headers))]

    def joined(cells: list[str]) -> str:
        return "  ".join(cell.ljust(size) for cell, size in zip(cells, widths, strict=True))
    lines = str(tabulate([r[:fixed] for r in rows], headers=headers[:fixed], disable_numparse=True)).split("\n")
    ends = [joined(headers[fixed:]), "  ".join("-" * size for size in widths), *(joined(r[fixed:]) for r in rows)]
    width = len(lines[1])  # the rule: tabulate leaves the last column of the other lines unpadded
    return "\n".join(f"{line.ljust(width)}  {end}".rstrip() for line, end in zip(lines, ends, strict=True))


def _fit(rows: list[list[str]], headers: list[str], room: int, flexible: tuple[int, ...] | None) -> list[list[str]]:
    """The rows with flexible columns cut, widest first, until the table fits `room` (tabulate sets columns
    two spaces apart, each at least two wider than its header)."""
    floor = [len(h) + 2 for h in headers]
    sizes = [max([floor[i], *(len(r[i]) for r in rows)]) for i in range(len(headers))]
    excess = sum(sizes) + 2 * (len(sizes) - 1) - room
    if excess <= 0:
        return rows
    cuttable = list(range(len(headers)) if flexible is None else flexible)
    for _ in range(excess):  # one character at a time from the widest, down to its header (at least 8)
        widest = max(cuttable, key=lambda i: sizes[i] - max(8, floor[i]))
        if sizes[widest] <= max(8, floor[widest]):
            break
        sizes[widest] -= 1
    cut = [(i, sizes[i]) for i in cuttable if sizes[i] < max(len(r[i]) for r in rows)]
    for row in rows:
        for i, size in cut:
            if len(row[i]) > size:
                row[i] = row[i][:size - 1] + "…"
    return rows


def fail(message: str, code: int = 2) -> NoReturn:
    line(f"error: {message}", err=True)
    raise typer.Exit(code)


# The core's texts name the API's parameters and functions; on the command line, what sets or does them. Applied
# in order to the whole line: an entry comes before any entry it contains (ca_password=... before password=...,
# server_ca=... before ca=...). Each is a token no prose holds (name=..., name=True, name='value', a call).
_STORES = ("server-keystore", "server-truststore", "client-keystore", "client-truststore")
_OPTIONS = {
    "change_password(folder, new_password=...)": "jkstool passwd DIR --new-storepass ...",
    "ca=(certificate, key)": "--ca-cert and --ca-key",
    # passwords
    "(check password=...)": "(check --storepass or JKSTOOL_STOREPASS)",
    "(give password=...)": "(give --storepass, or set JKSTOOL_STOREPASS)",
    "load_ca(password=...)": "--ca-keypass", "ca_password=...": "--ca-keypass",
    "key_password=...": "--keypass", "key_file_password=...": "--src-keypass", "cert_file=...": "--cert",
    "which password_from=... names": "which --password-from names",
    "new_password=...": "--new-storepass", "dest_password=...": "--dest-storepass", "password=...": "--storepass",
    "allow_weak=True": "--allow-weak-password",
    # writing stores and files
    "replace=True": "--force", "lock_timeout=...": "--lock-timeout", "store_type='pkcs12'": "--store-type pkcs12",
    "profile='java9' or 'modern'": "--profile java9 or modern", "profile=...": "--profile",
    "encrypt_key=False": "--no-encrypt-key", "encrypt_keys=False": "--no-encrypt-key",
    # entries, certificates and CAs
    "alias=...": "--alias", "allow_expired=True": "--allow-expired", "allow_leaf=True": "--allow-leaf",
    "see the reasons given to skipped=...": "see the reasons above", "trusted_in(...)": "--from-store",
    "ca_certificates=...": "--ca", "sans=...": "--san", "ca_crls=...": "--ca-crl", "crl=...": "--crl",
    # layouts
    "separate_cas=True": "--separate-cas", "server_ca=...": "--server-ca-cert", "client_ca=...": "--client-ca-cert",
    "ca=...": "--ca-cert", "side='client' and added=...": "--side client and --client",
    "added=...": "--client", "cn=...": "--cn", "sides=...": "--side", "bind=": "--bind ",
    "revoke_with(ca, crl, certificates)": "jkstool revoke CERT --ca-cert --ca-key --crl",
    "rollover_ca(folder, 'trust')": "jkstool rollover-ca DIR",
    "rollover_ca(folder, 'reissue')": "jkstool rollover-ca DIR --reissue",
    "rollover_ca(folder, 'finish')": "jkstool rollover-ca DIR --finish",
    # checks
    **{f"stores={{{role!r}: ...}}": f"--{role}" for role in _STORES},
    "server=...": "--server-secret", "client=...": "--client-secret", "engine='java'": "--handshake-engine java",
    "jdk='17'": "--jdk 17", "jdk=...": "--jdk", "peer_url=...": "--peer-url", "side='client'": "--side client",
    "user=...": "--user", "peer=...": "--peer", "peer_truststore=...": "--peer-truststore",
    "keystore=...": "--keystore", "expect_sha256=...": "--expect-sha256", "servername=...": "--servername",
    # functions
    "convert_store": "jkstool convert",
}


def for_the_command_line(text: str) -> str:
    """A core error's text as the command line says it: its options where the core names parameters."""
    for parameter, option in _OPTIONS.items():
        text = text.replace(parameter, option)
    return text


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the core's errors into one line and exit 2; tracebacks only with --debug."""
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except JkstoolError as e:
            if _State.debug:
                traceback.print_exc()
            fail(for_the_command_line(str(e)))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:  # the reader of our output went away (| head): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None
        except Exception as e:  # a bug: say so in one line, keep the traceback for --debug
            if _State.debug:
                raise
            fail(f"unexpected {type(e).__name__}: {e} (run again with --debug for a "
                 "traceback, and please report it)")
    return run

