"""Fleets: the first break of a pair, many layouts at once, outputs for the tools around them.

The first break is asked on pairs whose certificates end at known times. Which endings break a pair
is the target JDK's rule, so each rule used is first shown on a real JSSE handshake: a pair whose
intermediate has already expired fails, one whose trust anchor has already expired still passes.

What a check finds is asked of the API (jkstool.api); the tests named test_cli_* are of the command line
alone: its options, its table, its Prometheus and JUnit reports, its stderr and its exit codes.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from helpers import FIXTURES, PASSWORD, certificate, der, new_key, pkcs8, run
from typer.testing import CliRunner

from jkstool import api, formats
from jkstool.api.secrets import load_secret, secret_store, split_secrets
from jkstool.cli import app
from jkstool.model import PrivateKeyEntry, Store, TrustedCertEntry

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
ROLES = ("server.keystore", "server.truststore", "client.keystore", "client.truststore")


def make_pair(folder, *, root=(0, 3650), sub=(0, 1000), server=(0, 400), client=(0, 500), keys=None):
    """Four PKCS12 stores: the server's leaf under an intermediate, the client's under the root, each
    certificate valid from (start days from now, for days). Returns the certificates by name (and puts the
    root's key in `keys`, when given)."""
    folder.mkdir(parents=True)
    root_key, sub_key, server_key, client_key = (new_key("ec") for _ in range(4))
    if keys is not None:
        keys["root"] = root_key
    made = {"root": certificate(root_key, "Fleet Root", ca=True, start_days=root[0], days=root[1])}
    made["sub"] = certificate(sub_key, "Fleet Intermediate", made["root"], root_key, ca=True, start_days=sub[0],
                              days=sub[1])
    made["server"] = certificate(server_key, "localhost", made["sub"], sub_key, start_days=server[0],
                                 days=server[1], eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    made["client"] = certificate(client_key, "client", made["root"], root_key, start_days=client[0],
                                 days=client[1], eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    anchor = TrustedCertEntry("root", der(made["root"]))
    stores = {
        "server.keystore": Store([PrivateKeyEntry("server", pkcs8(server_key), tuple(
            der(made[n]) for n in ("server", "sub", "root")))]),
        "client.keystore": Store([PrivateKeyEntry("client", pkcs8(client_key), (der(made["client"]),
                                                                              der(made["root"])))]),
        "server.truststore": Store([anchor]), "client.truststore": Store([anchor])}
    for name, store in stores.items():
        formats.write_store(folder / f"{name}.p12", store, "pkcs12", PASSWORD)
    return made


def repassword(folder, password: str) -> None:
    """Give every store of a pair another password (as a team's other pair has)."""
    for store in folder.iterdir():
        api.change_password(store, password=PASSWORD, new_password=password)


def _paths(folder):
    return [folder / f"{name}.p12" for name in ROLES]


def ends(cert) -> datetime.datetime:
    return cert.not_valid_after_utc


# -- the rules, as JSSE applies them ---------------------------------------------------

def test_jsse_refuses_an_expired_intermediate_and_accepts_an_expired_anchor(tmp_path, handshake):
    make_pair(tmp_path / "sub", sub=(-10, 5))
    make_pair(tmp_path / "root", root=(-10, 5))
    ok, seen = handshake(*_paths(tmp_path / "sub"))
    assert not ok and ("validity" in seen or "expired" in seen), seen
    ok, seen = handshake(*_paths(tmp_path / "root"))
    assert ok, seen
    assert not api.verify_pair(tmp_path / "sub", password=PASSWORD).ok
    assert api.verify_pair(tmp_path / "root", password=PASSWORD).ok


# -- the first break -------------------------------------------------------------------

def test_first_break_is_the_intermediate_ending_before_the_leaf(tmp_path):
    made = make_pair(tmp_path / "tls", sub=(0, 100), server=(0, 200))
    found = api.verify_pair(tmp_path / "tls", password=PASSWORD, first_break=True).first_break
    assert found.at == ends(made["sub"]) + datetime.timedelta(seconds=1)
    assert [e.what for e in found.endings] == ["CN=Fleet Intermediate"]
    assert {f.code for f in found.findings} == {"cert-expired"}
    before = ends(made["sub"]) - datetime.timedelta(days=1)
    after = ends(made["sub"]) + datetime.timedelta(days=1)
    assert api.verify_pair(tmp_path / "tls", password=PASSWORD, at=before).ok
    late = api.verify_pair(tmp_path / "tls", password=PASSWORD, at=after)
    assert not late.ok
    assert any(f.code == "cert-expired" and "Fleet Intermediate" in f.message for f in late.findings)


def test_an_anchor_ending_first_is_not_the_break(tmp_path):
    """JSSE does not check an anchor's dates: the break is the next ending that matters."""
    made = make_pair(tmp_path / "tls", root=(0, 50), sub=(0, 100), server=(0, 200))
    found = api.verify_pair(tmp_path / "tls", password=PASSWORD, first_break=True).first_break
    assert ends(made["root"]) < ends(made["sub"])
    assert found.at == ends(made["sub"]) + datetime.timedelta(seconds=1)


def stale_crl(folder, made, keys):
    """The CRL of the pair's root (the CA of the client's certificate, which a server checking revocation
    needs), due again in 7 days: (its file in `folder`, the CRL)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(made["root"].subject).last_update(now)
           .next_update(now + datetime.timedelta(days=7)).sign(keys["root"], hashes.SHA256()))
    path = folder / "fleet.crl"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path, crl


def test_a_stale_crl_is_a_break(tmp_path):
    keys = {}
    made = make_pair(tmp_path / "tls", keys=keys)
    path, crl = stale_crl(tmp_path, made, keys)
    report = api.verify_pair(tmp_path / "tls", password=PASSWORD, crls=[path], first_break=True)
    found = report.first_break
    assert found.at == crl.next_update_utc + datetime.timedelta(seconds=1) < ends(made["server"])
    assert [f.code for f in found.findings] == ["crl-stale"]
    assert report.ok and [(e.what, e.where) for e in found.endings] == [("the CRL of CN=Fleet Root", str(path))]


def test_a_failing_pair_breaks_now(tmp_path):
    make_pair(tmp_path / "tls", server=(-10, 5))
    report = api.verify_pair(tmp_path / "tls", password=PASSWORD, first_break=True)
    assert not report.ok
    broken = report.first_break
    assert broken.endings == () and broken.findings[0].code == "cert-expired"


@pytest.mark.parametrize("at", [None, datetime.datetime(2027, 6, 1, tzinfo=datetime.timezone.utc)],
                         ids=["now", "2027-06-01"])
def test_first_break_follows_the_clock_given(tmp_path, at):
    made = make_pair(tmp_path / "tls", client=(0, 60))
    report = api.verify_pair(tmp_path / "tls", password=PASSWORD, at=at, first_break=True)
    broken = report.first_break
    client_end = ends(made["client"]) + datetime.timedelta(seconds=1)
    if at is None:
        assert broken.at == client_end
    else:  # a year on, the client's certificate has long ended: the pair is broken at the moment given
        assert not report.ok and broken.at == at and broken.endings == ()


def test_cli_first_break_in_the_table_and_in_json(tmp_path):
    """--crl and --first-break reach verify_pair, the table says the break, --at takes a date as midnight UTC,
    and the exit code is the verdict."""
    keys = {}
    made = make_pair(tmp_path / "tls", client=(0, 60), keys=keys)
    path, _ = stale_crl(tmp_path, made, keys)
    result = run("verify-pair", tmp_path / "tls", "--crl", path, "--first-break", env=ENV)
    assert result.exit_code == 0 and "first break: " in result.stdout and "the CRL of CN=Fleet Root" in result.stdout
    late = run("verify-pair", tmp_path / "tls", "--first-break", "--json", "--at", "2027-06-01", env=ENV)
    broken = json.loads(late.stdout)["first_break"]
    assert late.exit_code == 1 and broken["at"] == "2027-06-01T00:00:00Z" and broken["ended"] == []


# -- many pairs at once ----------------------------------------------------------------

def test_all_checks_every_pair_under_a_root(tmp_path):
    root = tmp_path / "fleet"
    made = make_pair(root / "partner-a", client=(0, 90))
    make_pair(root / "team" / "partner-b", server=(-10, 5))  # expired: fails
    own = api.init_pair(root / "own").folder  # its own generated storepass file
    api.renew(own, "server")  # leaves a backups/ folder
    assert (own / "backups").is_dir()
    fleet = api.verify_fleet(root, password=PASSWORD)
    assert not fleet.ok and fleet.unreadable == []
    pairs = {p.name: p for p in fleet.pairs}
    assert set(pairs) == {"partner-a", "team/partner-b", "own"}
    assert pairs["partner-a"].verdict == "ok" and pairs["own"].verdict == "ok"
    assert fleet.failing == [pairs["team/partner-b"]]
    assert pairs["team/partner-b"].verdict == "FAIL" and pairs["team/partner-b"].report.first_break.endings == ()
    client_end = ends(made["client"]) + datetime.timedelta(seconds=1)
    assert pairs["partner-a"].report.first_break.at == client_end
    # each row is what verify_pair says of that pair alone
    alone = api.verify_pair(root / "partner-a", password=PASSWORD, first_break=True)
    assert alone.first_break == pairs["partner-a"].report.first_break
    assert alone.findings == pairs["partner-a"].report.findings


def test_all_reports_a_pair_it_cannot_read_and_checks_the_rest(tmp_path):
    root = tmp_path / "fleet"
    make_pair(root / "good")
    make_pair(root / "other-password")
    repassword(root / "other-password", "another-secret")
    fleet = api.verify_fleet(root, password=PASSWORD)
    assert [(p.name, p.verdict) for p in fleet.pairs] == [("good", "ok"), ("other-password", "unreadable")]
    (unread,) = fleet.unreadable
    assert not fleet.ok and fleet.failing == [] and unread.report is None
    assert Path(unread.error_path).parent == root / "other-password" and "wrong password" in unread.error


def test_cli_all_prints_a_row_per_pair_a_summary_and_the_worst_exit_code(tmp_path):
    root = tmp_path / "fleet"
    make_pair(root / "good")
    assert run("verify-pair", root, "--all", env=ENV).exit_code == 0
    make_pair(root / "expired", server=(-10, 5))
    failing = run("verify-pair", root, "--all", env=ENV)
    assert failing.exit_code == 1 and "2 pairs: 1 failing; the first break is " in failing.stderr
    make_pair(root / "other-password")
    repassword(root / "other-password", "another-secret")
    result = run("verify-pair", root, "--all", env=ENV)
    assert result.exit_code == 2
    assert "good" in result.stdout and "unreadable" in result.stdout
    assert "other-password" in result.stderr and "3 pairs: 1 failing, 1 unreadable" in result.stderr


# -- outputs for the tools around jkstool: the command line's reports ----------------------

SCHEMA = FIXTURES / "junit" / "junit-10.xsd"


def _metrics(text: str) -> dict:
    """{metric name: [(labels, value)]}, as Prometheus's own client library parses the exposition."""
    from prometheus_client.parser import text_string_to_metric_families
    found: dict = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


@pytest.fixture
def fleet(tmp_path):
    """A root with a passing pair, a failing one and one that cannot be read."""
    root = tmp_path / "fleet"
    made = make_pair(root / "good", client=(0, 90))
    make_pair(root / "expired", server=(-10, 5))
    make_pair(root / "unreadable")
    damaged = root / "unreadable" / "client.truststore.p12"
    damaged.write_bytes(damaged.read_bytes()[:200])  # cut short: a store, but not one that reads
    return root, made


def test_cli_prometheus_expiry_carries_x509_certificate_exporters_names(fleet):
    root, made = fleet
    result = run("expiry", root, "--format", "prometheus", env=ENV)
    assert result.exit_code == 2  # a store could not be read
    metrics = _metrics(result.stdout)
    client = root / "good" / "client.keystore.p12"
    series = [(labels, value) for labels, value in metrics["x509_cert_not_after"]
              if labels["filepath"] == str(client) and labels["subject_CN"] == "client"]
    assert [value for _, value in series] == [made["client"].not_valid_after_utc.timestamp()]
    labels = series[0][0]
    assert labels["issuer_CN"] == "Fleet Root" and labels["serial_number"] == format(made["client"].serial_number, "x")
    expired = {labels["filepath"]: value for labels, value in metrics["x509_cert_expired"]
               if labels["subject_CN"] == "localhost"}
    assert expired[str(root / "expired" / "server.keystore.p12")] == 1
    assert expired[str(root / "good" / "server.keystore.p12")] == 0
    assert {"x509_cert_not_before"} <= set(metrics)
    (errors,) = metrics["jkstool_read_errors"]
    assert errors[0]["filepath"] == str(root / "unreadable" / "client.truststore.p12") and errors[1] == 1


def test_cli_prometheus_pairs_and_their_first_breaks(fleet, tmp_path):
    root, made = fleet
    out = tmp_path / "textfile" / "jkstool.prom"
    out.parent.mkdir()
    out.write_text("old\n")
    result = run("verify-pair", root, "--all", "--format", "prometheus", "--output", out, env=ENV)
    assert result.exit_code == 2 and result.stdout == ""
    metrics = _metrics(out.read_text())
    assert {labels["pair"]: value for labels, value in metrics["jkstool_pair_ok"]} == \
        {"good": 1, "expired": 0, "unreadable": 0}  # a pair not read is not ok: the alert on 0 catches it
    breaks = {labels["pair"]: value for labels, value in metrics["jkstool_pair_first_break_timestamp_seconds"]}
    assert breaks["good"] == (ends(made["client"]) + datetime.timedelta(seconds=1)).timestamp()
    assert [labels["filepath"] for labels, _ in metrics["jkstool_read_errors"]] == \
        [str(root / "unreadable" / "client.truststore.p12")]
    assert sorted(p.name for p in out.parent.iterdir()) == ["jkstool.prom"]  # replaced, nothing left beside it


@pytest.mark.parametrize("command", ["expiry", "verify-pair"])
def test_cli_junit_validates_against_the_schema(fleet, command):
    import xmlschema
    root, _ = fleet
    args = [command, root, "--format", "junit"] + (["--all"] if command == "verify-pair" else ["--within", "60"])
    result = run(*args, env=ENV)
    assert result.exit_code == 2
    xmlschema.XMLSchema(SCHEMA).validate(result.stdout)
    from xml.etree import ElementTree
    suite = ElementTree.fromstring(result.stdout)
    assert int(suite.get("errors")) == 1 and int(suite.get("failures")) >= 1
    failed = {case.get("name") if command == "verify-pair" else case.get("classname")
              for case in suite.iter("testcase") if case.find("failure") is not None}
    if command == "verify-pair":
        assert failed == {"expired"}
    else:
        assert str(root / "expired" / "server.keystore.p12") in failed


# -- Kubernetes Secrets out -----------------------------------------------------------

# Kubernetes' own rule for object names (k8s.io/apimachinery validation.IsDNS1123Subdomain).
DNS1123_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"


def _secret_data(secret: dict) -> dict:
    import base64
    import re
    assert secret["apiVersion"] == "v1" and secret["kind"] == "Secret" and secret["type"] == "Opaque"
    name = secret["metadata"]["name"]
    assert len(name) <= 253 and re.fullmatch(DNS1123_SUBDOMAIN, name), name
    return {key: base64.b64decode(value, validate=True) for key, value in secret["data"].items()}


def test_k8s_secrets_are_what_kubernetes_takes_and_java_reads(tmp_path, keytool_inventory):
    folder = api.init_pair(tmp_path / "tls").folder  # a generated password
    document = api.k8s_secrets(folder, name="payments")
    assert document["apiVersion"] == "v1" and document["kind"] == "List"
    secrets = {item["metadata"]["name"]: _secret_data(item) for item in document["items"]}
    assert set(secrets) == {"payments-server", "payments-client", "payments-keystore-password"}
    password = secrets["payments-keystore-password"]["password"].decode()
    assert password == (folder / "storepass").read_text().splitlines()[0]
    ca_key = serialization.load_pem_private_key((folder / "ca" / "ca-key.pem").read_bytes(), password.encode())
    ca_public = ca_key.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    for side in ("server", "client"):
        data = secrets[f"payments-{side}"]
        assert set(data) == {"keystore.p12", "truststore.p12", "tls.crt", "tls.key", "ca.crt"}
        for kind in ("keystore", "truststore"):
            copy = tmp_path / f"{side}.{kind}.p12"
            copy.write_bytes(data[f"{kind}.p12"])
            assert keytool_inventory(copy, password) == keytool_inventory(folder / f"{side}.{kind}.p12", password)
        key = serialization.load_pem_private_key(data["tls.key"], None)
        leaf = x509.load_pem_x509_certificates(data["tls.crt"])[0]
        assert key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) != ca_public
        assert leaf.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo) == \
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        keys = [e for e in formats.load(data["keystore.p12"], password).store if isinstance(e, PrivateKeyEntry)]
        assert [e.chain[0] for e in keys] == [der(leaf)]  # the side's own key only, never the CA's


def test_cli_k8s_secrets_go_to_a_private_file_or_a_pipe_never_a_terminal(tmp_path):
    """init-pair --k8s-secret and k8s-secret write what k8s_secrets gives: to a 0600 file or a pipe, never to a
    terminal (where they would sit in its scrollback); a name Kubernetes would refuse is one line, before any
    work."""
    import os
    import pty
    import stat
    import subprocess
    import sys
    folder = tmp_path / "tls"
    assert run("init-pair", folder, "--k8s-secret", "payments").exit_code == 0  # a generated password
    manifest = folder / "payments.k8s.json"
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o600
    assert json.loads(manifest.read_text()) == api.k8s_secrets(folder, name="payments")
    result = run("k8s-secret", folder, "--name", "Payments_Prod")
    assert result.exit_code == 2 and "DNS-1123" in result.stderr and len(result.stderr.splitlines()) == 1
    out = tmp_path / "secrets.json"
    assert run("k8s-secret", folder, "--name", "payments", "--namespace", "prod", "--output", out).exit_code == 0
    items = json.loads(out.read_text())["items"]
    assert {i["metadata"]["namespace"] for i in items} == {"prod"}
    assert run("init-pair", tmp_path / "other", "--k8s-secret", "-bad", env=ENV).exit_code == 2
    assert not (tmp_path / "other").exists()  # refused before any work
    command = [sys.executable, "-m", "jkstool", "k8s-secret", str(folder), "--name", "x"]
    piped = subprocess.run(command, capture_output=True, text=True)
    assert piped.returncode == 0 and json.loads(piped.stdout)["kind"] == "List"
    leader, follower = pty.openpty()
    shown = subprocess.run(command, stdout=follower, stderr=subprocess.PIPE, text=True)
    os.close(follower)
    os.close(leader)
    assert shown.returncode == 2 and "give --output FILE" in shown.stderr


def test_secrets_written_into_a_layout_follow_its_changes(tmp_path, keytool_inventory):
    """init-pair --k8s-secret writes DIR/NAME.k8s.json, a file of the layout: a renewal, a store command on a
    layout store and a restore each rewrite it, so its Secrets always hold the stores as they are, byte for
    byte (keytool lists them alike); Secrets written outside the layout are left as written."""
    folder = tmp_path / "tls"
    assert run("init-pair", folder, "--k8s-secret", "payments").exit_code == 0
    password = (folder / "storepass").read_text().splitlines()[0]
    written = folder / "payments.k8s.json"
    elsewhere = tmp_path / "elsewhere.json"
    api.k8s_secrets(folder, name="payments", output=elsewhere)
    first = elsewhere.read_bytes()

    def held() -> dict[str, dict[str, bytes]]:
        document = json.loads(written.read_text())
        secrets = {item["metadata"]["name"]: _secret_data(item) for item in document["items"]}
        for side in ("server", "client"):
            for kind in ("keystore", "truststore"):
                assert secrets[f"payments-{side}"][f"{kind}.p12"] == (folder / f"{side}.{kind}.p12").read_bytes()
        return secrets
    held()
    renewal = api.renew(folder, "server")
    assert written in renewal.written.files
    assert x509.load_pem_x509_certificates(held()["payments-server"]["tls.crt"])[0] == x509.load_der_x509_certificate(
        renewal.new)
    partner = tmp_path / "partner-ca.pem"
    partner.write_bytes(certificate(new_key("ec"), "Partner CA", ca=True).public_bytes(serialization.Encoding.PEM))
    api.import_ca(folder / "server.truststore.p12", [partner], password=password)
    copy = tmp_path / "truststore-from-the-secret.p12"
    copy.write_bytes(held()["payments-server"]["truststore.p12"])
    assert keytool_inventory(copy, password) == keytool_inventory(folder / "server.truststore.p12", password)
    api.restore(folder)
    held()
    assert elsewhere.read_bytes() == first


# -- many passwords -------------------------------------------------------------------

def test_a_password_map_opens_stores_of_many_passwords(tmp_path, monkeypatch):
    root = tmp_path / "fleet"
    make_pair(root / "a")
    make_pair(root / "b")
    repassword(root / "b", "b-secret")
    secret_file = tmp_path / "b.pass"
    secret_file.write_text("b-secret\n")
    password_map = tmp_path / "passwords"
    password_map.write_text(f"# the team's stores\n*/b/*.p12   file:{secret_file}\n*/a/*  env:A_PASS\n")
    password_map.chmod(0o600)
    monkeypatch.setenv("A_PASS", PASSWORD)
    assert [p.verdict for p in api.verify_fleet(root).pairs] == ["unreadable", "unreadable"]  # without the map
    lookup = api.PasswordMap(password_map)
    checked = api.verify_fleet(root, passwords=lookup)
    assert checked.ok and [p.verdict for p in checked.pairs] == ["ok", "ok"]
    scanned = api.expiry([root], passwords=lookup)
    assert scanned.errors == [] and scanned.due(30) == []
    alone = api.verify_pair(root / "b", passwords=lambda role, path, required: lookup(path))
    assert alone.ok, alone.findings


def test_a_bad_password_map_line_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("A", "x")
    password_map = tmp_path / "passwords"
    password_map.write_text("*.p12 env:A\n*.jks changeit\n")
    with pytest.raises(api.JkstoolError) as bad:
        api.PasswordMap(password_map)
    assert str(bad.value) == (f"{password_map}, line 2: expected GLOB and SOURCE (env:NAME, file:PATH or "
                              "pass:TEXT) (write one store pattern and its password source a line)")
    password_map.write_text("*.p12 pass:changeit\n")
    password_map.chmod(0o644)
    warnings = api.PasswordMap(password_map).warnings
    assert any("other users can read it" in w for w in warnings) and not any("changeit" in w for w in warnings)


def test_a_password_map_matches_a_relative_root_with_absolute_patterns(tmp_path, monkeypatch):
    root = tmp_path / "fleet"
    make_pair(root / "a")
    repassword(root / "a", "a-secret")
    password_map = tmp_path / "passwords"
    password_map.write_text(f"{root}/a/*  env:A\n")
    password_map.chmod(0o600)
    monkeypatch.setenv("A", "a-secret")
    monkeypatch.chdir(tmp_path)
    fleet = api.verify_fleet("fleet", passwords=api.PasswordMap(password_map))
    assert fleet.ok and [(p.name, p.verdict) for p in fleet.pairs] == [("a", "ok")]


# -- Kubernetes Secrets in ------------------------------------------------------------

def _kubectl_secret(name: str, data: dict, secret_type: str = "Opaque") -> dict:
    """A Secret as `kubectl get secret NAME -o json` prints it, server-set fields included."""
    import base64
    return {"apiVersion": "v1", "kind": "Secret", "type": secret_type,
            "metadata": {"name": name, "namespace": "payments", "uid": "6f1c2b9e-0000-4000-8000-000000000000",
                         "resourceVersion": "48213", "creationTimestamp": "2026-11-01T10:00:00Z"},
            "data": {key: base64.b64encode(value).decode() for key, value in data.items()}}


def _as_list(*items) -> dict:
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": list(items)}


def _certificate(secret: str, password_secret: str) -> dict:
    """cert-manager's Certificate with keystores, as kubectl get certificate -o json prints it."""
    ref = {"create": True, "passwordSecretRef": {"name": password_secret, "key": "password"}}
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": secret},
            "spec": {"secretName": secret, "keystores": {"jks": ref, "pkcs12": ref}}}


