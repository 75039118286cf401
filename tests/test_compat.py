"""PKCS12 protection: RFC 9579's PBMAC1 vectors, jkstool's write profiles, and `jkstool compat`.

Who reads which store is never written here by hand: each store (made by jkstool's four
profiles, by keytool 17 and 25 with their options, by `openssl pkcs12` with its options) is
given to the real runtimes of this machine — Java 17 and 25 (KeyStore.getInstance, keys
decrypted), OpenSSL and Python's cryptography — and `compat` must give the answer they give.
"""

import hashlib
import json
import re
import shlex
import subprocess
from pathlib import Path

import openssl_salts
import pbmac1
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12
from helpers import FIXTURES, PASSWORD, MiniCA, run

from jkstool import formats
from jkstool.errors import JkstoolError
from jkstool.formats import compat
from jkstool.formats.pkcs12 import PROFILES, profile_of
from jkstool.model import Store

RFC9579 = FIXTURES / "rfc9579"
VALID = ["a1-sha256-hmac-and-prf", "a2-sha256-hmac-sha512-prf", "a3-sha512-hmac-and-prf"]
INVALID = ["a4-incorrect-iteration-count", "a5-incorrect-salt", "a6-missing-key-length"]
# Some vectors encode a DEFAULT value; cryptography reads them as BER and says so.
BER_WARNING = "ignore:PKCS#12 bundle could not be parsed as DER"


def _sha256(cert_der: bytes) -> str:
    return hashlib.sha256(cert_der).hexdigest()


def _crypto_view(data: bytes, password: bytes):
    """What Python's cryptography (an outside reader of PKCS12) finds: leaf, key's public half, others."""
    parsed = crypto_pkcs12.load_pkcs12(data, password)
    leaf = parsed.cert.certificate.public_bytes(serialization.Encoding.DER) if parsed.cert else None
    public = parsed.key.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    others = sorted(_sha256(c.certificate.public_bytes(serialization.Encoding.DER)) for c in parsed.additional_certs)
    return _sha256(leaf), public, others


def _jkstool_view(loaded):
    (entry,) = loaded.store
    key = serialization.load_der_private_key(entry.key, None)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return _sha256(entry.chain[0]), public, sorted(_sha256(c) for c in entry.chain[1:])


# -- RFC 9579 ------------------------------------------------------------------

def test_rfc9579_vectors_are_the_rfcs():
    sums = dict(reversed(line.split()) for line in (RFC9579 / "SHA256SUMS").read_text().splitlines())
    for name, digest in sums.items():
        assert hashlib.sha256((RFC9579 / name).read_bytes()).hexdigest() == digest


@pytest.mark.filterwarnings(BER_WARNING)
@pytest.mark.parametrize("name", VALID)
def test_rfc9579_valid_vectors_read_as_cryptography_reads_them(name):
    data = (RFC9579 / f"{name}.p12").read_bytes()
    loaded = formats.load(data, "1234")
    assert loaded.protection.integrity == "pbmac1"
    assert _jkstool_view(loaded) == _crypto_view(data, b"1234")


def test_rfc9579_valid_vector_refuses_a_wrong_password():
    with pytest.raises(JkstoolError, match="integrity check failed"):
        formats.load((RFC9579 / f"{VALID[0]}.p12").read_bytes(), "4321")


@pytest.mark.filterwarnings(BER_WARNING)
def test_rfc9579_invalid_vectors_are_refused_each_with_its_own_reason():
    messages = set()
    for name in INVALID:
        data = (RFC9579 / f"{name}.p12").read_bytes()
        with pytest.raises(ValueError):  # the outside reader refuses them too
            crypto_pkcs12.load_pkcs12(data, b"1234")
        with pytest.raises(JkstoolError) as error:
            formats.load(data, "1234")
        messages.add(str(error.value))
    assert len(messages) == len(INVALID), messages


@pytest.mark.parametrize("name", INVALID)
def test_cli_names_the_invalid_vector_in_one_line(name):
    result = run("list", RFC9579 / f"{name}.p12", "--storepass", "env:P", env={"P": "1234"})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{name}.p12" in lines[0] and "Traceback" not in result.output


