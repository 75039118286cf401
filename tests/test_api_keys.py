"""jkstool.api.keys against keytool and OpenSSL: a key made, requested, signed and answered; a PEM key brought
in; an entry given back as PEM. Each store written is read back by keytool, each PEM by OpenSSL."""

import hashlib
import stat
import subprocess
import sys

import pytest
from helpers import PASSWORD, private_copy

from jkstool.api import JkstoolError, import_ca, init_pair, read_store
from jkstool.api.keys import (
    create_request,
    export_entry,
    generate_key,
    import_key,
    install_reply,
    load_ca,
    sign_request,
)
from jkstool.api.outputs import write_files
from jkstool.formats import certfile
from jkstool.pki import certs


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """A mutual-TLS layout: its CA (ca/ca.pem, ca/ca-key.pem encrypted with the password) signs."""
    return init_pair(tmp_path_factory.mktemp("api-keys") / "tls", password=PASSWORD)


@pytest.fixture
def ca(layout):
    return load_ca(layout.folder / "ca" / "ca.pem", layout.folder / "ca" / "ca-key.pem", password=PASSWORD)


def sha256s(pem: bytes) -> tuple[str, ...]:
    return tuple(certs.sha256(c) for c in certfile.parse_certificates(pem))


def leaf_only(pem: bytes) -> bytes:
    """The first certificate of a PEM chain."""
    return pem.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"


def test_generate_key_adds_a_key_entry_keytool_reads(tmp_path, keytool_inventory, openssl):
    store = tmp_path / "server.p12"
    entry = generate_key(store, "server", "api.example.test", sans=["DNS:api.example.test", "IP:10.1.2.3"],
                         key_type="ec-p384", days=30, password=PASSWORD)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    (kind, chain), = keytool_inventory(store).values()
    assert kind == "PrivateKeyEntry" and chain == (certs.sha256(entry.chain[0]),)
    (tmp_path / "leaf.der").write_bytes(entry.chain[0])
    text = openssl("x509", "-inform", "DER", "-in", tmp_path / "leaf.der", "-noout", "-text", "-nameopt",
                   "RFC2253").stdout.decode()
    assert "Subject: CN=api.example.test" in text and "Issuer: CN=api.example.test" in text
    assert "DNS:api.example.test, IP Address:10.1.2.3" in text and "secp384r1" in text

    before = digest(store)
    with pytest.raises(JkstoolError, match="an entry with this alias exists") as refused:
        generate_key(store, "SERVER", "other", password=PASSWORD)
    assert refused.value.path == str(store) and digest(store) == before
    second = generate_key(store, "rsa", "rsa.example.test", key_type="rsa-2048", password=PASSWORD)
    assert sorted(keytool_inventory(store)) == ["rsa", "server"]
    assert read_store(store, PASSWORD).store.key_entry("rsa").chain == second.chain


def test_generate_key_checks_a_new_store_password_and_writes_nothing(tmp_path):
    with pytest.raises(JkstoolError, match="shorter than 6 characters"):
        generate_key(tmp_path / "weak.p12", "k", "k", password="abc")
    with pytest.raises(JkstoolError, match="unknown key type"):
        generate_key(tmp_path / "odd.p12", "k", "k", key_type="dsa-1024", password=PASSWORD)
    assert list(tmp_path.iterdir()) == []
    generate_key(tmp_path / "weak.jks", "k", "k", password="abc", allow_weak=True)
    assert [e.alias for e in read_store(tmp_path / "weak.jks", "abc").store] == ["k"]


def test_create_request_verifies_with_openssl_and_carries_the_sans(tmp_path, openssl):
    store = tmp_path / "k.jks"
    generate_key(store, "k", "k.example.test", sans=["DNS:k.example.test", "URI:spiffe://example.test/k"],
                 password=PASSWORD)
    csr = tmp_path / "k.csr"
    csr.write_bytes(create_request(store, "k", password=PASSWORD))
    shown = openssl("req", "-in", csr, "-verify", "-noout", "-text", "-nameopt", "RFC2253")
    assert b"verify OK" in shown.stdout + shown.stderr
    assert b"Subject: CN=k.example.test" in shown.stdout
    assert b"DNS:k.example.test, URI:spiffe://example.test/k" in shown.stdout
    csr.write_bytes(create_request(store, "k", sans=["DNS:other.example.test"], password=PASSWORD))
    shown = openssl("req", "-in", csr, "-noout", "-text").stdout
    assert b"DNS:other.example.test" in shown and b"spiffe" not in shown
    with pytest.raises(JkstoolError, match="no entry has this alias"):
        create_request(store, "nope", password=PASSWORD)