@pytest.fixture
def secrets_pair(tmp_path):
    """A pair's stores as two cert-manager style Secrets, JKS and PKCS12, password in a third Secret."""
    folder = tmp_path / "tls"
    make_pair(folder)
    for side in ("server", "client"):
        for kind in ("keystore", "truststore"):
            api.convert_store(folder / f"{side}.{kind}.p12", folder / f"{side}.{kind}.jks", password=PASSWORD)
    items = [_kubectl_secret(f"app-{side}", {
        **{f"{kind}.{ext}": (folder / f"{side}.{kind}.{ext}").read_bytes()
           for kind in ("keystore", "truststore") for ext in ("p12", "jks")}}) for side in ("server", "client")]
    items.append(_kubectl_secret("app-keystore-password", {"password": PASSWORD.encode()}))
    return folder, items


@pytest.mark.parametrize("ext", ["jks", "p12"])
def test_cli_secrets_without_a_password_need_one_as_files_do(tmp_path, secrets_pair, ext):
    """A JKS store read without its password shows its certificates, its integrity unchecked and its keys
    unread: verify-pair on Secrets with no password to be found stops as on files, one line naming the
    store, and passes once --password-from names the Secret that holds it."""
    folder, items = secrets_pair
    document = tmp_path / "secrets.json"
    document.write_text(json.dumps(_as_list(*[_kubectl_secret(f"app-{side}", {
        f"{kind}.{ext}": (folder / f"{side}.{kind}.{ext}").read_bytes() for kind in ("keystore", "truststore")})
        for side in ("server", "client")], items[-1])))
    files = run("verify-pair", folder, "--server-keystore", folder / f"server.keystore.{ext}",
                "--server-truststore", folder / f"server.truststore.{ext}",
                "--client-keystore", folder / f"client.keystore.{ext}",
                "--client-truststore", folder / f"client.truststore.{ext}")
    secrets = run("verify-pair", document)
    assert files.exit_code == secrets.exit_code == 2, (files.stderr, secrets.stderr)
    assert "needs a password" in files.stderr and len(secrets.stderr.strip().splitlines()) == 1
    assert f"secrets.json#app-server/keystore.{ext} needs a password" in secrets.stderr, secrets.stderr
    named = run("verify-pair", document, "--password-from", "app-keystore-password/password")
    assert named.exit_code == 0, named.stderr


