"""verify_pair against layouts made with keytool alone: its verdict must agree with JSSE's.

Each case asserts what verify_pair finds (the report's verdict and error codes) and what
a real JSSE handshake does (tests/java/MutualTls.java); they must agree. The tests named
test_cli_* are of the command line alone: its options, its table and its exit codes.
"""

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from helpers import run
from keytool_pki import PASSWORD, KeytoolPKI

from jkstool import api

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
STORES = ("server.keystore", "server.truststore", "client.keystore", "client.truststore")
ROLES = ("server-keystore", "server-truststore", "client-keystore", "client-truststore")


@pytest.fixture(scope="module")
def pki(tmp_path_factory, keytool):
    """CAs made once with keytool: two roots, an unrelated one, and an intermediate."""
    made = KeytoolPKI(keytool.call, tmp_path_factory.mktemp("keytool-pki"))
    for root in ("serverca", "clientca", "otherca"):
        made.root(root)
    made.intermediate("interca", "serverca")
    return made


def build(pki, folder, server=None, client=None, server_trusts=("clientca",), client_trusts=("serverca",)):
    """A layout: server and client key entries (keyword options for KeytoolPKI.key_entry)."""
    server = {"issuer": "serverca", "eku": "serverAuth", "san": "dns:localhost", **(server or {})}
    client = {"issuer": "clientca", "eku": "clientAuth", **(client or {})}
    folder.mkdir(parents=True, exist_ok=True)
    pki.key_entry(folder / "server.keystore.jks", "server", **server)
    pki.key_entry(folder / "client.keystore.jks", "client", **client)
    pki.trust(folder / "server.truststore.jks", *server_trusts)
    pki.trust(folder / "client.truststore.jks", *client_trusts)
    return folder


def errors(report) -> set[str]:
    """The codes of a report's error findings."""
    return {f.code for f in report.findings if f.severity == "error"}


CASES = {
    # name: (layout options, verify_pair options, error codes expected)
    "one-ca": ({"client": {"issuer": "serverca"}, "server_trusts": ("serverca",)}, {}, set()),
    "separate-cas": ({}, {}, set()),
    "intermediate-ca-chain-in-keystore": ({"server": {"issuer": "interca"}}, {}, set()),
    "client-truststore-lacks-server-ca": ({"client_trusts": ("otherca",)}, {}, {"server-untrusted"}),
    "server-truststore-lacks-client-ca": ({"server_trusts": ("otherca",)}, {}, {"client-cert-not-sent"}),
    "expired-client-certificate": ({"client": {"start": "-30d", "validity": 10}}, {}, {"cert-expired"}),
    "server-certificate-with-client-auth-eku-only": ({"server": {"eku": "clientAuth"}}, {}, {"server-eku"}),
    "client-key-usage-without-digital-signature": ({"client": {"ku": "keyEncipherment"}}, {}, {"key-usage"}),
    "key-password-differs-from-store-password": ({"client": {"keypass": "another-pass"}}, {},
                                                 {"key-password-differs"}),
    "server-certificate-for-another-host": ({"server": {"san": "dns:other.example.test"}},
                                            {"hostname": "api.example.test"}, {"hostname-mismatch"}),
}


@pytest.mark.parametrize("case", CASES)
def test_verdict_agrees_with_jsse(tmp_path, pki, case, handshake):
    layout, options, expected = CASES[case]
    folder = build(pki, tmp_path / case, **layout)
    report = api.verify_pair(folder, password=PASSWORD, model_only=True, **options)  # jkstool's rules
    assert errors(report) == expected, report.findings
    assert report.ok == (not expected)
    hostname = [options["hostname"]] if "hostname" in options else []
    jsse_ok, seen = handshake(*(folder / f"{name}.jks" for name in STORES), *hostname)
    assert jsse_ok == (not expected), seen
    decided = api.verify_pair(folder, password=PASSWORD, **options)  # the JDK's own handshake
    assert decided.ok == jsse_ok and errors(decided) == (expected | {"java-refused"} if expected else set())