@pytest.mark.parametrize("profile,purpose,wrong", [("server", "sslserver", "sslclient"),
                                                   ("client", "sslclient", "sslserver")])
def test_sign_request_gives_a_certificate_openssl_verifies_for_its_profile(tmp_path, openssl, layout, ca, profile,
                                                                           purpose, wrong):
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", tmp_path / "x.key", "-subj", "/CN=x.example.test", "-out", tmp_path / "x.csr",
            "-addext", "subjectAltName=DNS:x.example.test")
    reply = sign_request(tmp_path / "x.csr", ca, profile, days=10)
    assert sha256s(reply)[1:] == sha256s((layout.folder / "ca" / "ca.pem").read_bytes())
    (tmp_path / "x.pem").write_bytes(reply)
    cafile = layout.folder / "ca" / "ca.pem"
    assert b": OK" in openssl("verify", "-purpose", purpose, "-CAfile", cafile, tmp_path / "x.pem").stdout
    assert openssl("verify", "-purpose", wrong, "-CAfile", cafile, tmp_path / "x.pem", check=False).returncode != 0
    text = openssl("x509", "-in", tmp_path / "x.pem", "-noout", "-text").stdout
    assert b"DNS:x.example.test" in text
    (tmp_path / "y.pem").write_bytes(sign_request(tmp_path / "x.csr", ca, profile, sans=["DNS:y.example.test"]))
    text = openssl("x509", "-in", tmp_path / "y.pem", "-noout", "-text").stdout
    assert b"DNS:y.example.test" in text and b"DNS:x.example.test" not in text


def test_sign_request_and_load_ca_refuse_what_would_not_work(tmp_path, layout, ca):
    csr = tmp_path / "k.csr"
    generate_key(tmp_path / "k.p12", "k", "k", password=PASSWORD)
    csr.write_bytes(create_request(tmp_path / "k.p12", "k", password=PASSWORD))
    with pytest.raises(JkstoolError, match="unknown profile 'Server'"):
        sign_request(csr, ca, "Server")
    with pytest.raises(JkstoolError, match="not a PKCS#10 certificate request") as e:
        sign_request(layout.folder / "ca" / "ca.pem", ca, "server")
    assert e.value.path == str(layout.folder / "ca" / "ca.pem")
    with pytest.raises(JkstoolError, match="the CA key is encrypted"):
        load_ca(layout.folder / "ca" / "ca.pem", layout.folder / "ca" / "ca-key.pem")
    (tmp_path / "leaf.pem").write_bytes(sign_request(csr, ca, "server"))
    with pytest.raises(JkstoolError, match="is not a CA"):
        load_ca(tmp_path / "leaf.pem", layout.folder / "ca" / "ca-key.pem", password=PASSWORD)


def test_a_key_generated_requested_signed_and_answered_is_what_keytool_lists(tmp_path, ca, layout, keytool_inventory):
    store = tmp_path / "server.p12"
    generate_key(store, "server", "api.example.test", sans=["DNS:api.example.test"], password=PASSWORD)
    (tmp_path / "server.csr").write_bytes(create_request(store, "server", password=PASSWORD))
    reply = tmp_path / "reply.pem"
    reply.write_bytes(leaf_only(sign_request(tmp_path / "server.csr", ca, "server")))  # the chain: elsewhere
    other = tmp_path / "other.p12"
    generate_key(other, "other", "other", password=PASSWORD)
    (tmp_path / "other.pem").write_bytes(export_entry(other, password=PASSWORD).cert)

    before = digest(store)
    with pytest.raises(JkstoolError, match="the reply is for another key") as e:
        install_reply(store, "server", tmp_path / "other.pem", password=PASSWORD)
    assert (e.value.path, e.value.alias) == (str(tmp_path / "other.pem"), "server")
    with pytest.raises(JkstoolError, match="cannot complete the chain"):
        install_reply(store, "server", reply, password=PASSWORD)
    assert digest(store) == before

    entry = install_reply(store, "server", reply, ca_certificates=[layout.folder / "ca" / "ca.pem"],
                          password=PASSWORD)
    (kind, chain), = keytool_inventory(store).values()
    assert kind == "PrivateKeyEntry" and chain == tuple(certs.sha256(c) for c in entry.chain)
    assert chain == sha256s(reply.read_bytes()) + sha256s((layout.folder / "ca" / "ca.pem").read_bytes())


