"""The certificate lifecycle against OpenSSL, keytool and JSSE: requests, replies, PEM keys, exports and
the small keytool jobs. (A layout's own life — renewal, clients, rollover, revocation — is in
test_layout_life.py.)"""

import hashlib
import socket
import stat
import subprocess
import time

import pytest
from helpers import PASSWORD, run

from jkstool import formats
from jkstool.formats import certfile
from jkstool.pki import certs

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def openssl_ca(tmp_path, openssl):
    """An OpenSSL CA (a root, EC P-256), and a way to sign with it."""
    folder = tmp_path / "openssl-ca"
    folder.mkdir()
    key, cert = folder / "ca.key", folder / "ca.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", cert, "-subj", "/CN=OpenSSL Test CA", "-days", "30",
            "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def sign(csr, out, eku, copy_extensions=False):
        ext = folder / f"{out.name}.ext"
        ext.write_text(f"extendedKeyUsage={eku}\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        openssl("x509", "-req", "-in", csr, "-CA", cert, "-CAkey", key, "-CAcreateserial", "-out", out,
                "-days", "30", "-extfile", ext, *(["-copy_extensions", "copyall"] if copy_extensions else []))
        return out
    sign.cert, sign.key = cert, key
    return sign


KEY_RECIPES = {
    "rsa-pkcs1": (["genrsa", "-traditional", "-out", "{key}", "2048"], None),
    "ec-sec1": (["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "{key}"], None),
    "encrypted-pkcs8": (["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                         "-aes-256-cbc", "-pass", "pass:key-secret", "-out", "{key}"], "key-secret"),
}


@pytest.mark.parametrize("recipe", KEY_RECIPES)
def test_openssl_keys_become_key_entries_that_jsse_uses(tmp_path, openssl, openssl_ca, recipe, handshake):
    command, keypass = KEY_RECIPES[recipe]
    for side, eku in (("server", "serverAuth"), ("client", "clientAuth")):
        key = tmp_path / f"{side}.key"
        openssl(*[part.format(key=key) for part in command])
        csr = tmp_path / f"{side}.csr"
        openssl("req", "-new", "-key", key, "-subj", f"/CN={side}", "-out", csr,
                *(["-passin", f"pass:{keypass}"] if keypass else []))
        cert = openssl_ca(csr, tmp_path / f"{side}.pem", eku)
        args = ["import-key", tmp_path / f"{side}.keystore.p12", "--alias", side, "--key", key, "--cert", cert]
        if keypass:
            args += ["--src-keypass", "env:KEYPASS"]
        result = run(*args, env={**ENV, "KEYPASS": keypass or ""})
        assert result.exit_code == 0, result.stderr
        assert run("import-ca", tmp_path / f"{side}.truststore.p12", openssl_ca.cert, env=ENV).exit_code == 0
    ok, seen = handshake(tmp_path, store_type="pkcs12")
    assert ok, seen


def test_import_key_refuses_a_certificate_for_another_key(tmp_path, openssl, openssl_ca):
    for name in ("a", "b"):
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", tmp_path / f"{name}.key")
    openssl("req", "-new", "-key", tmp_path / "b.key", "-subj", "/CN=b", "-out", tmp_path / "b.csr")
    cert = openssl_ca(tmp_path / "b.csr", tmp_path / "b.pem", "clientAuth")
    result = run("import-key", tmp_path / "k.p12", "--alias", "a", "--key", tmp_path / "a.key", "--cert", cert,
                 env=ENV)
    assert result.exit_code == 2 and "does not belong to any of the certificates" in result.stderr
    assert not (tmp_path / "k.p12").exists()


def test_csr_sign_reply_round_trip_with_openssl(tmp_path, openssl, openssl_ca, keytool_inventory):
    store = tmp_path / "server.p12"
    assert run("genkey", store, "--alias", "server", "--cn", "api.example.test", "--san", "DNS:api.example.test",
               "--san", "IP:10.1.2.3", env=ENV).exit_code == 0
    csr = tmp_path / "server.csr"
    assert run("csr", store, "--alias", "server", "--out", csr, env=ENV).exit_code == 0
    text = openssl("req", "-in", csr, "-verify", "-noout", "-text")
    assert b"verify OK" in text.stderr + text.stdout
    assert b"DNS:api.example.test, IP Address:10.1.2.3" in text.stdout
    reply = openssl_ca(csr, tmp_path / "reply.pem", "serverAuth", copy_extensions=True)
    before = digest(store)
    other = tmp_path / "other.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", tmp_path / "other.key", "-out", other, "-subj", "/CN=other", "-days", "1")
    refused = run("import-reply", store, other, "--alias", "server", "--ca", openssl_ca.cert, env=ENV)
    assert refused.exit_code == 2 and "the reply is for another key" in refused.stderr
    assert digest(store) == before
    incomplete = run("import-reply", store, reply, "--alias", "server", env=ENV)
    assert incomplete.exit_code == 2 and "cannot complete the chain" in incomplete.stderr
    assert digest(store) == before
    done = run("import-reply", store, reply, "--alias", "server", "--ca", openssl_ca.cert, env=ENV)
    assert done.exit_code == 0, done.stderr
    (kind, chain), = keytool_inventory(store).values()
    assert kind == "PrivateKeyEntry"
    assert chain == (certs.sha256(certfile.parse_certificates(reply.read_bytes())[0]),
                     certs.sha256(certfile.parse_certificates(openssl_ca.cert.read_bytes())[0]))


@pytest.mark.parametrize("profile,purpose", [("server", "sslserver"), ("client", "sslclient")])
def test_sign_output_verifies_with_openssl(tmp_path, openssl, profile, purpose):
    layout = tmp_path / "tls"
    assert run("init-pair", layout, env=ENV).exit_code == 0
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", tmp_path / "x.key", "-subj", "/CN=x.example.test", "-out", tmp_path / "x.csr",
            "-addext", "subjectAltName=DNS:x.example.test")
    out = tmp_path / "x.pem"
    result = run("sign", tmp_path / "x.csr", "--ca-cert", layout / "ca" / "ca.pem", "--ca-key",
                 layout / "ca" / "ca-key.pem", "--ca-keypass", "env:JKSTOOL_STOREPASS", "--profile", profile,
                 "--out", out, env=ENV)
    assert result.exit_code == 0, result.stderr
    assert out.read_text().count("BEGIN CERTIFICATE") == 2  # the certificate, then the CA chain
    verified = openssl("verify", "-purpose", purpose, "-CAfile", layout / "ca" / "ca.pem", out)
    assert b": OK" in verified.stdout
    wrong = openssl("verify", "-purpose", "sslclient" if profile == "server" else "sslserver",
                    "-CAfile", layout / "ca" / "ca.pem", out, check=False)
    assert wrong.returncode != 0


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_exported_pem_completes_an_openssl_mutual_handshake(tmp_path, openssl):
    layout = tmp_path / "tls"
    assert run("init-pair", layout, env=ENV).exit_code == 0
    for side in ("server", "client"):
        result = run("export", layout / f"{side}.keystore.p12", "--chain", tmp_path / f"{side}-chain.pem",
                     "--key", tmp_path / f"{side}-key.pem", "--no-encrypt-key", env=ENV)
        assert result.exit_code == 0, result.stderr
        assert stat.S_IMODE((tmp_path / f"{side}-key.pem").stat().st_mode) == 0o600
    port = _free_port()
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", "-rev",
         "-cert", tmp_path / "server-chain.pem", "-key", tmp_path / "server-key.pem",
         "-CAfile", layout / "ca" / "ca.pem", "-Verify", "1", "-verify_return_error"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.5)
        command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-cert", tmp_path / "client-chain.pem",
                   "-key", tmp_path / "client-key.pem", "-CAfile", layout / "ca" / "ca.pem",
                   "-verify_return_error", "-servername", "localhost", "-quiet", "-no_ign_eof"]
        client = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        client.stdin.write("hello jkstool\n")
        client.stdin.flush()
        answer = client.stdout.readline()  # the server's reply, then end the session
        client.stdin.close()
        client.wait(timeout=20)
    finally:
        server_out = server.communicate(timeout=20)[0]
    assert answer.strip() == "lootskj olleh", server_out
    assert "CN=client" in server_out or "CN = client" in server_out


