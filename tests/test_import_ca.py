"""import-ca: keytool counts what was trusted; reruns change no byte; leaves and expired CAs are refused."""

import datetime
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from helpers import FIXTURES, PASSWORD, MiniCA, certificate, der, new_key, run

from jkstool import formats

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
BUNDLE = FIXTURES / "public-ca-bundle.pem"


def unexpired_cas(path):
    """Counted independently of jkstool: CA certificates of the bundle still valid now."""
    now = datetime.datetime.now(datetime.timezone.utc)
    found = set()
    for cert in x509.load_pem_x509_certificates(path.read_bytes()):
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if is_ca and cert.not_valid_after_utc > now:
            found.add(der(cert))
    return len(found)


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@pytest.mark.parametrize("name", ["trust.jks", "trust.p12"])
def test_public_bundle_keytool_counts_the_unexpired_cas(tmp_path, name, keytool):
    store = tmp_path / name
    result = run("import-ca", store, BUNDLE, "--json", env=ENV)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    expected = unexpired_cas(BUNDLE)
    assert len(report["added"]) == expected and report["present"] == []
    assert all(s["reason"].startswith("expired on") for s in report["skipped"])
    out = keytool("-list", "-keystore", store).stdout
    assert out.count("trustedCertEntry") == expected
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    again = run("import-ca", store, BUNDLE, "--json", env=ENV)
    assert again.exit_code == 0 and "the file is unchanged" in again.stderr
    assert len(json.loads(again.stdout)["present"]) == expected
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before


def test_json_items_and_aliases(tmp_path):
    one, two = MiniCA("Alpha"), MiniCA("Beta")
    bundle = tmp_path / "cas.pem"
    bundle.write_bytes(pem(one.root, two.root))
    result = run("import-ca", tmp_path / "t.jks", bundle, "--json", env=ENV)
    added = json.loads(result.stdout)["added"]
    assert [set(item) for item in added] == [{"alias", "subject", "sha256"}] * 2
    assert [item["alias"] for item in added] == ["alpha-root-ca", "beta-root-ca"]
    assert added[0]["sha256"] == hashlib.sha256(der(one.root)).hexdigest()


def test_aliases_fall_back_to_ou_then_o_and_collisions_get_a_fingerprint(tmp_path):
    from cryptography.x509.oid import NameOID
    key = new_key("ec")

    def ca_named(*attributes):
        name = x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])
        now = datetime.datetime.now(datetime.timezone.utc)
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
    certs = [ca_named((NameOID.ORGANIZATIONAL_UNIT_NAME, "Unit One"), (NameOID.ORGANIZATION_NAME, "Org")),
             ca_named((NameOID.ORGANIZATION_NAME, "Only Org")),
             ca_named((NameOID.ORGANIZATION_NAME, "Only Org"), (NameOID.COUNTRY_NAME, "DE"))]
    bundle = tmp_path / "b.pem"
    bundle.write_bytes(pem(*certs))
    aliases = [i["alias"] for i in json.loads(run("import-ca", tmp_path / "t.jks", bundle, "--json",
                                                  env=ENV).stdout)["added"]]
    assert aliases[:2] == ["unit-one", "only-org"]
    assert aliases[2] == "only-org-" + hashlib.sha256(der(certs[2])).hexdigest()[:8]


def test_a_single_leaf_is_refused_unless_pinned(tmp_path, keytool):
    ca = MiniCA()
    leaf = certificate(new_key("ec"), "peer.example.test", ca.sub, ca.sub_key)
    path = tmp_path / "peer.pem"
    path.write_bytes(pem(leaf))
    store = tmp_path / "t.jks"
    result = run("import-ca", store, path, env=ENV)
    assert result.exit_code == 2 and "is not a CA" in result.stderr and str(path) in result.stderr
    assert "--allow-leaf" in result.stderr and not store.exists()
    result = run("import-ca", store, path, "--allow-leaf", "--alias", "Pinned-Peer", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert "pinned-peer, " in keytool("-list", "-keystore", store).stdout


def test_expired_single_ca_is_refused_unless_allowed(tmp_path):
    key = new_key("ec")
    expired = certificate(key, "Old CA", ca=True, days=10, start_days=-20)
    path = tmp_path / "old.der"
    path.write_bytes(der(expired))  # a DER file
    store = tmp_path / "t.p12"
    result = run("import-ca", store, path, env=ENV)
    assert result.exit_code == 2 and "expired on" in result.stderr and "--allow-expired" in result.stderr
    assert run("import-ca", store, path, "--allow-expired", env=ENV).exit_code == 0
    assert [e.alias for e in formats.read_store(store, PASSWORD).store] == ["old-ca"]


def test_bundle_with_nothing_importable_is_an_error(tmp_path):
    ca = MiniCA()
    leaves = [certificate(new_key("ec"), f"leaf{i}", ca.sub, ca.sub_key) for i in range(2)]
    bundle = tmp_path / "leaves.pem"
    bundle.write_bytes(pem(*leaves))
    result = run("import-ca", tmp_path / "t.jks", bundle, env=ENV)
    assert result.exit_code == 2 and f"error: {bundle}: nothing to import" in result.stderr
    assert result.stderr.count("warning: skipped") == 2


def test_from_store_takes_trusted_entries_and_chain_tops(tmp_path, keytool):
    layout = tmp_path / "tls"
    assert run("init-pair", layout, env=ENV).exit_code == 0
    partner = MiniCA("Partner")
    store = tmp_path / "t.jks"
    (tmp_path / "partner.pem").write_bytes(pem(partner.root))
    run("import-ca", store, tmp_path / "partner.pem", env=ENV)
    result = run("import-ca", store, layout / "server.keystore.p12", "--from-store", "--src-storepass",
                 "env:JKSTOOL_STOREPASS", "--json", env=ENV)
    report = json.loads(result.stdout)
    (ca,) = report["added"]
    assert ca["subject"].startswith("CN=jkstool CA ")
    result = run("import-ca", store, layout / "server.truststore.p12", "--from-store", "--src-storepass",
                 "env:JKSTOOL_STOREPASS", "--json", env=ENV)
    assert [i["alias"] for i in json.loads(result.stdout)["present"]] == [ca["alias"]]
    assert keytool("-list", "-keystore", store).stdout.count("trustedCertEntry") == 2


def test_a_store_given_without_from_store(tmp_path):
    result = run("import-ca", tmp_path / "t.jks", FIXTURES / "jdk17-keytool.jks", env=ENV)
    assert result.exit_code == 2 and "give --from-store" in result.stderr


def test_alias_with_several_certificates_is_refused(tmp_path):
    bundle = tmp_path / "b.pem"
    bundle.write_bytes(pem(MiniCA("A").root, MiniCA("B").root))
    result = run("import-ca", tmp_path / "t.jks", bundle, "--alias", "x", env=ENV)
    assert result.exit_code == 2 and "--alias names one certificate" in result.stderr


def test_new_truststore_needs_a_password(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_bytes(pem(MiniCA().root))
    result = run("import-ca", tmp_path / "t.jks", path)
    assert result.exit_code == 2 and "needs a password" in result.stderr
    assert run("import-ca", tmp_path / "t.pem", path).exit_code == 0  # PEM needs none
