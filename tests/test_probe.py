"""probe against real peers on 127.0.0.1 (issue: first contact): a close without a word is "no answer", not a
refusal; a mismatch of --expect-sha256 fits 100 columns; --save-chain does InstallCert's job, and keytool and a
second probe judge what it wrote."""

import hashlib
import json
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from helpers import PASSWORD, run
from servers import s_server

import jkstool
from jkstool.api import export_entry, outputs

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


@pytest.fixture(scope="module")
def pem(tmp_path_factory, openssl):
    """What the servers present: a layout's server certificate and key with its CA apart (a chain of two), and
    a self-signed certificate made by openssl (a server that sends only its own certificate)."""
    folder = tmp_path_factory.mktemp("pem")
    layout = jkstool.init_pair(folder / "tls", password=PASSWORD).folder
    export = export_entry(layout / "server.keystore.p12", password=PASSWORD, with_key=True, encrypt_key=False)
    outputs.write_files(export.files(cert=folder / "leaf.pem", key=folder / "key.pem"))
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
            "-subj", "/O=Self Signed/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", folder / "self-key.pem", "-out", folder / "self.pem")
    return {"leaf": folder / "leaf.pem", "key": folder / "key.pem", "ca": layout / "ca" / "ca.pem",
            "self": folder / "self.pem", "self_key": folder / "self-key.pem"}


@contextmanager
def closing_at_once():
    """A TCP server that accepts each connection and closes it at once: no TLS at all."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                listener.accept()[0].close()
            except OSError:
                continue
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def probe(port, *args, env=ENV):
    """jkstool probe 127.0.0.1:PORT dialling localhost; every line it prints fits 100 columns (but an error,
    which is one line whatever its length)."""
    result = run("probe", f"127.0.0.1:{port}", "--servername", "localhost", "--timeout", "5", *args, env=env)
    wide = [line for line in (result.stdout + result.stderr).splitlines()
            if len(line) > 100 and not line.startswith("error: ")]
    assert not wide, wide
    return result


def facts(path):
    """A PEM certificate's SHA-256 and subject, as jkstool writes them."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(), cert.subject.rfc4514_string()


# -- no answer ------------------------------------------------------------------------------------------------

def test_a_server_that_closes_after_the_handshake_gives_no_answer_which_is_no_refusal(pem, openssl):
    """openssl s_server closing right after the handshake: no alert, no HTTP answer. Probe used to call it a
    refusal (exit 1); nothing proves one, so it says "no answer" and what that may mean, and exits 0."""
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], close_after_handshake=True) as port:
        table = probe(port)
        data = probe(port, "--json")
    assert table.exit_code == 0, table.stdout + table.stderr
    assert "client accepted                        unknown: no answer" in table.stdout, table.stdout
    assert table.stderr.splitlines() == [
        "no answer: the server closed the connection without a TLS alert or an HTTP answer",
        "  it may not speak HTTP, or may drop clients it refuses silently: check its log"]
    result = json.loads(data.stdout)
    assert result["no_answer"] is True and result["handshake_ok"] is False and result["rejected"] is None
    assert result["ok"] is True and result["problems"] == [] and data.exit_code == 0


def test_a_server_that_sends_an_alert_refused_the_client(pem, openssl):
    """-Verify 1 and no client certificate: TLS 1.3 says so in an alert after the handshake, which is proof."""
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], "-Verify", "1", "-rev") as port:
        result = probe(port)
    assert result.exit_code == 1
    assert "problem: the server refused the client after the handshake: tlsv13 alert certificate required" in \
        result.stderr.splitlines(), result.stderr
    assert "no answer" not in result.stdout + result.stderr


def test_a_tcp_server_that_closes_at_once_fails_the_handshake_with_no_answer():
    """No TLS at all: the handshake failed (exit 1), said as a close without an alert, not as a refusal."""
    with closing_at_once() as port:
        result = probe(port)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "problem: the handshake failed: the server closed the connection without a TLS alert",
        "no answer: it may not speak TLS here, or may drop clients it refuses silently: check its log"]
    assert "refused" not in result.stdout + result.stderr


# -- --expect-sha256 --------------------------------------------------------------------------------------------

def test_expect_sha256_mismatch_shows_each_fingerprint_on_a_line_of_its_own(pem, openssl):
    live, _ = facts(pem["self"])
    keytool_style = ":".join(live[i:i + 2] for i in range(0, 64, 2)).upper()
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], "-rev") as port:
        bad = probe(port, "--expect-sha256", "AB:" * 31 + "AB")
        good = probe(port, "--expect-sha256", keytool_style)
    assert bad.exit_code == 1 and good.exit_code == 0, good.stderr
    assert bad.stderr.splitlines()[-3:] == [
        "problem: the server presents another certificate than the one expected (--expect-sha256)",
        f"  presented {live}", f"  expected  {'ab' * 32}"]


def test_expect_sha256_that_is_no_fingerprint_is_one_line_before_connecting():
    result = run("probe", "127.0.0.1:1", "--expect-sha256", "12:34")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "error: '12:34' is not a SHA-256 fingerprint (give --expect-sha256 as 64 hex digits, " \
        "with or without colons)\n"


# -- --save-chain -----------------------------------------------------------------------------------------------