def test_install_reply_completes_the_chain_from_the_stores_trusted_entries(tmp_path, ca, layout, keytool_inventory):
    store = tmp_path / "server.jks"
    generate_key(store, "server", "s", password=PASSWORD)
    import_ca(store, [layout.folder / "ca" / "ca.pem"], password=PASSWORD, alias="ca")
    (tmp_path / "s.csr").write_bytes(create_request(store, "server", password=PASSWORD))
    reply = tmp_path / "s.pem"
    reply.write_bytes(leaf_only(sign_request(tmp_path / "s.csr", ca, "client")))
    entry = install_reply(store, "server", reply, password=PASSWORD)
    inventory = keytool_inventory(store)
    assert inventory["server"] == ("PrivateKeyEntry", tuple(certs.sha256(c) for c in entry.chain))
    assert len(entry.chain) == 2 and inventory["ca"][1] == (certs.sha256(entry.chain[1]),)


@pytest.fixture
def pem_key(tmp_path, openssl, ca):
    """An OpenSSL key (SEC1, and PKCS#8 encrypted with key-secret) and its certificate chain from the CA."""
    key = tmp_path / "a.key"
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
    key.chmod(0o600)
    openssl("pkcs8", "-topk8", "-in", key, "-out", tmp_path / "a-enc.key", "-passout", "pass:key-secret")
    openssl("req", "-new", "-key", key, "-subj", "/CN=a", "-out", tmp_path / "a.csr")
    chain = tmp_path / "a.pem"
    chain.write_bytes(sign_request(tmp_path / "a.csr", ca, "client"))
    return key, tmp_path / "a-enc.key", chain


def test_import_key_makes_a_key_entry_of_an_openssl_key(tmp_path, pem_key, openssl, keytool_inventory):
    key, encrypted, chain = pem_key
    store = tmp_path / "client.p12"
    entry = import_key(store, "client", key, chain, password=PASSWORD)
    (kind, prints), = keytool_inventory(store).values()
    assert kind == "PrivateKeyEntry" and prints == sha256s(chain.read_bytes())
    exported = tmp_path / "back.key"
    exported.write_bytes(export_entry(store, password=PASSWORD, with_key=True, encrypt_key=False).key)
    assert openssl("pkey", "-in", exported, "-pubout").stdout == openssl("pkey", "-in", key, "-pubout").stdout
    assert entry.chain == read_store(store, PASSWORD).store.key_entry("client").chain

    with pytest.raises(JkstoolError, match=r"the key file is encrypted: give key_file_password=\.\.\.") as e:
        import_key(tmp_path / "enc.p12", "client", encrypted, chain, password=PASSWORD)
    assert e.value.path == str(encrypted) and not (tmp_path / "enc.p12").exists()
    with pytest.raises(JkstoolError, match=r"\(check key_file_password=\.\.\.\)"):
        import_key(tmp_path / "enc.p12", "client", encrypted, chain, key_file_password="wrong", password=PASSWORD)
    import_key(tmp_path / "enc.p12", "client", encrypted, chain, key_file_password="key-secret", password=PASSWORD)
    assert keytool_inventory(tmp_path / "enc.p12")["client"][1] == prints


