"""import-ca: keytool counts what was trusted; reruns change no byte; leaves and expired CAs are refused.

The behaviour is asked of `jkstool.import_ca`; the tests named `test_cli_...` check what only the command
adds: its options, its JSON and table, its messages and exit codes."""

import datetime
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from helpers import FIXTURES, PASSWORD, MiniCA, certificate, der, new_key, run

import jkstool
from jkstool.api import PasswordNeeded, trusted_in

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


def import_ca(store, *certificates, **options):
    return jkstool.import_ca(store, certificates, password=PASSWORD, **options)


@pytest.mark.parametrize("name", ["trust.jks", "trust.p12"])
def test_public_bundle_keytool_counts_the_unexpired_cas(tmp_path, name, keytool):
    store = tmp_path / name
    result = import_ca(store, BUNDLE)
    expected = unexpired_cas(BUNDLE)
    assert len(result.added) == expected and result.present == []
    assert result.skipped and all(reason.startswith("expired on") for _, reason in result.skipped)
    out = keytool("-list", "-keystore", store).stdout
    assert out.count("trustedCertEntry") == expected
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    again = import_ca(store, BUNDLE)
    assert again.added == [] and len(again.present) == expected
    assert {e.cert for e in again.present} == {e.cert for e in result.added}
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before


def test_added_items_and_aliases(tmp_path):
    one, two = MiniCA("Alpha"), MiniCA("Beta")
    bundle = tmp_path / "cas.pem"
    bundle.write_bytes(pem(one.root, two.root))
    result = import_ca(tmp_path / "t.jks", bundle)
    assert [e.alias for e in result.added] == ["alpha-root-ca", "beta-root-ca"]
    assert [e.cert for e in result.added] == [der(one.root), der(two.root)]
    added = result.to_dict()["added"]
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
    aliases = [e.alias for e in import_ca(tmp_path / "t.jks", bundle).added]
    assert aliases[:2] == ["unit-one", "only-org"]
    assert aliases[2] == "only-org-" + hashlib.sha256(der(certs[2])).hexdigest()[:8]


def test_a_single_leaf_is_refused_unless_pinned(tmp_path, keytool):
    ca = MiniCA()
    leaf = certificate(new_key("ec"), "peer.example.test", ca.sub, ca.sub_key)
    path = tmp_path / "peer.pem"
    path.write_bytes(pem(leaf))
    store = tmp_path / "t.jks"
    with pytest.raises(jkstool.JkstoolError, match="is not a CA") as refused:
        import_ca(store, path)
    assert refused.value.path == str(path) and "allow_leaf=True" in refused.value.fix
    assert not store.exists()
    (pinned,) = import_ca(store, path, allow_leaf=True, alias="Pinned-Peer").added
    assert pinned.alias == "Pinned-Peer" and pinned.cert == der(leaf)  # a JKS file keeps it lower-case
    assert "pinned-peer, " in keytool("-list", "-keystore", store).stdout


def test_expired_single_ca_is_refused_unless_allowed(tmp_path):
    key = new_key("ec")
    expired = certificate(key, "Old CA", ca=True, days=10, start_days=-20)
    path = tmp_path / "old.der"
    path.write_bytes(der(expired))  # a DER file
    store = tmp_path / "t.p12"
    with pytest.raises(jkstool.JkstoolError, match="expired on") as refused:
        import_ca(store, path)
    assert refused.value.path == str(path) and "allow_expired=True" in refused.value.fix
    assert not store.exists()
    assert [e.alias for e in import_ca(store, path, allow_expired=True).added] == ["old-ca"]
    assert [e.alias for e in jkstool.read_store(store, PASSWORD).store] == ["old-ca"]


def test_bundle_with_nothing_importable_is_an_error(tmp_path):
    ca = MiniCA()
    leaves = [certificate(new_key("ec"), f"leaf{i}", ca.sub, ca.sub_key) for i in range(2)]
    bundle = tmp_path / "leaves.pem"
    bundle.write_bytes(pem(*leaves))
    skipped = []
    with pytest.raises(jkstool.JkstoolError, match="nothing to import") as refused:
        import_ca(tmp_path / "t.jks", bundle, skipped=lambda data, reason: skipped.append((data, reason)))
    assert refused.value.path == str(bundle)
    assert [data for data, _ in skipped] == [der(leaf) for leaf in leaves]
    assert all("is not a CA" in reason for _, reason in skipped)
    assert not (tmp_path / "t.jks").exists()


def test_from_store_takes_trusted_entries_and_chain_tops(tmp_path, keytool):
    layout = jkstool.init_pair(tmp_path / "tls", password=PASSWORD)
    partner = MiniCA("Partner")
    store = tmp_path / "t.jks"
    (tmp_path / "partner.pem").write_bytes(pem(partner.root))
    import_ca(store, tmp_path / "partner.pem")
    keystore = layout.store_path("server-keystore")
    result = import_ca(store, *[(str(keystore), cert) for cert in trusted_in(keystore, PASSWORD)])
    (ca,) = result.added
    assert result.to_dict()["added"][0]["subject"].startswith("CN=jkstool CA ")
    assert ca.cert == jkstool.read_store(keystore, PASSWORD).store.key_entry("server").chain[-1]
    truststore = layout.store_path("server-truststore")
    again = import_ca(store, *[(str(truststore), cert) for cert in trusted_in(truststore, PASSWORD)])
    assert again.added == [] and [e.alias for e in again.present] == [ca.alias]
    assert keytool("-list", "-keystore", store).stdout.count("trustedCertEntry") == 2


def test_a_store_given_as_a_certificate_file_is_refused(tmp_path):
    with pytest.raises(jkstool.JkstoolError, match="this is a JKS store, not a certificate file") as refused:
        import_ca(tmp_path / "t.jks", FIXTURES / "jdk17-keytool.jks")
    assert "trusted_in(" in refused.value.fix and not (tmp_path / "t.jks").exists()


