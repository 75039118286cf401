"""Java decides, the model explains: a pair's verdict from the target JDK's own handshake.

jkstool's rules re-enact JSSE, and a re-enactment misses what nobody wrote
down yet. So where the target JDK is on this machine, its own classes judge the
pair (handshake.java: the stores loaded as an application loads them, the
default key and trust managers, a real handshake); the model's findings say
which store, which certificate and what to do. Where the two disagree, Java's
verdict and Java's message stand, and the report says the explanation may be
incomplete. The model alone decides when asked to, when the target JDK is not
installed, for another moment than now (Java judges the present), and for
stores Java cannot be handed as files.
"""

import threading
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from . import handshake
from . import jdk as jdks
from .checks import Break, Outcome, Report, StoreInput
from .findings import ERROR, WARNING, finding

CONFIGURED_ONLY = frozenset({"cert-revoked", "crl-stale", "crl-missing"})
"""Errors of a server configured beyond JSSE's defaults (a CRL loaded, as Tomcat or nginx do): the default
handshake cannot confirm them, so they stand beside Java's verdict."""


Handed = tuple[Mapping[str, Path], Mapping[str, str | None]]
"""The four stores as Java is handed them: their paths and passwords, by role."""


def start(target: jdks.Jdk, at: datetime | None, handed: Handed | str | None, stores: Mapping[str, StoreInput],
          hostname: str | None, java_security: Path | None) -> "Future[Outcome] | None":
    """The target JDK's handshake, begun in the background while the model runs (the two take about as long,
    and each keeps its own core busy); None where Java will not judge."""
    if handed is None or isinstance(handed, str) or alone_because(target, at, _pem(stores)) is not None:
        return None
    home, (paths, passwords) = target.home, handed
    assert home is not None
    started: Future[Outcome] = Future()

    def run() -> None:
        try:
            started.set_result(handshake.java(home, paths, passwords, hostname, java_security))
        except BaseException as e:  # handed to whoever waits for it
            started.set_exception(e)
    threading.Thread(target=run, daemon=True).start()
    return started


def settle(report: Report, target: jdks.Jdk, at: datetime | None, handed: Handed | str | None,
           hostname: str | None, java_security: Path | None, started: "Future[Outcome] | None" = None) -> None:
    """Let the target JDK decide `report` where it can judge the `handed` stores (or the reason it cannot
    be handed them; None: the model alone, as asked), with the handshake `start` began if it did; else say why
    the model decided alone."""
    why = "asked for alone, no JVM" if handed is None else handed if isinstance(handed, str) else \
        alone_because(target, at, _pem(report.stores))
    if why is not None:
        report.decided_by = f"jkstool's model ({why})"
        return
    assert not isinstance(handed, str) and handed is not None and target.home is not None
    outcome = started.result() if started else handshake.java(target.home, *handed, hostname, java_security)
    _decide(report, outcome, str(handed[0]["server-keystore"]))


def alone_because(target: jdks.Jdk, at: datetime | None, pem: bool) -> str | None:
    """Why the model decides alone, or None when Java can judge the stores (`pem`: one of them is a PEM file):
    known before the stores are read, so a caller can leave to Java what Java will check."""
    if target.home is None:
        return f"no {target.describe().split(' (')[0]} on this machine"
    if at is not None and abs((at - datetime.now(timezone.utc)).total_seconds()) > 60:
        return "Java judges the present, and another moment was asked for"
    if pem:
        return "Java reads no PEM file as a store"
    return None


def _pem(stores: Mapping[str, StoreInput]) -> bool:
    return any(store.loaded.type == "PEM" for store in stores.values())


def _decide(report: Report, outcome: Outcome, store: str) -> None:
    """Let the verdict of the target JDK's own handshake stand in `report`."""
    report.java = outcome
    report.decided_by = outcome.engine
    explained = [f for f in report.findings if f.severity == ERROR and f.code not in CONFIGURED_ONLY]
    if outcome.ok and explained:
        codes = ", ".join(dict.fromkeys(f.code for f in explained))
        report.findings = [replace(f, severity=WARNING) if f in explained else f for f in report.findings]
        report.findings.append(finding(
            "java-accepted", store, None,
            f"{outcome.engine} completed the handshake ({outcome.detail}), though jkstool's rules expected "
            f"{codes} to stop it: Java's verdict stands, and those findings may be wrong"))
    elif not outcome.ok:
        found = finding("java-refused", store, None, f"{outcome.engine} refused the handshake: {outcome.detail}"
                        + ("" if explained else "; jkstool's rules found no cause, so this explanation is "
                           "incomplete"))
        report.findings.append(found)
        if report.first_break_asked and (report.first_break is None or report.first_break.endings):
            report.first_break = Break(datetime.now(timezone.utc), (), (found,))
