"""The ground truth: stores jkstool writes are what Java reads, and the other way round.

Every comparison is against the real JDK: `keytool -list -v` for aliases, entry
kinds and chains (order included), and tests/java/KeyStoreInventory.java for
what keytool does not show: that Java decrypts each key and that it signs for
its leaf certificate, and the bytes of each secret key.
"""

import hashlib
import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.serialization import load_der_private_key
from helpers import FIXTURES, PASSWORD, private_copy, run, sample_store

from jkstool import formats
from jkstool.model import PrivateKeyEntry, SecretKeyEntry
from jkstool.pki import certs

KEYTOOL_KINDS = {"private-key": "PrivateKeyEntry", "trusted-cert": "trustedCertEntry",
                 "secret-key": "SecretKeyEntry"}
KEYTOOL_FIXTURES = sorted(FIXTURES.glob("jdk*-keytool.*"))


def expected_keytool_view(store):
    """The store as `keytool -list -v` should show it."""
    return {e.alias.lower(): (KEYTOOL_KINDS[e.kind], tuple(certs.sha256(c) for c in e.certificates))
            for e in store}


def expected_java_view(store):
    """The store as tests/java/KeyStoreInventory.java should print it."""
    view = {}
    for e in store:
        prints = tuple(certs.sha256(c) for c in e.certificates)
        if isinstance(e, PrivateKeyEntry):
            detail = "key-ok"
        elif isinstance(e, SecretKeyEntry):
            detail = f"{e.algorithm} {len(e.key) * 8} {hashlib.sha256(e.key).hexdigest()}"
        else:
            detail = ""
        view[e.alias.lower()] = (e.kind, prints, detail)
    return view


WRITES = [("jks", {}), ("pkcs12", {}), ("pkcs12", {"profile": "legacy"})]


@pytest.mark.parametrize("fmt,options", WRITES, ids=["jks", "pkcs12", "pkcs12-legacy"])
def test_java_reads_what_jkstool_writes(tmp_path, fmt, options, keytool_inventory, java_inventory):
    store = sample_store(secret=fmt == "pkcs12")
    path = tmp_path / f"store.{fmt}"
    formats.write_store(path, store, fmt, PASSWORD, **options)
    assert keytool_inventory(path) == expected_keytool_view(store)
    assert java_inventory(path)[str(path)] == expected_java_view(store)


@pytest.mark.parametrize("path", KEYTOOL_FIXTURES, ids=lambda p: p.name)
def test_jkstool_reads_what_keytool_writes(path, keytool_inventory, java_inventory, tmp_path):
    """JDK 17 and JDK 25 stores: same aliases, kinds, chains, keys and secret keys as Java."""
    assert not any("other users can read it" in w for w in formats.read_store(path, PASSWORD, keys=False).warnings)
    loaded = formats.read_store(private_copy(path.name, tmp_path), PASSWORD)
    assert loaded.verified and loaded.warnings == []
    assert expected_keytool_view(loaded.store) == keytool_inventory(path)
    assert expected_java_view(loaded.store) == java_inventory(path)[str(path)]
    for entry in loaded.store:
        if isinstance(entry, PrivateKeyEntry):
            assert certs.public_key_matches(load_der_private_key(entry.key, None), entry.chain[0])


def test_jdk25_jks_keys_decrypt():
    """Regression: pyjks 20.0.0 cannot decrypt JKS keys written by JDK 21+ keytool
    (github.com/kurtbrose/pyjks/issues/79): the key protector's NULL parameters are gone."""
    loaded = formats.read_store(FIXTURES / "jdk25-keytool.jks", PASSWORD)
    keys = [e for e in loaded.store if isinstance(e, PrivateKeyEntry)]
    assert len(keys) == 3 and all(e.key for e in keys)


# JKS cannot hold the secret keys of the JCEKS and PKCS12 fixtures (that refusal is in test_cli).
CONVERSIONS = [(p, "pkcs12") for p in KEYTOOL_FIXTURES] + [
    (p, "jks") for p in KEYTOOL_FIXTURES if p.suffix == ".jks"]


@pytest.mark.parametrize("path,target", CONVERSIONS, ids=lambda v: getattr(v, "name", v))
def test_keytool_stores_convert_and_java_still_reads_them(tmp_path, path, target, keytool_inventory,
                                                          java_inventory):
    dest = tmp_path / f"converted.{'p12' if target == 'pkcs12' else 'jks'}"
    result = run("convert", path, dest, "--storepass", "env:SP", env={"SP": PASSWORD})
    assert result.exit_code == 0, result.stderr
    assert keytool_inventory(dest) == keytool_inventory(path)
    assert java_inventory(dest)[str(dest)] == java_inventory(path)[str(path)]