def test_alias_with_several_certificates_is_refused(tmp_path):
    bundle = tmp_path / "b.pem"
    bundle.write_bytes(pem(MiniCA("A").root, MiniCA("B").root))
    with pytest.raises(jkstool.JkstoolError, match=r"alias=\.\.\. names one certificate"):
        import_ca(tmp_path / "t.jks", bundle, alias="x")
    assert not (tmp_path / "t.jks").exists()


def test_new_truststore_needs_a_password(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_bytes(pem(MiniCA().root))
    with pytest.raises(PasswordNeeded, match="needs a password"):
        jkstool.import_ca(tmp_path / "t.jks", [path], password=None)
    assert not (tmp_path / "t.jks").exists()
    assert len(jkstool.import_ca(tmp_path / "t.pem", [path], password=None).added) == 1  # PEM needs none


# -- the command line: options, rendering, messages and exit codes ------------------------------------

def test_cli_json_is_the_result_and_a_rerun_says_the_file_is_unchanged(tmp_path):
    bundle = tmp_path / "cas.pem"
    bundle.write_bytes(pem(MiniCA("Alpha").root, MiniCA("Beta").root))
    store = tmp_path / "t.jks"
    result = run("import-ca", store, bundle, "--json", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"schema": "jkstool/import-ca/1",
                                         **import_ca(tmp_path / "same.jks", bundle).to_dict()}
    assert f"{store}: added 2; 0 already trusted, 0 skipped" in result.stderr
    before = store.read_bytes()
    again = run("import-ca", store, bundle, env=ENV)  # the table
    assert again.exit_code == 0 and "added nothing, the file is unchanged" in again.stderr
    assert [line.split()[:3] for line in again.stdout.splitlines()[-2:]] == \
        [["already", "trusted", "alpha-root-ca"], ["already", "trusted", "beta-root-ca"]]
    assert store.read_bytes() == before


def test_cli_refusals_name_the_option_and_exit_2(tmp_path):
    ca = MiniCA()
    leaf_file = tmp_path / "peer.pem"
    leaf_file.write_bytes(pem(certificate(new_key("ec"), "peer.example.test", ca.sub, ca.sub_key)))
    expired_file = tmp_path / "old.der"
    expired_file.write_bytes(der(certificate(new_key("ec"), "Old CA", ca=True, days=10, start_days=-20)))
    several = tmp_path / "b.pem"
    several.write_bytes(pem(MiniCA("A").root, MiniCA("B").root))
    leaves = tmp_path / "leaves.pem"
    leaves.write_bytes(pem(*[certificate(new_key("ec"), f"leaf{i}", ca.sub, ca.sub_key) for i in range(2)]))
    store = tmp_path / "t.jks"
    cases = [((leaf_file,), ["is not a CA", str(leaf_file), "--allow-leaf"]),
             ((expired_file,), ["expired on", "--allow-expired"]),
             ((several, "--alias", "x"), ["--alias names one certificate"]),
             ((FIXTURES / "jdk17-keytool.jks",), ["give --from-store"]),
             ((leaves,), [f"error: {leaves}: nothing to import"])]
    for args, said in cases:
        result = run("import-ca", store, *args, env=ENV)
        assert result.exit_code == 2 and all(text in result.stderr for text in said), (args, result.stderr)
        assert "Traceback" not in result.stderr and not store.exists()
    assert result.stderr.count("warning: skipped") == 2  # the bundle of leaves: each one said
    assert run("import-ca", store, leaf_file, "--allow-leaf", "--alias", "Pinned-Peer", env=ENV).exit_code == 0
    assert run("import-ca", store, expired_file, "--allow-expired", env=ENV).exit_code == 0
    assert sorted(e.alias for e in jkstool.read_store(store, PASSWORD).store) == ["old-ca", "pinned-peer"]


def test_cli_from_store_and_the_password_of_a_new_truststore(tmp_path):
    layout = jkstool.init_pair(tmp_path / "tls", password=PASSWORD)
    path = tmp_path / "ca.pem"
    path.write_bytes(pem(MiniCA().root))
    result = run("import-ca", tmp_path / "t.jks", path)
    assert result.exit_code == 2 and "needs a password" in result.stderr
    assert run("import-ca", tmp_path / "t.pem", path).exit_code == 0  # PEM needs none
    result = run("import-ca", tmp_path / "t.jks", layout.store_path("server-keystore"), "--from-store",
                 "--src-storepass", "env:JKSTOOL_STOREPASS", "--json", env=ENV)
    assert result.exit_code == 0, result.stderr
    (ca,) = json.loads(result.stdout)["added"]
    assert ca["subject"] == layout.manifest.cas.server.subject


def test_a_key_with_its_own_password_is_kept_sealed_as_keytool_keeps_it(tmp_path, keytool):
    """Adding a CA to a JKS keystore whose key has its own password needs no key password (keytool's
    -importcert needs none): the key is written back unopened, and still opens with its own password."""
    store = tmp_path / "keystore.jks"
    keytool("-genkeypair", "-keystore", store, "-storetype", "jks", "-alias", "k", "-keypass", "key-only-pw",
            "-dname", "CN=k", "-keyalg", "EC")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pem(MiniCA("Sealed").root))
    result = run("import-ca", store, ca, env=ENV)
    assert result.exit_code == 0, result.stderr
    listed = keytool("-list", "-keystore", store).stdout
    assert "PrivateKeyEntry" in listed and "trustedCertEntry" in listed
    keytool("-keypasswd", "-keystore", store, "-alias", "k", "-keypass", "key-only-pw", "-new", "changed-pw")
