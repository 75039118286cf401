"""Pre-deploy and troubleshooting: the expiry gate, probe against a real OpenSSL server, the test
endpoint, and configuration snippets proven on nginx, Tomcat, curl and a JSSE client.

The behaviour is asked of `jkstool.api` (expiry, probe, serve, snippet); the tests named `test_cli_...`
check what only the command adds: its table and JSON, its log lines, its messages and exit codes."""

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from helpers import PASSWORD, run, shell_command
from servers import Nginx, Tomcat, free_port, wait_for_port

import jkstool
from jkstool.api import expiry, export_entry, import_key, outputs, probe, serve, snippet

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


@pytest.fixture
def layout(tmp_path):
    return jkstool.init_pair(tmp_path / "tls", password=PASSWORD, store_type="jks", separate_cas=True).folder


def jvm_flags(folder, side, password=PASSWORD):
    """The flags of the jvm snippet, with the environment references filled in."""
    text = snippet(folder, "jvm", side=side).text
    return [line.replace("${JKSTOOL_STOREPASS}", password) for line in text.splitlines()
            if line and not line.startswith("#")]


def export_pem(store, **files):
    """An entry of `store` (its one key entry) written as PEM files: cert=, chain=, key= (not encrypted)."""
    export = export_entry(store, password=PASSWORD, with_key="key" in files, encrypt_key=False)
    outputs.write_files(export.files(**files))


def probe_local(port, **stores):
    """probe 127.0.0.1:PORT as a client dialling localhost, the stores opening with the password."""
    return probe("127.0.0.1", port, servername="localhost", password=PASSWORD, **stores)


def says(result, text):
    """Whether one of the probe's problems says `text`."""
    return any(text in problem for problem in result.problems)


class Serving:
    """api.serve on a layout's server stores, in a thread, for one client: `port` once it listens, then
    `visit`, what it saw of that client."""

    def __init__(self, folder):
        self.folder, self.port, self.visits, self.error = folder, None, [], None
        self.listening = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        try:
            serve(keystore=self.folder / "server.keystore.jks", truststore=self.folder / "server.truststore.jks",
                  password=PASSWORD, port=0, once=True, report=self.visits.append, ready=self._ready)
        except Exception as e:  # said by __enter__
            self.error = e
            self.listening.set()

    def _ready(self, where):
        self.port = where.port
        self.listening.set()

    def __enter__(self):
        self.thread.start()
        assert self.listening.wait(30) and self.error is None, self.error
        return self

    @property
    def visit(self):
        self.thread.join(30)
        assert not self.thread.is_alive(), "serve saw no client"
        (visit,) = self.visits
        return visit

    def __exit__(self, *exc):
        if self.thread.is_alive():  # a test that failed before its client came: end the wait
            self.thread.join(5)
            if self.thread.is_alive():
                socket.create_connection(("127.0.0.1", self.port)).close()
                self.thread.join(30)


# -- expiry ------------------------------------------------------------------------------------

def test_expiry_trips_inside_the_window_and_not_outside(tmp_path):
    folder = jkstool.init_pair(tmp_path / "tls", password=PASSWORD, days=10).folder
    pem = tmp_path / "server.pem"
    export_pem(folder / "server.keystore.p12", cert=pem)
    for target in (folder / "server.keystore.p12", pem):
        scan = expiry([target], password=PASSWORD)
        assert scan.errors == [] and scan.due(30), scan.to_dict(30)  # the gate of 30 days trips
        days = [c.days_left for c in scan.certificates]
        assert min(days) in (9, 10)
        assert scan.due(5) == []  # and that of 5 does not


def test_expiry_scans_folders_soonest_first_and_reports_unreadable_stores(tmp_path):
    folder = jkstool.init_pair(tmp_path / "tls", password=PASSWORD, days=20).folder
    (folder / "README.txt").write_text("not a store")
    jkstool.convert_store(folder / "server.keystore.p12", tmp_path / "whole.p12", password=PASSWORD)
    (folder / "broken.p12").write_bytes((tmp_path / "whole.p12").read_bytes()[:-40])  # a PKCS12, cut short
    scan = expiry([folder], password=PASSWORD)
    assert [path for path, _ in scan.errors] == [str(folder / "broken.p12")]  # the gate fails: exit 2
    days = [c.days_left for c in scan.certificates]
    assert days == sorted(days) and len(days) == 3  # the server's, the client's and the CA's: each once
    assert set(scan.to_dict(10)["certificates"][0]) == {"path", "alias", "kind", "subject", "not_after",
                                                        "days_left", "sha256", "locations"}
    ca = next(c for c in scan.certificates if c.subject.startswith("CN=jkstool CA"))
    places = {Path(path).name for path, _ in ca.locations}
    assert places == {"ca.pem", "server.keystore.p12", "server.truststore.p12", "client.keystore.p12",
                      "client.truststore.p12"}, places
    (folder / "broken.p12").unlink()
    scan = expiry([folder], password=PASSWORD)
    assert scan.errors == [] and scan.due(10) == []  # exit 0 within 10 days
    assert scan.due(30)  # exit 1 within 30