# MacData for RFC 9579's A.1 contents, right and wrong in the ways OpenSSL's test data covers
# (zero, negative and huge key lengths, missing salt, wrong salt type), each MAC computed as the
# parameters say. Which are valid is decided by OpenSSL (through cryptography), not here.
CRAFTED = {
    "as-a1": {},
    "key-length-20": {"key_length": 20},
    "key-length-19": {"key_length": 19},
    "key-length-0": {"key_length": 0},
    "key-length-negative": {"key_length": -1},
    "key-length-huge": {"key_length": 2 ** 31},
    "key-length-65": {"key_length": 65},
    "key-length-absent": {"key_length_der": b""},
    "salt-absent": {"salt_der": b""},
    "salt-an-integer": {"salt_der": pbmac1.integer(5)},
    "prf-absent-sha1": {"prf": None, "scheme": "sha1", "key_length": 20},
    "sha512": {"prf": "sha512", "scheme": "sha512", "key_length": 64},
    "macdata-salt-other": {"mac_salt": b"not this one"},
    "macdata-iterations-other": {"mac_iterations": 1},
}


@pytest.mark.filterwarnings(BER_WARNING)
@pytest.mark.parametrize("case", CRAFTED)
def test_crafted_pbmac1_parameters_are_judged_as_openssl_judges_them(case, tmp_path):
    a1 = (RFC9579 / f"{VALID[0]}.p12").read_bytes()
    data = pbmac1.with_mac_data(a1, pbmac1.mac_data(a1, "1234", **CRAFTED[case]))
    try:
        crypto_pkcs12.load_pkcs12(data, b"1234")
        valid = True
    except ValueError:
        valid = False
    path = tmp_path / f"{case}.p12"
    path.write_bytes(data)
    result = run("list", path, "--storepass", "env:P", env={"P": "1234"})
    assert result.exit_code == (0 if valid else 2), result.output
    if not valid:
        assert len(result.stderr.strip().splitlines()) == 1 and path.name in result.stderr


# -- write profiles --------------------------------------------------------------

@pytest.fixture(scope="module")
def ca():
    return MiniCA("Compat")


def _keystore(ca):
    return Store([ca.key_entry("server", kind="rsa"), ca.trusted("ca")])


def test_modern_profile_is_pbmac1_that_cryptography_verifies(ca):
    store = Store([ca.key_entry("server", kind="rsa")])
    data = formats.dump(store, "pkcs12", PASSWORD, profile="modern")
    loaded = formats.load(data, PASSWORD)
    assert loaded.protection.integrity == "pbmac1"
    assert _crypto_view(data, PASSWORD.encode()) == _jkstool_view(loaded)
    with pytest.raises(ValueError):
        crypto_pkcs12.load_pkcs12(data, b"wrong")


def test_modern_profile_verifies_under_the_rfcs_rules_written_apart(ca):
    data = formats.dump(_keystore(ca), "pkcs12", PASSWORD, profile="modern")
    assert pbmac1.verify(data, PASSWORD)
    assert not pbmac1.verify(data, PASSWORD + "x")


