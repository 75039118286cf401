"""Round trips through every format, compared on the model, plus each format's edge cases."""

import dataclasses
import os
import random

import pytest
from cryptography.hazmat.primitives import serialization
from helpers import CREATED, FIXTURES, KEY_TYPES, PASSWORD, MiniCA, der, new_key, pkcs8, sample_store

from jkstool import formats
from jkstool.errors import JkstoolError, KeyPasswordError, PasswordError
from jkstool.formats import pem, pkcs12
from jkstool.model import PrivateKeyEntry, SecretKeyEntry, Store, TrustedCertEntry

WRITABLE = ("jks", "pkcs12", "pem")


def kept_by(store: Store, fmt: str) -> Store:
    """`store` as `fmt` can keep it: PKCS12 and PEM (like Java's PKCS12) keep no
    creation date for trusted certificates."""
    if fmt == "jks":
        return store
    return Store(dataclasses.replace(e, created=None) if isinstance(e, TrustedCertEntry) else e
                 for e in store)


def with_dated_trust(store: Store) -> Store:
    return Store(dataclasses.replace(e, created=CREATED) if isinstance(e, TrustedCertEntry) else e
                 for e in store)


@pytest.mark.parametrize("fmt", WRITABLE)
@pytest.mark.parametrize("key_types", [("rsa",), ("ec",), ("ed25519",), KEY_TYPES],
                         ids=["rsa", "ec", "ed25519", "all"])
def test_round_trip_keeps_every_entry(fmt, key_types):
    store = with_dated_trust(sample_store(key_types, secret=fmt == "pkcs12"))
    loaded = formats.load(formats.dump(store, fmt, PASSWORD), PASSWORD)
    assert loaded.store == kept_by(store, fmt)
    assert loaded.type == formats.WRITE_TYPES[fmt].upper()


@pytest.mark.parametrize("source", WRITABLE)
@pytest.mark.parametrize("target", WRITABLE)
def test_every_format_pair_converts_without_loss(source, target):
    store = with_dated_trust(sample_store())
    first = formats.load(formats.dump(store, source, PASSWORD), PASSWORD).store
    second = formats.load(formats.dump(first, target, "other-password"), "other-password").store
    expected = kept_by(kept_by(store, source), target)
    if target == "jks" and source != "jks":  # JKS dates the trusted entries that lost their date
        assert all(e.created is not None for e in second)
        second = kept_by(second, source)
    assert second == expected


@pytest.mark.parametrize("label", ["jdk17", "jdk25"])
def test_jceks_converts_to_pkcs12_with_its_secret_key(label):
    jceks = formats.load((FIXTURES / f"{label}-keytool.jceks").read_bytes(), PASSWORD).store
    back = formats.load(formats.dump(jceks, "pkcs12", PASSWORD), PASSWORD).store
    assert back == kept_by(jceks, "pkcs12")
    assert back["secret"].algorithm == "AES" and len(back["secret"].key) == 16


def test_pkcs12_legacy_round_trip():
    store = sample_store(secret=True)
    data = formats.dump(store, "pkcs12", PASSWORD, profile="legacy")
    assert formats.load(data, PASSWORD).store == kept_by(store, "pkcs12")


@pytest.mark.parametrize("fmt", ["jks", "pem"])
def test_secret_key_is_refused_where_the_format_cannot_hold_it(fmt):
    with pytest.raises(JkstoolError) as error:
        formats.dump(sample_store(secret=True), fmt, PASSWORD)
    assert error.value.alias == "secret"


@pytest.mark.parametrize("fmt", ["jks", "pkcs12"])
def test_wrong_password_fails_the_integrity_check(fmt):
    data = formats.dump(sample_store(), fmt, PASSWORD)
    with pytest.raises(PasswordError, match="integrity check failed"):
        formats.load(data, "wrong")


def with_own_key_passwords(store: Store, password: str) -> Store:
    return Store(dataclasses.replace(e, key_password=password) if not isinstance(e, TrustedCertEntry) else e
                 for e in store)


