"""Known answers for jkstool's hand-written codecs, from vectors published by others; no JVM needed.

- DER: X.690's own examples (ITU-T X.690, 8.1.3 and 8.19.5).
- The PKCS#12 key derivation (RFC 7292 appendix B) and pbeWithSHAAnd3-KeyTripleDES-CBC: the values
  pyjks's test suite pins (tests/test_jks.py, test_pkcs12_key_derivation and
  test_decrypt_PBEWithSHAAnd3KeyTripleDESCBC), themselves checked against Bouncy Castle.
- PBES1/PBES2 in PKCS#8 and PKCS#12: the encrypted files of the cryptography-vectors package,
  decrypted here and compared with what cryptography itself reads from them.
- The JKS and JCE key protectors, the JKS/JCEKS container and the Java serialization reader:
  pyjks's test keystores (fixtures/pyjks/, see its README) with the key bytes pyjks documents.
"""

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12
from helpers import FIXTURES

from jkstool import der, formats
from jkstool.formats import _javaser as javaser
from jkstool.formats import _pbe as pbe
from jkstool.pki import certs

VECTORS = Path(pytest.importorskip("cryptography_vectors").__file__).parent
PYJKS = FIXTURES / "pyjks"
SALT = bytes.fromhex("0102030405060708")
FANCY = "\u10DA\u0028\u0CA0\u76CA\u0CA0\u10DA\u0029"
KEY, IV, MAC = 1, 2, 3


# -- DER (X.690) ------------------------------------------------------------------------------

def test_der_lengths_short_and_long_form():
    assert der.header(bytes.fromhex("0403") + b"abc", 0) == (0x04, 2, 3)
    assert der.header(bytes.fromhex("048201b3") + bytes(0x1B3), 0) == (0x04, 4, 0x1B3)  # X.690 8.1.3.5 example
    assert der.encode(0x04, bytes(0x1B3))[:4] == bytes.fromhex("048201b3")
    assert der.encode(0x04, b"abc") == bytes.fromhex("0403") + b"abc"


def test_der_object_identifier():
    # X.690 8.19.5's example, {2 999 3}, and RSA's arc as every PKCS file carries it.
    assert der.oid("2.999.3") == bytes.fromhex("0603883703")
    assert der.to_oid(bytes.fromhex("883703")) == "2.999.3"
    assert der.oid("1.2.840.113549") == bytes.fromhex("06062a864886f70d")


def test_der_refuses_what_it_cannot_trust():
    for damaged in (bytes.fromhex("04"), bytes.fromhex("0485ffffffffff"), bytes.fromhex("040a") + b"short",
                    bytes.fromhex("0480") + b"x", bytes.fromhex("1f81")):
        with pytest.raises(der.DerError):
            der.decode(damaged)


# -- RFC 7292 key derivation and the PKCS#12 PBE ciphers ----------------------------------------

@pytest.mark.parametrize("password,salt,iterations,purpose,size,expected", [
    ("", SALT, 1000, MAC, 16, "e77685016a53621e9a2a8a0f80002e70"),
    ("", SALT, 1000, MAC, 17, "e77685016a53621e9a2a8a0f80002e70fe"),
    ("", bytes.fromhex("bf0aaa4f84b44e41160a11b7ed9858a0953b4bf8"), 2010, KEY, 2, "1bee"),
    ("password", SALT, 1000, MAC, 0, ""),
    ("password", SALT, 1000, MAC, 16, "212bab71422d31a5d3934c20e5e77eb7"),
    ("password", SALT, 1000, MAC, 17, "212bab71422d31a5d3934c20e5e77eb7ed"),
    ("password", SALT, 1000, KEY, 17, "e80bdd020155317f30b854cb9f78118176"),
    ("password", SALT, 1000, IV, 17, "2768917cf9f433b0a64a9fccbc805fd648"),
    (FANCY, SALT, 1000, KEY, 129,
     "5e3dab11d7552caf582f61bd95dd03a783a4f02aebdc865cdb1eae2c8f9182a584bfab23751c839634cf0ec16c84d715"
     "d17c103d8ba8ef1f63b471df154fc286f95cba37add3e2b2aab33760423d6929d19647326c4157fa0e2087d6a740ae0f"
     "e817d88eda1253ac7e1999c62620ed5dcd44e4ed05b9dc396a911b00bb393ed89b"),
], ids=lambda v: v if isinstance(v, (int, str)) and len(str(v)) < 12 else None)
def test_pkcs12_key_derivation(password, salt, iterations, purpose, size, expected):
    assert pbe.kdf_pkcs12("sha1", password, salt, iterations, purpose, size).hex() == expected


@pytest.mark.parametrize("ciphertext,password,plain", [
    ("69eaff2865850a68", "mypassword", b"sample"),
    ("73f1c71474a30459", FANCY, b"sample"),
    ("4cbbc803093527cbd69881ba93757a9660f25ba91e32e24d", "mypassword", b"-------16-------"),
    ("e1ce6da15b810cdd1c7cbd144a64c4a1da2627e350879dd1", FANCY, b"-------16-------"),
])
def test_pbe_sha1_3des(ciphertext, password, plain):
    algorithm = der.oid(pbe.PBE_SHA1_3DES) + der.sequence(der.octets(SALT), der.integer(1000))
    assert pbe.decrypt(algorithm, bytes.fromhex(ciphertext), password) == plain
    with pytest.raises(pbe.PbeError):
        pbe.decrypt(algorithm, bytes.fromhex(ciphertext), "not the password")


# -- PBES1 and PBES2 in files written by others (cryptography-vectors) --------------------------

