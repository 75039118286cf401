"""jkstool.testing: a mutual-TLS pair for test suites, judged by real handshakes (Python's ssl and JSSE),
and the pytest plugin that hands it out."""

import os
import socket
import ssl
import subprocess
import sys
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import jkstool
from jkstool import files
from jkstool.testing import Pair

PASSWORD = "changeit"


def contexts(pair: Pair) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server, client = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pair.configure_server(server)
    pair.configure_client(client)
    return server, client


def exchange(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, hostname: str = "localhost"):
    """One connection on 127.0.0.1: the client sends a line, the server answers with the CN of the client's
    certificate. Returns (the answer, or the error the client got; the server's error, or None). The
    client reads after the handshake: with TLS 1.3 a refused client certificate shows only then."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    refused: list[Exception] = []

    def serve():
        conn, _ = listener.accept()
        conn.settimeout(10)
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                line = tls.makefile("rb").readline()
                cn = dict(rdn[0] for rdn in tls.getpeercert()["subject"])["commonName"]
                tls.sendall(f"{cn} said ".encode() + line)
        except OSError as e:
            refused.append(e)
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection(listener.getsockname(), timeout=10) as raw, \
                client_ctx.wrap_socket(raw, server_hostname=hostname) as tls:
            tls.sendall(b"ping\n")
            answer = tls.makefile("rb").readline()
    except OSError as e:
        answer = e
    finally:
        thread.join(10)
        listener.close()
    return answer, refused[0] if refused else None


@pytest.mark.parametrize("separate_cas", [False, True], ids=["one-ca", "separate-cas"])
@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1"])
def test_python_ssl_completes_a_mutual_tls_exchange(separate_cas, hostname):
    answer, refused = exchange(*contexts(Pair(separate_cas=separate_cas)), hostname)
    assert (answer, refused) == (b"client said ping\n", None)


def test_a_client_of_another_pair_is_refused_by_the_server():
    """The stranger trusts this server (so only the server can refuse), but its certificate is another CA's."""
    pair, stranger = Pair(), Pair()
    server, _ = contexts(pair)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    stranger.client.configure_cert(client)
    pair.server_ca.configure_trust(client)
    answer, refused = exchange(server, client)
    assert isinstance(answer, OSError), answer
    assert isinstance(refused, ssl.SSLCertVerificationError), refused


def test_a_client_without_a_certificate_is_refused():
    """configure_server requires a client certificate: a server context asks for none by default."""
    pair = Pair()
    server, _ = contexts(pair)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pair.server_ca.configure_trust(client)
    answer, refused = exchange(server, client)
    assert server.verify_mode == ssl.CERT_REQUIRED
    assert isinstance(answer, OSError), answer
    assert isinstance(refused, ssl.SSLError) and "CERTIFICATE" in refused.reason, refused


def test_issued_leaves_are_trusted_by_the_other_side(jkstool_pair):
    """Another server leaf, dialled by its own name, and another client, each from its side's CA."""
    pair = jkstool_pair
    server_leaf = pair.issue_cert("example.test", "IP:10.0.0.7", side="server")
    client_leaf = pair.issue_cert("alice", "URI:spiffe://example.test/alice")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_leaf.configure_cert(server)
    pair.client_ca.configure_trust(server)
    server.verify_mode = ssl.CERT_REQUIRED
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_leaf.configure_cert(client)
    pair.server_ca.configure_trust(client)
    assert exchange(server, client, "example.test") == (b"alice said ping\n", None)
    sans = server_leaf.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["example.test"]


def test_the_pem_accessors_hold_the_key_and_its_chain(jkstool_pair):
    leaf = jkstool_pair.server
    chain = [x509.load_pem_x509_certificate(pem) for pem in leaf.cert_chain_pems]
    key = serialization.load_pem_private_key(leaf.private_key_pem, None)
    assert chain == [leaf.cert, x509.load_pem_x509_certificate(jkstool_pair.server_ca.cert_pem)]
    assert key.public_key() == leaf.cert.public_key()
    assert leaf.private_key_and_cert_chain_pem == leaf.private_key_pem + b"".join(leaf.cert_chain_pems)


