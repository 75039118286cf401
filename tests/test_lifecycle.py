"""The certificate lifecycle against OpenSSL, keytool and JSSE: requests, replies, PEM keys, exports and
the small keytool jobs. (A layout's own life — renewal, clients, rollover, revocation — is in
test_layout_life.py.) Each is played through the Python API; the tests named test_cli_* check only what the
command line adds: its options, exit codes and messages."""

import hashlib
import socket
import stat
import subprocess
import time

import pytest
from helpers import PASSWORD, run

from jkstool import JkstoolError, formats
from jkstool.api import (
    change_password,
    copy_entry,
    create_request,
    delete_entry,
    export_entry,
    generate_key,
    import_ca,
    import_key,
    init_pair,
    install_reply,
    load_ca,
    outputs,
    rename_entry,
    sign_request,
)
from jkstool.formats import certfile
from jkstool.pki import certs

ENV = {"JKSTOOL_STOREPASS": PASSWORD}  # for the tests of the command line (named test_cli_*)


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


def openssl_key_and_cert(tmp_path, openssl, openssl_ca, name, eku, recipe="ec-sec1"):
    """A key made by OpenSSL (as `recipe` says) and its certificate from the OpenSSL CA."""
    command, keypass = KEY_RECIPES[recipe]
    key = tmp_path / f"{name}.key"
    openssl(*[part.format(key=key) for part in command])
    csr = tmp_path / f"{name}.csr"
    openssl("req", "-new", "-key", key, "-subj", f"/CN={name}", "-out", csr,
            *(["-passin", f"pass:{keypass}"] if keypass else []))
    return key, openssl_ca(csr, tmp_path / f"{name}.pem", eku)


@pytest.mark.parametrize("recipe", KEY_RECIPES)
def test_openssl_keys_become_key_entries_that_jsse_uses(tmp_path, openssl, openssl_ca, recipe, handshake):
    keypass = KEY_RECIPES[recipe][1]
    for side, eku in (("server", "serverAuth"), ("client", "clientAuth")):
        key, cert = openssl_key_and_cert(tmp_path, openssl, openssl_ca, side, eku, recipe)
        entry = import_key(tmp_path / f"{side}.keystore.p12", side, key, cert, key_file_password=keypass,
                           password=PASSWORD)
        assert entry.alias == side and entry.chain[0] == certfile.read_certificates(cert)[0]
        trusted = import_ca(tmp_path / f"{side}.truststore.p12", [openssl_ca.cert], password=PASSWORD)
        assert len(trusted.added) == 1
    ok, seen = handshake(tmp_path, store_type="pkcs12")
    assert ok, seen


def test_import_key_refuses_a_certificate_for_another_key(tmp_path, openssl, openssl_ca):
    for name in ("a", "b"):
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", tmp_path / f"{name}.key")
    openssl("req", "-new", "-key", tmp_path / "b.key", "-subj", "/CN=b", "-out", tmp_path / "b.csr")
    cert = openssl_ca(tmp_path / "b.csr", tmp_path / "b.pem", "clientAuth")
    with pytest.raises(JkstoolError, match="does not belong to any of the certificates"):
        import_key(tmp_path / "k.p12", "a", tmp_path / "a.key", cert, password=PASSWORD)
    assert not (tmp_path / "k.p12").exists()


def test_cli_import_key_reads_its_password_options_and_exits_2_on_a_refusal(tmp_path, openssl, openssl_ca):
    """The command line: --src-keypass and --storepass from the environment, exit 0, and a refusal as exit 2
    with its reason on stderr (what is refused and why: test_import_key_refuses_a_certificate_for_another_key)."""
    key, cert = openssl_key_and_cert(tmp_path, openssl, openssl_ca, "client", "clientAuth", "encrypted-pkcs8")
    store = tmp_path / "client.keystore.p12"
    result = run("import-key", store, "--alias", "client", "--key", key, "--cert", cert, "--src-keypass",
                 "env:KEYPASS", env={**ENV, "KEYPASS": "key-secret"})
    assert result.exit_code == 0, result.stderr
    assert [e.alias for e in formats.read_store(store, PASSWORD).store] == ["client"]
    other, _ = openssl_key_and_cert(tmp_path, openssl, openssl_ca, "other", "clientAuth")
    refused = run("import-key", tmp_path / "k.p12", "--alias", "a", "--key", other, "--cert", cert, env=ENV)
    assert refused.exit_code == 2 and "does not belong to any of the certificates" in refused.stderr
    assert not (tmp_path / "k.p12").exists()


