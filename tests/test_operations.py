"""Pre-deploy and troubleshooting: the expiry gate, probe against a real OpenSSL server, the test
endpoint, and configuration snippets proven on nginx, Tomcat, curl and a JSSE client."""

import base64
import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from helpers import PASSWORD, run, shell_command
from servers import Nginx, Tomcat, free_port, wait_for_port

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


@pytest.fixture
def layout(tmp_path):
    folder = tmp_path / "tls"
    assert run("init-pair", folder, "--separate-cas", "--store-type", "jks", env=ENV).exit_code == 0
    return folder


def jvm_flags(folder, side, password=PASSWORD):
    """The flags `snippet jvm` prints, with the environment references filled in."""
    text = run("snippet", "jvm", folder, "--side", side, env=ENV).stdout
    return [line.replace("${JKSTOOL_STOREPASS}", password) for line in text.splitlines()
            if line and not line.startswith("#")]


# -- expiry ------------------------------------------------------------------------------------

def test_expiry_trips_inside_the_window_and_not_outside(tmp_path):
    folder = tmp_path / "tls"
    run("init-pair", folder, "--days", "10", env=ENV)
    pem = tmp_path / "server.pem"
    run("export", folder / "server.keystore.p12", "--cert", pem, env=ENV)
    for target in (folder / "server.keystore.p12", pem):
        inside = run("expiry", target, "--within", "30", "--json", env=ENV)
        assert inside.exit_code == 1, inside.stderr
        days = [c["days_left"] for c in json.loads(inside.stdout)["certificates"]]
        assert min(days) in (9, 10)
        assert run("expiry", target, "--within", "5", env=ENV).exit_code == 0


def test_expiry_scans_folders_soonest_first_and_reports_unreadable_stores(tmp_path):
    folder = tmp_path / "tls"
    run("init-pair", folder, "--days", "20", env=ENV)
    (folder / "README.txt").write_text("not a store")
    run("convert", folder / "server.keystore.p12", tmp_path / "whole.p12", env=ENV)
    (folder / "broken.p12").write_bytes((tmp_path / "whole.p12").read_bytes()[:-40])  # a PKCS12, cut short
    result = run("expiry", folder, "--within", "10", "--json", env=ENV)
    data = json.loads(result.stdout)
    assert result.exit_code == 2
    assert [e["path"] for e in data["errors"]] == [str(folder / "broken.p12")]
    days = [c["days_left"] for c in data["certificates"]]
    assert days == sorted(days) and len(days) == 3  # the server's, the client's and the CA's: each once
    assert set(data["certificates"][0]) == {"path", "alias", "kind", "subject", "not_after", "days_left", "sha256",
                                            "locations"}
    ca = next(c for c in data["certificates"] if c["subject"].startswith("CN=jkstool CA"))
    places = {Path(place["path"]).name for place in ca["locations"]}
    assert places == {"ca.pem", "server.keystore.p12", "server.truststore.p12", "client.keystore.p12",
                      "client.truststore.p12"}, places
    (folder / "broken.p12").unlink()
    assert run("expiry", folder, "--within", "10", env=ENV).exit_code == 0
    assert run("expiry", folder, "--within", "30", env=ENV).exit_code == 1


# -- probe against openssl s_server -------------------------------------------------------------

@pytest.fixture
def openssl_server(layout, tmp_path):
    """openssl s_server -Verify with the layout's server material, naming only the client CA."""
    pem = tmp_path / "pem"
    pem.mkdir()
    run("export", layout / "server.keystore.jks", "--chain", pem / "chain.pem", "--key", pem / "key.pem",
        "--no-encrypt-key", env=ENV)
    port = free_port()
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-rev", "-cert", pem / "chain.pem",
         "-key", pem / "key.pem", "-CAfile", layout / "ca" / "client-ca.pem", "-Verify", "1",
         "-verify_return_error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    yield port
    server.kill()
    server.wait()


def probe(port, *args):
    return run("probe", f"127.0.0.1:{port}", "--servername", "localhost", "--json", *args, env=ENV)