def test_export_encrypts_the_key_with_the_store_password(tmp_path, openssl):
    layout = tmp_path / "tls"
    run("init-pair", layout, env=ENV)
    key = tmp_path / "k.pem"
    assert run("export", layout / "server.keystore.p12", "--key", key, env=ENV).exit_code == 0
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    openssl("pkey", "-in", key, "-passin", f"pass:{PASSWORD}", "-noout")
    again = run("export", layout / "server.keystore.p12", "--key", key, env=ENV)
    assert again.exit_code == 2 and "--force" in again.stderr


def test_copy_delete_rename_passwd_with_keytool(tmp_path, keytool, keytool_inventory, java_inventory):
    layout = tmp_path / "tls"
    run("init-pair", layout, env=ENV)
    store = tmp_path / "mixed.p12"
    assert run("copy", layout / "server.keystore.p12", store, "--alias", "server", env=ENV).exit_code == 0
    assert run("copy", layout / "client.truststore.p12", store, "--alias", "ca", "--dest-alias", "the-ca",
               env=ENV).exit_code == 0
    again = run("copy", layout / "server.keystore.p12", store, "--alias", "server", env=ENV)
    assert again.exit_code == 2 and "exists" in again.stderr
    assert run("rename", store, "--alias", "server", "--dest-alias", "api", env=ENV).exit_code == 0
    assert sorted(keytool_inventory(store)) == ["api", "the-ca"]
    assert run("delete", store, "--alias", "the-ca", env=ENV).exit_code == 0
    assert sorted(keytool_inventory(store)) == ["api"]
    mode = stat.S_IMODE(store.stat().st_mode)
    result = run("passwd", store, "--new-storepass", "env:NEW", env={**ENV, "NEW": "n3w-pass"})
    assert result.exit_code == 0, result.stderr
    assert java_inventory(store, password="n3w-pass")[str(store)]["api"][2] == "key-ok"
    assert stat.S_IMODE(store.stat().st_mode) == mode
    jks = tmp_path / "k.jks"
    run("copy", store, jks, "--alias", "api", "--storepass", "env:NEW", "--dest-storepass", "env:NEW",
        env={"NEW": "n3w-pass"})
    result = run("passwd", jks, "--alias", "api", "--new-keypass", "env:KP", "--storepass", "env:NEW",
                 env={"NEW": "n3w-pass", "KP": "key-only"})
    assert result.exit_code == 0 and "Cannot recover key" in result.stderr
    keytool("-keypasswd", "-keystore", jks, "-alias", "api", "-keypass", "key-only", "-new", "back-again",
            password="n3w-pass")  # keytool opens the key with its own password
    # the key keeps its own password through an edit of the store
    result = run("passwd", jks, "--new-storepass", "env:NEWER", "--storepass", "env:NEW", "--keypass", "env:KP",
                 env={"NEW": "n3w-pass", "NEWER": "newer-pass", "KP": "back-again"})
    assert result.exit_code == 0, result.stderr
    loaded = formats.read_store(jks, "newer-pass", "back-again")
    assert loaded.store["api"].key_password == "back-again"
