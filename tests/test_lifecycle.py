"""The certificate lifecycle against OpenSSL, keytool and JSSE: requests, replies, PEM keys,
exports, the small keytool jobs, renewal, more clients, CA rollover and revocation."""

import hashlib
import json
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
        result = run("export", layout / f"{side}.keystore.jks", "--chain", tmp_path / f"{side}-chain.pem",
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
    assert run("export", layout / "server.keystore.jks", "--key", key, env=ENV).exit_code == 0
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    openssl("pkey", "-in", key, "-passin", f"pass:{PASSWORD}", "-noout")
    again = run("export", layout / "server.keystore.jks", "--key", key, env=ENV)
    assert again.exit_code == 2 and "--force" in again.stderr


def test_copy_delete_rename_passwd_with_keytool(tmp_path, keytool, keytool_inventory, java_inventory):
    layout = tmp_path / "tls"
    run("init-pair", layout, env=ENV)
    store = tmp_path / "mixed.p12"
    assert run("copy", layout / "server.keystore.jks", store, "--alias", "server", env=ENV).exit_code == 0
    assert run("copy", layout / "client.truststore.jks", store, "--alias", "ca", "--dest-alias", "the-ca",
               env=ENV).exit_code == 0
    again = run("copy", layout / "server.keystore.jks", store, "--alias", "server", env=ENV)
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


def test_renew_keeps_a_byte_exact_backup_and_passes(tmp_path, handshake):
    layout = tmp_path / "tls"
    run("init-pair", layout, env=ENV)
    keystore = layout / "server.keystore.jks"
    old_bytes = keystore.read_bytes()
    result = run("renew", layout, "--side", "server", "--json", env=ENV)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["old"]["serial"] != report["new"]["serial"]
    (backup,) = layout.glob("server.keystore.jks.bak-*")
    assert backup.read_bytes() == old_bytes and report["backups"] == [str(backup)]
    assert run("verify-pair", layout, env=ENV).exit_code == 0
    ok, seen = handshake(layout)
    assert ok, seen
    old_key = formats.read_store(backup, PASSWORD).store["server"].key
    assert formats.read_store(keystore, PASSWORD).store["server"].key != old_key  # a new key by default
    run("renew", layout, "--side", "client", "--keep-key", env=ENV)
    client = formats.read_store(layout / "client.keystore.jks", PASSWORD).store["client"]
    kept = next(layout.glob("client.keystore.jks.bak-*"))
    assert client.key == formats.read_store(kept, PASSWORD).store["client"].key


def test_renew_that_would_fail_verify_pair_changes_nothing(tmp_path):
    layout = tmp_path / "tls"
    run("init-pair", layout, env=ENV)
    run("delete", layout / "client.truststore.jks", "--alias", "ca", env=ENV)  # break the client's trust
    before = {p.name: digest(p) for p in layout.iterdir() if p.is_file()}
    result = run("renew", layout, "--side", "server", env=ENV)
    assert result.exit_code == 1 and "nothing was changed" in result.stderr
    assert {p.name: digest(p) for p in layout.iterdir() if p.is_file()} == before


def test_renew_without_the_ca_key_writes_a_request(tmp_path, openssl):
    layout = tmp_path / "tls"
    run("init-pair", layout, env=ENV)
    (layout / "ca" / "ca-key.pem").rename(tmp_path / "elsewhere.pem")
    before = digest(layout / "server.keystore.jks")
    result = run("renew", layout, "--side", "server", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert "import-reply" in result.stderr and digest(layout / "server.keystore.jks") == before
    text = openssl("req", "-in", layout / "server.csr", "-verify", "-noout", "-text").stdout
    assert b"DNS:localhost" in text and (layout / "server.keystore.next.jks").exists()


def test_add_client_passes_jsse_against_the_unchanged_server(tmp_path, handshake):
    layout = tmp_path / "tls"
    run("init-pair", layout, "--separate-cas", env=ENV)
    server_before = [digest(layout / f"server.{k}.jks") for k in ("keystore", "truststore")]
    result = run("add-client", layout, "--cn", "partner-b", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert "the server needs no change" in result.stderr
    assert [digest(layout / f"server.{k}.jks") for k in ("keystore", "truststore")] == server_before
    ok, seen = handshake(layout / "server.keystore.jks", layout / "server.truststore.jks",
                         layout / "client-partner-b.keystore.jks", layout / "client-partner-b.truststore.jks")
    assert ok, seen
    manifest = json.loads((layout / "layout.json").read_text())
    assert manifest["clients"][0]["alias"] == "partner-b"


@pytest.mark.parametrize("mode,side", [("--separate-cas", "client"), ("--separate-cas", "server"), (None, "both")])
def test_ca_rollover_without_downtime(tmp_path, handshake, mode, side):
    layout = tmp_path / "tls"
    run("init-pair", layout, *([mode] if mode else []), env=ENV)
    run("add-client", layout, "--cn", "partner-b", env=ENV)
    stores = lambda *names: [layout / f"{n}.jks" for n in names]  # noqa: E731
    old_client = tmp_path / "old-client.jks"
    old_client.write_bytes((layout / "client.keystore.jks").read_bytes())
    old_server = tmp_path / "old-server.jks"
    old_server.write_bytes((layout / "server.keystore.jks").read_bytes())

    started = run("rollover-ca", layout, "--side", side, env=ENV)
    assert started.exit_code == 0, started.stderr
    assert run("verify-pair", layout, env=ENV).exit_code == 0
    ok, seen = handshake(*stores("server.keystore", "server.truststore", "client.keystore", "client.truststore"))
    assert ok, seen
    # during the overlap, old certificates still work against the new stores, both ways
    ok, seen = handshake(*stores("server.keystore", "server.truststore"), old_client, layout / "client.truststore.jks")
    assert ok, seen
    ok, seen = handshake(old_server, *stores("server.truststore", "client.keystore", "client.truststore"))
    assert ok, seen
    ok, seen = handshake(*stores("server.keystore", "server.truststore", "client-partner-b.keystore",
                                 "client-partner-b.truststore"))
    assert ok, seen

    finished = run("rollover-ca", layout, "--finish", env=ENV)
    assert finished.exit_code == 0, finished.stderr
    assert run("verify-pair", layout, env=ENV).exit_code == 0
    ok, seen = handshake(layout)
    assert ok, seen
    rolled_client = side in ("client", "both")
    ok, _ = handshake(*stores("server.keystore", "server.truststore"), old_client, layout / "client.truststore.jks")
    assert ok != rolled_client  # the old CA is gone: its old client certificate is refused
    assert "rollover" not in json.loads((layout / "layout.json").read_text())
    again = run("rollover-ca", layout, "--finish", env=ENV)
    assert again.exit_code == 2 and "no CA rollover is under way" in again.stderr


def test_revoke_and_verify_pair_flags_it(tmp_path, openssl):
    layout = tmp_path / "tls"
    run("init-pair", layout, "--separate-cas", env=ENV)
    cert = tmp_path / "client.pem"
    run("export", layout / "client.keystore.jks", "--cert", cert, env=ENV)
    crl = tmp_path / "client-ca.crl"
    ca = ["--ca-cert", layout / "ca" / "client-ca.pem", "--ca-key", layout / "ca" / "client-ca-key.pem",
          "--ca-keypass", "env:JKSTOOL_STOREPASS", "--crl", crl]
    result = run("revoke", cert, *ca, "--json", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["revoked"][0]["status"] == "revoked"
    text = openssl("crl", "-in", crl, "-CAfile", layout / "ca" / "client-ca.pem", "-noout", "-text")
    assert b"verify OK" in text.stderr + text.stdout
    serial = format(certs.load(certfile.parse_certificates(cert.read_bytes())[0]).serial_number, "X")
    assert serial.encode() in text.stdout and b"CRL Number: \n                1" in text.stdout.replace(b" ", b" ")
    again = run("revoke", cert, *ca, "--json", env=ENV)
    assert json.loads(again.stdout)["revoked"][0]["status"] == "already revoked"
    assert b"CRL Number: \n                2" in openssl("crl", "-in", crl, "-noout", "-text").stdout
    report = json.loads(run("verify-pair", layout, "--crl", crl, "--json", env=ENV).stdout)
    codes = {f["code"]: f["severity"] for f in report["findings"]}
    assert codes["cert-revoked"] == "error" and codes["crl-not-enforced"] == "info" and not report["ok"]
    later = json.loads(run("verify-pair", layout, "--crl", crl, "--json", "--at",
                           time.strftime("%Y-%m-%d", time.gmtime(time.time() + 40 * 86400)), env=ENV).stdout)
    assert "crl-stale" in {f["code"] for f in later["findings"]}


def test_revoke_refuses_a_certificate_of_another_ca(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    run("init-pair", ours, env=ENV)
    run("init-pair", theirs, env=ENV)
    cert = tmp_path / "c.pem"
    run("export", theirs / "client.keystore.jks", "--cert", cert, env=ENV)
    result = run("revoke", cert, "--ca-cert", ours / "ca" / "ca.pem", "--ca-key", ours / "ca" / "ca-key.pem",
                 "--ca-keypass", "env:JKSTOOL_STOREPASS", "--crl", tmp_path / "x.crl", env=ENV)
    assert result.exit_code == 2 and "is not issued by this CA" in result.stderr
    assert not (tmp_path / "x.crl").exists()