def test_secret_sources_give_the_findings_files_give(tmp_path, secrets_pair):
    folder, items = secrets_pair
    document = tmp_path / "secrets.json"
    document.write_text(json.dumps(_as_list(*items, _certificate("app-server", "app-keystore-password"),
                                            _certificate("app-client", "app-keystore-password"))))
    stores = {role: folder / f"{role.replace('-', '.')}.p12" for role in
              ("server-keystore", "server-truststore", "client-keystore", "client-truststore")}
    from_files = api.verify_pair(stores, password=PASSWORD, first_break=True)
    # the password comes from the Certificate's passwordSecretRef: none is given
    _, found = split_secrets([document])
    from_secrets = api.verify_secrets(found, first_break=True)
    assert from_secrets.ok, from_secrets.findings

    def same(report):
        return report.ok, [(f.code, f.severity) for f in report.findings], report.first_break.at
    assert same(from_secrets) == same(from_files)


@pytest.mark.parametrize("shape", ["json-secret", "json-list", "yaml-list", "yaml-documents", "stdin"])
def test_expiry_and_list_read_secrets_in_each_shape_kubectl_prints(tmp_path, secrets_pair, shape):
    import io

    import yaml
    folder, items = secrets_pair
    server = items[0]
    if shape == "json-secret":  # one Secret, its password in a sibling key
        import base64
        server = {**server, "data": {**server["data"], "password": base64.b64encode(PASSWORD.encode()).decode()}}
        text, password_from = json.dumps(server), "app-server/password"
    elif shape == "yaml-documents":
        text, password_from = yaml.safe_dump_all(items), "app-keystore-password/password"
    elif shape == "yaml-list":  # kubectl get secret A B -o yaml
        text, password_from = yaml.safe_dump(_as_list(*items)), "app-keystore-password/password"
    else:
        text, password_from = json.dumps(_as_list(*items)), "app-keystore-password/password"
    source = tmp_path / ("secrets.yaml" if shape.startswith("yaml") else "secrets.json")
    source.write_text(text)
    argument = Path("-") if shape == "stdin" else source

    def stdin():  # what the caller hands as the standard input, for each read
        return io.BytesIO(text.encode()) if shape == "stdin" else None
    _, found = split_secrets([argument], password_from=password_from, stdin=stdin())
    scanned = api.expiry([], secrets=found)
    assert scanned.errors == [] and scanned.due(30) == []
    expected = api.expiry([folder / "server.keystore.jks", folder / "server.truststore.jks"], password=PASSWORD)
    assert {c.sha256 for c in scanned.certificates} >= {c.sha256 for c in expected.certificates}
    name = "stdin" if shape == "stdin" else str(source)
    places = {path for c in scanned.certificates for path, _ in c.locations}
    assert f"{name}#app-server/keystore.p12" in places
    chosen = secret_store(f"{argument}#app-server/keystore.jks", password_from=password_from, stdin=stdin())
    listed = api.inventory(load_secret(chosen, keys=False))
    assert listed.to_dict() == api.inventory(folder / "server.keystore.jks", password=PASSWORD).to_dict()


