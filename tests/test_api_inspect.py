"""The API behind list, compat, import-ca --from-store, probe and serve: what each returns is what keytool,
a converted store or a real handshake says, and the commands print exactly what it gives."""

import json
import socket
import threading
from datetime import datetime, timezone

import pytest
from helpers import FIXTURES, PASSWORD, MiniCA, certificate, new_key, run, version_4

import jkstool
from jkstool import formats
from jkstool.api import certificates
from jkstool.api.inspect import JDKS, compat, inventory, trusted_in
from jkstool.api.network import probe, serve
from jkstool.model import SecretKeyEntry, Store, TrustedCertEntry

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A layout, and another one whose CA the first does not trust."""
    root = tmp_path_factory.mktemp("pairs")
    return jkstool.init_pair(root / "tls", password=PASSWORD), jkstool.init_pair(root / "other", password=PASSWORD)


# -- inventory (list) --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["jdk17-keytool.jks", "jdk17-keytool.p12", "jdk25-keytool.jceks"])
def test_inventory_lists_what_keytool_lists(name, keytool_inventory):
    found = inventory(FIXTURES / name, password=PASSWORD)
    theirs = keytool_inventory(FIXTURES / name)
    kinds = {"private-key": "PrivateKeyEntry", "trusted-cert": "trustedCertEntry", "secret-key": "SecretKeyEntry"}
    ours = {item.alias: (kinds[item.kind], tuple(certificates.sha256(c) for c in item.entry.certificates))
            for item in found}
    assert ours == theirs
    assert found.type == name.rpartition(".")[2].upper().replace("P12", "PKCS12") and found.verified is True
    for item in found:
        if item.leaf is not None:
            assert item.leaf.sha256 == theirs[item.alias][1][0]


def test_inventory_is_what_list_json_prints(pair):
    store = pair[0].store_path("client-keystore")
    printed = json.loads(run("list", store, "--json", env=ENV).stdout)
    assert {"schema": "jkstool/list/1", **inventory(store, password=PASSWORD).to_dict()} == printed
    verbose = inventory(store, password=PASSWORD, details=True).to_dict()
    assert verbose["entries"][0]["certificates"][0]["extended_key_usage"] == ["clientAuth"]
    assert set(printed["entries"][0]["certificates"][0]) < set(verbose["entries"][0]["certificates"][0])


def test_a_row_works_out_only_what_is_read(tmp_path):
    """The 10,000-certificate path: a table row that shows the expiry and the fingerprint costs no RFC 4514
    name, no key description."""
    found = inventory(FIXTURES / "public-ca-bundle.pem")
    for item in found:
        assert item.leaf is not None and item.leaf.sha256 and item.days_left() is not None
        assert not {"subject", "issuer", "key_algorithm"} & set(vars(item.leaf))
    assert len(found) > 100 and found.verified is None


def test_days_left_counts_whole_days_to_the_leafs_expiry(pair):
    now = datetime.now(timezone.utc)
    item = next(iter(inventory(pair[0].store_path("server-keystore"), password=PASSWORD)))
    leaf = certificates.load(item.entry.certificates[0])
    assert item.days_left(now) == (leaf.not_valid_after_utc - now).days in (395, 396)


def test_secret_keys_and_certificates_java_cannot_parse_are_listed_with_their_warnings(tmp_path):
    ca = MiniCA()
    odd = version_4(certificate(new_key("ec"), "v4.example.test", ca.sub, ca.sub_key), ca.sub_key)
    path = tmp_path / "odd.p12"
    store = Store([TrustedCertEntry("odd", odd), ca.key_entry("chain"),
                   SecretKeyEntry("aes", "AES", bytes(32), datetime.now(timezone.utc))])
    path.write_bytes(formats.dump(store, "pkcs12", PASSWORD))
    path.chmod(0o600)
    found = {item.alias: item for item in inventory(path, password=PASSWORD)}
    assert (found["aes"].leaf, found["aes"].key_algorithm, found["aes"].key_size) == (None, None, None)
    opened = {item.alias: item for item in inventory(jkstool.read_store(path, PASSWORD))}  # keys read too
    assert (opened["aes"].key_algorithm, opened["aes"].key_size) == ("AES", 256)
    assert found["aes"].days_left() is None and found["aes"].warnings() == []
    assert found["odd"].leaf.subject == "CN=v4.example.test"
    assert found["odd"].warnings() == ["alias 'odd': certificate 1: cannot be parsed: shown as far as its DER "
                                       "can be read"]
    assert found["chain"].warnings() == [] and found["chain"].key_algorithm == "EC"
    said = run("list", path, env=ENV).stderr
    assert f"warning: {path}: {found['odd'].warnings()[0]}" in said


def test_inventory_says_which_java_refuses_the_store_as_list_prints_it(tmp_path):
    """A PBMAC1 store (the modern profile): each release list speaks for refuses it but JDK 26, which reads
    PBMAC1; a PEM file is no Java store, and draws no refusal (keytool decides each case in test_java_refuses)."""
    store = tmp_path / "modern.p12"
    jkstool.convert_store(FIXTURES / "jdk17-keytool.p12", store, password=PASSWORD, profile="modern")
    found = inventory(store, password=PASSWORD)
    assert [jdk for jdk, _ in found.java_refuses] == ["8u301", "11", "17", "21", "25"]
    assert {refusal.why for refusal in found.java_refuses} == {"its integrity check pbmac1 is not read"}
    listed = run("list", store, env=ENV)
    assert f"warning: {store}: Java 17 refuses it: its integrity check pbmac1 is not read" in listed.stderr
    assert "Java 26" not in listed.stderr
    assert json.loads(run("list", store, "--json", env=ENV).stdout)["java_refuses"] == found.to_dict()["java_refuses"]
    assert inventory(FIXTURES / "public-ca-bundle.pem").java_refuses == []


# -- compat ------------------------------------------------------------------------------------------------

def test_compat_fixes_what_it_finds(tmp_path):
    """keytool 17's PKCS12 does not load in Java 8 before 8u301; the store the fix names does."""
    source = FIXTURES / "jdk17-keytool.p12"
    report = compat(source, password=PASSWORD, jdk="8")
    assert not report.ok and report.verdict("17").loads and report.verdict("Java 11").loads
    fix, = (f for f, runtimes in report.fixes().items() if JDKS["8"] in runtimes)
    profile = fix.rpartition("--profile ")[2]
    jkstool.convert_store(source, tmp_path / "OUT.p12", password=PASSWORD, profile=profile)
    assert compat(tmp_path / "OUT.p12", password=PASSWORD, jdk="8").ok
    assert {"schema": "jkstool/compat/1", **report.to_dict()} == json.loads(run("compat", source, "--json",
                                                                             env=ENV).stdout)


