"""init-pair: the four stores pass a real JSSE mutual-TLS handshake, and nothing is left half-made."""

import hashlib
import json
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
from helpers import PASSWORD, MiniCA, run

from jkstool import formats
from jkstool.pki import certs

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
STORES = ("server.keystore", "server.truststore", "client.keystore", "client.truststore")


def init(out, *args, env=ENV):
    result = run("init-pair", out, *args, env=env)
    assert result.exit_code == 0, result.stderr
    return result


def snapshot(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def store_paths(folder, store_type="pkcs12"):
    ext = {"jks": "jks", "pkcs12": "p12"}[store_type]
    return [folder / f"{name}.{ext}" for name in STORES]


def write_brought_ca(folder, name, keypass=None):
    """A root and an intermediate, as a user would bring them: chain PEM and key PEM."""
    ca = MiniCA(name)
    folder.mkdir(exist_ok=True)
    chain = folder / f"{name}-chain.pem"
    chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (ca.sub, ca.root)))
    key = folder / f"{name}-key.pem"
    encryption = (serialization.BestAvailableEncryption(keypass.encode()) if keypass
                  else serialization.NoEncryption())
    key.write_bytes(ca.sub_key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8, encryption))
    return ca, chain, key


CA_MODES = {
    "one-ca": lambda tmp: [],
    "separate-cas": lambda tmp: ["--separate-cas"],
    "brought-root-and-intermediate": lambda tmp: (
        lambda ca: ["--ca-cert", ca[1], "--ca-key", ca[2], "--ca-keypass", "env:CAPASS"])(
        write_brought_ca(tmp / "brought", "Brought", "ca-secret")),
    "two-brought-cas": lambda tmp: (
        lambda s, c: ["--server-ca-cert", s[1], "--server-ca-key", s[2],
                      "--client-ca-cert", c[1], "--client-ca-key", c[2]])(
        write_brought_ca(tmp / "brought", "ServerSide"), write_brought_ca(tmp / "brought", "ClientSide")),
}


@pytest.fixture(scope="module")
def foreign_client(tmp_path_factory):
    """A client keystore from another layout, whose CA nobody here trusts."""
    out = tmp_path_factory.mktemp("foreign") / "tls"
    init(out)
    return out / "client.keystore.p12"


@pytest.mark.parametrize("store_type", ["jks", "pkcs12"])
@pytest.mark.parametrize("key_type", ["ec-p256", "rsa-2048"])
@pytest.mark.parametrize("mode", CA_MODES)
def test_layout_passes_a_jsse_handshake(tmp_path, store_type, key_type, mode, handshake, keytool_inventory,
                                        foreign_client):
    out = tmp_path / "tls"
    init(out, "--store-type", store_type, "--key-type", key_type, *CA_MODES[mode](tmp_path),
         env={**ENV, "CAPASS": "ca-secret"})
    ok, seen = handshake(out, store_type=store_type)
    assert ok, seen
    server_keystore, server_truststore, _, client_truststore = store_paths(out, store_type)
    ok, seen = handshake(server_keystore, server_truststore, foreign_client, client_truststore)
    assert not ok and "Empty client certificate chain" in seen  # JSSE's own words for an unknown issuer
    views = [keytool_inventory(p) for p in store_paths(out, store_type)]
    assert [sorted(kind for kind, _ in v.values()) for v in views] == [
        ["PrivateKeyEntry"], ["trustedCertEntry"], ["PrivateKeyEntry"], ["trustedCertEntry"]]
    if mode == "brought-root-and-intermediate":
        (server_chain,) = [chain for _, chain in views[0].values()]
        assert len(server_chain) == 3  # leaf, intermediate, root
        (anchor,) = [chain for _, chain in views[1].values()]
        assert anchor == server_chain[-1:]  # the truststores trust the top of the chain


@pytest.mark.parametrize("key_type", ["ec-p384", "rsa-3072", "ed25519"])
def test_other_key_types_handshake(tmp_path, key_type, handshake):
    init(tmp_path / "tls", "--key-type", key_type)
    ok, seen = handshake(tmp_path / "tls")
    assert ok, seen


def test_separate_cas_each_truststore_holds_only_the_other_sides_issuer(tmp_path):
    out = tmp_path / "tls"
    init(out, "--separate-cas")
    server_ks, server_ts, client_ks, client_ts = (formats.read_store(p, PASSWORD).store for p in store_paths(out))
    (server_key,), (client_key,) = list(server_ks), list(client_ks)
    (server_anchor,), (client_anchor,) = list(server_ts), list(client_ts)
    assert server_anchor.cert == client_key.chain[-1] != server_key.chain[-1]
    assert client_anchor.cert == server_key.chain[-1]
    assert sorted(p.name for p in (out / "ca").iterdir()) == [
        "client-ca-key.pem", "client-ca.pem", "server-ca-key.pem", "server-ca.pem"]