def test_a_keystore_without_the_intermediate_breaks_the_path_even_when_the_root_is_trusted(
        tmp_path, pki, handshake):
    """keytool always completes a chain from the keystore, so the intermediate is dropped by hand."""
    folder = build(pki, tmp_path / "layout", server={"issuer": "interca"})
    path = folder / "server.keystore.jks"
    server = api.read_store(path, PASSWORD).store.key_entry("server")
    api.write_store(path, api.Store([api.PrivateKeyEntry("server", server.key, server.chain[:1], server.created)]),
                    PASSWORD, store_type="jks")
    report = api.verify_pair(folder, password=PASSWORD, model_only=True)
    (finding,) = [f for f in report.findings if f.severity == "error"]
    assert finding.code == "server-untrusted" and "CN=interca" in finding.message
    assert "add it to the chain" in finding.fix
    ok, seen = handshake(*(folder / f"{name}.jks" for name in STORES))
    assert not ok and "PKIX path building failed" in seen


def test_at_a_future_date_and_warn_days(tmp_path, pki):
    folder = build(pki, tmp_path / "layout")
    later = datetime.now(timezone.utc) + timedelta(days=400)
    assert errors(api.verify_pair(folder, password=PASSWORD, at=later)) == {"cert-expired"}
    soon = api.verify_pair(folder, password=PASSWORD, warn_days=400)
    assert soon.ok and "cert-expiring" in {f.code for f in soon.findings}


def test_findings_name_store_alias_and_fix(tmp_path, pki):
    folder = build(pki, tmp_path / "layout", client={"keypass": "another-pass"})
    report = api.verify_pair(folder, password=PASSWORD)
    (finding,) = [f for f in report.findings if f.code == "key-password-differs"]
    assert dataclasses.asdict(finding) == {"severity": "error", "code": "key-password-differs",
                                           "store": str(folder / "client.keystore.jks"), "alias": "client",
                                           "message": finding.message, "fix": finding.fix}
    assert "Cannot recover key" in finding.message and "keytool -keypasswd" in finding.fix


def test_several_keys_and_truststore_findings(tmp_path, pki):
    folder = build(pki, tmp_path / "layout")
    pki.key_entry(folder / "server.keystore.jks", "second", issuer="serverca", eku="serverAuth")
    pki.key_entry(folder / "client.truststore.jks", "stray", issuer="serverca", eku="clientAuth")
    report = api.verify_pair(folder, password=PASSWORD)
    codes = {f.code: f.severity for f in report.findings}
    assert codes["several-key-entries"] == "warning" and codes["truststore-has-keys"] == "warning"
    assert codes["jks-format"] == "info" and report.ok


def test_any_mix_of_formats_and_per_store_passwords(tmp_path, pki):
    folder = build(pki, tmp_path / "layout")
    p12 = tmp_path / "server.truststore.p12"
    api.convert_store(folder / "server.truststore.jks", p12, password=PASSWORD, dest_password="other-pass")
    stores = {role: folder / f"{role.replace('-', '.')}.jks" for role in ROLES}
    report = api.verify_pair({**stores, "server-truststore": p12}, password=PASSWORD,
                             passwords={"server-truststore": "other-pass"})
    assert report.ok, report.findings
    assert [report.stores[role].loaded.type for role in ROLES] == ["JKS", "PKCS12", "JKS", "JKS"]


def test_the_folders_storepass_file(tmp_path):
    folder = api.init_pair(tmp_path / "tls").folder
    assert (folder / "storepass").is_file()
    report = api.verify_pair(folder)  # no password given: the folder's own opens the stores
    assert report.ok, report.findings


def handshake_with(report, hostname=None, engine=None):
    """A real handshake between the stores the report checked (run_handshake): its finding, the report's one
    handshake finding."""
    found = api.run_handshake(report, passwords=dict.fromkeys(ROLES, PASSWORD), hostname=hostname, engine=engine)
    assert [f for f in report.findings if f.code.startswith("handshake")] == [found]
    return found