def test_compat_says_what_a_declared_type_does(tmp_path):
    store = FIXTURES / "jdk17-keytool.jks"
    report = compat(store, password=PASSWORD, declared_type="PKCS12")
    assert report.type == "JKS" and "Java 9+ reads it anyway" in report.type_mismatch
    assert not report.verdict("8").loads and report.verdict("17").loads
    assert compat(store, password=PASSWORD).type_mismatch is None
    loaded = jkstool.read_store(store, PASSWORD, keys=False)
    assert compat(loaded, declared_type="PKCS12", name=str(store)).verdicts == report.verdicts
    assert "jkstool convert app.jks OUT.p12" in compat(loaded, declared_type="PKCS12", name="app.jks").verdicts[0].fix


@pytest.mark.parametrize("options", [{"jdk": "9"}, {"declared_type": "PEM"}])
def test_compat_refuses_what_it_cannot_judge_before_reading(options):
    with pytest.raises(jkstool.JkstoolError, match="give"):
        compat(FIXTURES / "no-such-store.p12", **options)


# -- trusted_in (import-ca --from-store) -------------------------------------------------------------------

def test_a_keystore_lends_its_ca_to_a_truststore(pair, tmp_path, keytool_inventory):
    client = pair[0].store_path("client-keystore")
    lent = trusted_in(client, PASSWORD)
    ca = formats.certfile.read_certificates(pair[0].files()["ca-cert"])
    assert lent == ca
    result = jkstool.import_ca(tmp_path / "trust.jks", [("client", der) for der in lent], password=PASSWORD)
    assert [(e["subject"], e["sha256"]) for e in result.to_dict()["added"]] == \
        [(pair[0].manifest.cas.server.subject, certificates.sha256(ca[0]))]
    assert [prints for _, prints in keytool_inventory(tmp_path / "trust.jks").values()] == \
        [(certificates.sha256(ca[0]),)]
    assert trusted_in(jkstool.read_store(client, PASSWORD, keys=False)) == lent


# -- probe and serve ---------------------------------------------------------------------------------------

