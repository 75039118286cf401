"""jkstool reads what Java reads, on stores no one here wrote: keytool decides what each one holds.

The corpus: the PKCS12 files of the cryptography-vectors package, pyjks's test keystores, and stores
written by other tools on the spot — `openssl pkcs12 -export` with each -keypbe/-certpbe/-macalg/-nomac/
-legacy choice, cryptography's PKCS12 serializers, keytool with Java 8's legacy PKCS12 format, and
certificates keytool takes that strict parsers do not (ECDSA signatures with NULL parameters, as older
JDKs wrote them; keytool's default "Unknown" country). For each store, `jkstool list --json` must show
what `keytool -list -v` shows (aliases, kinds, chains by SHA-256, serials, dates, key algorithms and sizes)
or refuse it, naming the store, where keytool refuses it; and a store converted by jkstool to JKS and to
PKCS12 must read back in keytool with the same entries.
"""

import json
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from helpers import FIXTURES, run

VECTORS = Path(pytest.importorskip("cryptography_vectors").__file__).parent / "pkcs12"
FANCY = "\u10DA\u0028\u0CA0\u76CA\u0CA0\u10DA\u0029"
PYJKS_PASSWORDS = {"jks-custom_entry_passwords.jks": "store_password", "jceks-custom_entry_passwords.jceks":
                   "store_password", "jks-non_ascii_password.jks": FANCY, "jks-empty.jks": ""}
VECTOR_PASSWORDS = {"cert-aes256cbc-no-key.p12": "cryptography", "cert-key-aes256cbc.p12": "cryptography",
                    "cert-none-key-none.p12": "cryptography", "cert-rc2-key-3des.p12": "cryptography",
                    "no-cert-key-aes256cbc.p12": "cryptography", "java-truststore.p12": "", "no-password.p12": ""}
KINDS = {"private-key": "PrivateKeyEntry", "trusted-cert": "trustedCertEntry", "secret-key": "SecretKeyEntry"}


def vector_stores():
    for path in sorted(VECTORS.glob("*.p12")):
        yield path, VECTOR_PASSWORDS.get(path.name, "" if "no-pwd" in path.name else "password")


def pyjks_stores():
    for path in sorted((FIXTURES / "pyjks").glob("*.j*ks")):
        yield path, PYJKS_PASSWORDS.get(path.name, "12345678")


