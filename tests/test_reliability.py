"""Reliability: concurrent writers all land, a write killed at any moment leaves the old or the
new store (never a broken one), and secrets appear in no output."""

import datetime
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers import PASSWORD, MiniCA, run, sample_store

from jkstool import files, formats
from jkstool.errors import JkstoolError

ENV = {**os.environ, "JKSTOOL_STOREPASS": PASSWORD}
# Where a kill lands in a 20,000-certificate import: early, mid-write, late. The suite kills once (each kill
# and its recovery is seconds of work); tests/stress.sh, with more race rounds, at every moment.
KILL_DELAYS = [0.15, 0.5, 1.0] if int(os.environ.get("JKSTOOL_RACE_ROUNDS", "2")) > 2 else [0.5]


def jkstool(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "jkstool", *map(str, args)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def keytool_count(keytool, path) -> int:
    out = keytool("-list", "-keystore", path).stdout
    return int(out.split("Your keystore contains ")[1].split()[0].replace(",", ""))


@pytest.fixture(scope="module")
def bulk_bundle(tmp_path_factory):
    """20,000 CA certificates in one PEM bundle."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    pems = []
    for n in range(20_000):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Bulk CA {n}")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(n + 1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        pems.append(cert.public_bytes(serialization.Encoding.PEM))
    path = tmp_path_factory.mktemp("bulk") / "bulk.pem"
    path.write_bytes(b"".join(pems))
    return path


def test_eight_concurrent_imports_all_land(tmp_path, keytool):
    store = tmp_path / "shared.truststore.jks"
    cas = []
    for n in range(8):
        path = tmp_path / f"ca{n}.pem"
        path.write_bytes(MiniCA(f"Concurrent {n}").root.public_bytes(serialization.Encoding.PEM))
        cas.append(path)
    processes = [jkstool("import-ca", store, ca) for ca in cas]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, results
    assert keytool_count(keytool, store) == 8
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_lock_not_taken_in_time_is_a_clear_error(tmp_path):
    store = tmp_path / "t.jks"
    formats.write_store(store, sample_store(()), "jks", PASSWORD)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(MiniCA().root.public_bytes(serialization.Encoding.PEM))
    with files.locked(store, 5):
        result = run("import-ca", store, ca, "--lock-timeout", "0.3", env={"JKSTOOL_STOREPASS": PASSWORD})
    assert result.exit_code == 2
    assert result.stderr == (f"error: {store}: another process is changing the file: no lock within 0.3 s "
                             "(wait for it to finish, or give a longer --lock-timeout)\n")


@pytest.mark.parametrize("delay", KILL_DELAYS)
def test_kill_9_during_a_large_import_leaves_the_old_or_the_new_store(tmp_path, bulk_bundle, keytool, delay):
    store = tmp_path / "big.truststore.jks"
    formats.write_store(store, sample_store(()), "jks", PASSWORD)  # 2 trusted entries
    process = jkstool("import-ca", store, bulk_bundle)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    entries = list(formats.read_store(store, PASSWORD, keys=False).store)
    assert len(entries) in (2, 20_002)
    if len(entries) == 2:
        assert keytool_count(keytool, store) == 2
    else:  # Java loads it all (its digest covers every byte) and finds the last certificate; listing 20,000 takes 7 s
        keytool("-list", "-keystore", store, "-alias", entries[-1].alias)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    again = run("import-ca", store, bulk_bundle, env={"JKSTOOL_STOREPASS": PASSWORD})
    assert again.exit_code == 0, again.stderr
    assert len(formats.read_store(store, PASSWORD, keys=False).store) == 20_002
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == [], leftovers


STEPS = {  # each step of an atomic write, and how to fail it
    "open": ("open", OSError(13, "Permission denied")),
    "write": ("write", OSError(28, "No space left on device")),
    "fsync": ("fsync", OSError(5, "Input/output error")),
    "rename": ("replace", OSError(28, "No space left on device")),
    "exception": ("write", KeyboardInterrupt()),
}


@pytest.mark.parametrize("step", STEPS)
def test_a_write_failing_at_any_step_keeps_the_old_bytes(tmp_path, monkeypatch, step):
    store = tmp_path / "store.jks"
    formats.write_store(store, sample_store(), "jks", PASSWORD)
    old = store.read_bytes()
    name, error = STEPS[step]
    real = getattr(os, name)

    def fail(*args, **kwargs):
        if name != "open" or str(args[0]).endswith(".tmp"):
            raise error
        return real(*args, **kwargs)
    monkeypatch.setattr(os, name, fail)
    with pytest.raises((Exception, KeyboardInterrupt)):
        formats.write_store(store, sample_store(), "jks", PASSWORD)
    monkeypatch.undo()
    assert store.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["store.jks"]


KILL_AT = {"write": "write", "fsync": "fsync", "rename": "replace", "folder-fsync": "fsync"}


@pytest.mark.parametrize("step", KILL_AT)
def test_a_process_killed_at_any_step_leaves_old_or_new(tmp_path, step, keytool):
    """A child process dies (os._exit, like kill -9: no cleanup runs) inside each step of the write."""
    store = tmp_path / "store.jks"
    formats.write_store(store, sample_store(()), "jks", PASSWORD)
    old = store.read_bytes()
    nth = 2 if step == "folder-fsync" else 1  # the second fsync is the folder's, after the rename
    code = f"""
import os, sys
sys.path.insert(0, {str(os.path.dirname(__file__))!r})
from helpers import sample_store
from jkstool import files, formats
real, calls = os.{KILL_AT[step]}, []
def die(*args, **kwargs):
    calls.append(1)
    if len(calls) == {nth}:
        os._exit(9)
    return real(*args, **kwargs)
os.{KILL_AT[step]} = die
formats.write_store({str(store)!r}, sample_store(), "jks", {PASSWORD!r})
"""
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert store.read_bytes() == old or keytool_count(keytool, store) == 5
    assert keytool_count(keytool, store) in (2, 5)
    formats.write_store(store, sample_store(()), "jks", PASSWORD)  # the next write cleans up after it
    assert [p.name for p in tmp_path.iterdir()] == ["store.jks"]


# -- secrets --------------------------------------------------------------------------------

SENTINEL = "S3ntinel-pa55word-7f3a"


def test_no_command_shows_the_password_or_a_key_and_key_files_are_0600(tmp_path, openssl):
    """Every command, run with a sentinel password and a key we know, in every output mode."""
    env = {"JKSTOOL_STOREPASS": SENTINEL, "KEYPASS": SENTINEL, "NEW": SENTINEL + "-new"}
    key_path = tmp_path / "imported.key"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-256-cbc",
            "-pass", f"pass:{SENTINEL}", "-out", key_path)
    plain = serialization.load_pem_private_key(key_path.read_bytes(), SENTINEL.encode())
    key_der = plain.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    csr = tmp_path / "imported.csr"
    openssl("req", "-new", "-key", key_path, "-passin", f"pass:{SENTINEL}", "-subj", "/CN=imported", "-out", csr)
    t = tmp_path / "tls"
    ca = ["--ca-cert", t / "ca" / "ca.pem", "--ca-key", t / "ca" / "ca-key.pem", "--ca-keypass", "env:KEYPASS"]
    steps = [
        ["init-pair", t], ["init-pair", tmp_path / "tls2", "--json", "--store-type", "pkcs12"],
        ["list", t / "server.keystore.p12"], ["list", t / "server.keystore.p12", "-v"],
        ["list", t / "server.keystore.p12", "--json"],
        ["sign", csr, *ca, "--profile", "client", "--out", tmp_path / "imported.pem"],
        ["import-key", tmp_path / "k.p12", "--alias", "imported", "--key", key_path, "--cert",
         tmp_path / "imported.pem", "--src-keypass", "env:KEYPASS", "--json"],
        ["convert", tmp_path / "k.p12", tmp_path / "k.jks"], ["convert", tmp_path / "k.p12", tmp_path / "k.pem"],
        ["convert", tmp_path / "k.p12", tmp_path / "k-plain.pem", "--no-encrypt-key"],
        ["export", tmp_path / "k.p12"], ["export", tmp_path / "k.p12", "--key", tmp_path / "out-key.pem"],
        ["genkey", tmp_path / "g.jks", "--alias", "g", "--cn", "g", "--json"],
        ["csr", tmp_path / "g.jks", "--alias", "g"],
        ["copy", tmp_path / "k.p12", tmp_path / "c.jks", "--alias", "imported"],
        ["rename", tmp_path / "c.jks", "--alias", "imported", "--dest-alias", "renamed"],
        ["passwd", tmp_path / "c.jks", "--new-storepass", "env:NEW"],
        ["delete", tmp_path / "g.jks", "--alias", "g"],
        ["import-ca", t / "server.truststore.p12", t / "ca" / "ca.pem", "--json"],
        ["verify-pair", t, "--json", "--handshake-engine", "openssl"], ["verify-pair", t],
        ["revoke", tmp_path / "imported.pem", *ca, "--crl", tmp_path / "c.crl", "--json"],
        ["renew", t, "--side", "server", "--json"], ["add-client", t, "--cn", "p2", "--json"],
        ["rollover-ca", t, "--json"], ["rollover-ca", t, "--reissue"], ["rollover-ca", t, "--finish"],
        ["rollover-ca", t, "--status", "--json"], ["restore", t], ["convert", t, "--store-type", "jks"],
        ["snippet", "nginx", t], ["snippet", "jvm", t],
        ["snippet", "spring-boot", t, "--side", "client"], ["snippet", "tomcat", t],
        ["expiry", tmp_path / "tls", "--json"],
    ]
    failing = [  # error paths: a wrong password, and a store the expiry scan cannot open
        ["list", t / "server.keystore.p12", "--storepass", "env:WRONG"], ["expiry", tmp_path, "--json"]]
    secrets = [SENTINEL, key_der.hex(), key_der.hex().upper()]
    import base64
    secrets.append(base64.b64encode(key_der).decode()[:40])
    for step in steps + failing:
        result = run(*step, env={**env, "WRONG": SENTINEL + "x"})
        assert result.exit_code == (0 if step in steps else 2), (step, result.stderr)
        assert "Traceback" not in result.stderr, (step, result.stderr)
        for secret in secrets:
            assert secret not in result.stdout and secret not in result.stderr, (step, secret[:12])
    for path in tmp_path.rglob("*"):
        if path.is_file() and _holds_a_key(path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


SHROUDED_KEY_BAG = bytes.fromhex("060b2a864886f70d010c0a0102")  # its OID, in clear in every PKCS12 with keys


def _holds_a_key(path) -> bool:
    """Whether a file holds private key material: a key PEM, a password file, a store with keys."""
    data = path.read_bytes()
    if path.name == "storepass" or b"PRIVATE KEY" in data:
        return True
    try:
        kind = formats.detect(data)
    except JkstoolError:
        return False
    if kind == "PKCS12":
        return SHROUDED_KEY_BAG in data
    if kind in ("JKS", "JCEKS"):
        return any(e.kind != "trusted-cert" for e in formats.load(data, None, keys=False).store)
    return False
