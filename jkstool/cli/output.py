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
from typing import NoReturn

import typer

from ..errors import JkstoolError


class _State:
    """What one invocation has said so far, and whether --debug is on."""

    debug = False
    warned: set[str] = set()


def reset() -> None:
    """Forget --debug and the warnings given: one state per invocation."""
    _State.debug = False
    _State.warned.clear()


def enable_debug(value: bool) -> bool:
    if value:
        _State.debug = True
    return value


# C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text that may come from a hostile certificate or peer, as one line a terminal shows as it is:
    a newline in a subject cannot forge a log line, an escape sequence cannot move the cursor."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def line(text: str, err: bool = False) -> None:
    """One line of output, its untrusted parts made printable."""
    typer.echo(printable(text), err=err)


def info(message: str) -> None:
    line(message, err=True)


def warn(message: str) -> None:
    line(f"warning: {message}", err=True)


def warn_once(message: str) -> None:
    if message not in _State.warned:
        _State.warned.add(message)
        warn(message)


def print_json(data) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_table(rows, headers) -> None:
    from tabulate import tabulate
    rows = [[printable(c) if isinstance(c, str) else c for c in row] for row in rows]
    typer.echo(tabulate(rows, headers=headers, disable_numparse=True))


def fail(message: str, code: int = 2) -> NoReturn:
    line(f"error: {message}", err=True)
    raise typer.Exit(code)


def guarded(command):
    """Turn the core's errors into one line and exit 2; tracebacks only with --debug."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except JkstoolError as e:
            if _State.debug:
                traceback.print_exc()
            fail(str(e))
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

