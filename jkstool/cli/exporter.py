"""`jkstool exporter`: the textfile's metrics served over HTTP by a long-running process, for Prometheus.

prometheus_client serves /metrics (its WSGI app: content negotiation, OpenMetrics, gzip) from a custom
collector that yields the last complete scan's families, built once per scan with the textfile's own code
(cli/reports.py), so a scrape never waits for a scan and the names are the textfile's. wsgiref's threading
server (prometheus_client's) serves it, with /healthz beside it. The scans, the schedule and the change
detection are the core's (jkstool.api.exporter).
"""

import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output, passwords, reports
from .options import JavaSecurity, PasswordMap, StorePass

if TYPE_CHECKING:
    from prometheus_client.core import Metric
    from prometheus_client.registry import CollectorRegistry

    from ..api import Exporter, FleetScan

DEFAULT_LISTEN = "127.0.0.1:9793"
"""Loopback: /metrics names files and subjects, and has no authentication; a pod says --listen 0.0.0.0:9793.
9793 is x509-certificate-exporter's port, whose metric names this exporter serves: one replaces the other."""
STOP_SECONDS = 20
"""How long SIGTERM waits for a scan under way to stop (it stops between two stores or pairs): within
Kubernetes' 30 s grace period."""
REQUEST_SECONDS = 30
"""How long a client may take to send its request and read the answer: an idle connection is closed then."""

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "": 1}


def seconds(text: str, option: str = "--interval") -> float:
    """A duration as exporters write them: 90, 30s, 5m, 1h, 500ms; 100ms at least (a shorter one is a typo, and
    would scan without pause)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*", text)
    if not found or float(found[1]) * _UNITS[found[2]] < 0.1:
        output.fail(f"{option} {text}: give a duration of 100ms or more, such as 30s, 5m or 1h")
    return float(found[1]) * _UNITS[found[2]]


def address(text: str) -> tuple[str, int]:
    """--listen ADDR:PORT ([::1]:PORT for IPv6, :PORT for every address, PORT alone for 127.0.0.1)."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") if host else "0.0.0.0" if ":" in text else "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        output.fail(f"--listen {text}: give ADDR:PORT, such as 127.0.0.1:9793 or 0.0.0.0:9793")
    return host, int(port)


def exporter_command(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...",
        help="Stores and folders (searched recursively; a folder holding pairs has each checked as verify-pair "
             "--all checks it). A Kubernetes Secret volume is followed as the kubelet updates it.", readable=False)],
    listen: Annotated[str, typer.Option(metavar="ADDR:PORT",
        help="Where to serve /metrics and /healthz (0.0.0.0:9793 in a pod).")] = DEFAULT_LISTEN,
    interval: Annotated[str, typer.Option(metavar="DURATION",
        help="Scan this often (90, 30s, 5m, 1h), and whenever a file read changes.")] = "5m",
    within: Annotated[int, typer.Option(min=0, metavar="DAYS",
        help="The log's count of certificates expiring within DAYS, and the pairs' warnings.")] = 30,
    storepass: StorePass = None,
    password_map: PasswordMap = None,
    jdk: Annotated[str | None, typer.Option(
        "--jdk", metavar="PATH|RELEASE",
        help="Whose rules decide the pairs: a JDK folder, or a release's defaults (17, 21, 25; default: the JDK "
             "on this machine, else 17's).")] = None,
    java_security: JavaSecurity = None,
    model_only: Annotated[bool, typer.Option(
        "--model-only", help="jkstool's rules alone, no JVM, even where a JDK is installed.")] = False,
) -> None:
    """Serve the expiry and verify-pair --all metrics to Prometheus, scanning again as files change.

    The metrics are those of the textfile (docs/fleet.md): x509_cert_not_after and its kin,
    jkstool_pair_ok, jkstool_pair_first_break_timestamp_seconds, jkstool_read_errors by reason code;
    /healthz answers 200 once a scan is complete and fresh. A scrape gets the last complete scan at once;
    a line per scan goes to stderr. SIGTERM (or Ctrl-C) stops it, exit 0. The password map is read again
    at each scan. Runs until stopped; exit 2 when it cannot start. See docs/exporter.md.

    Example:

    \b
        jkstool exporter /etc/tls --password-map /etc/jkstool/passwords --interval 5m
        jkstool exporter /etc/tls/payments --listen 0.0.0.0:9793 --storepass file:/run/secrets/pass
    """
    import wsgiref.simple_server

    from prometheus_client.exposition import ThreadingWSGIServer

    from .. import api
    every = seconds(interval)
    host, port = address(listen)
    password = passwords.resolve(storepass)
    if password_map is not None:
        passwords.load_map(password_map)  # said now: a line that cannot be used, a map others can read
    collector = _Collector()
    watching = api.exporter(paths, interval=every, password=password, password_map=password_map, within=within,
                            jdk=jdk, java_security=java_security, model_only=model_only,
                            on_scan=collector.build, log=_log)
    collector.exporter = watching

    class Server(ThreadingWSGIServer):
        address_family = _family(host)

    try:
        server = wsgiref.simple_server.make_server(host, port, _app(watching, collector.registry()), Server,
                                                   handler_class=_Quiet)
    except OSError as e:
        output.fail(f"--listen {listen}: cannot listen there ({e.strerror or e})")
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    serving = threading.Thread(target=server.serve_forever, name="jkstool-exporter-http", daemon=True)
    serving.start()
    _log(f"serving http://{listen if host != '0.0.0.0' else f'0.0.0.0:{port}'}/metrics; scanning "
         f"{', '.join(map(str, paths))} every {interval} and on change")
    watching.start()
    while not stopping.wait(1):
        pass
    _log("stopping")
    server.shutdown()
    server.server_close()
    if not watching.stop(STOP_SECONDS):
        _log(f"the scan under way did not stop within {STOP_SECONDS} s; leaving it")
        import os
        import sys
        sys.stderr.flush()
        os._exit(0)  # its thread holds a file that does not answer: nothing of ours is left to close
    raise typer.Exit(0)