@pytest.mark.parametrize("fmt", WRITABLE)
def test_a_key_password_other_than_the_store_password(fmt):
    store = with_own_key_passwords(with_dated_trust(sample_store(("ec",), secret=fmt == "pkcs12")), "own-pass")
    data = formats.dump(store, fmt, PASSWORD)
    with pytest.raises(KeyPasswordError) as error:
        formats.load(data, PASSWORD)
    assert error.value.alias == "key-ec"
    loaded = formats.load(data, PASSWORD, "own-pass").store
    assert loaded == kept_by(store, fmt)
    assert all(e.key_password == "own-pass" for e in loaded if not isinstance(e, TrustedCertEntry))
    # written back as read: the key keeps its own password
    again = formats.dump(loaded, fmt, "new-store-pass")
    assert formats.load(again, "new-store-pass", "own-pass").store == kept_by(store, fmt)


def test_keys_with_the_store_password_and_keys_with_their_own_live_together():
    ca = MiniCA()
    store = Store([ca.key_entry("shared"), dataclasses.replace(ca.key_entry("own"), key_password="own-pass")])
    loaded = formats.load(formats.dump(store, "jks", PASSWORD), PASSWORD, "own-pass").store
    assert loaded["shared"].key_password is None and loaded["own"].key_password == "own-pass"


def test_jks_without_password_lists_certificates_unverified():
    store = sample_store()
    loaded = formats.load(formats.dump(store, "jks", PASSWORD), None)
    assert loaded.verified is False
    assert [e.certificates for e in loaded.store] == [e.certificates for e in store]
    assert all(e.key is None for e in loaded.store if isinstance(e, PrivateKeyEntry))


def test_pkcs12_with_encrypted_certificates_needs_the_password():
    with pytest.raises(PasswordError, match="certificates are encrypted"):
        formats.load(formats.dump(sample_store(), "pkcs12", PASSWORD), None)


def test_pkcs12_empty_password():
    store = sample_store(("ec",))
    assert formats.load(formats.dump(store, "pkcs12", ""), "").store == kept_by(store, "pkcs12")


def test_jks_aliases_are_lowercased_like_java():
    ca = MiniCA()
    store = Store([ca.key_entry("Server"), ca.trusted("Root-CA")])
    for fmt in ("jks", "pkcs12"):
        aliases = [e.alias for e in formats.load(formats.dump(store, fmt, PASSWORD), PASSWORD).store]
        assert sorted(aliases) == ["root-ca", "server"]


def test_store_aliases_compare_case_insensitively():
    ca = MiniCA()
    store = Store([ca.key_entry("server")])
    assert "SERVER" in store and store["Server"].alias == "server"
    with pytest.raises(JkstoolError, match="two entries have this alias"):
        store.add(ca.trusted("Server"))


def test_key_entries_made_in_the_same_millisecond_keep_distinct_pkcs12_ids():
    ca = MiniCA()
    store = Store([ca.key_entry("a"), ca.key_entry("b")])  # both dated CREATED
    ids = pkcs12.key_ids(store)
    assert len(set(ids.values())) == 2
    back = formats.load(formats.dump(store, "pkcs12", PASSWORD), PASSWORD).store
    assert back["a"].chain == store["a"].chain and back["b"].chain == store["b"].chain


def test_repr_never_shows_key_material():
    store = sample_store(secret=True)
    text = repr(store)
    for entry in store:
        if not isinstance(entry, TrustedCertEntry):
            assert repr(entry.key) not in text and entry.key.hex() not in text


# -- PEM -----------------------------------------------------------------------

def _pem_key(key, fmt, password=None):
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


def _pem_cert(data):
    from cryptography import x509
    return x509.load_der_x509_certificate(data).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
@pytest.mark.parametrize("fmt", [serialization.PrivateFormat.PKCS8,
                                 serialization.PrivateFormat.TraditionalOpenSSL],
                         ids=["pkcs8", "traditional"])
@pytest.mark.parametrize("password", [None, "pem-pass"], ids=["plain", "encrypted"])
def test_plain_pem_bundle_reads_as_a_key_entry_with_its_chain(kind, fmt, password):
    """PKCS#8, PKCS#1 and SEC1 keys, encrypted or not, before or after their chain."""
    ca = MiniCA()
    entry = ca.key_entry("x", kind)
    key = serialization.load_der_private_key(entry.key, None)
    bundle = b"".join(_pem_cert(c) for c in reversed(entry.chain)) + _pem_key(key, fmt, password)
    store = formats.load(bundle, password).store
    assert len(store) == 1
    (read,) = store
    assert read.chain == entry.chain
    assert serialization.load_der_private_key(read.key, None).private_numbers() == key.private_numbers()
    assert read.alias == "x.example.test"