def test_a_secret_input_problem_is_one_line(tmp_path, secrets_pair):
    _, items = secrets_pair
    source = tmp_path / "secrets.json"
    source.write_text(json.dumps(_as_list(*items)))
    with pytest.raises(api.JkstoolError) as missing:
        secret_store(f"{source}#app-server/keystore.p12", password_from="nope/password")
    assert "the password nope/password is not in it" in str(missing.value)
    with pytest.raises(api.JkstoolError) as wrong:
        load_secret(secret_store(f"{source}#app-server/tls.key", password=PASSWORD))
    assert "no store app-server/tls.key in it" in str(wrong.value)
    assert "\n" not in str(missing.value) and "\n" not in str(wrong.value)
    items.append(_kubectl_secret("app-old-password", {"password": b"last-year's"}))
    source.write_text(json.dumps(_as_list(*items)))
    with pytest.raises(api.PasswordError) as stale:  # the password came from a Secret: that is what to check
        load_secret(secret_store(f"{source}#app-server/keystore.p12", password_from="app-old-password/password"))
    assert "check the password in the Secret key app-old-password/password" in stale.value.fix
    result = run("verify-pair", source, "--password-from", "app-old-password/password")
    assert result.exit_code == 2 and "which --password-from names)" in result.stderr, result.stderr
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\x00\x01garbage")  # YAML's reader refuses a NUL before it parses anything
    result = run("list", f"{binary}#app-server/keystore.p12", "--storepass", f"pass:{PASSWORD}")
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {binary}: not JSON or YAML Kubernetes "
                                                              "objects"), result.stderr
    assert result.stderr.count("\n") == 1


