"""Hostile peers and chains (issue: hardening, second round): path building over CAs of one name that can each
issue another, a server that sends its handshake a byte at a time, and idle connections queued ahead of a
good client of serve. Each ends in a result, in bounded time and memory."""

import datetime
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from helpers import PASSWORD, certificate, der, new_key, pkcs8
from hostile import measure
from servers import free_port, wait_for_port

import jkstool
from jkstool import formats, limits
from jkstool.api import export_entry, outputs
from jkstool.model import PrivateKeyEntry, Store, TrustedCertEntry
from jkstool.mtls import jdk as jdks
from jkstool.mtls import pkix
from jkstool.net import probe as wire

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
CAS = 9
"""Self-issued CAs in the hostile chain: with the leaf, the ten certificates a peer may send."""


def _same_named_ca(key, n: int) -> x509.Certificate:
    """A self-issued CA named "CN=Loop CA" on `key`, told apart from its siblings only by its SAN (so Java's
    builder, which skips a certificate of the path's subject, key and SANs, takes each as another vertex)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loop CA")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(n + 1).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"ca{n}.loop.test")]), critical=False)
            .sign(key, hashes.SHA256()))


@pytest.fixture(scope="module")
def loop():
    """A leaf and CAS CAs of one name, each able to issue every other: (leaf key, chain as DER, an unrelated
    root). Every order of the CAs is a path to try: about a million for nine."""
    ca_key, leaf_key = new_key("ec"), new_key("ec")
    cas = [_same_named_ca(ca_key, n) for n in range(CAS)]
    leaf = certificate(leaf_key, "localhost", cas[0], ca_key)
    other = certificate(new_key("ec"), "Other Root", ca=True)
    return leaf_key, [der(leaf), *map(der, cas)], der(other)


@pytest.fixture
def loop_stores(loop, tmp_path):
    """The loop as a JKS keystore (its chain kept as written) and a truststore of an unrelated root."""
    leaf_key, chain, other = loop
    keystore, truststore = tmp_path / "loop.jks", tmp_path / "trust.jks"
    formats.write_store(keystore, Store([PrivateKeyEntry("leaf", pkcs8(leaf_key), tuple(chain))]), "jks", PASSWORD)
    formats.write_store(truststore, Store([TrustedCertEntry("other", other)]), "jks", PASSWORD)
    return keystore, truststore


# -- path building ----------------------------------------------------------------------------------------

def test_verify_pair_over_same_named_cas_ends_in_a_finding_in_seconds(loop_stores):
    keystore, truststore = loop_stores
    assert keystore.stat().st_size < 4000
    outcome = measure(["verify-pair", "--model-only", "--server-keystore", keystore, "--server-truststore",
                       truststore, "--client-keystore", keystore, "--client-truststore", truststore], ENV, timeout=30)
    assert outcome.code == 1, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert "jkstool stopped building its path after trying 5,000 candidate issuers (its limit)" in \
        " ".join(outcome.stdout.split()), outcome.stdout
    assert outcome.seconds < 8 and outcome.peak_mib < 200, (outcome.seconds, outcome.peak_mib)


def test_a_cut_off_search_finds_no_path_and_says_why(loop):
    _, chain, other = loop
    verdict = pkix.validate(chain, [other], "tls server", jdks.find(), datetime.datetime.now(datetime.timezone.utc))
    assert not verdict.ok and verdict.built and verdict.problem is not None
    assert verdict.problem.code == "untrusted" and verdict.problem.cert == chain[0]
    assert verdict.problem.java == "unable to find valid certification path to requested target"
    assert f"after trying {limits.PATH_CANDIDATES:,} candidate issuers" in verdict.problem.what
    assert "remove the extra ones from the chain" in verdict.problem.fix


def test_path_building_stops_at_a_deadline(loop, monkeypatch):
    _, chain, other = loop
    monkeypatch.setattr(limits, "PATH_CANDIDATES", 10**9)
    started = time.monotonic()
    with pkix.within(started + 0.3) as judging:
        verdict = pkix.validate(chain, [other], "tls server", jdks.find(),
                                datetime.datetime.now(datetime.timezone.utc))
    assert time.monotonic() - started < 1.5
    assert not verdict.ok and verdict.problem is not None and "at the deadline" in verdict.problem.what
    assert judging.cut == [verdict.problem.what]


def test_a_real_chain_is_built_whatever_the_deadline(loop, tmp_path):
    """The clock is read every few steps only, so a chain that needs few is judged even past the deadline."""
    folder = jkstool.init_pair(tmp_path / "tls", password=PASSWORD).folder
    store = formats.read_store(folder / "client.keystore.p12", PASSWORD)
    (entry,) = [e for e in getattr(store, "store", store) if isinstance(e, PrivateKeyEntry)]
    trust = formats.read_store(folder / "server.truststore.p12", PASSWORD)
    anchors = [e.cert for e in getattr(trust, "store", trust) if isinstance(e, TrustedCertEntry)]
    stray = loop[2]  # sent after the leaf, naming nothing on its path: the path is built, not taken as sent
    with pkix.within(time.monotonic() - 1) as judging:
        verdict = pkix.validate([entry.chain[0], stray], anchors, "tls client", jdks.find(),
                                datetime.datetime.now(datetime.timezone.utc))
    assert verdict.ok and verdict.built and judging.cut == [], verdict.problem


# -- probe --------------------------------------------------------------------------------------------------

HELLO_REQUEST = b"\x16\x03\x03\x00\x04\x00\x00\x00\x00"
"""A handshake record holding a HelloRequest, which a client in the middle of a handshake skips."""


class _Stream:
    """A raw TCP server that answers every connection with a never-ending handshake, for as long as the client
    reads: "dribble", a TLS record header announcing 16 KiB, then one byte of it every 50 ms; "flood",
    HelloRequest records as fast as the socket takes them."""

    def __init__(self, kind):
        self.kind = kind
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._send, args=(sock,), daemon=True).start()

    def _send(self, sock):
        with sock:
            try:
                while self.kind == "flood" and not self.stop.is_set():
                    sock.sendall(HELLO_REQUEST * 4096)
                for byte in b"\x16\x03\x03\x40\x00" + bytes(16384):
                    if self.stop.is_set():
                        return
                    sock.sendall(bytes([byte]))
                    time.sleep(0.05)
            except OSError:
                return

    def close(self):
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("kind", ["dribble", "flood"])
def test_probe_of_a_server_that_never_ends_its_handshake_ends_at_the_timeout(kind):
    """Regression: the deadline was checked only when nothing was readable, and one handshake call read the
    socket for as long as the server kept it fed (the flood ran until killed)."""
    server = _Stream(kind)
    try:
        outcome = measure(["probe", f"127.0.0.1:{server.port}", "--timeout", "2"], timeout=20)
    finally:
        server.close()
    assert outcome.code == 1, outcome.stderr
    assert outcome.stderr == "problem: the handshake failed: timed out after 2 s\n", outcome.stderr
    assert outcome.seconds < 4, outcome.seconds


def _tls_server(chain_pem, key_pem):
    """A TLS server on 127.0.0.1 presenting `chain_pem` to one client, answering its request: (port, thread)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_pem, key_pem)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve():
        with listener:
            try:
                sock, _ = listener.accept()
                with context.wrap_socket(sock, server_side=True) as conn:
                    conn.settimeout(5)
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            except OSError:
                pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_probe_judges_the_servers_chain_within_its_timeout(loop, tmp_path, monkeypatch):
    """Building the path of the chain a server sent runs under the probe's deadline too (here with no budget
    for it to end at first)."""
    leaf_key, chain, other = loop
    chain_pem, key_pem = tmp_path / "chain.pem", tmp_path / "key.pem"
    chain_pem.write_bytes(b"".join(x509.load_der_x509_certificate(c).public_bytes(serialization.Encoding.PEM)
                                   for c in chain))
    key_pem.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    port, server = _tls_server(chain_pem, key_pem)
    monkeypatch.setattr(limits, "PATH_CANDIDATES", 10**9)
    started = time.monotonic()
    result = wire.probe("127.0.0.1", port, "localhost", 1.5, None, [TrustedCertEntry("other", other)])
    elapsed = time.monotonic() - started
    server.join(5)
    assert result.handshake_ok and len(result.chain) == CAS + 1, result
    assert result.trust is not None and not result.trust.ok
    assert result.cut_short and "at the deadline" in result.cut_short
    problems = result.problems(keystore_given=False, truststore_given=True)
    assert f"the server's chain does not lead to the truststore: {result.cut_short}" in problems
    assert elapsed < 2.5, elapsed


