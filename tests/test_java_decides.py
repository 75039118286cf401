"""Java decides where it is installed: verify-pair's verdict is the target JDK's own handshake, and jkstool's
model explains it.

The truth in each test is a separate JSSE handshake (tests/java/MutualTls.java) on the same stores, never a
verdict written here. The pairs are made with cryptography in the shapes that have fooled the model on other
people's layouts: names that differ only in case, critical policies, an unrelated CA after the chain, a
Netscape certificate type. Where the model alone disagrees with Java, the report must say so.
"""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from helpers import PASSWORD, run

from jkstool import api
from jkstool.model import ROLES, PrivateKeyEntry, Store, TrustedCertEntry
from jkstool.mtls import checks, handshake, jdk

NOW = datetime.now(timezone.utc)
NETSCAPE_CERT_TYPE = x509.ObjectIdentifier("2.16.840.1.113730.1.1")


def name(cn: str, org: str = "Acme") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(subject: x509.Name, key, issuer: x509.Name, issuer_key, *, ca=False, eku=None, sans=(), extra=()):
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(NOW - timedelta(days=1))
               .not_valid_after(NOW + timedelta(days=90))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    for extension, critical in extra:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def der(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.DER)


def pkcs8(key) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pair(folder: Path, *, client_issuer: x509.Name | None = None, client_extra=(), client_tail=(), ext="p12",
         client_curve: ec.EllipticCurve | None = None, foreign_key_id=False, server_trusts_also=0) -> Path:
    """A CA and the four stores of a pair under it; the client's leaf may name its issuer otherwise, carry
    more extensions, or be followed in its chain by other certificates (which only JKS keeps as written:
    Java's PKCS12 keystore links a chain by issuer names); its key may be on another curve, its authority
    key identifier name another key than its CA's; the server may trust that many more CAs (long names)."""
    folder.mkdir()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    key_id = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = cert(name("Test CA"), ca_key, name("Test CA"), ca_key, ca=True, extra=[(key_id, False)])
    server_key = ec.generate_private_key(ec.SECP256R1())
    client_key = ec.generate_private_key(client_curve or ec.SECP256R1())
    server = cert(name("localhost"), server_key, ca.subject, ca_key, eku=ExtendedKeyUsageOID.SERVER_AUTH,
                  sans=["localhost"])
    authority = x509.AuthorityKeyIdentifier(bytes(20) if foreign_key_id else key_id.digest, None, None)
    client = cert(name("client"), client_key, client_issuer or ca.subject, ca_key,
                  eku=ExtendedKeyUsageOID.CLIENT_AUTH, extra=[*client_extra, (authority, False)])
    others = [TrustedCertEntry(f"other-{i}", der(unrelated_ca(f"Unrelated CA {i} {'x' * 45}", "y" * 60)), NOW)
              for i in range(server_trusts_also)]
    stores = {
        "server.keystore": [PrivateKeyEntry("server", pkcs8(server_key), (der(server), der(ca)), NOW)],
        "client.keystore": [PrivateKeyEntry("client", pkcs8(client_key),
                                                (der(client), der(ca), *map(der, client_tail)), NOW)],
        "server.truststore": [TrustedCertEntry("ca", der(ca), NOW), *others],
        "client.truststore": [TrustedCertEntry("ca", der(ca), NOW)],
    }
    for file, entries in stores.items():
        api.write_store(folder / f"{file}.{ext}", Store(entries), PASSWORD)
    return folder


def four(folder: Path) -> list[Path]:
    ext = "jks" if (folder / "server.keystore.jks").exists() else "p12"
    return [folder / f"{n}.{ext}" for n in ("server.keystore", "server.truststore", "client.keystore",
                                          "client.truststore")]


def unrelated_ca(cn: str = "Unrelated CA", org: str = "Elsewhere") -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    return cert(name(cn, org), key, name(cn, org), key, ca=True)


def cps_policy() -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                                                            ["https://cps.example.com/"])])