def test_a_fleet_checked_on_every_core_reads_as_one_checked_in_turn(fleet, tmp_path, monkeypatch):
    """From PARALLEL_FROM pairs on, pairs are checked in worker processes: same rows, same order, and the
    password map (which does not pickle) reaches the workers."""
    from jkstool.fleet import pairs
    root, _ = fleet
    password_map = tmp_path / "passwords"
    password_map.write_text("*/expired/* env:P\n")
    password_map.chmod(0o600)
    monkeypatch.setenv("P", PASSWORD)
    lookup = api.PasswordMap(password_map)
    today = datetime.datetime.combine(datetime.date.today(), datetime.time(), datetime.timezone.utc)  # one clock
    in_turn = api.verify_fleet(root, password=PASSWORD, passwords=lookup, at=today)  # for both runs: a failing
    monkeypatch.setattr(pairs, "PARALLEL_FROM", 2)  # pair breaks "now"
    on_cores = api.verify_fleet(root, password=PASSWORD, passwords=lookup, at=today)
    assert [p.name for p in on_cores.unreadable] == [p.name for p in in_turn.unreadable] == ["unreadable"]
    assert on_cores.to_dict() == in_turn.to_dict()
    assert [p.name for p in on_cores.pairs] == ["expired", "good", "unreadable"]
    import multiprocessing.synchronize

    def no_semaphores(*args, **kwargs):  # what a root without a writable /dev/shm gives an ordinary user
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(multiprocessing.synchronize.SemLock, "__init__", no_semaphores)
    assert api.verify_fleet(root, password=PASSWORD, passwords=lookup, at=today).to_dict() == in_turn.to_dict()