def test_pem_bundle_of_certificates_reads_as_trusted_entries_with_derived_aliases():
    cas = [MiniCA(n) for n in ("One", "Two")]
    bundle = b"".join(_pem_cert(der(ca.root)) for ca in cas) + _pem_cert(der(cas[0].root))
    store = formats.load(bundle, None).store
    aliases = [e.alias for e in store]
    assert aliases[:2] == ["one-root-ca", "two-root-ca"]
    assert aliases[2].startswith("one-root-ca-")  # a collision gets a fingerprint suffix
    assert all(isinstance(e, TrustedCertEntry) for e in store)


def test_pem_store_keeps_aliases_pairing_and_dates():
    store = with_dated_trust(sample_store())
    text = pem.dump(store, PASSWORD).decode()
    assert "friendlyName: key-ec" in text and "ENCRYPTED PRIVATE KEY" in text
    assert "BEGIN PRIVATE KEY" not in text
    assert formats.load(text.encode(), PASSWORD).store == kept_by(store, "pem")


def test_pem_unencrypted_keys_on_request():
    store = sample_store(("ec",))
    data = pem.dump(store, None, encrypt_keys=False)
    assert b"BEGIN PRIVATE KEY" in data and b"ENCRYPTED" not in data
    assert formats.load(data, None).store == kept_by(store, "pem")


def test_pem_wrong_key_password():
    data = pem.dump(sample_store(("rsa",)), PASSWORD)
    with pytest.raises(KeyPasswordError):
        formats.load(data, "wrong")


def test_pem_encrypted_key_without_password_lists_certificates():
    data = pem.dump(sample_store(("rsa",)), PASSWORD)
    loaded = formats.load(data, None)
    assert loaded.store["key-rsa"].key is None and len(loaded.store["key-rsa"].chain) == 3


