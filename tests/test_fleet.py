"""Fleets: the first break of a pair, many layouts at once, outputs for the tools around them.

The first break is asked on pairs whose certificates end at known times. Which endings break a pair
is the target JDK's rule, so each rule used is first shown on a real JSSE handshake: a pair whose
intermediate has already expired fails, one whose trust anchor has already expired still passes.
"""

import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from helpers import FIXTURES, PASSWORD, certificate, der, new_key, pkcs8, run

from jkstool import api, formats
from jkstool.model import PrivateKeyEntry, Store, TrustedCertEntry

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
ROLES = ("server.keystore", "server.truststore", "client.keystore", "client.truststore")


def make_pair(folder, *, root=(0, 3650), sub=(0, 1000), server=(0, 400), client=(0, 500)):
    """Four PKCS12 stores: the server's leaf under an intermediate, the client's under the root, each
    certificate valid from (start days from now, for days). Returns the certificates by name."""
    folder.mkdir(parents=True)
    root_key, sub_key, server_key, client_key = (new_key("ec") for _ in range(4))
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
    before = (ends(made["sub"]) - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    after = (ends(made["sub"]) + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    assert run("verify-pair", tmp_path / "tls", "--at", before, env=ENV).exit_code == 0
    late = run("verify-pair", tmp_path / "tls", "--at", after, "--json", env=ENV)
    assert late.exit_code == 1
    assert any(f["code"] == "cert-expired" and "Fleet Intermediate" in f["message"]
               for f in json.loads(late.stdout)["findings"])


def test_an_anchor_ending_first_is_not_the_break(tmp_path):
    """JSSE does not check an anchor's dates: the break is the next ending that matters."""
    made = make_pair(tmp_path / "tls", root=(0, 50), sub=(0, 100), server=(0, 200))
    found = api.verify_pair(tmp_path / "tls", password=PASSWORD, first_break=True).first_break
    assert ends(made["root"]) < ends(made["sub"])
    assert found.at == ends(made["sub"]) + datetime.timedelta(seconds=1)


def test_a_stale_crl_is_a_break(tmp_path):
    made = make_pair(tmp_path / "tls")
    crl_key = new_key("ec")  # a CA of its own: staleness, not revocation, is what is asked here
    issuer = certificate(crl_key, "Fleet CRL CA", ca=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(now)
           .next_update(now + datetime.timedelta(days=7)).sign(crl_key, hashes.SHA256()))
    path = tmp_path / "fleet.crl"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    found = api.verify_pair(tmp_path / "tls", password=PASSWORD, crls=[path], first_break=True).first_break
    assert found.at == crl.next_update_utc + datetime.timedelta(seconds=1) < ends(made["server"])
    assert [f.code for f in found.findings] == ["crl-stale"]
    result = run("verify-pair", tmp_path / "tls", "--crl", path, "--first-break", env=ENV)
    assert result.exit_code == 0 and "first break: " in result.stdout and "the CRL of CN=Fleet CRL CA" in result.stdout


def test_a_failing_pair_breaks_now(tmp_path):
    make_pair(tmp_path / "tls", server=(-10, 5))
    result = run("verify-pair", tmp_path / "tls", "--first-break", "--json", env=ENV)
    assert result.exit_code == 1
    broken = json.loads(result.stdout)["first_break"]
    assert broken["ended"] == [] and broken["findings"][0]["code"] == "cert-expired"


@pytest.mark.parametrize("at", [None, "2027-06-01"])
def test_first_break_follows_the_clock_given(tmp_path, at):
    made = make_pair(tmp_path / "tls", client=(0, 60))
    args = ["--at", at] if at else []
    result = run("verify-pair", tmp_path / "tls", "--first-break", "--json", *args, env=ENV)
    broken = json.loads(result.stdout)["first_break"]
    client_end = ends(made["client"]) + datetime.timedelta(seconds=1)
    if at is None:
        assert broken["at"] == client_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:  # a year on, the client's certificate has long ended: the pair is broken at the moment given
        assert result.exit_code == 1 and broken["at"] == "2027-06-01T00:00:00Z" and broken["ended"] == []


# -- many pairs at once ----------------------------------------------------------------

def test_all_checks_every_pair_under_a_root(tmp_path):
    root = tmp_path / "fleet"
    made = make_pair(root / "partner-a", client=(0, 90))
    make_pair(root / "team" / "partner-b", server=(-10, 5))  # expired: fails
    assert run("init-pair", root / "own").exit_code == 0  # its own generated storepass file
    assert run("renew", root / "own", "--side", "server").exit_code == 0  # leaves a backups/ folder
    assert (root / "own" / "backups").is_dir()
    result = run("verify-pair", root, "--all", "--json", env=ENV)
    assert result.exit_code == 1, result.output
    pairs = {p["pair"]: p for p in json.loads(result.stdout)["pairs"]}
    assert set(pairs) == {"partner-a", "team/partner-b", "own"}
    assert pairs["partner-a"]["verdict"] == "ok" and pairs["own"]["verdict"] == "ok"
    assert pairs["team/partner-b"]["verdict"] == "FAIL" and pairs["team/partner-b"]["first_break"]["ended"] == []
    client_end = ends(made["client"]) + datetime.timedelta(seconds=1)
    assert pairs["partner-a"]["first_break"]["at"] == client_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    # each row is what verify-pair says of that pair alone
    alone = json.loads(run("verify-pair", root / "partner-a", "--first-break", "--json", env=ENV).stdout)
    assert alone["first_break"] == pairs["partner-a"]["first_break"]
    assert alone["findings"] == pairs["partner-a"]["findings"]


def test_all_reports_a_pair_it_cannot_read_and_checks_the_rest(tmp_path):
    root = tmp_path / "fleet"
    make_pair(root / "good")
    make_pair(root / "other-password")
    for store in (root / "other-password").iterdir():
        assert run("passwd", store, "--new-storepass", "env:NEW", env={**ENV, "NEW": "another-secret"}).exit_code == 0
    result = run("verify-pair", root, "--all", env=ENV)
    assert result.exit_code == 2
    assert "good" in result.stdout and "unreadable" in result.stdout
    assert "other-password" in result.stderr and "2 pairs: 0 failing, 1 unreadable" in result.stderr


# -- outputs for the tools around jkstool ---------------------------------------------

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


def test_prometheus_expiry_carries_x509_certificate_exporters_names(fleet):
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
    (errors,) = metrics["jkstool_store_read_errors_total"]
    assert errors[0]["filepath"] == str(root / "unreadable" / "client.truststore.p12") and errors[1] == 1


def test_prometheus_pairs_and_their_first_breaks(fleet, tmp_path):
    root, made = fleet
    out = tmp_path / "textfile" / "jkstool.prom"
    out.parent.mkdir()
    out.write_text("old\n")
    result = run("verify-pair", root, "--all", "--format", "prometheus", "--output", out, env=ENV)
    assert result.exit_code == 2 and result.stdout == ""
    metrics = _metrics(out.read_text())
    assert {labels["pair"]: value for labels, value in metrics["jkstool_pair_ok"]} == {"good": 1, "expired": 0}
    breaks = {labels["pair"]: value for labels, value in metrics["jkstool_pair_first_break_timestamp_seconds"]}
    assert breaks["good"] == (ends(made["client"]) + datetime.timedelta(seconds=1)).timestamp()
    assert [labels["filepath"] for labels, _ in metrics["jkstool_store_read_errors_total"]] == ["unreadable"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["jkstool.prom"]  # replaced, nothing left beside it


@pytest.mark.parametrize("command", ["expiry", "verify-pair"])
def test_junit_validates_against_the_schema(fleet, command):
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