def test_a_fleet_java_judges_shares_one_jvm_that_answers_each_pair(fleet, monkeypatch):
    """Where Java decides, a fleet's checks run in threads that share one JVM, which runs their handshakes
    side by side: every pair still gets its own verdict, the JVM's (the expired pair's refusal, the good
    pair's acceptance), whatever order the answers come back in."""
    import shutil

    from jkstool.fleet import pairs
    from jkstool.mtls import handshake
    root, _ = fleet
    shutil.rmtree(root / "unreadable")
    for n in range(3):
        for name in ("good", "expired"):
            shutil.copytree(root / name, root / f"{name}-{n}")
    asked = []
    ask = handshake._Jvm.ask
    monkeypatch.setattr(handshake._Jvm, "ask", lambda jvm, fields: asked.append(jvm.process.pid) or ask(jvm, fields))
    monkeypatch.setattr(pairs, "PARALLEL_FROM", 2)
    checked = api.verify_fleet(root, password=PASSWORD)
    assert len(asked) == 8 and len(set(asked)) == 1
    for result in checked.pairs:
        assert result.report.decided_by.startswith("JSSE (java ")
        assert result.report.java.ok == result.name.startswith("good") == result.report.ok, result.name
    assert [p.name for p in checked.pairs] == sorted(p.name for p in checked.pairs)