@pytest.fixture(scope="module")
def made(tmp_path_factory, openssl, keytool):
    """Stores written by openssl, cryptography and keytool, each with a key, its chain and a trusted CA."""
    folder = tmp_path_factory.mktemp("corpus")
    ca_key, ca = _ca()
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _issue(ca_key, ca, leaf_key.public_key(), "corpus leaf")
    pem = folder / "pem"
    pem.mkdir()
    (pem / "key.pem").write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (pem / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (pem / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    stores = {}
    for keypbe in ("AES-256-CBC", "PBE-SHA1-3DES", "NONE"):
        for certpbe in ("AES-256-CBC", "PBE-SHA1-RC2-40", "NONE"):
            for mac in ("sha256", "sha1", "nomac"):
                name = f"openssl-{keypbe}-{certpbe}-{mac}.p12".lower()
                macs = ["-nomac"] if mac == "nomac" else ["-macalg", mac]
                macs += ["-legacy"] if "RC2" in certpbe else []  # RC2 lives in OpenSSL 3's legacy provider
                openssl("pkcs12", "-export", "-inkey", pem / "key.pem", "-in", pem / "leaf.pem", "-certfile",
                        pem / "ca.pem", "-name", "leaf", "-keypbe", keypbe, "-certpbe", certpbe, *macs,
                        "-passout", "pass:changeit", "-out", folder / name)
                stores[name] = "changeit"
    openssl("pkcs12", "-export", "-legacy", "-inkey", pem / "key.pem", "-in", pem / "leaf.pem", "-certfile",
            pem / "ca.pem", "-name", "leaf", "-passout", "pass:changeit", "-out", folder / "openssl-legacy.p12")
    stores["openssl-legacy.p12"] = "changeit"
    for name, encryption in _cryptography_encryptions():
        (folder / name).write_bytes(pkcs12.serialize_key_and_certificates(
            b"leaf", leaf_key, leaf, [ca], encryption))
        stores[name] = "changeit"
    (folder / "cryptography-java-truststore.p12").write_bytes(pkcs12.serialize_java_truststore(
        [pkcs12.PKCS12Certificate(ca, b"ca")], serialization.BestAvailableEncryption(b"changeit")))
    stores["cryptography-java-truststore.p12"] = "changeit"
    legacy = keytool.call(["-importkeystore", "-srckeystore", folder / "openssl-aes-256-cbc-aes-256-cbc-sha256.p12",
                           "-srcstorepass", "changeit", "-destkeystore", folder / "keytool-java8-legacy.p12",
                           "-deststorepass", "changeit", "-J-Dkeystore.pkcs12.legacy", "-noprompt"])
    assert legacy.returncode == 0, legacy.stdout + legacy.stderr
    stores["keytool-java8-legacy.p12"] = "changeit"
    rc4 = keytool.call(["-importkeystore", "-srckeystore", folder / "openssl-aes-256-cbc-aes-256-cbc-sha256.p12",
                        "-srcstorepass", "changeit", "-destkeystore", folder / "keytool-rc4.p12", "-deststorepass",
                        "changeit", "-J-Dkeystore.pkcs12.keyProtectionAlgorithm=PBEWithSHA1AndRC4_128",
                        "-J-Dkeystore.pkcs12.certProtectionAlgorithm=PBEWithSHA1AndRC4_40", "-noprompt"])
    assert rc4.returncode == 0, rc4.stdout + rc4.stderr  # RC4, which SunJCE still keeps
    stores["keytool-rc4.p12"] = "changeit"
    (folder / "null-parameters.der").write_bytes(_null_parameters_certificate())
    keytool("-importcert", "-noprompt", "-keystore", folder / "old-jdk-ecdsa.jks", "-storetype", "JKS",
            "-alias", "oldjdk", "-file", folder / "null-parameters.der")
    stores["old-jdk-ecdsa.jks"] = "changeit"
    _rollover_certificate(openssl, pem)
    openssl("pkcs12", "-export", "-inkey", pem / "new.key", "-in", pem / "rollover.pem", "-certfile",
            pem / "old.pem", "-name", "rollover", "-passout", "pass:changeit", "-out", folder / "ca-rollover.p12")
    stores["ca-rollover.p12"] = "changeit"
    openssl("pkcs12", "-export", "-inkey", pem / "key.pem", "-in", pem / "leaf.pem", "-name", "", "-passout",
            "pass:changeit", "-out", folder / "openssl-empty-name.p12")  # an empty friendlyName is an alias
    stores["openssl-empty-name.p12"] = "changeit"
    keytool("-genkeypair", "-keystore", folder / "keytool-unknown-country.p12", "-alias", "unknown",
            "-keyalg", "EC", "-dname", "CN=x, OU=Unknown, O=Unknown, L=Unknown, ST=Unknown, C=Unknown")
    stores["keytool-unknown-country.p12"] = "changeit"
    return [(folder / name, password) for name, password in stores.items()]


def _rollover_certificate(openssl, folder: Path) -> None:
    """A CA key rollover certificate: self-issued (its subject is its issuer) but signed by the old key."""
    for name in ("old", "new"):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", folder / f"{name}.key")
    openssl("req", "-new", "-x509", "-key", folder / "old.key", "-subj", "/CN=Rollover CA", "-days", "30",
            "-out", folder / "old.pem")
    openssl("req", "-new", "-key", folder / "new.key", "-subj", "/CN=Rollover CA", "-out", folder / "new.csr")
    openssl("x509", "-req", "-in", folder / "new.csr", "-CA", folder / "old.pem", "-CAkey", folder / "old.key",
            "-set_serial", "7", "-days", "30", "-out", folder / "rollover.pem")


def _cryptography_encryptions():
    builder = serialization.PrivateFormat.PKCS12.encryption_builder()
    yield "cryptography-best-available.p12", serialization.BestAvailableEncryption(b"changeit")
    yield "cryptography-no-encryption.p12", serialization.NoEncryption()
    yield "cryptography-3des-sha1.p12", builder.kdf_rounds(50000).key_cert_algorithm(
        pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1()).build(b"changeit")
    yield "cryptography-aes-sha256.p12", serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(
        20000).key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256()).build(b"changeit")


def _ca():
    key = ec.generate_private_key(ec.SECP256R1())
    return key, _issue(key, None, key.public_key(), "corpus CA", ca=True)


def _issue(issuer_key, issuer, public_key, cn, ca=False):
    import datetime
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


def _null_parameters_certificate() -> bytes:
    """A self-signed ECDSA certificate whose signature algorithms carry NULL parameters, as older JDKs wrote
    them: cryptography's builder cannot make one, so its DER is edited and signed again."""
    from jkstool import der
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _issue(key, None, key.public_key(), "old jdk")
    tbs = der.items(der.items(der.decode(cert.public_bytes(serialization.Encoding.DER), der.SEQUENCE))[0][1])
    algorithm = der.sequence(der.oid("1.2.840.10045.4.3.2"), der.null())
    signed = der.sequence(*(algorithm if i == 2 else der.encode(tag, value) for i, (tag, value) in enumerate(tbs)))
    signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
    return der.sequence(signed, algorithm, der.encode(0x03, b"\x00" + signature))


# -- what each tool sees ---------------------------------------------------------------------------

def keytool_view(keytool, path: Path, password: str):
    """{alias: (entry type, [(sha256, serial, not before, not after, key)])}, or ("refused", message)."""
    result = keytool("-list", "-v", "-keystore", path, password=password, check=False)
    if result.returncode != 0:
        return "refused", (result.stdout + result.stderr).strip().splitlines()[0]
    view = {}
    for block in re.split(r"\n(?=Alias name: )", result.stdout):
        alias = re.search(r"^Alias name: (.*)$", block, re.M)
        if not alias:
            continue
        kind = re.search(r"^Entry type: (.*)$", block, re.M).group(1)
        certificates = [_keytool_certificate(part) for part in re.split(r"\nCertificate\[\d+\]:", block)[1:]]
        if not certificates and re.search(r"^Serial number: ", block, re.M):
            certificates = [_keytool_certificate(block)]
        view[alias.group(1)] = (kind, certificates)
    return view


def _keytool_certificate(text: str):
    serial = re.search(r"^Serial number: (\w+)$", text, re.M).group(1).lstrip("0") or "0"
    start, end = re.search(r"^Valid from: (.*) until: (.*)$", text, re.M).groups()
    key = re.search(r"^Subject Public Key Algorithm: (?:(\d+)-bit )?(\w+)", text, re.M).groups()
    sha256 = re.search(r"^\s*SHA256: ([0-9A-F:]+)$", text, re.M).group(1).replace(":", "").lower()
    return sha256, serial.lower(), _java_date(start), _java_date(end), (key[1], int(key[0]) if key[0] else None)


def _java_date(text: str) -> str:
    """keytool's Date.toString() ("Fri Nov 27 13:45:00 UTC 2026") as jkstool's ISO form."""
    moment = datetime.strptime(text.replace(" UTC ", " "), "%a %b %d %H:%M:%S %Y")
    return moment.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def jkstool_view(path: Path, password: str):
    result = run("list", path, "--json", env={"JKSTOOL_STOREPASS": password})
    if result.exit_code != 0:
        assert result.exit_code == 2 and str(path) in result.stderr, result.stderr
        return "refused", result.stderr.strip()
    view = {}
    for entry in json.loads(result.stdout)["entries"]:
        certificates = [(c["sha256"], c["serial"], c["not_before"], c["not_after"],
                         (_keytool_key_name(c["key_algorithm"]), None if c["key_algorithm"] in ("Ed25519", "Ed448")
                          else c["key_size"])) for c in entry["certificates"]]
        view[entry["alias"]] = (KINDS[entry["kind"]], certificates)
    return view


def _keytool_key_name(algorithm: str) -> str:
    return {"Ed25519": "Ed25519", "Ed448": "Ed448"}.get(algorithm, algorithm)


def corpus(made):
    return [*vector_stores(), *pyjks_stores(), *made]


def test_corpus_is_large_and_varied(made):
    stores = corpus(made)
    assert len(stores) >= 80
    assert {p.suffix for p, _ in stores} >= {".p12", ".jks", ".jceks"}


def test_jkstool_reads_every_store_as_keytool_does(made, keytool):
    differences = []
    for path, password in corpus(made):
        theirs, ours = keytool_view(keytool, path, password), jkstool_view(path, password)
        refused = isinstance(theirs, tuple), isinstance(ours, tuple)
        if refused != (False, False):
            if refused != (True, True):
                differences.append(f"{path.name}: keytool {theirs} | jkstool {ours}")
        elif theirs != ours:
            differences.append(f"{path.name}:\n  keytool {theirs}\n  jkstool {ours}")
    assert not differences, "\n".join(differences)


def test_what_java_ignores_or_forgives_is_said_once(made):
    """A store's oddities are jkstool's own warnings, once, worded for a user: never a library's."""
    by_name = {path.name: (path, password) for path, password in corpus(made)}
    for name, expected in (("cert-none-key-none.p12", "unencrypted private key"),
                           ("jks-duplicate_aliases.jks", "several entries are named 'my_alias'"),
                           ("openssl-none-aes-256-cbc-sha256.p12", "unencrypted private key")):
        path, password = by_name[name]
        result = run("list", path, "--json", env={"JKSTOOL_STOREPASS": password})
        assert any(expected in w for w in json.loads(result.stdout)["warnings"]), name
        table = run("list", path, env={"JKSTOOL_STOREPASS": password})
        lines = [line for line in table.stderr.splitlines() if line.startswith("warning:")]
        assert len([line for line in lines if expected in line]) == 1, table.stderr
    for name in ("old-jdk-ecdsa.jks", "keytool-unknown-country.p12"):
        path, password = by_name[name]
        result = run("list", path, env={"JKSTOOL_STOREPASS": password})
        assert result.exit_code == 0 and "Warning" not in result.stderr and "warn(" not in result.stderr


def test_a_leniently_read_certificate_says_so_and_round_trips(made, keytool, tmp_path):
    """The certificate keeps its own bytes through a conversion: keytool exports exactly what it imported."""
    import base64
    path = next(p for p, _ in made if p.name == "old-jdk-ecdsa.jks")
    entry, = json.loads(run("list", path, "--json", env={"JKSTOOL_STOREPASS": "changeit"}).stdout)["entries"]
    assert "NULL parameters" in entry["certificates"][0]["parse_warning"]
    out = tmp_path / "copy.p12"
    assert run("convert", path, out, env={"JKSTOOL_STOREPASS": "changeit"}).exit_code == 0
    exported = keytool("-exportcert", "-rfc", "-keystore", out, "-alias", "oldjdk").stdout
    body = "".join(line for line in exported.splitlines() if line and not line.startswith("-----"))
    assert base64.b64decode(body) == (path.parent / "null-parameters.der").read_bytes()


@pytest.mark.parametrize("target", ["jks", "p12"])
def test_converted_stores_read_back_in_keytool_with_the_same_entries(made, keytool, tmp_path, target):
    differences, converted = [], 0
    for path, password in corpus(made):
        original = keytool_view(keytool, path, password)
        if isinstance(original, tuple) or not original:
            continue
        if target == "jks" and any(kind == "SecretKeyEntry" for kind, _ in original.values()):
            continue  # a JKS store holds no secret keys
        if "custom_entry_passwords" in path.name:
            continue  # two keys with two passwords of their own: one --keypass opens only one
        out = tmp_path / f"{secrets.token_hex(4)}-{path.stem}.{target}"
        result = run("convert", path, out, "--dest-storepass", "pass:changeit",
                     env={"JKSTOOL_STOREPASS": password, "JKSTOOL_KEYPASS": password})
        if result.exit_code != 0:  # then keytool must refuse it too
            copied = keytool.call(["-importkeystore", "-srckeystore", path, "-srcstorepass", password,
                                   "-destkeystore", out.with_suffix(f".keytool.{target}"), "-deststorepass",
                                   "changeit", "-deststoretype", {"jks": "JKS", "p12": "PKCS12"}[target],
                                   "-noprompt"])
            if copied.returncode == 0 and "not imported" not in copied.stdout + copied.stderr:
                differences.append(f"{path.name}: keytool copies it, jkstool refuses: {result.stderr.strip()}")
            continue
        converted += 1
        copy = keytool_view(keytool, out, "changeit")
        if copy != original:
            differences.append(f"{path.name}:\n  original {original}\n  converted {copy}")
    assert converted >= 40 and not differences, "\n".join(differences)
