"""verify-pair against layouts made with keytool alone: its verdict must agree with JSSE's.

Each case asserts what verify-pair says (exit code and the error codes) and what
a real JSSE handshake does (tests/java/MutualTls.java); they must agree.
"""

import json
from datetime import date, timedelta

import pytest
from helpers import run
from keytool_pki import PASSWORD, KeytoolPKI

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
STORES = ("server.keystore", "server.truststore", "client.keystore", "client.truststore")


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


CASES = {
    # name: (layout options, verify-pair options, error codes expected)
    "one-ca": ({"client": {"issuer": "serverca"}, "server_trusts": ("serverca",)}, [], set()),
    "separate-cas": ({}, [], set()),
    "intermediate-ca-chain-in-keystore": ({"server": {"issuer": "interca"}}, [], set()),
    "client-truststore-lacks-server-ca": ({"client_trusts": ("otherca",)}, [], {"server-untrusted"}),
    "server-truststore-lacks-client-ca": ({"server_trusts": ("otherca",)}, [], {"client-cert-not-sent"}),
    "expired-client-certificate": ({"client": {"start": "-30d", "validity": 10}}, [], {"cert-expired"}),
    "server-certificate-with-client-auth-eku-only": ({"server": {"eku": "clientAuth"}}, [], {"server-eku"}),
    "client-key-usage-without-digital-signature": ({"client": {"ku": "keyEncipherment"}}, [], {"key-usage"}),
    "key-password-differs-from-store-password": ({"client": {"keypass": "another-pass"}}, [],
                                                 {"key-password-differs"}),
    "server-certificate-for-another-host": ({"server": {"san": "dns:other.example.test"}},
                                            ["--hostname", "api.example.test"], {"hostname-mismatch"}),
}


@pytest.mark.parametrize("case", CASES)
def test_verdict_agrees_with_jsse(tmp_path, pki, case, handshake):
    layout, options, expected = CASES[case]
    folder = build(pki, tmp_path / case, **layout)
    result = run("verify-pair", folder, "--json", *options, env=ENV)
    report = json.loads(result.stdout)
    errors = {f["code"] for f in report["findings"] if f["severity"] == "error"}
    assert errors == expected, report["findings"]
    assert result.exit_code == (1 if expected else 0) and report["ok"] == (not expected)
    hostname = options[1:] if options else []
    jsse_ok, seen = handshake(*(folder / f"{name}.jks" for name in STORES), *hostname)
    assert jsse_ok == (not expected), seen


def test_a_keystore_without_the_intermediate_breaks_the_path_even_when_the_root_is_trusted(
        tmp_path, pki, handshake):
    """keytool always completes a chain from the keystore, so the intermediate is dropped by hand."""
    from jkstool import formats
    from jkstool.model import PrivateKeyEntry, Store
    folder = build(pki, tmp_path / "layout", server={"issuer": "interca"})
    path = folder / "server.keystore.jks"
    store = formats.read_store(path, PASSWORD).store
    server = store["server"]
    formats.write_store(path, Store([PrivateKeyEntry("server", server.key, server.chain[:1], server.created)]),
                      "jks", PASSWORD)
    report = json.loads(run("verify-pair", folder, "--json", env=ENV).stdout)
    (finding,) = [f for f in report["findings"] if f["severity"] == "error"]
    assert finding["code"] == "server-untrusted" and "CN=interca" in finding["message"]
    assert "add it to the chain" in finding["fix"]
    ok, seen = handshake(*(folder / f"{name}.jks" for name in STORES))
    assert not ok and "PKIX path building failed" in seen


def test_table_output_and_messages(tmp_path, pki):
    folder = build(pki, tmp_path / "layout", server_trusts=("otherca",))
    result = run("verify-pair", folder, env=ENV)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL: the server and the client will not complete")
    assert any("server chain -> client-truststore" in line and "trusted via CN=serverca" in line for line in lines)
    assert any("client chain -> server-truststore" in line and "no certificate sent" in line for line in lines)
    assert "Empty client certificate chain" in result.stdout


def test_at_a_future_date_and_warn_days(tmp_path, pki):
    folder = build(pki, tmp_path / "layout")
    later = (date.today() + timedelta(days=400)).isoformat()
    report = json.loads(run("verify-pair", folder, "--json", "--at", later, env=ENV).stdout)
    assert {f["code"] for f in report["findings"] if f["severity"] == "error"} == {"cert-expired"}
    soon = json.loads(run("verify-pair", folder, "--json", "--warn-days", "400", env=ENV).stdout)
    assert soon["ok"] and "cert-expiring" in {f["code"] for f in soon["findings"]}