def test_probe_with_the_right_client_keystore(layout, openssl_server):
    result = probe(openssl_server, "--truststore", layout / "client.truststore.jks",
                   "--keystore", layout / "client.keystore.jks")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, data
    assert data["handshake_ok"] and data["trusted"] and data["name_matches"] and data["client_cert_requested"]
    (ca,) = data["acceptable_cas"]
    assert ca.startswith("CN=jkstool Client CA ") and data["keystore_matches"]
    assert [c["subject"] for c in data["chain"]][0] == "CN=localhost"


def test_probe_without_a_keystore_says_what_was_asked_for(layout, openssl_server):
    result = probe(openssl_server, "--truststore", layout / "client.truststore.jks")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["client_cert_requested"]
    assert "asked for a client certificate and none was given" in result.stderr
    table = run("probe", f"127.0.0.1:{openssl_server}", "--servername", "localhost", env=ENV)
    assert re.search(r"acceptable client CAs\s+CN=jkstool Client CA", table.stdout)


def test_probe_with_a_certificate_from_another_ca(layout, openssl_server, tmp_path):
    other = tmp_path / "other"
    run("init-pair", other, env=ENV)
    result = probe(openssl_server, "--keystore", other / "client.keystore.p12")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and not data["handshake_ok"] and data["keystore_matches"] is False
    assert "no certificate in the keystore's chain is issued by a CA the server names" in result.stderr


def test_probe_a_closed_port_is_a_clean_exit_1():
    result = run("probe", f"127.0.0.1:{free_port()}", "--timeout", "2")
    assert result.exit_code == 1 and "Connection refused" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# -- serve -----------------------------------------------------------------------------------------

def start_serve(layout, port):
    process = subprocess.Popen(
        ["jkstool", "serve", "--keystore", layout / "server.keystore.jks", "--truststore",
         layout / "server.truststore.jks", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV})
    wait_for_port(port)
    return process


def test_serve_accepts_a_jsse_client_configured_by_the_jvm_snippet(layout, tmp_path, default_client):
    port = free_port()
    server = start_serve(layout, port)
    try:
        ok, reply = default_client("localhost", port, jvm_flags(layout, "client"))
        assert ok and "hello CN=client: mutual TLS works" in reply, reply
        other = tmp_path / "other"
        run("init-pair", other, env=ENV)
        foreign = [f for f in jvm_flags(other, "client") if "trustStore" not in f]
        foreign += [f for f in jvm_flags(layout, "client") if "trustStore" in f]
        ok, reply = default_client("localhost", port, foreign)
        assert not ok
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    visits = out.strip().splitlines()  # the first is the test's own check that the port is open
    assert any("subject=CN=client issuer=CN=jkstool Client CA" in v and v.endswith(" accepted") for v in visits)
    assert visits[-1].endswith("rejected: no client certificate (peer did not return a certificate)"), visits
    assert "listening on" in err


# -- serve under load and attack -------------------------------------------------------------

@pytest.fixture
def served(layout):
    """`jkstool serve` on the layout's server stores: (port, a function stopping it and returning its log)."""
    port = free_port()
    server = start_serve(layout, port)

    def stop(lines=None):
        """Stop the server once it has logged `lines` visits; the visits logged."""
        log = [server.stdout.readline().rstrip("\n") for _ in range(lines + 1)] if lines else []
        server.terminate()
        log += server.communicate(timeout=10)[0].splitlines()
        return log[1:]  # the first is start_serve's own check that the port is open
    yield port, stop
    if server.poll() is None:
        server.kill()
        server.wait()


@pytest.fixture
def client_pem(layout, tmp_path):
    """The layout's client certificate chain and key as PEM files, for openssl and Python clients."""
    chain, key = tmp_path / "client-chain.pem", tmp_path / "client-key.pem"
    run("export", layout / "client.keystore.jks", "--chain", chain, "--key", key, "--no-encrypt-key", env=ENV)
    return chain, key


def tls_client(port, chain, key, ca, seconds):
    """A Python TLS client with a client certificate: sends a line, returns the answer."""
    import ssl
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(chain, key)
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            conn.sendall(b"hello\n")
            return conn.recv(1024).decode()


def s_client(port, *args):
    """openssl s_client sending a line; what it printed (an alert the server sent shows here)."""
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-quiet", *map(str, args)],
                            input="hello\n", capture_output=True, text=True, timeout=30)
    return result.stdout + result.stderr