# -- serve --------------------------------------------------------------------------------------------------

@pytest.fixture
def layout(tmp_path):
    return jkstool.init_pair(tmp_path / "tls", password=PASSWORD, store_type="jks", separate_cas=True).folder


@pytest.fixture
def serving(layout):
    """`jkstool serve` on the layout's server stores, in a process of its own: its port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jkstool", "serve", "--keystore", layout / "server.keystore.jks", "--truststore",
         layout / "server.truststore.jks", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **ENV})
    try:
        wait_for_port(port)
        yield port
    finally:
        server.kill()
        server.wait()


def test_serve_answers_a_good_client_behind_100_idle_connections(layout, serving, tmp_path):
    """Regression: 32 workers each held an idle connection for 10 s while the rest waited in the listen queue,
    so a good client behind 100 of them waited 36 s."""
    chain, key = tmp_path / "client-chain.pem", tmp_path / "client-key.pem"
    export = export_entry(layout / "client.keystore.jks", password=PASSWORD, with_key=True, encrypt_key=False)
    outputs.write_files(export.files(chain=chain, key=key))
    context = ssl.create_default_context(cafile=layout / "ca" / "server-ca.pem")
    context.load_cert_chain(chain, key)
    idle = [socket.create_connection(("127.0.0.1", serving)) for _ in range(100)]
    try:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", serving), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as conn:
                conn.sendall(b"hello\n")
                answer = conn.recv(1024).decode()
        elapsed = time.monotonic() - started
    finally:
        for sock in idle:
            sock.close()
    assert answer == "hello CN=client: mutual TLS works\n"
    assert elapsed < 3, elapsed


def test_serve_closes_a_connection_whose_time_ran_out_in_the_queue_at_once():
    """A visit's deadline counts from its accept: an idle connection that waited for a worker all its time is
    closed as soon as one takes it, not given VISIT_SECONDS more."""
    from OpenSSL import SSL

    from jkstool.net import endpoint
    with socket.create_server(("127.0.0.1", 0)) as listener, \
            socket.create_connection(listener.getsockname()) as idle:
        sock, address = listener.accept()
        started = time.monotonic()
        visit = endpoint._visit(SSL.Context(SSL.TLS_METHOD), sock, address,
                                accepted=started - endpoint.VISIT_SECONDS - 1)
        assert time.monotonic() - started < 0.5
        assert visit.reason == f"no TLS handshake within {endpoint.VISIT_SECONDS} s (an idle connection)"
        assert idle.recv(1) == b""  # closed