def test_one_bad_value_in_a_secrets_file_spares_the_rest(tmp_path, secrets_pair):
    """expiry reports the Secret key that is not base64 and still lists every other store's certificates."""
    _, items = secrets_pair
    items[1] = {**items[1], "data": {**items[1]["data"], "keystore.jks": "!!!"}}
    source = tmp_path / "secrets.json"
    source.write_text(json.dumps(_as_list(*items)))
    _, found = split_secrets([source], password_from="app-keystore-password/password")
    scan = api.expiry([], secrets=found)
    assert [path for path, _ in scan.errors] == [f"{source}#app-client/keystore.jks"]
    places = {path for c in scan.certificates for path, _ in c.locations}
    assert f"{source}#app-client/keystore.p12" in places and f"{source}#app-server/keystore.jks" in places


@pytest.mark.parametrize("document", [
    {"apiVersion": "v1", "kind": "Secret", "metadata": [1], "data": "x"},
    {"apiVersion": "v1", "kind": "List", "items": {"a": 1}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}, "data": {"keystore.p12": "!!!"}},
    {"apiVersion": "v1", "kind": "List", "items": [
        {"kind": "Secret", "metadata": {"name": "a"}, "data": {"keystore.p12": "AAAA"}},
        {"kind": "Certificate", "spec": {"secretName": "a", "keystores": {"pkcs12": {"passwordSecretRef": "x"}}}}]},
    "apiVersion: v1\nkind: Secret\n  - : [\n",
    "apiVersion: v1\nkind: Secret\ndata: " + "[" * 3000 + "]" * 3000 + "\n",
], ids=["metadata-not-a-mapping", "items-not-a-list", "data-not-base64", "ref-not-a-mapping", "yaml-broken",
        "yaml-nested-deep"])
def test_cli_a_hostile_secret_document_is_one_clear_line(tmp_path, document):
    source = tmp_path / ("s.yaml" if isinstance(document, str) else "s.json")
    source.write_text(document if isinstance(document, str) else json.dumps(document))
    for command in (["expiry", source], ["verify-pair", source], ["list", f"{source}#a/keystore.p12"]):
        result = run(*command, env=ENV)
        assert result.exit_code == 2, (command, result.output)
        lines = [line for line in result.stderr.strip().splitlines() if "could not be read" not in line]
        assert len(lines) == 1 and str(source) in lines[0] and "Traceback" not in result.output, lines


def test_cli_a_gate_never_passes_what_it_could_not_read(tmp_path, fleet):
    """No pairs under the root, a single pair that cannot be read in a machine format, --output where it
    has no meaning: exit 2, and the textfile report says the pair is not ok rather than keeping the last."""
    root, _ = fleet
    for missing in (tmp_path / "no-such-folder", tmp_path / "empty"):
        (tmp_path / "empty").mkdir(exist_ok=True)
        result = run("verify-pair", missing, "--all", "--format", "prometheus", env=ENV)
        assert result.exit_code == 2 and "error: " in result.stderr and result.stdout == ""
    report = tmp_path / "pair.prom"
    report.write_text('jkstool_pair_ok{pair="x"} 1\n')
    single = run("verify-pair", root / "unreadable", "--format", "prometheus", "--output", report, env=ENV)
    assert single.exit_code == 2 and "client.truststore.p12" in single.stderr
    metrics = _metrics(report.read_text())
    assert [value for _, value in metrics["jkstool_pair_ok"]] == [0]
    assert metrics["jkstool_read_errors"][0][0]["filepath"].endswith("client.truststore.p12")
    for command in (["verify-pair", root / "good"], ["expiry", root / "good"]):
        wrong = run(*command, "--output", tmp_path / "x.txt", env=ENV)
        assert wrong.exit_code == 2 and "--output writes the --format prometheus or junit report" in wrong.stderr