def test_csr_sign_reply_round_trip_with_openssl(tmp_path, openssl, openssl_ca, keytool_inventory):
    store = tmp_path / "server.p12"
    generate_key(store, "server", "api.example.test", sans=["DNS:api.example.test", "IP:10.1.2.3"],
                 password=PASSWORD)
    csr = tmp_path / "server.csr"
    csr.write_bytes(create_request(store, "server", password=PASSWORD))
    text = openssl("req", "-in", csr, "-verify", "-noout", "-text")
    assert b"verify OK" in text.stderr + text.stdout
    assert b"DNS:api.example.test, IP Address:10.1.2.3" in text.stdout
    reply = openssl_ca(csr, tmp_path / "reply.pem", "serverAuth", copy_extensions=True)
    before = digest(store)
    other = tmp_path / "other.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", tmp_path / "other.key", "-out", other, "-subj", "/CN=other", "-days", "1")
    with pytest.raises(JkstoolError, match="the reply is for another key"):
        install_reply(store, "server", other, ca_certificates=[openssl_ca.cert], password=PASSWORD)
    assert digest(store) == before
    with pytest.raises(JkstoolError, match="cannot complete the chain"):
        install_reply(store, "server", reply, password=PASSWORD)
    assert digest(store) == before
    installed = install_reply(store, "server", reply, ca_certificates=[openssl_ca.cert], password=PASSWORD)
    (kind, chain), = keytool_inventory(store).values()
    assert kind == "PrivateKeyEntry"
    assert chain == (certs.sha256(certfile.parse_certificates(reply.read_bytes())[0]),
                     certs.sha256(certfile.parse_certificates(openssl_ca.cert.read_bytes())[0]))
    assert tuple(certs.sha256(cert) for cert in installed.chain) == chain


@pytest.mark.parametrize("profile,purpose", [("server", "sslserver"), ("client", "sslclient")])
def test_sign_output_verifies_with_openssl(tmp_path, openssl, profile, purpose):
    layout = tmp_path / "tls"
    init_pair(layout, password=PASSWORD)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", tmp_path / "x.key", "-subj", "/CN=x.example.test", "-out", tmp_path / "x.csr",
            "-addext", "subjectAltName=DNS:x.example.test")
    out = tmp_path / "x.pem"
    ca = load_ca(layout / "ca" / "ca.pem", layout / "ca" / "ca-key.pem", password=PASSWORD)
    out.write_bytes(sign_request(tmp_path / "x.csr", ca, profile))
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
    init_pair(layout, password=PASSWORD)
    for side in ("server", "client"):
        export = export_entry(layout / f"{side}.keystore.p12", password=PASSWORD, with_key=True, encrypt_key=False)
        assert outputs.write_files(export.files(chain=tmp_path / f"{side}-chain.pem",
                                                key=tmp_path / f"{side}-key.pem")) == []  # nothing replaced
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
    init_pair(layout, password=PASSWORD)
    key = tmp_path / "k.pem"
    export = export_entry(layout / "server.keystore.p12", password=PASSWORD, with_key=True)
    outputs.write_files(export.files(key=key))
    assert export.encrypted and b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    openssl("pkey", "-in", key, "-passin", f"pass:{PASSWORD}", "-noout")
    written = key.read_bytes()
    again = export_entry(layout / "server.keystore.p12", password=PASSWORD, with_key=True)
    assert again.key != export.key  # encrypted anew
    with pytest.raises(JkstoolError, match="already exists") as refused:
        outputs.write_files(again.files(key=key))
    assert "replace=True" in refused.value.fix and key.read_bytes() == written


def test_cli_export_refuses_to_replace_a_file_and_names_force(tmp_path):
    """The command line: the refusal is exit 2, and its fix names the option, --force."""
    layout = tmp_path / "tls"
    init_pair(layout, password=PASSWORD)
    key = tmp_path / "k.pem"
    assert run("export", layout / "server.keystore.p12", "--key", key, env=ENV).exit_code == 0
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    again = run("export", layout / "server.keystore.p12", "--key", key, env=ENV)
    assert again.exit_code == 2 and "--force" in again.stderr