@pytest.mark.parametrize("name,password", [
    ("enc2-rsa-pkcs8.pem", "baz"),                 # PBES2, PBKDF2-HMAC-SHA1, AES-128-CBC
    ("enc-rsa-3des.pem", "password"),              # PBES2, PBKDF2-HMAC-SHA256, DES-EDE3-CBC
    ("rsa-40bitrc2.pem", "baz"),                   # pbeWithSHAAnd40BitRC2-CBC
    ("rsa-pbe-3des-long-salt.pem", "password"),    # pbeWithSHAAnd3-KeyTripleDES-CBC, a long salt
    ("pkcs12_s2k_pem-X_9607.pem", "123456"),       # pbeWithSHAAnd3-KeyTripleDES-CBC
])
def test_encrypted_pkcs8_from_cryptography_vectors(name, password):
    data = (VECTORS / "asymmetric" / "PKCS8" / name).read_bytes()
    body = b"".join(line for line in data.splitlines() if line and not line.startswith(b"-----"))
    pkcs8 = pbe.decrypt_pkcs8(base64.b64decode(body), password)
    theirs = serialization.load_pem_private_key(data, password.encode())
    ours = serialization.load_der_private_key(pkcs8, None)
    assert ours.private_numbers() == theirs.private_numbers()


@pytest.mark.parametrize("name", ["cert-key-aes256cbc.p12", "cert-rc2-key-3des.p12"])
def test_pkcs12_from_cryptography_vectors(name):
    """PBES2/AES-256 and the legacy RC2-40 + 3DES, with a SHA-1 MAC: the integrity check passes, the
    key and certificate are the ones cryptography reads."""
    data = (VECTORS / "pkcs12" / name).read_bytes()
    loaded = formats.load(data, "cryptography")
    theirs = crypto_pkcs12.load_pkcs12(data, b"cryptography")
    entry, = loaded.store.key_entries()
    assert loaded.verified is True
    assert entry.chain[0] == theirs.cert.certificate.public_bytes(serialization.Encoding.DER)
    assert serialization.load_der_private_key(entry.key, None).private_numbers() == \
        theirs.key.private_numbers()
    with pytest.raises(Exception, match="wrong password"):
        formats.load(data, "not-the-password")


# -- JKS and JCEKS: pyjks's test keystores -------------------------------------------------------

@pytest.mark.parametrize("name", ["jks-RSA1024.jks", "jks-DSA2048.jks", "jks-RSA2048_3certs.jks",
                                  "jceks-RSA1024.jceks"])
def test_key_protectors_open_keys_that_match_their_certificates(name):
    entry, = formats.load((PYJKS / name).read_bytes(), "12345678").store.key_entries()
    key = serialization.load_der_private_key(entry.key, None)
    assert certs.public_key_matches(key, entry.chain[0])


def test_a_key_with_its_own_password():
    loaded = formats.load((PYJKS / "jks-custom_entry_passwords.jks").read_bytes(), "store_password",
                          "private_password")
    entry, = loaded.store.key_entries()
    assert entry.key_password == "private_password"
    assert certs.public_key_matches(serialization.load_der_private_key(entry.key, None), entry.chain[0])


def test_a_non_ascii_store_password():
    loaded = formats.load((PYJKS / "jks-non_ascii_password.jks").read_bytes(), FANCY)
    assert loaded.verified and len(loaded.store.key_entries()) == 1


# The secret keys pyjks's test suite documents for its JCEKS stores (JceOnlyTests).
@pytest.mark.parametrize("name,algorithm,key", [
    ("jceks-DES.jceks", "DES", "4cf2fe915d082a43"),
    ("jceks-DESede.jceks", "DESede", "675e5245e9673b4c8fc194ceec433b318c45c2e0675e5245"),
    ("jceks-AES128.jceks", "AES", "666e0221cc44c1fc4aabf458f9dfdd3c"),
    ("jceks-AES256.jceks", "AES", "e7d7c262668221787b6b5a0f687712fde4be52e9e7d7c262668221787b6b5a0f"),
])
def test_jceks_secret_keys(name, algorithm, key):
    entry = formats.load((PYJKS / name).read_bytes(), "12345678").store.entry("mykey")
    assert (entry.algorithm, entry.key.hex()) == (algorithm, key)


def test_jceks_secret_key_with_its_own_password():
    loaded = formats.load((PYJKS / "jceks-custom_entry_passwords.jceks").read_bytes(), "store_password",
                          "secret_password", strict=False)
    assert loaded.locked == ["private"]   # its own password is another one
    secret = next(e for e in loaded.store if e.kind == "secret-key")
    assert (secret.algorithm, secret.key.hex()) == ("AES", "3f680504c66cc25aae65d0fa49c526ec")


# -- Java serialization (Java Object Serialization Specification, chapter 6) ------------------------

def test_javaser_reads_a_string_and_a_byte_array():
    assert javaser.read(bytes.fromhex("aced0005740003616263")) == ("abc", 10)   # TC_STRING "abc"
    stream = bytes.fromhex("aced0005" "7572" "0002" "5b42" "acf317f8060854e0" "02" "0000" "78" "70" "00000003" "010203")
    value, end = javaser.read(stream)   # TC_ARRAY of class "[B" (byte[]), serialVersionUID, no fields
    assert (value, end) == (b"\x01\x02\x03", len(stream))


def test_javaser_refuses_what_is_not_a_stream():
    for damaged in (b"", bytes.fromhex("aced0004740003616263"), bytes.fromhex("aced000574ffff61")):
        with pytest.raises(javaser.JavaSerializationError):
            javaser.read(damaged)


def test_fixture_digests_are_pyjks_originals():
    """The copies are byte for byte pyjks's (README names the commit)."""
    listed = dict(line.split()[::-1] for line in (PYJKS / "SHA256SUMS").read_text().splitlines())
    for path in PYJKS.glob("*.j*ks"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[path.name], path.name