SHAPES = {
    "issuer-name-in-other-case": dict(client_issuer=name("test ca", "ACME")),
    "issuer-name-as-printable-string": dict(client_issuer=x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.COMMON_NAME, "Test CA", _type=_ASN1Type.PrintableString)])),
    "critical-policies-with-a-qualifier": dict(client_extra=[(cps_policy(), True)]),
    "an-unrelated-ca-after-the-chain": dict(client_tail=[unrelated_ca()], ext="jks"),
    "netscape-type-server-only": dict(client_extra=[(x509.UnrecognizedExtension(
        NETSCAPE_CERT_TYPE, bytes([0x03, 0x02, 0x06, 0x40])), False)]),  # BIT STRING: SSL server only
    "a-client-key-on-p192": dict(client_curve=ec.SECP192R1()),
    "an-authority-key-id-of-another-key": dict(foreign_key_id=True),
    "server-ca-names-over-64-kb": dict(server_trusts_also=500),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_verdict_is_javas_and_a_disagreeing_model_is_named(shape, tmp_path, handshake):
    folder = pair(tmp_path / shape, **SHAPES[shape])
    jsse_ok, seen = handshake(*four(folder))
    report = api.verify_pair(folder, password=PASSWORD)
    assert report.ok == jsse_ok, (seen, [f.code for f in report.findings])
    assert report.decided_by.startswith("JSSE (java ") and report.java is not None and report.java.ok == jsse_ok
    model = api.verify_pair(folder, password=PASSWORD, model_only=True)
    assert model.decided_by == "jkstool's model (asked for alone, no JVM)" and model.java is None
    assert model.ok == jsse_ok, [f.code for f in model.findings]  # every class here is now in the model
    codes = {f.code for f in report.findings}
    if model.ok and not jsse_ok:
        assert "java-refused" in codes and "explanation is incomplete" in report.findings[-1].message
    if not model.ok and jsse_ok:
        assert "java-accepted" in codes
        assert {f.code for f in model.findings if f.severity == "error"} <= \
            {f.code for f in report.findings if f.severity == "warning"}
    if not jsse_ok:  # Java's own words reach the user: what the separate JVM's server saw, the same
        refused = next(f for f in report.findings if f.code == "java-refused")
        assert seen.split(" | server: ")[-1][:60] in refused.message, (seen, refused.message)


def test_a_model_error_java_does_not_confirm_becomes_a_warning(tmp_path, handshake, monkeypatch):
    folder = pair(tmp_path / "good")
    assert handshake(*four(folder))[0]
    real = checks.verify

    def wrong(*args, **kwargs):
        report = real(*args, **kwargs)
        report.findings.append(checks.finding("ca-not-ca", "somewhere", "client", "a rule that is wrong"))
        return report
    monkeypatch.setattr(checks, "verify", wrong)
    report = api.verify_pair(folder, password=PASSWORD)
    assert report.ok and report.error_count == 0
    assert [f.severity for f in report.findings if f.code == "ca-not-ca"] == ["warning"]
    (accepted,) = [f for f in report.findings if f.code == "java-accepted"]
    assert "ca-not-ca" in accepted.message and accepted.severity == "warning"
    assert not api.verify_pair(folder, password=PASSWORD, model_only=True).ok


def test_java_refusing_what_the_model_passes_says_the_explanation_is_incomplete(tmp_path, handshake, monkeypatch):
    folder = pair(tmp_path / "untrusted")
    (folder / "server.truststore.p12").unlink()  # trust another CA only: Java refuses the client
    api.write_store(folder / "server.truststore.p12", Store([TrustedCertEntry("other", der(unrelated_ca()), NOW)]),
                    PASSWORD)
    jsse_ok, seen = handshake(*four(folder))
    assert not jsse_ok
    real = checks.verify

    def blind(*args, **kwargs):
        report = real(*args, **kwargs)
        report.findings = [f for f in report.findings if f.severity != "error"]
        return report
    monkeypatch.setattr(checks, "verify", blind)
    report = api.verify_pair(folder, password=PASSWORD)
    assert not report.ok and [f.code for f in report.findings if f.severity == "error"] == ["java-refused"]
    assert "jkstool's rules found no cause, so this explanation is incomplete" in report.findings[-1].message
    assert api.verify_pair(folder, password=PASSWORD, model_only=True).ok


def test_the_model_decides_alone_and_says_why(tmp_path):
    folder = pair(tmp_path / "pair")
    later = api.verify_pair(folder, password=PASSWORD, at=NOW + timedelta(days=30))
    assert later.java is None and later.decided_by == \
        "jkstool's model (Java judges the present, and another moment was asked for)"
    trusted = api.read_store(folder / "client.truststore.p12", PASSWORD).store
    api.write_store(folder / "client-truststore.pem", trusted, None, store_type="pem")
    roles = {"client-truststore": folder / "client-truststore.pem"}
    pem = api.verify_pair(roles, folder=folder, password=PASSWORD)
    assert pem.ok and pem.java is None and pem.decided_by == "jkstool's model (Java reads no PEM file as a store)"
    missing = next(r for r in ("21", "11", "8") if jdk.installed_release((int(r),)) is None)
    absent = api.verify_pair(folder, password=PASSWORD, jdk=missing)
    assert absent.java is None and absent.decided_by == f"jkstool's model (no JDK {missing} on this machine)"


def test_one_jvm_judges_every_pair_of_a_run(tmp_path, monkeypatch):
    """Counted on a table of its own: a fleet test in the same worker keeps its own JVM on the shared one."""
    folders = [pair(tmp_path / f"pair-{n}") for n in range(3)]
    monkeypatch.setattr(handshake, "_JVMS", {})
    try:
        for folder in folders:
            assert api.verify_pair(folder, password=PASSWORD).java.ok
        home = str(jdk.home_on_machine().resolve())
        assert list(handshake._JVMS) == [(home, "", False)]
    finally:
        for jvm in handshake._JVMS.values():
            jvm.close()