def test_cacerts_reads_with_keytools_count(cacerts, keytool):
    out = keytool("-list", "-keystore", cacerts).stdout
    count = int(out.split("Your keystore contains ")[1].split()[0])
    result = run("list", cacerts, "--json", env={"JKSTOOL_STOREPASS": "changeit"})
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["entries"]) == count
    assert "Warning" not in result.stderr and "warning" not in result.stderr


def test_serial_zero_roots_read_quietly(keytool_inventory):
    """Regression: the JDK cacerts has roots with serial 0, which cryptography warns about
    wherever it touches them. Run as a real process: pytest would catch the warnings itself."""
    path = FIXTURES / "serial-zero-roots.jks"
    result = subprocess.run([sys.executable, "-m", "jkstool", "list", path, "-v", "--json"],
                            capture_output=True, text=True, env={**os.environ, "JKSTOOL_STOREPASS": PASSWORD})
    assert result.returncode == 0
    assert result.stderr == ""
    assert [e["certificates"][0]["serial"] for e in json.loads(result.stdout)["entries"]] == ["0"] * 3
    assert expected_keytool_view(formats.read_store(path, PASSWORD).store) == keytool_inventory(path)


# -- OpenSSL --------------------------------------------------------------------

def test_openssl_reads_jkstool_pkcs12(tmp_path, openssl):
    store = sample_store()
    path = tmp_path / "store.p12"
    formats.write_store(path, store, "pkcs12", PASSWORD)
    result = openssl("pkcs12", "-in", path, "-passin", "pass:" + PASSWORD, "-nodes", "-info")
    info, pems = result.stderr.decode(), result.stdout.decode()
    assert "MAC: sha256" in info and "AES-256-CBC" in info
    assert pems.count("BEGIN PRIVATE KEY") == 3
    assert pems.count("friendlyName: key-") == 6  # each key and its leaf, paired by localKeyID


def test_jkstool_reads_openssl_pkcs12_legacy_rc2(tmp_path, openssl):
    """openssl -legacy writes RC2-40 certificates and a 3DES key, as old Java and Windows do."""
    store = sample_store(("rsa",))
    pem_path = tmp_path / "in.pem"
    formats.write_store(pem_path, store, "pem", None, encrypt_keys=False)
    out = tmp_path / "legacy.p12"
    openssl("pkcs12", "-export", "-legacy", "-in", pem_path, "-out", out, "-passout", "pass:" + PASSWORD,
            "-name", "key-rsa")
    loaded = formats.read_store(out, PASSWORD)
    entry = loaded.store["key-rsa"]
    assert entry.key == store["key-rsa"].key and entry.chain == store["key-rsa"].chain
    # OpenSSL does not mark trusted certificates: Java ignores the partner CA, and so do we, loudly.
    assert "partner" not in loaded.store and loaded.warnings


def test_openssl_reads_jkstool_pem(tmp_path, openssl):
    store = sample_store(("ec",))
    path = tmp_path / "store.pem"
    formats.write_store(path, store, "pem", PASSWORD)
    key = openssl("pkey", "-in", path, "-passin", "pass:" + PASSWORD, "-outform", "DER").stdout
    assert (load_der_private_key(key, None).private_numbers()
            == load_der_private_key(store["key-ec"].key, None).private_numbers())
    bundle = openssl("crl2pkcs7", "-nocrl", "-certfile", path, "-outform", "DER").stdout
    assert all(cert in bundle for entry in store for cert in entry.certificates)


def test_formats_detects_every_fixture():
    kinds = {p.suffix: formats.detect(p.read_bytes()) for p in KEYTOOL_FIXTURES}
    assert kinds == {".jks": "JKS", ".jceks": "JCEKS", ".p12": "PKCS12"}


@pytest.mark.parametrize("options,message", [
    (["-certpbe", "camellia-256-cbc"],  # keytool refuses it too (PBE parameter parsing error)
     "unsupported PKCS12 protection: cipher 1.2.392.200011.61.1.1.1.4"),
    (["-macalg", "md5"], "unsupported PKCS12 integrity algorithm MD5"),
], ids=["camellia", "md5-mac"])
def test_unsupported_pkcs12_protection_is_named(tmp_path, openssl, options, message):
    cert = tmp_path / "ca.pem"
    formats.write_store(cert, sample_store(()), "pem", None)
    path = tmp_path / "odd.p12"
    openssl("pkcs12", "-export", "-nokeys", "-in", cert, "-out", path, "-passout", "pass:x", *options)
    result = run("list", path, "--storepass", "env:P", env={"P": "x"})
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {path}: {message} (")
    assert len(result.stderr.splitlines()) == 1