def write_pem(path, der):
    """A certificate's DER as PEM, written by hand: no parser takes a version 4 certificate."""
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n")
    return path


def alert(text):
    found = re.search(r"SSL alert number (\d+)", text)
    return int(found[1]) if found else None


def test_serve_answers_a_good_client_while_idle_connections_wait(layout, served, client_pem):
    """Regression: serve took one connection at a time, so an idle one stalled every client for 10 s."""
    port, stop = served
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    try:
        answer = tls_client(port, *client_pem, layout / "ca" / "server-ca.pem", seconds=5)
    finally:
        for sock in idle:
            sock.close()
    assert answer == "hello CN=client: mutual TLS works\n"
    log = stop(21)
    assert sum(line.endswith(" accepted") for line in log) == 1
    bare = [line for line in log if line.endswith("rejected: the connection closed without a TLS handshake "
                                                  "(a bare TCP connect, such as a port check)")]
    assert len(bare) == 20, log


@pytest.fixture(scope="module")
def jsse_layout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jsse") / "tls"
    assert run("init-pair", folder, "--separate-cas", "--store-type", "jks", env=ENV).exit_code == 0
    return folder


def start_jsse_server(java, classes, folder):
    """A plain JSSE server (tests/java/JsseServer.java) on a layout's server stores: the reference."""
    server = subprocess.Popen([java, "-cp", classes, "JsseServer", folder / "server.keystore.jks",
                               folder / "server.truststore.jks"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    server.stdin.write(PASSWORD + "\n")
    server.stdin.close()
    return server, int(server.stdout.readline())


@pytest.fixture(scope="module")
def jsse_server(java_classes, jsse_layout):
    """The JDK on the machine's JSSE server: (port, its layout)."""
    server, port = start_jsse_server(*java_classes, jsse_layout)
    yield port, jsse_layout
    server.kill()
    server.wait()


@pytest.fixture(scope="module")
def jsse_25_server(java_classes, java_25, jsse_layout):
    server, port = start_jsse_server(java_25, java_classes[1], jsse_layout)
    yield port
    server.kill()
    server.wait()


ALERTS = {40: "handshake_failure", 42: "bad_certificate", 116: "certificate_required"}


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_serve_sends_jsses_alert_for_a_missing_client_certificate(served, jsse_25_server, version):
    """serve's contract is today's JSSE: the alert JDK 25's server sends, asked of it in this run."""
    port, stop = served
    assert alert(s_client(port, version)) == alert(s_client(jsse_25_server, version))
    assert stop(1)[-1].endswith("rejected: no client certificate (peer did not return a certificate)")


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_serve_docs_name_the_machines_jdk_where_its_alert_differs(served, jsse_server, java_release, version):
    """An older update sends another alert for a missing certificate (17.0.15: bad_certificate): where the
    JDK on the machine differs from serve, docs/commands.md names that release and its alert."""
    port, stop = served
    theirs, ours = alert(s_client(jsse_server[0], version)), alert(s_client(port, version))
    stop(1)
    if theirs != ours:
        said = re.sub(r"\s+", " ", (Path(__file__).parents[1] / "docs" / "commands.md").read_text())
        assert f"JDK {java_release} sends `{ALERTS[theirs]}`" in said, (java_release, theirs, ours)


def test_serve_ends_an_untrusted_client_with_an_alert_it_can_read(served, jsse_server, client_pem, tmp_path):
    """Regression: the socket closed with the client's data unread, so it saw a reset, not the alert."""
    port, stop = served
    chain, key = tmp_path / "foreign.pem", tmp_path / "foreign-key.pem"  # a client of the JSSE server's CA
    run("export", jsse_server[1] / "client.keystore.jks", "--chain", chain, "--key", key, "--no-encrypt-key",
        env=ENV)
    other_chain, other_key = client_pem  # and one from serve's, foreign to the JSSE server
    assert alert(s_client(jsse_server[0], "-cert", other_chain, "-key", other_key)) == 46  # certificate_unknown
    assert alert(s_client(port, "-cert", chain, "-key", key)) == 48  # OpenSSL's unknown_ca (docs/commands.md)
    assert "rejected: CN=client: unable to get local issuer certificate" in stop(1)[-1]


def test_serve_logs_a_hostile_subject_on_one_line(served, tmp_path):
    """Regression: a newline in an untrusted certificate's CN forged a whole "accepted" line."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from helpers import certificate
    key = ec.generate_private_key(ec.SECP256R1())
    forged = "x\n2026-01-01T00:00:00Z 1.2.3.4:1 subject=CN=a accepted\x1b[2K"  # CN: 64 characters at most
    cert = certificate(key, forged)
    cert_path, key_path = tmp_path / "evil.pem", tmp_path / "evil-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    port, stop = served
    assert alert(s_client(port, "-cert", cert_path, "-key", key_path)) is not None
    (line,) = stop(1)
    assert "\\x0a2026-01-01T00:00:00Z" in line and "\\x1b[2K" in line and "rejected:" in line
    assert not line.endswith(" accepted")


def test_serve_rejects_a_client_certificate_java_cannot_parse(layout, served, client_pem, tmp_path):
    """Regression: a version 4 certificate (OpenSSL reads it, Java does not) was logged as none at all."""
    from cryptography import x509
    from helpers import version_4
    ca_key = serialization.load_pem_private_key((layout / "ca" / "client-ca-key.pem").read_bytes(),
                                                PASSWORD.encode())
    leaf = x509.load_pem_x509_certificate(client_pem[0].read_bytes())
    v4 = write_pem(tmp_path / "v4.pem", version_4(leaf, ca_key))
    port, stop = served
    assert alert(s_client(port, "-cert", v4, "-key", client_pem[1])) is not None
    (line,) = stop(1)
    assert "subject=CN=client" in line and "Failed to parse client certificates" in line, line


def test_probe_reports_a_server_certificate_java_cannot_parse(layout, tmp_path, default_client):
    """Regression: a version 4 certificate in a probed server's chain was 'unexpected InvalidVersion'."""
    from cryptography import x509
    from helpers import version_4
    pem = tmp_path / "pem"
    pem.mkdir()
    run("export", layout / "server.keystore.jks", "--chain", pem / "chain.pem", "--key", pem / "key.pem",
        "--no-encrypt-key", env=ENV)
    ca_key = serialization.load_pem_private_key((layout / "ca" / "server-ca-key.pem").read_bytes(),
                                                PASSWORD.encode())
    leaf = x509.load_pem_x509_certificates((pem / "chain.pem").read_bytes())[0]
    write_pem(pem / "v4.pem", version_4(leaf, ca_key))
    port = free_port()
    server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-rev", "-cert",
                               pem / "v4.pem", "-key", pem / "key.pem"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        ok, java_says = default_client("localhost", port, jvm_flags(layout, "client"))
        result = probe(port, "--truststore", layout / "client.truststore.jks")
    finally:
        server.kill()
        server.wait()
    assert not ok and "Failed to parse server certificates" in java_says, java_says
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert data["chain"][0]["subject"] == "CN=localhost" and data["trusted"] is False
    assert "Java fails with 'Failed to parse server certificates'" in result.stderr


# -- snippets on real servers ----------------------------------------------------------------------

def test_snippets_never_inline_the_password(layout):
    for fmt in ("spring-boot", "tomcat", "jvm", "nginx", "apache", "curl"):
        for side in (("server", "client") if fmt in ("spring-boot", "jvm") else (None,)):
            args = ["snippet", fmt, layout, "--force", *(["--side", side] if side else [])]
            result = run(*args, env=ENV)
            assert result.exit_code == 0, (fmt, result.stderr)
            assert PASSWORD not in result.stdout and str(layout.resolve()) in result.stdout
    key = layout / "pem" / "server-key.pem"
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_nginx_accepts_the_layouts_clients_and_refuses_others(layout, tmp_path, nginx, curl, default_client):
    port = free_port()
    server_block = run("snippet", "nginx", layout, "--port", str(port), env=ENV).stdout
    with Nginx(nginx, tmp_path / "nginx", server_block, port):
        command = shell_command(run("snippet", "curl", layout, "--port", str(port), env=ENV).stdout)
        accepted = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert accepted.returncode == 0 and "hello CN=client" in accepted.stdout, accepted.stderr
        without = subprocess.run(re.sub(r"--cert \S+ --key \S+ ", "", command), shell=True, capture_output=True,
                                 text=True, timeout=30)
        assert "No required SSL certificate was sent" in without.stdout
        ok, reply = default_client("localhost", port, jvm_flags(layout, "client"))
        assert ok and "hello CN=client" in reply, reply
        trust_only = [f for f in jvm_flags(layout, "client") if "keyStore" not in f]
        ok, reply = default_client("localhost", port, trust_only)
        assert "200 OK" not in reply


def test_tomcat_accepts_the_layouts_clients_and_refuses_others(layout, tmp_path, tomcat_home, curl, default_client):
    port = free_port()
    connector = run("snippet", "tomcat", layout, "--port", str(port), env=ENV).stdout
    with Tomcat(tomcat_home, tmp_path / "catalina", connector, port, ENV):
        command = shell_command(run("snippet", "curl", layout, "--port", str(port), env=ENV).stdout)
        accepted = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert accepted.returncode == 0 and "hello from tomcat" in accepted.stdout, accepted.stderr
        without = subprocess.run(re.sub(r"--cert \S+ --key \S+ ", "", command), shell=True, capture_output=True,
                                 text=True, timeout=30)
        assert without.returncode != 0
        ok, reply = default_client("localhost", port, jvm_flags(layout, "client"))
        assert ok and "hello from tomcat" in reply, reply
        ok, reply = default_client("localhost", port, [f for f in jvm_flags(layout, "client") if "keyStore" not in f])
        assert not ok


def test_probe_catches_nginx_refusing_the_client_after_the_handshake(layout, tmp_path, nginx):
    """nginx with ssl_verify_client on completes the handshake with a client it does not trust, then
    answers HTTP 400: probe used to call that a success."""
    port = free_port()
    other = tmp_path / "other"
    run("init-pair", other, env=ENV)
    server_block = run("snippet", "nginx", layout, "--port", str(port), env=ENV).stdout
    with Nginx(nginx, tmp_path / "nginx", server_block, port):
        refused = probe(port, "--keystore", other / "client.keystore.p12")
        accepted = probe(port, "--keystore", layout / "client.keystore.jks", "--truststore",
                         layout / "client.truststore.jks")
    data = json.loads(refused.stdout)
    assert refused.exit_code == 1 and not data["ok"] and not data["handshake_ok"], data
    assert "The SSL certificate error" in data["rejected"] and "refused the client" in refused.stderr
    assert accepted.exit_code == 0, accepted.stdout + accepted.stderr


def test_probe_expect_sha256_is_a_deploy_check_against_serve(layout, served):
    port, stop = served
    from jkstool import formats
    leaf = formats.read_store(layout / "server.keystore.jks", PASSWORD).store.key_entry("server").chain[0]
    import hashlib
    live = hashlib.sha256(leaf).hexdigest()
    args = ["--keystore", layout / "client.keystore.jks", "--truststore", layout / "client.truststore.jks"]
    good = probe(port, *args, "--expect-sha256", live.upper())
    bad = probe(port, *args, "--expect-sha256", "00" * 32)
    stop(2)
    assert good.exit_code == 0, good.stderr
    assert json.loads(good.stdout)["chain"][0]["sha256"] == live
    assert bad.exit_code == 1 and "not the certificate expected" in bad.stderr


def test_probe_reports_the_keystores_own_expired_certificate(layout, served, tmp_path):
    port, stop = served
    key = tmp_path / "key.pem"
    run("export", layout / "client.keystore.jks", "--key", key, "--no-encrypt-key", env=ENV)
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from helpers import certificate
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    old = certificate(private, "client", start_days=-60, days=30)  # expired 30 days ago, self-signed
    cert = tmp_path / "old.pem"
    cert.write_bytes(old.public_bytes(serialization.Encoding.PEM))
    assert isinstance(old, x509.Certificate) and old.not_valid_after_utc < dt.datetime.now(dt.timezone.utc)
    run("import-key", tmp_path / "old.p12", "--alias", "old", "--key", key, "--cert", cert, env=ENV)
    result = probe(port, "--keystore", tmp_path / "old.p12")
    stop(1)
    assert result.exit_code == 1 and "the keystore's certificate expired on" in result.stderr, result.stderr