def test_copy_delete_rename_passwd_with_keytool(tmp_path, keytool, keytool_inventory, java_inventory):
    layout = tmp_path / "tls"
    init_pair(layout, password=PASSWORD)
    store = tmp_path / "mixed.p12"
    copy_entry(layout / "server.keystore.p12", store, "server", password=PASSWORD)
    copy_entry(layout / "client.truststore.p12", store, "ca", password=PASSWORD, dest_alias="the-ca")
    with pytest.raises(JkstoolError, match="exists"):
        copy_entry(layout / "server.keystore.p12", store, "server", password=PASSWORD)
    assert rename_entry(store, "server", "api", password=PASSWORD).alias == "api"
    assert sorted(keytool_inventory(store)) == ["api", "the-ca"]
    assert delete_entry(store, "the-ca", password=PASSWORD).alias == "the-ca"
    assert sorted(keytool_inventory(store)) == ["api"]
    mode = stat.S_IMODE(store.stat().st_mode)
    assert change_password(store, password=PASSWORD, new_password="n3w-pass") is False
    assert java_inventory(store, password="n3w-pass")[str(store)]["api"][2] == "key-ok"
    assert stat.S_IMODE(store.stat().st_mode) == mode
    jks = tmp_path / "k.jks"
    copy_entry(store, jks, "api", password="n3w-pass", dest_password="n3w-pass")
    # True: the key's password now differs from the store's, which JSSE's key manager cannot open
    assert change_password(jks, password="n3w-pass", alias="api", new_key_password="key-only") is True
    keytool("-keypasswd", "-keystore", jks, "-alias", "api", "-keypass", "key-only", "-new", "back-again",
            password="n3w-pass")  # keytool opens the key with its own password
    # the key keeps its own password through an edit of the store
    change_password(jks, password="n3w-pass", key_password="back-again", new_password="newer-pass")
    loaded = formats.read_store(jks, "newer-pass", "back-again")
    assert loaded.store["api"].key_password == "back-again"


def test_a_jks_key_of_its_own_password_blocks_only_what_uses_it(tmp_path, keytool, keytool_inventory):
    """keytool edits a JKS store around a key whose password it was not given: so do genkey, csr of another
    key, rename, delete and passwd; what uses that key's material (csr, export, copy, its key password)
    asks for its password and writes nothing."""
    store = tmp_path / "keys.jks"
    for alias, key_password in (("plain", "changeit"), ("own", "own-pass-1")):
        keytool("-genkeypair", "-keystore", store, "-storetype", "jks", "-alias", alias, "-keypass", key_password,
                "-dname", f"CN={alias}", "-keyalg", "EC")
    env = {"JKSTOOL_STOREPASS": "changeit"}
    for args in (("genkey", store, "--alias", "added", "--cn", "added"),
                 ("csr", store, "--alias", "plain", "--out", tmp_path / "plain.csr"),
                 ("rename", store, "--alias", "own", "--dest-alias", "renamed"),
                 ("delete", store, "--alias", "plain")):
        result = run(*args, env=env)
        assert result.exit_code == 0, (args, result.stderr)
    before = store.read_bytes()
    for args in (("csr", store, "--alias", "renamed", "--out", tmp_path / "own.csr"),
                 ("export", store, "--alias", "renamed", "--key", tmp_path / "own.pem"),
                 ("copy", store, tmp_path / "other.p12", "--alias", "renamed"),
                 ("passwd", store, "--alias", "renamed", "--new-keypass", "pass:changeit")):
        result = run(*args, env=env)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, (args, result.stderr)
        assert "alias 'renamed': the key does not open with the key password" in result.stderr
    assert store.read_bytes() == before and not (tmp_path / "other.p12").exists()
    assert run("passwd", store, "--new-storepass", "pass:changed-1", env=env).exit_code == 0
    assert sorted(keytool_inventory(store, password="changed-1")) == ["added", "renamed"]
    keytool("-certreq", "-keystore", store, "-alias", "added", password="changed-1")
    keytool("-certreq", "-keystore", store, "-alias", "renamed", "-keypass", "own-pass-1", password="changed-1")
    made = run("csr", store, "--alias", "renamed", "--keypass", "pass:own-pass-1", "--out", tmp_path / "own.csr",
               env={"JKSTOOL_STOREPASS": "changed-1"})
    assert made.exit_code == 0, made.stderr


def test_cli_passwd_warns_that_a_key_of_its_own_password_breaks_jsse(tmp_path):
    """The command line: --new-storepass and --new-keypass from the environment, and the warning on stderr
    when a key gets a password other than the store's."""
    layout = tmp_path / "tls"
    init_pair(layout, password=PASSWORD)
    jks = tmp_path / "k.jks"
    copy_entry(layout / "server.keystore.p12", jks, "server", password=PASSWORD)
    result = run("passwd", jks, "--new-storepass", "env:NEW", env={**ENV, "NEW": "n3w-pass"})
    assert result.exit_code == 0 and "Cannot recover key" not in result.stderr, result.stderr
    result = run("passwd", jks, "--alias", "server", "--new-keypass", "env:KP", "--storepass", "env:NEW",
                 env={"NEW": "n3w-pass", "KP": "key-only"})
    assert result.exit_code == 0 and "Cannot recover key" in result.stderr
    assert formats.read_store(jks, "n3w-pass", "key-only").store["server"].key_password == "key-only"