def test_import_key_refuses_a_certificate_for_another_key_and_writes_nothing(tmp_path, pem_key, layout):
    key, _, _ = pem_key
    other = layout.folder / "ca" / "ca.pem"
    with pytest.raises(JkstoolError, match=f"does not belong to any of the certificates in {other}") as e:
        import_key(tmp_path / "k.p12", "a", key, other, password=PASSWORD)
    assert (e.value.path, e.value.alias) == (str(key), "a")
    with pytest.raises(JkstoolError, match="the key file holds no private key, and must hold one"):
        import_key(tmp_path / "k.p12", "a", other, other, password=PASSWORD)
    assert not (tmp_path / "k.p12").exists()


def test_export_entry_gives_pem_openssl_reads(tmp_path, layout, openssl):
    store = layout.store_path("server-keystore")
    export = export_entry(store, password=PASSWORD, with_key=True)
    assert export.alias == "server" and export.encrypted
    assert sha256s(export.chain) == tuple(certs.sha256(c) for c in
                                          read_store(store, PASSWORD).store.key_entry("server").chain)
    assert sha256s(export.cert) == sha256s(export.chain)[:1]
    items = export.files(cert=tmp_path / "cert.pem", chain=tmp_path / "chain.pem", key=tmp_path / "key.pem")
    write_files(items)
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "chain.pem").stat().st_mode) & 0o044
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "key.pem").read_bytes()
    public = openssl("x509", "-in", tmp_path / "cert.pem", "-noout", "-pubkey").stdout
    assert openssl("pkey", "-in", tmp_path / "key.pem", "-passin", f"pass:{PASSWORD}", "-pubout").stdout == public
    clear = export_entry(store, alias="server", password=PASSWORD, with_key=True, encrypt_key=False)
    assert clear.key.startswith(b"-----BEGIN PRIVATE KEY-----") and not clear.encrypted
    assert "PRIVATE" not in repr(clear) and "key=" not in repr(clear)
    assert export_entry(store, password=PASSWORD).key is None


def test_export_entry_refuses_what_it_cannot_give(tmp_path, layout):
    truststore = layout.store_path("server-truststore")
    assert export_entry(truststore, alias="ca", password=PASSWORD).cert.startswith(b"-----BEGIN CERTIFICATE")
    with pytest.raises(JkstoolError, match="a trusted certificate has no key"):
        export_entry(truststore, alias="ca", password=PASSWORD, with_key=True)
    with pytest.raises(JkstoolError, match=r"the store holds no private key \(a truststore\?\)"):
        export_entry(truststore, password=PASSWORD)
    plain = tmp_path / "plain.pem"
    plain.write_bytes(b"".join(
        [export_entry(layout.store_path("client-keystore"), password=PASSWORD, with_key=True,
                      encrypt_key=False).key, export_entry(layout.store_path("client-keystore"),
                                                           password=PASSWORD).chain]))
    plain.chmod(0o600)
    with pytest.raises(JkstoolError, match=r"an encrypted key needs a password: give password=\.\.\., or "
                                           r"encrypt_key=False"):
        export_entry(plain, with_key=True)
    assert export_entry(plain, with_key=True, encrypt_key=False).key.startswith(b"-----BEGIN PRIVATE KEY")
    with pytest.raises(JkstoolError, match="give with_key=True"):
        export_entry(plain).files(key=tmp_path / "k.pem")


def test_what_reading_noticed_is_told_as_it_is_noticed(tmp_path, pem_key):
    store = private_copy("jdk17-keytool.p12", tmp_path)
    store.chmod(0o644)  # as keytool leaves it: its keys are encrypted with the store password, nothing is said
    told = []
    generate_key(store, "new", "new", password=PASSWORD, warn=lambda path, message: told.append((path, message)))
    assert told == []
    key, _, chain = pem_key
    key.chmod(0o644)
    told.clear()
    import_key(tmp_path / "k.p12", "k", key, chain, password=PASSWORD, warn=lambda *said: told.append(said))
    assert [(path, message.split(" (")[0]) for path, message in told] == \
        [(key, "it holds private keys and other users can read it")]
    told.clear()
    export_entry(store, alias="new", password=PASSWORD, warn=lambda *said: told.append(said))
    assert told == []


def test_importing_the_keys_api_loads_no_cryptography():
    code = "import sys, jkstool.api.keys; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('cryptography', 'Cryptodome', 'OpenSSL')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