class Served:
    """api.serve in a thread, on a free port: its visits and the port it reported."""

    def __init__(self, **options):
        self.visits, self.listening, self.noticed, self.error = [], None, [], None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, kwargs=options, daemon=True)

    def _run(self, **options):
        try:
            serve(port=0, report=self.visits.append, ready=self._ready,
                  noticed=lambda path, message: self.noticed.append((path, message)), **options)
        except jkstool.JkstoolError as e:
            self.error = e
            self.ready.set()

    def _ready(self, listening):
        self.listening = listening
        self.ready.set()

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(30)
        return self

    def __exit__(self, *exc):
        self.thread.join(30)


def test_probe_a_layouts_server_as_its_client(pair):
    tls, _ = pair
    server_leaf = jkstool.read_store(tls.store_path("server-keystore"), PASSWORD).store.key_entries()[0].chain[0]
    with Served(folder=tls.folder, password=PASSWORD, once=True) as served:
        assert served.listening.accepted == ["ca"] and served.error is None
        result = probe("127.0.0.1", served.listening.port, servername="localhost", password=PASSWORD,
                       keystore=tls.store_path("client-keystore"), truststore=tls.store_path("client-truststore"),
                       expect_sha256=certificates.sha256(server_leaf))
    assert result.ok and result.handshake_ok and result.requested and result.keystore_acceptable
    assert result.trusted and result.anchor == tls.manifest.cas.server.subject and result.name_matches
    assert [c.sha256 for c in result.chain][0] == certificates.sha256(server_leaf)
    assert result.acceptable == [tls.manifest.cas.client.subject]
    visit, = served.visits
    assert visit.accepted and visit.subject == "CN=client" and visit.to_dict()["client"] == visit.address
    assert datetime.strptime(visit.to_dict()["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_probe_says_why_another_pairs_client_is_refused(pair):
    tls, other = pair
    with Served(keystore=tls.store_path("server-keystore"), truststore=tls.store_path("server-truststore"),
                password=PASSWORD, once=True) as served:
        result = probe("127.0.0.1", served.listening.port, keystore=other.store_path("client-keystore"),
                       truststore=other.store_path("client-truststore"), password=PASSWORD, expect_sha256="00" * 32)
    assert not result.ok and result.trusted is False and result.anchor is None
    assert result.keystore_acceptable is False and not result.handshake_ok
    assert any("Empty client certificate chain" in p for p in result.problems)
    assert result.problems[-1].startswith("the server presents ")
    visit, = served.visits
    assert not visit.accepted and visit.reason
    assert result.to_dict()["problems"] == result.problems


def test_probe_a_closed_port_is_a_result_not_an_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = probe("127.0.0.1", port, timeout=2)
    assert not result.connected and result.problems == [result.error] and result.to_dict()["ok"] is False


def test_serve_says_what_reading_its_stores_noticed_and_refuses_a_port_in_use(pair, tmp_path):
    tls, _ = pair
    readable = tmp_path / "server.pem"  # its key in the clear, which others can read
    formats.write_store(readable, formats.read_store(tls.store_path("server-keystore"), PASSWORD).store, "pem",
                        PASSWORD, encrypt_keys=False)
    readable.chmod(0o644)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(jkstool.JkstoolError, match=f"cannot listen on 127.0.0.1:{busy.getsockname()[1]}"):
            noticed = []
            serve(keystore=readable, truststore=tls.store_path("server-truststore"), password=PASSWORD,
                  port=busy.getsockname()[1], report=print, noticed=lambda *said: noticed.append(said))
    assert noticed and noticed[0][0] == readable and "other users can read it" in noticed[0][1]
    with pytest.raises(jkstool.JkstoolError, match="the keystore holds no key entry"):
        serve(keystore=tls.store_path("server-truststore"), truststore=tls.store_path("server-truststore"),
              password=PASSWORD, report=print)
    with pytest.raises(jkstool.JkstoolError, match="not both"):
        serve(tls.folder, keystore=readable, report=print)


def test_serve_refuses_the_clients_a_layouts_crl_revokes(tmp_path):
    folder = tmp_path / "tls"
    layout = jkstool.init_pair(folder, password=PASSWORD)
    assert run("revoke", folder, "--alias", "client", env=ENV).exit_code == 0
    with Served(folder=folder, once=True) as served:  # the password from nowhere: the CLI gives it
        assert served.error is not None and "password" in str(served.error)
    with Served(folder=folder, password=PASSWORD, once=True) as served:
        result = probe("127.0.0.1", served.listening.port, keystore=layout.store_path("client-keystore"),
                       password=PASSWORD)
    visit, = served.visits
    assert not visit.accepted and "certificate revoked" in visit.reason and not result.ok