def test_rerun_without_force_changes_nothing(tmp_path):
    out = tmp_path / "tls"
    init(out)
    before = snapshot(out)
    result = run("init-pair", out, env=ENV)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert snapshot(out) == before


def test_force_replaces_with_backups(tmp_path, handshake):
    out = tmp_path / "tls"
    init(out)
    old = (out / "server.keystore.p12").read_bytes()
    result = init(out, "--force")
    (backup,) = out.glob("backups/*/server.keystore.p12")  # the layout's backups, one folder per run
    assert backup.read_bytes() == old and str(backup.parent) in result.stderr
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    ok, seen = handshake(out)
    assert ok, seen


def test_no_password_source_generates_one(tmp_path, handshake, keytool):
    out = tmp_path / "tls"
    result = init(out, env={})
    password_file = out / "storepass"
    password = password_file.read_text().strip()
    assert len(password) >= 24 and stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert str(password_file) in result.stderr and password not in result.stdout + result.stderr
    for path in store_paths(out):
        keytool("-list", "-keystore", path, password=password)
    ok, seen = handshake(out, password=password)
    assert ok, seen
    key = (out / "ca" / "ca-key.pem").read_bytes()
    serialization.load_pem_private_key(key, password.encode())  # encrypted with the store password


def test_files_modes_and_manifest(tmp_path):
    out = tmp_path / "tls"
    result = init(out, "--json", "--server-cn", "api.example.test", "--san", "DNS:api.example.test",
                  "--san", "IP:10.0.0.7", "--server-alias", "api", "--client-alias", "partner")
    roles = {f["role"]: f["path"] for f in json.loads(result.stdout)["files"]}
    assert set(roles) == {"server-keystore", "server-truststore", "client-keystore", "client-truststore",
                          "ca-cert", "ca-key", "manifest"}
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(out / "server.keystore.p12") == mode(out / "client.keystore.p12") == 0o600
    assert mode(out / "ca" / "ca-key.pem") == 0o600 and mode(out / "ca") == 0o700
    manifest_text = (out / "layout.json").read_text()
    manifest = json.loads(manifest_text)
    assert PASSWORD not in manifest_text
    assert manifest["store_type"] == "pkcs12" and manifest["files"]["server_keystore"] == "server.keystore.p12"
    assert manifest["server"] == {"alias": "api", "subject": "CN=api.example.test",
                                  "sans": ["DNS:api.example.test", "IP:10.0.0.7"], "profile": "server",
                                  "days": 397}
    assert manifest["client"]["alias"] == "partner"
    assert manifest["cas"]["server"]["key"] == "ca/ca-key.pem" and not manifest["cas"]["server"]["brought"]


def test_brought_ca_key_is_never_copied(tmp_path):
    ca, chain, key = write_brought_ca(tmp_path / "brought", "Mine")
    out = tmp_path / "tls"
    init(out, "--ca-cert", chain, "--ca-key", key)
    assert not (out / "ca").exists()
    manifest = json.loads((out / "layout.json").read_text())
    assert manifest["cas"]["client"]["key"] == str(key) and manifest["cas"]["client"]["brought"]
    assert key.read_bytes() not in b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())