@pytest.mark.parametrize("engine", ["java", "openssl"])
def test_a_real_handshake_with_each_engine(tmp_path, pki, engine, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    good = build(pki, tmp_path / "good")
    finding = handshake_with(api.verify_pair(good, password=PASSWORD), engine=engine)
    assert finding.code == "handshake-ok" and "TLSv1.3" in finding.message, finding
    assert ("JSSE (java " in finding.message) == (engine == "java")
    bad = build(pki, tmp_path / "bad", server_trusts=("otherca",))
    finding = handshake_with(api.verify_pair(bad, password=PASSWORD), engine=engine)
    assert finding.code == "handshake-failed" and finding.severity == "error"
    if engine == "java":
        assert "Empty client certificate chain" in finding.message
    else:
        assert "an OpenSSL cross-check, not JSSE" in finding.message


def test_handshake_checks_the_hostname(tmp_path, pki, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = build(pki, tmp_path / "layout", server={"san": "dns:api.example.test"})
    good = api.verify_pair(folder, password=PASSWORD, hostname="api.example.test")
    handshake_with(good, hostname="api.example.test")
    assert good.ok, good.findings
    bad = api.verify_pair(folder, password=PASSWORD, hostname="db.example.test", model_only=True)
    failed = handshake_with(bad, hostname="db.example.test")
    assert errors(bad) == {"hostname-mismatch", "handshake-failed"} and failed.code == "handshake-failed"
    assert "No subject alternative DNS name matching db.example.test found" in failed.message


def test_a_chain_ending_at_an_untrusted_root_is_named_as_such(tmp_path):
    """The break at a self-signed root: said as a root the truststore lacks, not as its own missing issuer,
    and no advice to add it to the chain it already ends."""
    a, b = (api.init_pair(tmp_path / name, password=PASSWORD).folder for name in ("a", "b"))
    (a / "client.truststore.p12").write_bytes((b / "client.truststore.p12").read_bytes())
    report = api.verify_pair(a, password=PASSWORD)
    (finding,) = [f for f in report.findings if f.code == "server-untrusted"]
    assert "it is a root (self-signed) that the truststore does not hold" in finding.message
    assert "add it to the chain" not in finding.fix


# -- the command line: its options reach verify_pair, the table, the exit codes ---------------------------

def test_cli_options_reach_the_check_and_the_exit_code_is_the_verdict(tmp_path, pki, monkeypatch):
    """The stores and their own passwords, --hostname, --warn-days, --at and the handshake options are
    verify_pair's and run_handshake's arguments (judged above); exit 0 when the pair passes, 1 when not."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = build(pki, tmp_path / "layout", server={"san": "dns:api.example.test"})
    p12 = tmp_path / "server.truststore.p12"
    api.convert_store(folder / "server.truststore.jks", p12, password=PASSWORD, dest_password="other-pass")
    stores = [option for role in ROLES for option in (
        f"--{role}", p12 if role == "server-truststore" else folder / f"{role.replace('-', '.')}.jks")]
    passed = run("verify-pair", *stores, "--server-truststore-pass", "env:OTHER", "--hostname", "api.example.test",
                 "--warn-days", "400", "--handshake-engine", "openssl", "--json", env={**ENV, "OTHER": "other-pass"})
    assert passed.exit_code == 0, passed.stdout + passed.stderr
    report = json.loads(passed.stdout)
    codes = {f["code"]: f for f in report["findings"]}
    assert report["ok"] and "cert-expiring" in codes
    assert "(Python ssl)" in codes["handshake-ok"]["message"] and "JSSE" not in codes["handshake-ok"]["message"]
    later = (date.today() + timedelta(days=400)).isoformat()
    failed = run("verify-pair", folder, "--at", later, "--hostname", "db.example.test", "--handshake", "--json",
                 env=ENV)
    assert failed.exit_code == 1, failed.stdout + failed.stderr
    report = json.loads(failed.stdout)
    assert {f["code"] for f in report["findings"] if f["severity"] == "error"} == \
        {"cert-expired", "hostname-mismatch", "handshake-failed"} and not report["ok"]
    (handshake,) = [f for f in report["findings"] if f["code"] == "handshake-failed"]
    assert "No subject alternative DNS name matching db.example.test found" in handshake["message"]


def test_cli_table_output_and_messages(tmp_path, pki):
    folder = build(pki, tmp_path / "layout", server_trusts=("otherca",))
    result = run("verify-pair", folder, env=ENV)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL: the server and the client will not complete")
    assert any("server chain -> client-truststore" in line and "trusted via CN=serverca" in line for line in lines)
    assert any("client chain -> server-truststore" in line and "no certificate sent" in line for line in lines)
    assert "Empty client certificate chain" in result.stdout


@pytest.mark.parametrize("problem", ["wrong-password", "missing-store", "no-folder"])
def test_cli_unreadable_input_is_exit_2(tmp_path, pki, problem):
    folder = build(pki, tmp_path / "layout")
    env = ENV
    if problem == "wrong-password":
        env = {"JKSTOOL_STOREPASS": "wrong"}
    elif problem == "missing-store":
        (folder / "client.truststore.jks").unlink()
    else:
        folder = tmp_path / "nothing-here"
    result = run("verify-pair", folder, env=env)
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1


def test_a_key_of_another_password_stops_the_key_manager_before_any_choice(tmp_path, pki, handshake):
    """SunX509 opens every key with the store password: a second key of another password fails the whole key
    manager, so no entry is chosen or presented, and none is said to be."""
    folder = build(pki, tmp_path / "layout")
    pki.key_entry(folder / "client.keystore.jks", "spare", issuer="clientca", eku="clientAuth", keypass="another-pass")
    report = api.verify_pair(folder, password=PASSWORD, model_only=True)
    codes = {f.code for f in report.findings}
    assert errors(report) == {"key-password-differs"} and "several-key-entries" not in codes, report.findings
    ok, seen = handshake(*(folder / f"{name}.jks" for name in STORES))
    assert not ok and "Cannot recover key" in seen, seen


def test_the_handshake_java_decided_with_is_the_one_reported(tmp_path, pki, monkeypatch):
    """--handshake after Java decided: the same handshake is reported, not run a second time."""
    from jkstool.mtls import handshake as engines
    report = api.verify_pair(build(pki, tmp_path / "good"), password=PASSWORD)
    assert report.java is not None and report.java.ok

    def again(*args, **kwargs):
        raise AssertionError("a second handshake was run")
    monkeypatch.setattr(engines, "run", again)
    found = handshake_with(report)
    assert found.code == "handshake-ok" and report.java.detail in found.message


def test_a_wrong_password_is_bad_input_even_where_java_checks_the_mac(tmp_path, pki, keytool):
    """Where Java decides, the model leaves each PKCS12 MAC to Java; a store whose certificates are not
    encrypted then opens in Python with any password, and Java refuses it. A wrong password is still one
    clear error naming the file (the CLI: exit 2), not a refused handshake."""
    import subprocess

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    folder = build(pki, tmp_path / "layout")
    anchor = api.read_store(folder / "server.truststore.jks", PASSWORD).store.trusted_entries()[0].cert
    pem = tmp_path / "ca.pem"
    pem.write_bytes(x509.load_der_x509_certificate(anchor).public_bytes(Encoding.PEM))
    plain = tmp_path / "plain-certificates.p12"
    made = subprocess.run([keytool.path, "-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE", "-importcert",
                           "-noprompt", "-alias", "ca", "-file", str(pem), "-keystore", str(plain), "-storetype",
                           "pkcs12", "-storepass", "another-pass"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    stores = {"server-truststore": plain}
    assert api.verify_pair(stores, folder=folder, passwords={"server-truststore": "another-pass"},
                           password=PASSWORD).decided_by.startswith("JSSE")
    with pytest.raises(api.PasswordError) as wrong:
        api.verify_pair(stores, folder=folder, password=PASSWORD)  # the layout's password: not this store's
    assert wrong.value.path == str(plain)