# -- probe against openssl s_server -------------------------------------------------------------

@pytest.fixture
def openssl_server(layout, tmp_path):
    """openssl s_server -Verify with the layout's server material, naming only the client CA."""
    pem = tmp_path / "pem"
    pem.mkdir()
    export_pem(layout / "server.keystore.jks", chain=pem / "chain.pem", key=pem / "key.pem")
    port = free_port()
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-rev", "-cert", pem / "chain.pem",
         "-key", pem / "key.pem", "-CAfile", layout / "ca" / "client-ca.pem", "-Verify", "1",
         "-verify_return_error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    yield port
    server.kill()
    server.wait()


def test_probe_with_the_right_client_keystore(layout, openssl_server):
    result = probe_local(openssl_server, truststore=layout / "client.truststore.jks",
                         keystore=layout / "client.keystore.jks")
    assert result.ok, result.problems
    assert result.handshake_ok and result.trusted and result.name_matches and result.requested
    (ca,) = result.acceptable
    assert ca.startswith("CN=jkstool Client CA ") and result.keystore_acceptable is True
    assert [c.subject for c in result.chain][0] == "CN=localhost"


def test_probe_without_a_keystore_says_what_was_asked_for(layout, openssl_server):
    result = probe_local(openssl_server, truststore=layout / "client.truststore.jks")
    assert not result.ok and result.requested and result.trusted
    assert says(result, "asked for a client certificate and none was given (keystore=...)"), result.problems
    (ca,) = result.acceptable
    assert ca.startswith("CN=jkstool Client CA ")


def test_probe_with_a_certificate_from_another_ca(layout, openssl_server, tmp_path):
    other = jkstool.init_pair(tmp_path / "other", password=PASSWORD)
    result = probe_local(openssl_server, keystore=other.store_path("client-keystore"))
    assert not result.ok and not result.handshake_ok and result.keystore_acceptable is False
    assert says(result, "no certificate in the keystore's chain is issued by a CA the server names"), result.problems


def test_cli_probe_prints_json_or_a_table_and_exits_1_on_a_problem(layout, openssl_server):
    trust = ("--truststore", layout / "client.truststore.jks")
    result = run("probe", f"127.0.0.1:{openssl_server}", "--servername", "localhost", "--json", *trust, env=ENV)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"schema": "jkstool/probe/1",
                                         **probe_local(openssl_server, truststore=trust[1]).to_dict()}
    assert "problem: the server asked for a client certificate and none was given (--keystore)" in result.stderr
    table = run("probe", f"127.0.0.1:{openssl_server}", "--servername", "localhost", env=ENV)
    assert re.search(r"acceptable client CAs\s+CN=jkstool Client CA", table.stdout)
    good = run("probe", f"127.0.0.1:{openssl_server}", "--servername", "localhost", *trust,
               "--keystore", layout / "client.keystore.jks", env=ENV)
    assert good.exit_code == 0 and "problem:" not in good.stderr, good.stderr
    assert re.search(r"client accepted\s+yes", good.stdout), good.stdout


def test_cli_probe_a_closed_port_is_a_clean_exit_1():
    result = run("probe", f"127.0.0.1:{free_port()}", "--timeout", "2")
    assert result.exit_code == 1 and "Connection refused" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# -- serve -----------------------------------------------------------------------------------------

def test_serve_accepts_a_jsse_client_configured_by_the_jvm_snippet(layout, tmp_path, default_client):
    with Serving(layout) as server:
        ok, reply = default_client("localhost", server.port, jvm_flags(layout, "client"))
        assert ok and "hello CN=client: mutual TLS works" in reply, reply
    good = server.visit
    assert good.accepted and good.subject == "CN=client" and good.issuer.startswith("CN=jkstool Client CA "), good
    other = jkstool.init_pair(tmp_path / "other", password=PASSWORD).folder
    foreign = [f for f in jvm_flags(other, "client") if "trustStore" not in f]
    foreign += [f for f in jvm_flags(layout, "client") if "trustStore" in f]
    with Serving(layout) as server:
        ok, reply = default_client("localhost", server.port, foreign)
        assert not ok
    refused = server.visit
    assert not refused.accepted and refused.reason == "no client certificate (peer did not return a certificate)"


# -- serve under load and attack -------------------------------------------------------------