def test_save_chain_trusts_the_top_of_the_chain_keytool_lists_it_and_probe_then_verifies(
        pem, openssl, tmp_path, keytool_inventory, monkeypatch):
    """A server sending its certificate and its CA: the CA is saved (not the server's own certificate, so that
    its renewal is still trusted), in a JKS file keytool lists; a second probe with it verifies the server; a
    third save changes nothing."""
    monkeypatch.chdir(tmp_path)
    saved = Path("saved.jks")
    with s_server(openssl, "-cert", pem["leaf"], "-cert_chain", pem["ca"], "-key", pem["key"], "-rev") as port:
        first = probe(port, "--save-chain", saved)
        held = saved.read_bytes()
        second = probe(port, "--truststore", saved)
        again = probe(port, "--save-chain", saved)
    ca, subject = facts(pem["ca"])
    assert first.exit_code == 0, first.stderr
    ((alias, listed),) = keytool_inventory(tmp_path / saved).items()  # keytool's JVM runs elsewhere
    assert listed == ("trustedCertEntry", (ca,))
    assert first.stderr.splitlines() == [
        f"added to {saved} as '{alias}':", f"  subject {subject}", f"  sha256  {ca}",
        "warning: a server presents whatever it holds: check this SHA-256 with its owner, out of band"]
    assert second.exit_code == 0 and "chain leads to the truststore          yes, via CN=jkstool CA" in \
        second.stdout, second.stdout + second.stderr
    assert again.exit_code == 0 and again.stderr.startswith(f"already in {saved} as ")
    assert saved.read_bytes() == held  # nothing added: the file as it was


def test_save_chain_of_a_server_that_sends_only_its_own_certificate_pins_it(pem, openssl, tmp_path,
                                                                            keytool_inventory):
    saved = tmp_path / "pinned.p12"
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], "-rev") as port:
        first = probe(port, "--save-chain", saved, "--json")
        second = probe(port, "--truststore", saved)
    own, subject = facts(pem["self"])
    assert first.exit_code == 0, first.stderr
    ((alias, listed),) = keytool_inventory(saved).items()
    assert listed == ("trustedCertEntry", (own,))
    assert json.loads(first.stdout)["saved"]["added"] == [{"alias": alias, "subject": subject, "sha256": own}]
    assert "warning: the server sent only its own certificate, so that is pinned: save it again once renewed" in \
        first.stderr.splitlines()
    assert second.exit_code == 0 and "chain leads to the truststore          yes" in second.stdout, second.stdout


def test_save_chain_from_a_server_that_presents_nothing_is_one_line_and_writes_nothing(tmp_path):
    saved = tmp_path / "never.p12"
    with closing_at_once() as port:
        result = probe(port, "--save-chain", saved)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: 127.0.0.1:{port}: nothing was saved: the server closed the connection without " \
        "a TLS alert (check the host and port)\n"
    assert not saved.exists()


def test_save_chain_without_a_password_says_how_to_give_one(pem, openssl, tmp_path):
    saved = tmp_path / "new.p12"
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], "-rev") as port:
        result = probe(port, "--save-chain", saved, env={"JKSTOOL_STOREPASS": None})
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.endswith("needs a password (give --storepass env:NAME or file:PATH, or set "
                                  "JKSTOOL_STOREPASS)\n"), result.stderr
    assert not saved.exists()
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], "-rev") as port:
        short = probe(port, "--save-chain", saved, "--storepass", "pass:abc", env={"JKSTOOL_STOREPASS": None})
        assert short.exit_code == 2 and "--allow-weak-password" in short.stderr and not saved.exists(), short.stderr
        allowed = probe(port, "--save-chain", saved, "--storepass", "pass:abc", "--allow-weak-password",
                        env={"JKSTOOL_STOREPASS": None})
    assert allowed.exit_code == 0 and saved.exists(), allowed.stderr


def test_save_chain_refuses_an_expired_top_certificate(openssl, tmp_path):
    """A truststore holding an expired certificate trusts nothing a client accepts: refused, nothing written."""
    from cryptography.hazmat.primitives import serialization
    from helpers import certificate, new_key
    key = new_key("ec")
    old = certificate(key, "localhost", start_days=-60, days=30)
    (tmp_path / "old.pem").write_bytes(old.public_bytes(Encoding.PEM))
    (tmp_path / "old.key").write_bytes(key.private_bytes(Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    saved = tmp_path / "never.p12"
    with s_server(openssl, "-cert", tmp_path / "old.pem", "-key", tmp_path / "old.key", "-rev") as port:
        result = probe(port, "--save-chain", saved)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: 127.0.0.1:{port}: the certificate at the top of the server's chain expired on " \
        f"{old.not_valid_after_utc:%Y-%m-%d}, so nothing was saved (have the server's chain renewed, then save it " \
        "again)\n"
    assert not saved.exists()


def test_a_name_the_certificate_does_not_cover_is_a_problem_without_a_truststore_too(pem, openssl):
    """Every HTTPS client checks the name, whatever it trusts: with or without --truststore, exit 1."""
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], "-rev") as port:
        result = run("probe", f"127.0.0.1:{port}", "--servername", "other.example.test", "--timeout", "5", env=ENV)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "problem: the server certificate does not match the name dialled (--servername sets it)" in \
        result.stderr.splitlines(), result.stderr


def test_save_chain_saves_nothing_when_the_expected_certificate_is_not_presented(pem, openssl, tmp_path):
    """--expect-sha256 is the out-of-band check --save-chain asks for: when it fails, nothing is trusted."""
    saved = tmp_path / "never.p12"
    with s_server(openssl, "-cert", pem["self"], "-key", pem["self_key"], "-rev") as port:
        result = probe(port, "--save-chain", saved, "--expect-sha256", "ab" * 32)
    assert result.exit_code == 2 and not saved.exists(), result.stderr
    assert "nothing was saved: the server presents another certificate than the one expected" in result.stderr