def test_findings_name_store_alias_and_fix(tmp_path, pki):
    folder = build(pki, tmp_path / "layout", client={"keypass": "another-pass"})
    report = json.loads(run("verify-pair", folder, "--json", env=ENV).stdout)
    (finding,) = [f for f in report["findings"] if f["code"] == "key-password-differs"]
    assert finding == {"severity": "error", "code": "key-password-differs",
                       "store": str(folder / "client.keystore.jks"), "alias": "client",
                       "message": finding["message"], "fix": finding["fix"]}
    assert "Cannot recover key" in finding["message"] and "keytool -keypasswd" in finding["fix"]


def test_several_keys_and_truststore_findings(tmp_path, pki):
    folder = build(pki, tmp_path / "layout")
    pki.key_entry(folder / "server.keystore.jks", "second", issuer="serverca", eku="serverAuth")
    pki.key_entry(folder / "client.truststore.jks", "stray", issuer="serverca", eku="clientAuth")
    report = json.loads(run("verify-pair", folder, "--json", env=ENV).stdout)
    codes = {f["code"]: f["severity"] for f in report["findings"]}
    assert codes["several-key-entries"] == "warning" and codes["truststore-has-keys"] == "warning"
    assert codes["jks-format"] == "info" and report["ok"]


def test_any_mix_of_formats_and_per_store_passwords(tmp_path, pki):
    folder = build(pki, tmp_path / "layout")
    p12 = tmp_path / "server.truststore.p12"
    assert run("convert", folder / "server.truststore.jks", p12, "--dest-storepass", "env:OTHER",
               env={**ENV, "OTHER": "other-pass"}).exit_code == 0
    result = run("verify-pair", "--server-keystore", folder / "server.keystore.jks", "--server-truststore", p12,
                 "--client-keystore", folder / "client.keystore.jks",
                 "--client-truststore", folder / "client.truststore.jks",
                 "--server-truststore-pass", "env:OTHER", "--json", env={**ENV, "OTHER": "other-pass"})
    assert result.exit_code == 0, result.stdout + result.stderr


def test_the_folders_storepass_file(tmp_path):
    assert run("init-pair", tmp_path / "tls", env={}).exit_code == 0
    result = run("verify-pair", tmp_path / "tls", env={})
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("problem", ["wrong-password", "missing-store", "no-folder"])
def test_unreadable_input_is_exit_2(tmp_path, pki, problem):
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


@pytest.mark.parametrize("engine", ["java", "openssl"])
def test_handshake_flag(tmp_path, pki, engine, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    good = build(pki, tmp_path / "good")
    result = run("verify-pair", good, "--json", "--handshake-engine", engine, env=ENV)
    report = json.loads(result.stdout)
    (finding,) = [f for f in report["findings"] if f["code"].startswith("handshake")]
    assert finding["code"] == "handshake-ok" and "TLSv1.3" in finding["message"], finding
    assert ("JSSE (java " in finding["message"]) == (engine == "java")
    bad = build(pki, tmp_path / "bad", server_trusts=("otherca",))
    report = json.loads(run("verify-pair", bad, "--json", "--handshake-engine", engine, env=ENV).stdout)
    (finding,) = [f for f in report["findings"] if f["code"].startswith("handshake")]
    assert finding["code"] == "handshake-failed" and finding["severity"] == "error"
    if engine == "java":
        assert "Empty client certificate chain" in finding["message"]
    else:
        assert "an OpenSSL cross-check, not JSSE" in finding["message"]


def test_handshake_checks_the_hostname(tmp_path, pki, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = build(pki, tmp_path / "layout", server={"san": "dns:api.example.test"})
    good = json.loads(run("verify-pair", folder, "--json", "--handshake", "--hostname", "api.example.test",
                          env=ENV).stdout)
    assert good["ok"], good
    bad = json.loads(run("verify-pair", folder, "--json", "--handshake", "--hostname", "db.example.test",
                         env=ENV).stdout)
    codes = {f["code"] for f in bad["findings"] if f["severity"] == "error"}
    assert codes == {"hostname-mismatch", "handshake-failed"}
    (failed,) = [f for f in bad["findings"] if f["code"] == "handshake-failed"]
    assert "No subject alternative DNS name matching db.example.test found" in failed["message"]


def test_a_chain_ending_at_an_untrusted_root_is_named_as_such(tmp_path):
    """The break at a self-signed root: said as a root the truststore lacks, not as its own missing issuer,
    and no advice to add it to the chain it already ends."""
    env = {"JKSTOOL_STOREPASS": "changeit"}
    for name in ("a", "b"):
        assert run("init-pair", tmp_path / name, env=env).exit_code == 0
    (tmp_path / "a" / "client.truststore.p12").write_bytes((tmp_path / "b" / "client.truststore.p12").read_bytes())
    result = run("verify-pair", tmp_path / "a", "--json", env=env)
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "server-untrusted"]
    assert "it is a root (self-signed) that the truststore does not hold" in finding["message"]
    assert "add it to the chain" not in finding["fix"]