@pytest.mark.parametrize("store_type, separate_cas", [("pkcs12", False), ("jks", True)])
def test_jsse_completes_a_handshake_with_the_written_layout(handshake, tmp_path, store_type, separate_cas):
    pair = Pair(separate_cas=separate_cas)
    layout = pair.write(tmp_path / "tls", password=PASSWORD, store_type=store_type)
    assert handshake(layout.folder, password=PASSWORD) == (True, "OK")
    assert jkstool.verify_pair(layout.folder, password=PASSWORD).ok
    keystore = jkstool.read_store(layout.store_path("server-keystore"), PASSWORD).store
    assert keystore.key_entry("server").chain[0] == pair.server.cert.public_bytes(serialization.Encoding.DER)
    properties = layout.system_properties("server", PASSWORD)
    assert properties["javax.net.ssl.keyStoreType"] == {"pkcs12": "PKCS12", "jks": "JKS"}[store_type]


def test_jsse_refuses_a_client_of_another_pair(handshake, tmp_path):
    ours = Pair().write(tmp_path / "ours", password=PASSWORD).stores()
    theirs = Pair().write(tmp_path / "theirs", password=PASSWORD).stores()
    ok, seen = handshake(ours["server-keystore"], ours["server-truststore"], theirs["client-keystore"],
                         ours["client-truststore"], password=PASSWORD)
    assert not ok, seen


def test_written_key_files_are_private(tmp_path):
    layout = Pair(separate_cas=True).write(tmp_path / "tls", password=PASSWORD)
    written = layout.files()
    private = {role: files.mode(path) for role, path in written.items() if files.mode(path) == 0o600}
    assert set(private) == {"server-keystore", "client-keystore", "server-ca-key", "client-ca-key"}
    assert sorted(path.name for path in layout.stores().values())[0] == "client.keystore.p12"
    with pytest.raises(jkstool.JkstoolError, match="already exists .give replace=True"):
        Pair().write(tmp_path / "tls", password=PASSWORD)
    replaced = Pair(separate_cas=True).write(tmp_path / "tls", password=PASSWORD, replace=True)
    assert replaced.backups and files.mode(layout.store_path("server-keystore")) == 0o600


class RecordingContext(ssl.SSLContext):
    """An SSLContext that notes the file each key is loaded from, and its mode and its folder's."""

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        self.loaded = (certfile, files.mode(certfile), files.mode(os.path.dirname(certfile)))
        super().load_cert_chain(certfile, keyfile, password)


def test_a_key_reaches_python_ssl_through_a_private_file_removed_at_once(jkstool_pair):
    ctx = RecordingContext(ssl.PROTOCOL_TLS_SERVER)
    jkstool_pair.configure_server(ctx)
    path, mode, folder_mode = ctx.loaded
    assert (mode, folder_mode) == (0o600, 0o700)
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


@pytest.mark.parametrize("separate_cas", [False, True])
def test_repr_shows_names_never_key_material(separate_cas):
    pair = Pair(separate_cas=separate_cas)
    key_body = b"".join(pair.server.private_key_pem.splitlines()[1:-1]).decode()
    key_der = pair.server.key_entry("server").key
    assert "CN=localhost" in repr(pair) and "IP:127.0.0.1" in repr(pair) and "CA " in repr(pair)
    for shown in (repr(pair), repr(pair.server), repr(pair.client), repr(pair.server_ca)):
        assert "PRIVATE" not in shown and "BEGIN" not in shown and "b'" not in shown, shown
        assert key_body[:16] not in shown and key_der.hex()[:16] not in shown, shown


def test_unknown_sides_and_store_types_are_refused(jkstool_pair, tmp_path):
    with pytest.raises(jkstool.JkstoolError, match="no side 'proxy'"):
        jkstool_pair.issue_cert("proxy.test", side="proxy")
    with pytest.raises(jkstool.JkstoolError, match="pkcs12 or jks"):
        jkstool_pair.write(tmp_path / "tls", password=PASSWORD, store_type="pem")
    assert not (tmp_path / "tls").exists()


def test_the_plugin_is_registered_and_shares_one_pair(jkstool_pair, pytestconfig, request):
    import jkstool.pytest_plugin
    assert pytestconfig.pluginmanager.get_plugin("jkstool") is jkstool.pytest_plugin
    assert isinstance(jkstool_pair, Pair)
    assert request.getfixturevalue("jkstool_pair") is jkstool_pair


def test_loading_the_plugin_imports_nothing_heavy():
    """pytest loads the plugin in every session of the environment: it must cost nothing until used."""
    code = "import sys, jkstool.pytest_plugin; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('cryptography', 'Cryptodome', 'OpenSSL')) + [m for m in sys.modules if m.startswith('jkstool.')])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['jkstool.pytest_plugin']"
