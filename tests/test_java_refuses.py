"""`jkstool list` against `keytool -list -v`: what jkstool reads and Java refuses, and keys as keytool names them.

Each store is made by another hand: `openssl pkcs12` and `keytool` (17 and 25) with their options,
OpenSSL's library for the salt lengths its 3.0 command cannot set (openssl_salts), jkstool's `modern`
profile and RFC 9579's vector for PBMAC1 (no other writer of it here). keytool of JDK 17 and of JDK 25
decide whether each is refused: `keytool -list` must load it, and `keytool -importkeystore` decrypt its
keys (what an application's KeyManagerFactory does). jkstool lists every one, and its note for a release
is there exactly when that release's keytool refuses the store.
"""

import json
import re
import shlex
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openssl_salts
import pytest
from conftest import KeytoolServer
from helpers import FIXTURES, run

from jkstool.api.inspect import JDKS, compat, inventory

PASSWORD = "changeit"
UNICODE = "pässwörd"
FANCY = "\u10DA\u0028\u0CA0\u76CA\u0CA0\u10DA\u0029"  # pyjks's non-ASCII JKS fixture


@pytest.fixture(scope="module")
def keytool25(java_classes, java_25):
    """keytool of JDK 25, in one JVM as the `keytool` fixture's is."""
    server = KeytoolServer(java_25, java_classes[1], str(Path(java_25).parent / "keytool"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def pem(tmp_path_factory, openssl):
    """An EC key and its certificate, and X9.42 and PKCS #3 DH certificates (signed by an Ed25519 key)."""
    folder = tmp_path_factory.mktemp("pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=k",
            "-days", "30", "-keyout", folder / "key.pem", "-out", folder / "cert.pem")
    openssl("genpkey", "-algorithm", "ED25519", "-out", folder / "ca.key")
    openssl("genpkey", "-genparam", "-algorithm", "DHX", "-pkeyopt", "dh_rfc5114:2", "-out", folder / "dhx.param")
    for name, options in {"dhx": ["-paramfile", folder / "dhx.param"],
                          "dh": ["-algorithm", "DH", "-pkeyopt", "group:ffdhe2048"]}.items():
        _certificate(openssl, folder, name, options)
    return folder


def _certificate(openssl, folder: Path, name: str, options: list) -> Path:
    """A certificate for a key that cannot sign (DH, X25519...): openssl x509 -force_pubkey, signed by ca.key."""
    openssl("genpkey", *options, "-out", folder / f"{name}.key")
    openssl("pkey", "-in", folder / f"{name}.key", "-pubout", "-out", folder / f"{name}.pub")
    openssl("x509", "-new", "-force_pubkey", folder / f"{name}.pub", "-subj", f"/CN={name}", "-signkey",
            folder / "ca.key", "-days", "30", "-out", folder / f"{name}.pem")
    return folder / f"{name}.pem"


@pytest.fixture(scope="module")
def made(tmp_path_factory, pem, openssl, keytool25):
    """{name: (path, password)}: stores jkstool reads, some of which a JDK refuses."""
    folder = tmp_path_factory.mktemp("refused")
    key, cert = (pem / "key.pem").read_bytes(), (pem / "cert.pem").read_bytes()
    stores = {}

    def export(name, password, *options, source=("-in", pem / "cert.pem", "-inkey", pem / "key.pem")):
        stores[name] = folder / f"{name}.p12", password
        openssl("pkcs12", "-export", *source, "-name", "k", "-out", stores[name][0], "-passout", f"pass:{password}",
                *options)

    def library(name, password=PASSWORD, **salts):
        stores[name] = folder / f"{name}.p12", password
        stores[name][0].write_bytes(openssl_salts.pkcs12(key, cert, password, **salts))

    export("openssl", PASSWORD)
    export("openssl-legacy-3des", PASSWORD, "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES")
    stores["rfc9579-a1"] = FIXTURES / "rfc9579" / "a1-sha256-hmac-and-prf.p12", "1234"
    stores["jkstool-modern"] = folder / "modern.p12", PASSWORD
    assert run("convert", stores["openssl"][0], stores["jkstool-modern"][0], "--profile", "modern",
               "--storepass", PASSWORD, "--dest-storepass", PASSWORD).exit_code == 0

    library("salts-8")
    library("salts-8-pbes1", key_scheme="PBE-SHA1-3DES", cert_scheme="PBE-SHA1-3DES")
    library("mac-salt-4", mac_salt=4)
    library("mac-salt-7", mac_salt=7)
    library("certs-pbes2-salt-4", cert_salt=4)
    library("certs-pbes1-salt-1", cert_scheme="PBE-SHA1-3DES", cert_salt=1)
    library("key-pbes2-salt-4", key_salt=4)
    library("key-pbes1-salt-7", key_scheme="PBE-SHA1-3DES", key_salt=7)

    export("x942-dh-ignored", PASSWORD, "-nokeys", source=("-in", pem / "dhx.pem"))
    for name, certificate in (("x942-dh-trusted", "dhx"), ("pkcs3-dh-trusted", "dh")):
        for extension in ("p12", "jks"):
            stores[f"{name}.{extension}"] = folder / f"{name}.{extension}", PASSWORD
            assert run("import-ca", stores[f"{name}.{extension}"][0], pem / f"{certificate}.pem", "--allow-leaf",
                       "--storepass", PASSWORD).exit_code == 0

    export("unicode-pbes2", UNICODE)
    export("unicode-pbes1", UNICODE, "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES")
    export("unicode-key-pbes1", UNICODE, "-keypbe", "PBE-SHA1-3DES")
    export("unicode-certs-in-the-clear", UNICODE, "-certpbe", "NONE")
    stores["unicode-keytool25"] = folder / "unicode-keytool25.p12", UNICODE
    written = keytool25(["-genkeypair", "-alias", "k", "-keyalg", "EC", "-dname", "CN=k", "-storetype", "PKCS12",
                         "-keystore", stores["unicode-keytool25"][0], "-storepass", UNICODE])
    assert written.returncode == 0, written.stdout + written.stderr
    stores["unicode-jks"] = FIXTURES / "pyjks" / "jks-non_ascii_password.jks", FANCY
    return stores


def java_refuses(keytool_call, path: Path, password: str, scratch: Path) -> str | None:
    """What keytool says when it refuses the store (None when it loads it and decrypts its keys)."""
    listed = keytool_call(["-list", "-v", "-keystore", path, "-storepass", password])
    if listed.returncode == 0:
        copy = scratch / "copy.p12"
        copy.unlink(missing_ok=True)
        listed = keytool_call(["-importkeystore", "-srckeystore", path, "-srcstorepass", password, "-destkeystore",
                               copy, "-deststoretype", "PKCS12", "-deststorepass", PASSWORD, "-noprompt"])
    if listed.returncode == 0:
        return None
    said = (listed.stdout + listed.stderr).splitlines()
    return next((line for line in said if line.startswith("Caused by")), said[0])


@pytest.fixture(scope="module")
def verdicts(made, keytool, keytool25, tmp_path_factory):
    """{(store name, JDK release): what its keytool says refusing it, or None}, each keytool deciding."""
    scratch = tmp_path_factory.mktemp("scratch")
    return {(name, jdk): java_refuses(call, path, password, scratch)
            for name, (path, password) in made.items() for jdk, call in (("17", keytool.call), ("25", keytool25))}


def _noted(stderr: str, path: Path) -> dict[str, str]:
    """The releases `list` says refuse the store: {"17": why}."""
    names = {name: jdk for jdk, name in JDKS.items()}
    return {names[release]: why for release, why in
            re.findall(rf"^warning: {re.escape(str(path))}: (Java \S+) refuses it: (.*)$", stderr, re.M)}


def test_list_says_each_jdk_that_refuses_the_store_and_only_those(made, verdicts):
    wrong = []
    for name, (path, password) in made.items():
        listed = run("list", path, "--json", env={"JKSTOOL_STOREPASS": password})
        assert listed.exit_code == 0, f"{name}: {listed.stderr}"  # jkstool reads each one
        noted = _noted(listed.stderr, path)
        refusals = json.loads(listed.stdout)["java_refuses"]
        assert {r["jdk"]: r["why"] for r in refusals} == noted, name
        assert [tuple(r.values()) for r in refusals] == list(inventory(path, password=password).java_refuses)
        report = compat(path, password=password)
        assert not any(report.verdict(jdk).loads for jdk in noted), name  # one judge: compat's
        for jdk in ("17", "25"):
            if (jdk in noted) != (verdicts[name, jdk] is not None):
                wrong.append(f"{name} on JDK {jdk}: keytool says {verdicts[name, jdk]!r}, list says "
                             f"{noted.get(jdk)!r}")
    assert not wrong, "\n".join(wrong)


def test_the_cases_are_not_all_alike(verdicts, made):
    """Each JDK refuses some store and reads others, and the two differ on some (a non-ASCII password)."""
    for jdk in ("17", "25"):
        refused = {name for name in made if verdicts[name, jdk]}
        assert refused and refused != set(made), jdk
    assert any(bool(verdicts[name, "17"]) != bool(verdicts[name, "25"]) for name in made)


@pytest.mark.parametrize("name", ["x942-dh-trusted.jks", "unicode-pbes2", "mac-salt-4", "key-pbes1-salt-7"])
def test_the_fix_compat_prints_makes_jdk17_load_the_store(name, made, keytool, tmp_path):
    """Deleting the entries Java cannot parse, and converting (with an ASCII password where it was not)."""
    source, password = made[name]
    path = tmp_path / source.name  # delete changes the store in place
    shutil.copy(source, path)
    verdict = compat(path, password=password).verdict("17")
    assert not verdict.loads
    out = tmp_path / "fixed.p12"
    for command in verdict.fix.replace("OUT.p12", str(out)).split(" && "):
        done = run(*shlex.split(command)[1:], env={"JKSTOOL_STOREPASS": password, "ASCII_STOREPASS": PASSWORD})
        assert done.exit_code == 0, f"{command}: {done.output}"
    assert java_refuses(keytool.call, out, PASSWORD, tmp_path) is None


# -- key labels ---------------------------------------------------------------------------------------

# keytool before 17.0.21 (KeyUtil without fullDisplayAlgName, KnownOIDs without ML-DSA and ML-KEM) names
# these keys otherwise; jkstool says what 17.0.21 and later say, and the test reads an older keytool so.
_OLDER_KEYTOOL = {("XDH", 255): ("X25519", 255), ("XDH", 448): ("X448", 448),
                  ("2.16.840.1.101.3.4.3.18", None): ("ML-DSA-65", None)}


def keytool_keys(keytool, path: Path, version: str) -> dict[str, tuple[str, int | None]]:
    """{alias: (algorithm, size)} as `keytool -list -v` says each certificate's key ("409-bit EC (...) key");
    `version` is its JDK's java.version."""
    out = keytool("-list", "-v", "-keystore", path).stdout
    release = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
    older = release[0] == 17 and release < (17, 0, 21)
    found = {}
    for block in re.split(r"\n(?=Alias name: )", out)[1:]:
        alias = re.search(r"^Alias name: (.*)$", block, re.M).group(1)
        bits, algorithm = re.search(r"^Subject Public Key Algorithm: (?:(\d+)-bit )?(\S+)", block, re.M).groups()
        said = algorithm, int(bits) if bits else None
        found[alias] = _OLDER_KEYTOOL.get(said, said) if older else said
    return found


def test_keys_are_labelled_as_keytool_labels_them(tmp_path, pem, openssl, keytool, java_release):
    """X25519, X448, PKCS #3 DH, ML-DSA (where cryptography makes it: keytool 17 names it by its OID), and EC
    on each curve OpenSSL knows that keytool takes (binary curves, old prime ones: cryptography implements few
    of them), in a truststore keytool wrote."""
    shutil.copy(pem / "ca.key", tmp_path / "ca.key")
    certificates = {name: _certificate(openssl, tmp_path, name, ["-algorithm", name.upper()])
                    for name in ("x25519", "x448")}
    certificates["dh"] = pem / "dh.pem"
    if _ml_dsa_certificate(tmp_path / "ml-dsa.pem"):
        certificates["ml-dsa"] = tmp_path / "ml-dsa.pem"
    for name in re.findall(r"^\s*(\S+)\s*:", openssl("ecparam", "-list_curves").stdout.decode(), re.M):
        pem_file = certificates[name.lower()] = tmp_path / f"{name}.pem"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{name}", "-nodes", "-subj",
                f"/CN={name}", "-days", "30", "-keyout", tmp_path / f"{name}.key", "-out", pem_file, check=False)
    store = tmp_path / "keys.p12"
    for alias, certificate in certificates.items():  # keytool takes the curves Java knows, and refuses the rest
        keytool("-importcert", "-noprompt", "-alias", alias, "-file", certificate, "-keystore", store, check=False)
    theirs = keytool_keys(keytool, store, java_release)
    assert {"x25519", "x448", "dh", "sect409r1", "sect233k1", "secp224k1", "brainpoolp320r1",
            *({"ml-dsa"} & set(certificates))} <= set(theirs)
    listed = run("list", store, "--json", env={"JKSTOOL_STOREPASS": PASSWORD})
    ours = {entry["alias"]: (cert["key_algorithm"], cert["key_size"])
            for entry in json.loads(listed.stdout)["entries"] for cert in entry["certificates"]}
    assert ours == theirs
    table = run("list", store, env={"JKSTOOL_STOREPASS": PASSWORD}).stdout
    assert re.search(r"^x25519 .* X25519 255 ", table, re.M) and re.search(r"^sect409r1 .* EC 409 ", table, re.M)


def _ml_dsa_certificate(path: Path) -> bool:
    """An ML-DSA-65 certificate, where this cryptography makes one (OpenSSL 3.0 does not)."""
    try:
        from cryptography.hazmat.primitives.asymmetric import mldsa
    except ImportError:
        return False
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "ml-dsa")])
    now = datetime.now(timezone.utc)
    made = (x509.CertificateBuilder().subject_name(name).issuer_name(name).serial_number(1)
            .public_key(mldsa.MLDSA65PrivateKey.generate().public_key())
            .not_valid_before(now).not_valid_after(now + timedelta(days=30))
            .sign(ed25519.Ed25519PrivateKey.generate(), None))
    path.write_bytes(made.public_bytes(Encoding.PEM))
    return True