def test_the_jvm_judges_through_its_own_log_and_a_crash(tmp_path, monkeypatch):
    """The JVM's standard output may carry more than answers (a GC log JAVA_TOOL_OPTIONS asks for): they are
    passed over. A JVM that ends mid-run (killed) is no verdict: the pair is judged by a new one."""
    folders = [pair(tmp_path / f"pair-{n}") for n in range(2)]
    monkeypatch.setattr(handshake, "_JVMS", {})
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-Xlog:gc*:stdout")
    try:
        assert api.verify_pair(folders[0], password=PASSWORD).java.ok
        for jvm in handshake._JVMS.values():
            jvm.process.kill()
            jvm.process.wait()
        report = api.verify_pair(folders[1], password=PASSWORD)
        assert report.java.ok and report.ok, report.java
    finally:
        for jvm in handshake._JVMS.values():
            jvm.close()


def test_a_release_number_finds_the_installed_jdk_of_it(tmp_path, jdk25_home, handshake_25):
    folder = pair(tmp_path / "pair", client_extra=[(cps_policy(), True)])
    jsse_ok = handshake_25(*four(folder))[0]
    report = api.verify_pair(folder, password=PASSWORD, jdk=str(jdk25_home))
    assert report.decided_by.startswith("JSSE (java 25") and report.ok == jsse_ok
    if jdk.installed_release((25,)) is not None:
        assert api.verify_pair(folder, password=PASSWORD, jdk="25").decided_by.startswith("JSSE (java 25")


def test_the_command_line_says_who_decided(tmp_path):
    folder = pair(tmp_path / "pair")
    env = {"JKSTOOL_STOREPASS": PASSWORD}
    shown = run("verify-pair", folder, env=env)
    assert shown.exit_code == 0 and "decided by JSSE (java " in " ".join(shown.stdout.split())
    alone = run("verify-pair", folder, "--model-only", "--json", env=env)
    printed = json.loads(alone.stdout)
    assert alone.exit_code == 0 and printed["java"] is None
    assert printed["decided_by"] == "jkstool's model (asked for alone, no JVM)"


# What the model says of a shape, in its words and, where Java refuses, in the words Java's side printed.
EXPLAINED = {
    "a-client-key-on-p192": ("key-type-unusable", "sends the certificate, then fails to sign",
                             "No supported CertificateVerify signature algorithm for EC  key"),
    "an-authority-key-id-of-another-key": ("client-untrusted", "its authority key identifier",
                                           "Path does not chain with any of the trust anchors"),
    "server-ca-names-over-64-kb": ("ca-names-too-long", "sends no list of acceptable issuers", None),
}


@pytest.mark.parametrize("shape", EXPLAINED)
def test_the_explanation_says_what_java_met(shape, tmp_path, handshake):
    folder = pair(tmp_path / shape, **SHAPES[shape])
    jsse_ok, seen = handshake(*four(folder))
    code, words, java_words = EXPLAINED[shape]
    (found,) = [f for f in api.verify_pair(folder, password=PASSWORD, model_only=True).findings if f.code == code]
    assert words in found.message
    assert jsse_ok == (java_words is None), seen
    if java_words:
        assert java_words in seen and java_words in found.message


def test_a_pkcs12_chain_linked_across_string_types_is_read_whole(tmp_path, java_inventory):
    """Java's PKCS12 keystore links a key's chain by issuer name, compared as X500Principal does: a leaf
    naming its CA in PrintableString keeps the CA (UTF8String) in its chain, and nothing is set aside."""
    folder = pair(tmp_path / "pair", **SHAPES["issuer-name-as-printable-string"])
    path = folder / "client.keystore.p12"
    loaded = api.read_store(path, PASSWORD)
    assert len(loaded.store.key_entry("client").chain) == 2 and not loaded.warnings, loaded.warnings
    kind, prints, _ = java_inventory(path, password=PASSWORD)[str(path)]["client"]
    assert len(prints) == 2, kind


def test_a_host_name_with_a_trailing_dot_is_dialled_as_a_jsse_client_dials_it(tmp_path):
    """localhost. (a fully qualified name): JSSE's client sends it without the dot as SNI
    (Utilities.rawToSNIHostName) and matches the certificate; so do jkstool's handshake and its model."""
    folder = pair(tmp_path / "pair")
    report = api.verify_pair(folder, password=PASSWORD, hostname="localhost.")
    assert report.java is not None and report.java.ok and report.ok, report.java
    model = api.verify_pair(folder, password=PASSWORD, hostname="localhost.", model_only=True)
    assert model.ok


def test_a_handshake_asked_for_runs_in_the_jdk_given(tmp_path, jdk25_home):
    """--handshake beside --model-only (or where the model decides): the handshake runs in the JDK --jdk
    names, not the one on the PATH."""
    folder = pair(tmp_path / "pair")
    report = api.verify_pair(folder, password=PASSWORD, jdk=str(jdk25_home), model_only=True)
    found = api.run_handshake(report, passwords={role: PASSWORD for role in ROLES})
    assert found.code == "handshake-ok" and "JSSE (java 25" in found.message, found.message