def test_modern_profile_refuses_any_one_byte_change(ca):
    """Each byte of the MacData, and bytes spread over the rest: no change reads as a good store —
    but for the values of MacData's own salt and iteration count, which RFC 9579 has readers ignore
    (OpenSSL, through cryptography, reads those changes as jkstool does). Any other change jkstool
    takes, OpenSSL must take too: one run in 256, keyLength 32 made 33 keys HMAC alike (the 33rd
    octet PBKDF2 derives is zero, and HMAC pads a short key with zeros)."""
    data = formats.dump(Store([ca.trusted("ca")]), "pkcs12", PASSWORD, profile="modern")
    (_, body, _), = pbmac1.children(data)
    _, mac_content, mac_data = pbmac1.children(body)[2]
    start = data.rindex(mac_data)
    _, mac_salt, mac_iterations = pbmac1.children(mac_content)
    ignored = set()
    for _, value, whole in (mac_salt, mac_iterations):
        end = start + mac_data.rindex(whole) + len(whole)
        ignored |= set(range(end - len(value), end))
    positions = sorted(set(range(start, len(data))) | set(range(0, start, max(1, start // 120))))
    for at in positions:
        tampered = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
        if at in ignored:
            assert formats.load(tampered, PASSWORD).store == formats.load(data, PASSWORD).store
            crypto_pkcs12.load_pkcs12(tampered, PASSWORD.encode())
        else:
            try:
                taken = formats.load(tampered, PASSWORD).store
            except JkstoolError:
                continue
            assert taken == formats.load(data, PASSWORD).store, at
            crypto_pkcs12.load_pkcs12(tampered, PASSWORD.encode())  # raises where OpenSSL refuses it


@pytest.mark.parametrize("profile", list(PROFILES))
def test_a_rewrite_keeps_the_profile_it_read(profile, ca):
    store = Store([ca.trusted("ca")]) if profile == "none-truststore" else _keystore(ca)
    loaded = formats.load(formats.dump(store, "pkcs12", PASSWORD, profile=profile), PASSWORD)
    assert profile_of(loaded.protection) == profile
    assert loaded.store == store


@pytest.mark.parametrize("profile", ["java9", "legacy"])
def test_java9_and_legacy_read_by_jdk17_jdk25_and_openssl_with_the_same_entries(profile, tmp_path, ca, java_25,
                                                                               java_inventory, openssl):
    """(keytool 17's own listing of these profiles is in test_java_interop.) OpenSSL 3 reads the
    legacy profile without its legacy provider: 3DES, not RC2."""
    store = _keystore(ca)
    path = tmp_path / f"{profile}.p12"
    path.write_bytes(formats.dump(store, "pkcs12", PASSWORD, profile=profile))
    chain = tuple(_sha256(c) for c in store["server"].chain)
    expected = {"server": ("private-key", chain, "key-ok"), "ca": ("trusted-cert", (_sha256(store["ca"].cert),), "")}
    for java in (None, java_25):
        assert java_inventory(path, java=java)[str(path)] == expected
    pem = openssl("pkcs12", "-in", path, "-passin", f"pass:{PASSWORD}", "-nodes").stdout
    certs = x509.load_pem_x509_certificates(pem)
    assert {_sha256(c.public_bytes(serialization.Encoding.DER)) for c in certs} == {*chain, *expected["ca"][1]}
    assert pem.count(b"-----BEGIN PRIVATE KEY-----") == 1
    assert {"friendlyName: server", "friendlyName: ca"} <= set(re.findall(r"friendlyName: \w+", pem.decode()))


def test_none_truststore_refuses_keys(ca):
    with pytest.raises(JkstoolError, match="certificates only"):
        formats.dump(_keystore(ca), "pkcs12", PASSWORD, profile="none-truststore")


def test_password_less_truststore_lists_without_a_password(tmp_path, ca, keytool, java_25, openssl):
    """Java and OpenSSL open the none-truststore with no password at all, and find its certificates."""
    path = tmp_path / "trust.p12"
    store = Store([ca.trusted("ca"), MiniCA("Other").trusted("other")])
    path.write_bytes(formats.dump(store, "pkcs12", PASSWORD, profile="none-truststore"))
    expected = sorted(_sha256(e.cert) for e in store)
    listed17 = keytool.call(["-list", "-v", "-keystore", path], "\n")
    keytool25 = Path(java_25).parent / "keytool"
    listed25 = subprocess.run([keytool25, "-list", "-v", "-keystore", path], input="\n", capture_output=True,
                              text=True)
    for listed in (listed17, listed25):
        assert listed.returncode == 0, listed.stdout + listed.stderr
        prints = re.findall(r"^\s*SHA256: ([0-9A-F:]+)$", listed.stdout, re.M)
        assert sorted(p.replace(":", "").lower() for p in prints) == expected
    pem = openssl("pkcs12", "-in", path, "-passin", "pass:", "-nokeys").stdout
    assert pem.count(b"BEGIN CERTIFICATE") == 2
    assert formats.load(path.read_bytes(), None).store == store


# -- compat against the real runtimes --------------------------------------------

def _openssl_rows(openssl) -> list[str]:
    """The rows of compat.RUNTIMES this machine's OpenSSL stands for."""
    version = tuple(int(n) for n in re.search(rb"OpenSSL (\d+)\.(\d+)", openssl("version").stdout).groups())
    if version < (3, 0):
        return ["OpenSSL 1.1.1"]
    if version < (3, 4):
        return ["OpenSSL 3.0-3.3", "OpenSSL 3.0-3.3 -legacy"]
    return ["OpenSSL 3.4+"]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, ca, keytool, java_25, openssl):
    """Stores each made by another hand, all with the password changeit: {name: path}."""
    folder = tmp_path_factory.mktemp("compat")
    made = {}
    for profile in PROFILES:
        store = Store([ca.trusted("ca")]) if profile == "none-truststore" else _keystore(ca)
        made[f"jkstool-{profile}"] = folder / f"jkstool-{profile}.p12"
        made[f"jkstool-{profile}"].write_bytes(formats.dump(store, "pkcs12", PASSWORD, profile=profile))
    made["jkstool-jks"] = folder / "jkstool.jks"
    made["jkstool-jks"].write_bytes(formats.dump(_keystore(ca), "jks", PASSWORD))

    genkey = ["-genkeypair", "-alias", "k", "-keyalg", "EC", "-dname", "CN=k", "-storetype", "PKCS12",
              "-storepass", PASSWORD, "-noprompt"]
    keytool25 = str(Path(java_25).parent / "keytool")
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(formats.dump(Store([ca.trusted("ca")]), "pem", None))
    running = []
    for name, command in {
        "keytool17": [keytool.path, *genkey],
        "keytool17-legacy": [keytool.path, "-J-Dkeystore.pkcs12.legacy", *genkey],
        "keytool17-sha512-mac": [keytool.path, "-J-Dkeystore.pkcs12.macAlgorithm=HmacPBESHA512", *genkey],
        "keytool17-nomac-truststore": [
            keytool.path, "-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE",
            "-J-Dkeystore.pkcs12.macAlgorithm=NONE", "-importcert", "-alias", "ca", "-file", ca_pem,
            "-storetype", "PKCS12", "-storepass", PASSWORD, "-noprompt"],
        "keytool25": [keytool25, *genkey],
    }.items():  # each its own JVM (the -J options), all at once
        made[name] = folder / f"{name}.p12"
        running.append(subprocess.Popen([*command, "-keystore", made[name]], stdout=subprocess.DEVNULL))

    source = folder / "server.pem"
    source.write_bytes(formats.dump(_keystore(ca), "pem", None, encrypt_keys=False))
    for name, options in {
        "openssl": [],
        "openssl-legacy": ["-legacy"],
        "openssl-nomac": ["-nomac"],
        "openssl-clear": ["-keypbe", "NONE", "-certpbe", "NONE"],
        "openssl-truststore": ["-nokeys"],
        "openssl-aes128-sha512": ["-keypbe", "AES-128-CBC", "-certpbe", "AES-128-CBC", "-macalg", "sha512"],
    }.items():
        made[name] = folder / f"{name}.p12"
        openssl("pkcs12", "-export", "-in", source, "-out", made[name], "-passout", f"pass:{PASSWORD}", *options)
    assert all(process.wait() == 0 for process in running)
    return made


@pytest.fixture(scope="module")
def real_verdicts(stores, java_inventory, java_25, openssl):
    """{(store name, runtime row): loads?}, each answered by the runtime itself."""
    verdicts = {}
    for row, java in (("Java 17", None), ("Java 25", java_25)):
        seen = java_inventory(*stores.values(), java=java)
        for name, path in stores.items():
            entries = seen.get(str(path), {})
            verdicts[name, row] = bool(entries) and all(
                kind != "unreadable" and (kind != "private-key" or detail == "key-ok")
                for kind, _, detail in entries.values())
    for row in _openssl_rows(openssl):
        legacy = ["-legacy"] if row.endswith("-legacy") else []
        for name, path in stores.items():
            read = openssl("pkcs12", "-in", path, "-passin", f"pass:{PASSWORD}", "-nodes", *legacy, check=False)
            verdicts[name, row] = read.returncode == 0 and b"BEGIN CERTIFICATE" in read.stdout
    for name, path in stores.items():
        try:
            crypto_pkcs12.load_pkcs12(path.read_bytes(), PASSWORD.encode())
            verdicts[name, "Python cryptography"] = True
        except ValueError:
            verdicts[name, "Python cryptography"] = False
    return verdicts


def test_compat_answers_as_each_runtime_on_this_machine_does(stores, real_verdicts):
    wrong = []
    for (name, row), loads in sorted(real_verdicts.items()):
        loaded = formats.read_store(stores[name], PASSWORD, keys=False)
        verdict = next(v for v in compat.judge(loaded, str(stores[name])) if v.runtime == row)
        if verdict.loads != loads:
            wrong.append(f"{name} on {row}: the runtime says {loads}, compat says {verdict.loads} ({verdict.why})")
    assert not wrong, "\n".join(wrong)
    # The matrix is not trivial here: some runtime refuses some store, and each refuses one at least.
    assert not all(real_verdicts.values())


def test_javas_own_limits_are_javas_alone(tmp_path, openssl):
    """Java refuses a salt under 8 bytes and, before JDK 25, a password that is not ASCII (keytool decides it in
    test_java_refuses); OpenSSL and Python's cryptography read both stores, and compat's rows for them say so."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=k",
            "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem")
    short = tmp_path / "short-salts.p12"
    short.write_bytes(openssl_salts.pkcs12((tmp_path / "key.pem").read_bytes(), (tmp_path / "cert.pem").read_bytes(),
                                           PASSWORD, key_scheme="PBE-SHA1-3DES", cert_scheme="PBE-SHA1-3DES",
                                           key_salt=4, cert_salt=4, mac_salt=4))
    unicode = tmp_path / "unicode.p12"
    openssl("pkcs12", "-export", "-in", tmp_path / "cert.pem", "-inkey", tmp_path / "key.pem", "-out", unicode,
            "-passout", "pass:pässwörd", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES")
    for path, password in ((short, PASSWORD), (unicode, "pässwörd")):
        verdicts = {v.runtime: v for v in compat.judge(formats.read_store(path, password, keys=False), str(path))}
        assert not verdicts["Java 17"].loads and not verdicts["Java 25"].loads
        read = openssl("pkcs12", "-in", path, "-passin", f"pass:{password}", "-nodes", check=False)
        assert read.returncode == 0 and b"BEGIN PRIVATE KEY" in read.stdout, read.stderr
        crypto_pkcs12.load_pkcs12(path.read_bytes(), password.encode())
        for row in [*_openssl_rows(openssl), "Python cryptography"]:
            assert verdicts[row].loads, (path.name, row, verdicts[row].why)


def test_compat_fix_makes_the_store_load_where_it_did_not(stores, tmp_path, java_inventory):
    """The conversion compat prints for Java 17 on a PBMAC1 store gives a store Java 17 loads."""
    path = stores["jkstool-modern"]
    loaded = formats.read_store(path, PASSWORD, keys=False)
    verdict = next(v for v in compat.judge(loaded, str(path)) if v.runtime == "Java 17")
    assert not verdict.loads and verdict.fix.startswith("jkstool convert ")
    out = tmp_path / "fixed.p12"
    command = shlex.split(verdict.fix.replace("OUT.p12", str(out)))[1:]
    result = run(*command, "--storepass", PASSWORD, "--dest-storepass", PASSWORD)
    assert result.exit_code == 0, result.output
    assert all(kind != "unreadable" for kind, _, _ in java_inventory(out)[str(out)].values())


def test_compat_fix_for_keys_in_the_clear_keeps_the_key(stores, tmp_path, java_inventory):
    """openssl -keypbe NONE: Java skips the KeyBag; the fix compat prints takes the key out with OpenSSL
    first, and Java then finds the key, usable."""
    import subprocess
    path = stores["openssl-clear"]
    loaded = formats.read_store(path, PASSWORD, keys=False)
    verdict = next(v for v in compat.judge(loaded, str(path)) if v.runtime == "Java 17")
    assert not verdict.loads and "openssl pkcs12" in verdict.fix
    out = tmp_path / "fixed.p12"
    command = verdict.fix.replace("-nodes", f"-nodes -passin pass:{PASSWORD}").replace("OUT.p12", str(out))
    command = command.replace("--profile java9", "--profile java9 --dest-storepass env:P")
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True,
                          env={**__import__("os").environ, "P": PASSWORD})
    assert done.returncode == 0, done.stderr
    seen = java_inventory(out)[str(out)]
    assert [detail for kind, _, detail in seen.values() if kind == "private-key"] == ["key-ok"]
    assert not (tmp_path / "key.pem").exists()


def test_compat_command_exits_1_for_a_jdk_that_cannot_load_it(stores):
    modern = str(stores["jkstool-modern"])
    assert run("compat", modern, "--storepass", PASSWORD, "--jdk", "17").exit_code == 1
    assert run("compat", modern, "--storepass", PASSWORD, "--jdk", "26").exit_code == 0
    result = run("compat", modern, "--storepass", PASSWORD, "--json")
    answer = json.loads(result.stdout)
    assert answer["integrity"] == "pbmac1"
    assert {r["runtime"] for r in answer["runtimes"]} == {r.name for r in compat.RUNTIMES}


def test_docs_show_the_compatibility_matrix_of_the_code():
    """docs/formats.md's matrix: each write profile against each runtime, as compat.RUNTIMES says."""
    from jkstool.formats.pkcs12 import PROFILES
    lines = ["| runtime | " + " | ".join(f"`{n}`" for n in PROFILES) + " | JKS | source |",
             "| --- | " + " | ".join("---" for _ in PROFILES) + " | --- | --- |"]
    for runtime in compat.RUNTIMES:
        cells = ["yes" if compat.reads(runtime, profile) else "no" for profile in PROFILES.values()]
        lines.append(f"| {runtime.name} | " + " | ".join(cells)
                     + f" | {'yes' if 'JKS' in runtime.types else 'no'} | {runtime.source} |")
    assert "\n".join(lines) + "\n" in (Path(__file__).resolve().parent.parent / "docs" / "formats.md").read_text()


# -- verify-pair on the target JDK -----------------------------------------------

def test_verify_pair_flags_a_layout_the_target_jdk_cannot_load(tmp_path, handshake):
    """A PBMAC1 layout: JDK 17's own handshake fails, and verify-pair --jdk 17 says why first."""
    folder = tmp_path / "modern"
    assert run("init-pair", str(folder), "--storepass", PASSWORD, "--profile", "modern").exit_code == 0
    ok, seen = handshake(folder)
    assert not ok, seen
    result = run("verify-pair", str(folder), "--storepass", PASSWORD, "--jdk", "17", "--json")
    assert result.exit_code == 1
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "store-unreadable" in codes


# -- declared type against the bytes ----------------------------------------------

def test_type_mismatch_is_said_as_java_behaves(tmp_path, ca, keytool):
    """A PKCS12 named .jks: list, verify-pair's reading and compat say so, and keytool 17 shows the
    behaviour the warning states (read as JKS while keystore.type.compat is on, refused when off or
    when declared JCEKS)."""
    path = tmp_path / "named.jks"
    path.write_bytes(formats.dump(_keystore(ca), "pkcs12", PASSWORD))
    listed = run("list", path, "--storepass", "env:P", env={"P": PASSWORD})
    assert listed.exit_code == 0 and "the store is PKCS12, though its name says JKS" in listed.stderr
    assert "keystore.type.compat" in listed.stderr
    assert keytool("-list", "-storetype", "JKS", "-keystore", path).returncode == 0
    off = tmp_path / "compat-off.security"
    off.write_text("keystore.type.compat=false\n")
    refused = keytool.call([f"-J-Djava.security.properties={off}", "-list", "-storetype", "JKS", "-keystore", path,
                            "-storepass", PASSWORD])
    assert refused.returncode != 0 and "Invalid keystore format" in refused.stdout + refused.stderr

    declared = run("compat", path, "--declared-type", "JCEKS", "--storepass", "env:P", env={"P": PASSWORD})
    assert declared.exit_code == 0 and "though declared JCEKS: Java opening it as JCEKS" in declared.stderr
    refused = run("compat", path, "--declared-type", "JCEKS", "--jdk", "17", "--storepass", "env:P", "--json",
                  env={"P": PASSWORD})
    assert refused.exit_code == 1  # as keytool 17 refuses it below
    assert run("compat", path, "--declared-type", "JKS", "--jdk", "17", "--storepass", "env:P",
               env={"P": PASSWORD}).exit_code == 0  # keystore.type.compat, as keytool reads it above
    assert run("compat", path, "--declared-type", "foo", "--storepass", "env:P", env={"P": PASSWORD}).exit_code == 2
    as_jceks = keytool("-list", "-storetype", "JCEKS", "-keystore", path, check=False)
    assert as_jceks.returncode != 0 and "Invalid keystore format" in as_jceks.stdout + as_jceks.stderr


def test_java_trusts_the_password_less_truststore_with_no_password_set(tmp_path, java_classes, java_25, openssl):
    """An application that sets javax.net.ssl.trustStore and no password: JDK 17 and 25 trust the
    none-truststore profile's certificates, and find nothing in a password-protected store."""
    from servers import free_port, wait_for_port
    folder = tmp_path / "tls"
    assert run("init-pair", folder, "--storepass", "env:P", env={"P": PASSWORD}).exit_code == 0
    open_trust, server_pem = tmp_path / "open.p12", tmp_path / "server.pem"
    for dest, options in ((open_trust, ["--profile", "none-truststore"]), (server_pem, ["--no-encrypt-key"])):
        source = folder / ("client.truststore.p12" if dest == open_trust else "server.keystore.p12")
        assert run("convert", source, dest, "--storepass", "env:P", *options, env={"P": PASSWORD}).exit_code == 0
    port = free_port()
    server = subprocess.Popen([openssl.path, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", server_pem,
                               "-key", server_pem, "-www", "-quiet"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        for java in (java_classes[0], java_25):
            def reply(truststore, java=java):
                return subprocess.run([java, f"-Djavax.net.ssl.trustStore={truststore}", "-cp", java_classes[1],
                                       "DefaultClient", "localhost", str(port)], capture_output=True, text=True,
                                      timeout=60).stdout
            assert reply(open_trust).startswith("HTTP/1.0 200"), java
            assert "trustAnchors parameter must be non-empty" in reply(folder / "client.truststore.p12"), java
    finally:
        server.terminate()
        server.wait(10)


def test_a_jceks_store_named_jks_is_refused_as_jks_and_read_by_its_bytes(tmp_path, keytool):
    """What the warning says, as keytool shows it: opened as the type its name says, a JCEKS store fails;
    opened by its bytes (keytool without -storetype, KeyStore.getInstance(File)), it loads."""
    path = tmp_path / "named.jks"
    made = keytool("-genkeypair", "-storetype", "JCEKS", "-keystore", path, "-alias", "k", "-keyalg", "EC",
                   "-dname", "CN=k")
    assert made.returncode == 0, made.stderr
    listed = run("list", path, "--storepass", "env:P", env={"P": PASSWORD})
    assert listed.exit_code == 0 and "the store is JCEKS, though its name says JKS" in listed.stderr
    assert "KeyStore.getInstance(File) learns the type from the bytes and loads it" in listed.stderr
    refused = keytool("-list", "-storetype", "JKS", "-keystore", path, check=False)
    assert refused.returncode != 0 and "Invalid keystore format" in refused.stdout + refused.stderr
    assert keytool("-list", "-keystore", path, check=False).returncode == 0


def test_a_declared_type_loads_or_fails_as_keytool_says(tmp_path, keytool):
    """Each of JKS, JCEKS and PKCS12 declared as each: keytool -storetype (KeyStore.getInstance(TYPE).load)
    decides whether it loads, and says the message compat quotes when it does not."""
    stores = {}
    for kind in ("JKS", "JCEKS", "PKCS12"):
        stores[kind] = tmp_path / f"made.{kind.lower()}"
        keytool("-genkeypair", "-keystore", stores[kind], "-storetype", kind, "-alias", "k", "-keyalg", "EC",
                "-dname", "CN=k", "-keypass", "changeit")
    for actual, path in stores.items():
        for declared in stores:
            said = keytool.call(["-list", "-storetype", declared, "-keystore", path, "-storepass", "changeit"])
            judged = run("compat", path, "--declared-type", declared, "--jdk", "17", "--json",
                         "--storepass", "pass:changeit")
            assert judged.exit_code == (0 if said.returncode == 0 else 1), (actual, declared, said.stdout)
            if said.returncode != 0:
                (java17,) = [v for v in json.loads(judged.stdout)["runtimes"] if v["runtime"] == "Java 17"]
                quoted = re.search(r"fails with '([^']+)'", java17["why"])[1]
                assert quoted in said.stdout + said.stderr, (actual, declared, quoted, said.stdout)