@pytest.fixture
def client_pem(layout, tmp_path):
    """The layout's client certificate chain and key as PEM files, for openssl and Python clients."""
    chain, key = tmp_path / "client-chain.pem", tmp_path / "client-key.pem"
    export_pem(layout / "client.keystore.jks", chain=chain, key=key)
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


@pytest.fixture
def served_cli(layout):
    """`jkstool serve` on the layout's server stores, in a process of its own: (port, a function stopping it
    and returning its log lines). For its log, and where api.serve, which ends only after one client
    (once=True), cannot be used: many clients at once."""
    port = free_port()
    server = subprocess.Popen(
        ["jkstool", "serve", "--keystore", layout / "server.keystore.jks", "--truststore",
         layout / "server.truststore.jks", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV})
    wait_for_port(port)

    def stop(lines=None):
        """Stop the server once it has logged `lines` visits; the visits logged."""
        log = [server.stdout.readline().rstrip("\n") for _ in range(lines + 1)] if lines else []
        server.terminate()
        out, err = server.communicate(timeout=10)
        assert f"listening on 127.0.0.1:{port}; accepting client certificates from: " in err, err
        return (log + out.splitlines())[1:]  # the first is the fixture's own check that the port is open
    yield port, stop
    if server.poll() is None:
        server.kill()
        server.wait()


# On the command's serve: api.serve cannot be stopped once it serves more than one client (no once=True).
def test_serve_answers_a_good_client_while_idle_connections_wait(layout, served_cli, client_pem):
    """Regression: serve took one connection at a time, so an idle one stalled every client for 10 s."""
    port, stop = served_cli
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
    return jkstool.init_pair(folder, password=PASSWORD, store_type="jks", separate_cas=True).folder


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
def test_serve_sends_jsses_alert_for_a_missing_client_certificate(layout, jsse_25_server, version):
    """serve's contract is today's JSSE: the alert JDK 25's server sends, asked of it in this run."""
    with Serving(layout) as server:
        assert alert(s_client(server.port, version)) == alert(s_client(jsse_25_server, version))
    visit = server.visit
    assert not visit.accepted and visit.reason == "no client certificate (peer did not return a certificate)"


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_serve_docs_name_the_machines_jdk_where_its_alert_differs(layout, jsse_server, java_release, version):
    """An older update sends another alert for a missing certificate (17.0.15: bad_certificate): where the
    JDK on the machine differs from serve, docs/commands.md names that release and its alert."""
    with Serving(layout) as server:
        theirs, ours = alert(s_client(jsse_server[0], version)), alert(s_client(server.port, version))
    assert not server.visit.accepted
    if theirs != ours:
        said = re.sub(r"\s+", " ", (Path(__file__).parents[1] / "docs" / "commands.md").read_text())
        assert f"JDK {java_release} sends `{ALERTS[theirs]}`" in said, (java_release, theirs, ours)


def test_serve_ends_an_untrusted_client_with_an_alert_it_can_read(layout, jsse_server, client_pem, tmp_path):
    """Regression: the socket closed with the client's data unread, so it saw a reset, not the alert."""
    chain, key = tmp_path / "foreign.pem", tmp_path / "foreign-key.pem"  # a client of the JSSE server's CA
    export_pem(jsse_server[1] / "client.keystore.jks", chain=chain, key=key)
    other_chain, other_key = client_pem  # and one from serve's, foreign to the JSSE server
    assert alert(s_client(jsse_server[0], "-cert", other_chain, "-key", other_key)) == 46  # certificate_unknown
    with Serving(layout) as server:
        assert alert(s_client(server.port, "-cert", chain, "-key", key)) == 48  # unknown_ca (docs/commands.md)
    visit = server.visit
    assert not visit.accepted and "CN=client: unable to get local issuer certificate" in visit.reason, visit


# The log line is the command's: a hostile subject is made printable there (api.serve's Visit has it as it is).
def test_cli_serve_logs_a_hostile_subject_on_one_line(served_cli, tmp_path):
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
    port, stop = served_cli
    assert alert(s_client(port, "-cert", cert_path, "-key", key_path)) is not None
    (line,) = stop(1)
    assert "\\x0a2026-01-01T00:00:00Z" in line and "\\x1b[2K" in line and "rejected:" in line
    assert not line.endswith(" accepted")


def test_serve_rejects_a_client_certificate_java_cannot_parse(layout, client_pem, tmp_path):
    """Regression: a version 4 certificate (OpenSSL reads it, Java does not) was logged as none at all."""
    from cryptography import x509
    from helpers import version_4
    ca_key = serialization.load_pem_private_key((layout / "ca" / "client-ca-key.pem").read_bytes(),
                                                PASSWORD.encode())
    leaf = x509.load_pem_x509_certificate(client_pem[0].read_bytes())
    v4 = write_pem(tmp_path / "v4.pem", version_4(leaf, ca_key))
    with Serving(layout) as server:
        assert alert(s_client(server.port, "-cert", v4, "-key", client_pem[1])) is not None
    visit = server.visit
    assert not visit.accepted and visit.subject == "CN=client", visit
    assert "Failed to parse client certificates" in visit.reason, visit