def _log(message: str) -> None:
    output.line(f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} {message}", err=True)


def _family(host: str) -> int:
    import socket
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _quiet_handler() -> type:
    from wsgiref.simple_server import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        timeout = REQUEST_SECONDS

        def log_message(self, format: str, *args: Any) -> None:  # a line per scan, not per scrape
            pass
    return Quiet


_Quiet = _quiet_handler()


class _Collector:
    """The last complete scan's metric families (built once per scan, in the scanning thread), and the
    exporter's own: a scrape reads the families the last `build` left, whole."""

    def __init__(self) -> None:
        self.families: list[Metric] = []
        self.exporter: Exporter | None = None

    def build(self, scan: "FleetScan") -> None:
        from prometheus_client.core import Metric
        metrics = reports.Exposition()
        now = datetime.now(timezone.utc)
        reports.expiry_metrics(metrics, scan.expiry, now)
        reports.pair_metrics(metrics, [pair.to_dict() for fleet in scan.fleets for pair in fleet.pairs])
        reports.read_error_metrics(metrics, scan.read_errors())
        built = []
        for name, kind, help_text, series in metrics.families():
            family = Metric(name, help_text, kind)
            for labels, value in series:
                family.add_sample(name, labels, value)
            built.append(family)
        self.families = built  # one assignment: a scrape has the old families or the new ones

    def collect(self) -> Iterator["Metric"]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        yield from self.families
        watching = self.exporter
        if watching is None:
            return
        yield CounterMetricFamily("jkstool_exporter_scans", "Scans completed since the exporter started.",
                                  value=watching.scans)
        yield CounterMetricFamily("jkstool_exporter_scan_failures", "Scans that could not run (the last complete "
                                  "scan is still served).", value=watching.failures)
        latest = watching.latest
        if latest is not None:
            yield GaugeMetricFamily("jkstool_exporter_last_scan_timestamp_seconds", "When the last complete scan "
                                    "ended, in seconds since the epoch.", value=latest.started.timestamp()
                                    + latest.seconds)
            yield GaugeMetricFamily("jkstool_exporter_last_scan_duration_seconds", "How long the last complete "
                                    "scan took.", value=latest.seconds)

    def describe(self) -> Iterable["Metric"]:
        return []  # nothing to check at registration: the families come with the scans

    def registry(self) -> "CollectorRegistry":
        from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
        registry = CollectorRegistry()
        registry.register(self)
        ProcessCollector(registry=registry)  # process_resident_memory_bytes and the rest: the soak reads it
        PlatformCollector(registry=registry)
        return registry


def _app(watching: "Exporter", registry: "CollectorRegistry") -> Callable[..., Iterable[bytes]]:
    """/metrics (prometheus_client's app), /healthz (200 when a complete scan is fresh, else 503), / (links)."""
    from prometheus_client import make_wsgi_app
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            result: Iterable[bytes] = metrics(environ, start_response)
            return result
        if path == "/healthz":
            ok, why = watching.health()
            return _text(start_response, "200 OK" if ok else "503 Service Unavailable", why)
        if path == "/":
            return _text(start_response, "200 OK", "jkstool exporter: /metrics, /healthz")
        return _text(start_response, "404 Not Found", "not found: /metrics, /healthz")
    return app


def _text(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
    body = (text + "\n").encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