def test_cli_password_options_reach_every_command(tmp_path, secrets_pair):
    """--password-map on verify-pair (one pair, --all), expiry, list and compat, its bad line and its warning on
    stderr; --password-from with Secrets on the standard input (-)."""
    root = tmp_path / "fleet"
    make_pair(root / "a")
    repassword(root / "a", "a-secret")
    password_map = tmp_path / "passwords"
    password_map.write_text("*/a/*  env:A\n")
    password_map.chmod(0o600)
    store = root / "a" / "server.keystore.p12"
    for command in (["verify-pair", root, "--all"], ["verify-pair", root / "a"], ["expiry", root], ["list", store],
                    ["compat", store]):
        assert run(*command, "--password-map", password_map, env={"A": "a-secret"}).exit_code == 0, command
        assert run(*command, env=ENV).exit_code == 2, command
    bad = tmp_path / "bad-passwords"
    bad.write_text("*.p12 env:A\n*.jks changeit\n")
    result = run("expiry", root, "--password-map", bad, env={"A": "x"})
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {bad}, line 2: expected GLOB and SOURCE (env:NAME, file:PATH or "
                                     "pass:TEXT) (write one store pattern and its password source a line)")
    bad.write_text("*.p12 pass:changeit\n")
    bad.chmod(0o644)
    warned = run("expiry", root, "--password-map", bad)
    assert "other users can read it" in warned.stderr and "changeit" not in warned.stderr
    folder, items = secrets_pair
    text = json.dumps(_as_list(*items))
    scanned = CliRunner().invoke(app, ["expiry", "-", "--password-from", "app-keystore-password/password", "--json"],
                                 input=text)
    assert scanned.exit_code == 0, scanned.output
    places = {loc["path"] for c in json.loads(scanned.stdout)["certificates"] for loc in c["locations"]}
    assert "stdin#app-server/keystore.p12" in places
    listed = CliRunner().invoke(app, ["list", "--password-from", "app-keystore-password/password", "--json", "--",
                                      "-#app-server/keystore.jks"], input=text)
    assert listed.exit_code == 0, listed.output
    unmarked = CliRunner().invoke(app, ["list", "-#app-server/keystore.jks", "--password-from",
                                        "app-keystore-password/password", "--json"], input=text)
    assert unmarked.exit_code == 0 and unmarked.stdout == listed.stdout, unmarked.output
    both = CliRunner().invoke(app, ["list", "-#app-server/keystore.jks", "--storepass", "stdin"],
                              input=json.dumps(json.loads(text), indent=2))  # its first line taken for a password
    assert both.exit_code == 2 and "names standard input, which --storepass has read already" in both.stderr, \
        both.output
    assert json.loads(listed.stdout) == {"schema": "jkstool/list/1",
                                         **api.inventory(folder / "server.keystore.jks", password=PASSWORD).to_dict()}


def test_a_file_or_folder_it_may_not_read_is_one_line_and_never_passed_over(tmp_path):
    """Without the right to read (root's file-access override dropped, as a service user is): a store named
    is one line naming it, exit 2, in every command that reads one; a folder the expiry gate cannot list
    is an error, not a folder with nothing in it."""
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
    store = tmp_path / "closed.p12"
    shutil.copy(FIXTURES / "jdk17-keytool.p12", store)
    folder = tmp_path / "fleet"
    (folder / "closed").mkdir(parents=True)
    shutil.copy(FIXTURES / "jdk17-keytool.jks", folder / "open.jks")
    shutil.copy(FIXTURES / "jdk17-keytool.jks", folder / "closed" / "inside.jks")
    store.chmod(0)
    (folder / "closed").chmod(0)
    try:
        given = ["--storepass", "pass:changeit"]
        for args in (["list", store, *given], ["convert", store, tmp_path / "out.jks", *given],
                     ["compat", store, *given], ["export", store, "--cert", tmp_path / "c.pem", *given],
                     ["printcert", store], ["expiry", store, *given]):
            done = subprocess.run([*drop, sys.executable, "-m", "jkstool", *map(str, args)], capture_output=True,
                                  text=True, timeout=60)
            first = done.stderr.splitlines()[0]
            assert done.returncode == 2 and first == f"error: {store}: permission denied (check the file's owner "\
                "and mode)", (args, done.stderr)
        gate = subprocess.run([*drop, sys.executable, "-m", "jkstool", "expiry", str(folder), "--storepass",
                               "pass:changeit"], capture_output=True, text=True, timeout=60)
        assert gate.returncode == 2, gate.stderr
        assert f"error: {folder / 'closed'}: the folder cannot be listed: permission denied" in gate.stderr
    finally:
        (folder / "closed").chmod(0o755)


def test_expiry_reports_a_file_named_as_a_store_that_is_none(tmp_path):
    """In a folder, a README is passed over, but an empty server.keystore.p12 or one of garbage is a store
    the gate could not check: an error, exit 2, and a read-error series."""
    folder = tmp_path / "fleet"
    make_pair(folder / "good")
    (folder / "README.md").write_text("notes\n")
    (folder / "empty.p12").write_bytes(b"")
    (folder / "garbage.jks").write_bytes(b"not a keystore at all " * 10)
    result = run("expiry", folder, "--json", env=ENV)
    assert result.exit_code == 2
    assert sorted(Path(e["path"]).name for e in json.loads(result.stdout)["errors"]) == ["empty.p12", "garbage.jks"]