def test_probe_reports_a_server_certificate_java_cannot_parse(layout, tmp_path, default_client):
    """Regression: a version 4 certificate in a probed server's chain was 'unexpected InvalidVersion'."""
    from cryptography import x509
    from helpers import version_4
    pem = tmp_path / "pem"
    pem.mkdir()
    export_pem(layout / "server.keystore.jks", chain=pem / "chain.pem", key=pem / "key.pem")
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
        result = probe_local(port, truststore=layout / "client.truststore.jks")  # a result, not an exception
    finally:
        server.kill()
        server.wait()
    assert not ok and "Failed to parse server certificates" in java_says, java_says
    assert not result.ok and result.connected
    assert result.chain[0].subject == "CN=localhost" and result.trusted is False
    assert says(result, "Java fails with 'Failed to parse server certificates'"), result.problems


# -- snippets on real servers ----------------------------------------------------------------------

def test_snippets_never_inline_the_password(layout):
    for fmt in ("spring-boot", "tomcat", "jvm", "nginx", "apache", "curl"):
        for side in (("server", "client") if fmt in ("spring-boot", "jvm") else (None,)):
            text = snippet(layout, fmt, side=side, password=PASSWORD, replace=True).text  # the password given
            assert PASSWORD not in text and str(layout.resolve()) in text, (fmt, side)
    key = layout / "pem" / "server-key.pem"
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_nginx_accepts_the_layouts_clients_and_refuses_others(layout, tmp_path, nginx, curl, default_client):
    port = free_port()
    server_block = snippet(layout, "nginx", port=port, password=PASSWORD).text
    with Nginx(nginx, tmp_path / "nginx", server_block, port):
        command = shell_command(snippet(layout, "curl", port=port, password=PASSWORD).text)
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
    connector = snippet(layout, "tomcat", port=port).text
    with Tomcat(tomcat_home, tmp_path / "catalina", connector, port, ENV):  # ENV: the password it refers to
        command = shell_command(snippet(layout, "curl", port=port, password=PASSWORD).text)
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
    other = jkstool.init_pair(tmp_path / "other", password=PASSWORD)
    server_block = snippet(layout, "nginx", port=port, password=PASSWORD).text
    with Nginx(nginx, tmp_path / "nginx", server_block, port):
        refused = probe_local(port, keystore=other.store_path("client-keystore"))
        accepted = probe_local(port, keystore=layout / "client.keystore.jks",
                               truststore=layout / "client.truststore.jks")
    assert not refused.ok and not refused.handshake_ok and refused.connected, refused
    assert "The SSL certificate error" in refused.rejected and says(refused, "refused the client"), refused.problems
    assert accepted.ok and accepted.handshake_ok, accepted.problems


def test_probe_expect_sha256_is_a_deploy_check_against_serve(layout):
    leaf = jkstool.read_store(layout / "server.keystore.jks", PASSWORD).store.key_entry("server").chain[0]
    live = hashlib.sha256(leaf).hexdigest()
    stores = {"keystore": layout / "client.keystore.jks", "truststore": layout / "client.truststore.jks"}
    with Serving(layout) as server:
        good = probe_local(server.port, **stores, expect_sha256=live.upper())
    assert server.visit.accepted
    with Serving(layout) as server:
        bad = probe_local(server.port, **stores, expect_sha256="00" * 32)
    assert server.visit.accepted  # the server took the client: the certificate it shows is the problem
    assert good.ok, good.problems
    assert good.chain[0].sha256 == live
    assert not bad.ok and says(bad, f"not the certificate expected ({'00' * 32}: expect_sha256=...)"), bad.problems


def test_probe_reports_the_keystores_own_expired_certificate(layout, tmp_path):
    key = tmp_path / "key.pem"
    export_pem(layout / "client.keystore.jks", key=key)
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from helpers import certificate
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    old = certificate(private, "client", start_days=-60, days=30)  # expired 30 days ago, self-signed
    cert = tmp_path / "old.pem"
    cert.write_bytes(old.public_bytes(serialization.Encoding.PEM))
    assert isinstance(old, x509.Certificate) and old.not_valid_after_utc < dt.datetime.now(dt.timezone.utc)
    import_key(tmp_path / "old.p12", "old", key, cert, password=PASSWORD)
    with Serving(layout) as server:
        result = probe_local(server.port, keystore=tmp_path / "old.p12")
    assert not result.ok and says(result, "the keystore's certificate expired on"), result.problems