# -- damaged input -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", WRITABLE)
def test_truncated_stores_fail_cleanly(fmt):
    data = formats.dump(sample_store(), fmt, PASSWORD)
    for cut in (1, 7, len(data) // 3, len(data) // 2, len(data) - 1):
        try:
            formats.load(data[:cut], PASSWORD)
        except JkstoolError:
            continue
        assert fmt == "pem", f"{fmt} cut at {cut} was accepted"


@pytest.mark.parametrize("data", [b"", b"\0" * 10, random.Random(64).randbytes(64), b"hello world\n",
                                  b"\xfe\xed\xfe\xed", b"\x30\x03\x02\x01\x03"])
def test_garbage_is_a_clean_error(data):
    with pytest.raises(JkstoolError):
        formats.load(data, PASSWORD)


def test_detect_by_content_not_name():
    store = sample_store(("ec",))
    assert formats.detect(formats.dump(store, "jks", PASSWORD)) == "JKS"
    assert formats.detect(formats.dump(store, "pkcs12", PASSWORD)) == "PKCS12"
    assert formats.detect(formats.dump(store, "pem", PASSWORD)) == "PEM"
    assert formats.detect((FIXTURES / "jdk17-keytool.jceks").read_bytes()) == "JCEKS"


def test_new_key_helper_types():
    assert {type(new_key(k)).__name__ for k in KEY_TYPES}  # sanity of the helper itself
    assert pkcs8(new_key("ed25519"))[:2] == b"\x30\x2e"


def test_secret_key_entry_round_trips_in_pkcs12_only():
    store = Store([SecretKeyEntry("k", "HmacSHA256", os.urandom(32), CREATED)])
    assert formats.load(formats.dump(store, "pkcs12", PASSWORD), PASSWORD).store == store


@pytest.mark.parametrize("fmt", WRITABLE)
def test_lenient_load_lists_keys_that_do_not_open(fmt):
    store = with_own_key_passwords(sample_store(("ec", "rsa")), "own-pass")
    loaded = formats.load(formats.dump(store, fmt, PASSWORD), PASSWORD, strict=False)
    assert sorted(loaded.locked) == ["key-ec", "key-rsa"]
    assert all(e.key is None for e in loaded.store if isinstance(e, PrivateKeyEntry))


def test_a_certificate_no_parser_takes_is_described_from_its_der_and_kept_byte_for_byte(tmp_path):
    """Java may take certificates cryptography refuses (here: version 4): they are listed as far as their DER
    shows, and written back unchanged."""
    from helpers import certificate, der, new_key

    from jkstool import der as asn1
    from jkstool.pki import certs
    original = der(certificate(new_key("ec"), "odd"))
    tbs = asn1.items(asn1.items(asn1.decode(original, asn1.SEQUENCE))[0][1])
    assert tbs[0] == (asn1.context(0), bytes.fromhex("020102"))  # [0] INTEGER 2: version 3
    odd_tbs = asn1.sequence(asn1.explicit(0, asn1.integer(3)), *(asn1.encode(t, v) for t, v in tbs[1:]))
    rest = asn1.items(asn1.decode(original, asn1.SEQUENCE))[1:]
    odd = asn1.sequence(odd_tbs, *(asn1.encode(t, v) for t, v in rest))
    facts = certs.facts(odd)
    assert (facts.subject, facts.sha256) == ("CN=odd", certs.sha256(odd)) and "cannot be parsed" in facts.parse_warning
    assert "only its SHA-256" in certs.facts(b"\x30\x03\x02\x01\x01").parse_warning
    path = tmp_path / "odd.jks"
    formats.write_store(path, Store([TrustedCertEntry("odd", odd)]), "jks", PASSWORD)
    copy = tmp_path / "odd.p12"
    formats.write_store(copy, formats.read_store(path, PASSWORD).store, "pkcs12", PASSWORD)
    assert formats.read_store(copy, PASSWORD).store.trusted("odd").cert == odd


@pytest.mark.parametrize("alias", ["new\nline", "new\n-----BEGIN CERTIFICATE-----", " lead", "trail ", "", "tab\there"])
def test_an_alias_pem_cannot_keep_is_refused_not_changed(tmp_path, keytool, alias):
    """Java keeps any alias (keytool lists it); PEM's friendlyName line cannot hold a line break (it would
    start a line of the file's own) nor spaces at its ends: converting such an entry to PEM is refused,
    naming it, and no file is written."""
    from helpers import run
    store = tmp_path / "odd.jks"
    formats.write_store(store, Store([TrustedCertEntry(alias, der(MiniCA("Odd").root))]), "jks", PASSWORD)
    assert "contains 1 entry" in keytool("-list", "-keystore", store, password=PASSWORD).stdout
    result = run("convert", store, tmp_path / "odd.pem", "--storepass", f"pass:{PASSWORD}")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "a PEM file cannot keep this alias" in result.stderr and "jkstool rename" in result.stderr
    assert not (tmp_path / "odd.pem").exists()


def test_a_pem_key_whose_certificate_is_in_another_keys_chain_keeps_it(tmp_path, openssl, keytool_inventory):
    """A leaf's key and its CA's key in one PEM file (openssl's output, concatenated): the CA's certificate is
    the leaf's chain and the CA key's own. Both become key entries, as keytool then lists them."""
    from helpers import run
    for name in ("ca", "leaf"):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", tmp_path / f"{name}.key")
    openssl("req", "-x509", "-new", "-key", tmp_path / "ca.key", "-subj", "/CN=Two Keys CA", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-out", tmp_path / "ca.pem")
    openssl("req", "-new", "-key", tmp_path / "leaf.key", "-subj", "/CN=two-keys leaf", "-out", tmp_path / "leaf.csr")
    openssl("x509", "-req", "-in", tmp_path / "leaf.csr", "-CA", tmp_path / "ca.pem", "-CAkey", tmp_path / "ca.key",
            "-set_serial", "2", "-days", "30", "-out", tmp_path / "leaf.pem")
    both = tmp_path / "both.pem"
    both.write_bytes(b"".join((tmp_path / n).read_bytes() for n in ("leaf.key", "ca.key", "leaf.pem", "ca.pem")))
    both.chmod(0o600)
    store = tmp_path / "both.p12"
    result = run("convert", both, store, "--dest-storepass", f"pass:{PASSWORD}")
    assert result.exit_code == 0, result.stderr
    listed = keytool_inventory(store, password=PASSWORD)
    assert sorted((kind, len(chain)) for kind, chain in listed.values()) == [("PrivateKeyEntry", 1),
                                                                            ("PrivateKeyEntry", 2)]