def test_profiles(tmp_path, openssl):
    out = tmp_path / "tls"
    init(out, "--key-type", "rsa-2048", "--store-type", "pkcs12")
    server, = formats.read_store(out / "server.keystore.p12", PASSWORD).store
    client, = formats.read_store(out / "client.keystore.p12", PASSWORD).store
    leaf, ca = (certs.load(c) for c in server.chain)
    ext = lambda cert, oid: cert.extensions.get_extension_for_oid(oid)  # noqa: E731
    assert ext(ca, ExtensionOID.BASIC_CONSTRAINTS).critical and ext(ca, ExtensionOID.BASIC_CONSTRAINTS).value.ca
    assert ext(ca, ExtensionOID.KEY_USAGE).value.key_cert_sign and ext(ca, ExtensionOID.KEY_USAGE).value.crl_sign
    assert list(ext(leaf, ExtensionOID.EXTENDED_KEY_USAGE).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    usage = ext(leaf, ExtensionOID.KEY_USAGE).value
    assert usage.digital_signature and usage.key_encipherment
    assert ext(leaf, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value.get_values_for_type(x509.DNSName) == ["localhost"]
    client_leaf = certs.load(client.chain[0])
    assert list(ext(client_leaf, ExtensionOID.EXTENDED_KEY_USAGE).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    for cert in (leaf, ca, client_leaf):
        assert 0 < cert.serial_number < 2 ** 159
        assert ext(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER) and ext(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    (tmp_path / "ca.pem").write_bytes(pem(ca))
    for cert, purpose in ((leaf, "sslserver"), (client_leaf, "sslclient")):
        (tmp_path / "leaf.pem").write_bytes(pem(cert))
        out_text = openssl("verify", "-purpose", purpose, "-CAfile", tmp_path / "ca.pem", tmp_path / "leaf.pem")
        assert b": OK" in out_text.stdout


@pytest.mark.parametrize("args,message", [
    (["--separate-cas", "--ca-cert", "x.pem", "--ca-key", "k.pem"], "--separate-cas"),
    (["--ca-cert", "x.pem"], "--ca-cert and --ca-key go together"),
    (["--ca-cert", "x.pem", "--ca-key", "k.pem", "--server-ca-cert", "y.pem", "--server-ca-key", "z.pem"],
     "do not combine"),
    (["--key-type", "dsa-1024"], "dsa-1024"),
    (["--san", "DNS"], "--san"),
])
def test_contradictions_and_bad_options_fail_before_any_work(tmp_path, args, message):
    out = tmp_path / "tls"
    result = run("init-pair", out, *args, env=ENV)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert not out.exists()


def fail_nth_rename(monkeypatch, n):
    """Make the n-th atomic rename fail as a full disk would (later ones, the rollback's, work)."""
    import os
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == n:
            raise OSError(28, "No space left on device")
        real(src, dst)
    monkeypatch.setattr(os, "replace", flaky)


def test_a_run_that_fails_halfway_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "tls"
    fail_nth_rename(monkeypatch, 4)
    result = run("init-pair", out, env=ENV)
    assert result.exit_code == 2 and "free some disk space" in result.stderr
    assert not out.exists()


def test_a_failed_force_run_restores_the_old_layout(tmp_path, monkeypatch):
    out = tmp_path / "tls"
    init(out)
    before = snapshot(out)
    fail_nth_rename(monkeypatch, 5)
    assert run("init-pair", out, "--force", env=ENV).exit_code == 2
    assert snapshot(out) == before


def test_brought_ca_that_is_not_a_ca_is_refused(tmp_path):
    from helpers import certificate, new_key
    key = new_key("ec")
    leaf = certificate(key, "not-a-ca")
    (tmp_path / "c.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    result = run("init-pair", tmp_path / "tls", "--ca-cert", tmp_path / "c.pem", "--ca-key", tmp_path / "k.pem",
                 env=ENV)
    assert result.exit_code == 2 and "is not a CA" in result.stderr and str(tmp_path / "c.pem") in result.stderr
    assert not (tmp_path / "tls").exists()


def test_command_line_key_types_are_the_cores():

    from jkstool.cli.options import KeyType
    from jkstool.pki import issue as pki
    assert tuple(k.value for k in KeyType) == pki.KEY_TYPES


def test_a_brought_ca_key_opens_with_its_own_short_password(tmp_path, openssl, handshake):
    """A company CA key openssl encrypted under a 5-character password is opened with it: the weak-password
    rule is for passwords jkstool sets, and no CA key is made here. A CA key made here still follows it."""
    key, cert = tmp_path / "ca-key.pem", tmp_path / "ca.pem"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:short",
            "-out", key)
    openssl("req", "-x509", "-new", "-key", key, "-passin", "pass:short", "-subj", "/CN=Company CA", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", cert)
    made = run("init-pair", tmp_path / "tls", "--ca-cert", cert, "--ca-key", key, "--ca-keypass", "pass:short",
               "--storepass", f"pass:{PASSWORD}")
    assert made.exit_code == 0, made.stderr
    done, seen = handshake(tmp_path / "tls")
    assert done, seen
    own = run("init-pair", tmp_path / "own", "--ca-keypass", "pass:short", "--storepass", f"pass:{PASSWORD}")
    assert own.exit_code == 2 and "--ca-keypass is shorter than 6 characters" in own.stderr


@pytest.mark.parametrize("cn, says", [("é" * 33, "is 66 bytes in UTF-8, more than the 64"), ("", "the CN is empty")])
def test_a_cn_no_certificate_can_hold_is_one_line(tmp_path, cn, says):
    result = run("init-pair", tmp_path / "tls", "--client-cn", cn, "--storepass", f"pass:{PASSWORD}")
    assert result.exit_code == 2 and says in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "tls").exists()
