"""jkstool.api.checks, the one door of verify-pair, doctor and expiry: what a call returns is what the
command prints (`to_dict()` against the command's --json), the rules apply whichever way the stores are
named, and verdicts agree with JSSE on stores keytool made."""

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from helpers import PASSWORD, run
from keytool_pki import KeytoolPKI

from jkstool import api
from jkstool.api import checks

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
ROLES = ("server-keystore", "server-truststore", "client-keystore", "client-truststore")
AT = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
"""A fixed moment, so that a first break "now" is the same for the API and the command."""


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """Two pairs of different CAs."""
    root = tmp_path_factory.mktemp("checks")
    return (api.init_pair(root / "tls", password=PASSWORD).folder,
            api.init_pair(root / "other", password=PASSWORD).folder)


def command_json(command, *args):
    """A command's --json output, its schema tag checked and taken off: the rest is the API's to_dict()."""
    result = run(command, *args, "--json", env=ENV)
    assert result.exit_code in (0, 1), result.output
    printed = json.loads(result.stdout)
    assert printed.pop("schema") == f"jkstool/{command}/1"
    return result.exit_code, printed


# -- the four stores of a pair ------------------------------------------------------------------

def test_pair_stores_takes_what_is_given_and_the_rest_from_the_folder(layouts, tmp_path):
    tls, other = layouts
    own = api.Layout.open(tls).stores()
    assert checks.pair_stores(tls) == own
    foreign = api.Layout.open(other).stores()["client-truststore"]
    mixed = checks.pair_stores(tls, {"client-truststore": foreign, "server-keystore": None})
    assert mixed == {**own, "client-truststore": foreign}
    assert checks.pair_stores(stores=own) == own
    with pytest.raises(api.JkstoolError) as missing:
        checks.pair_stores(stores={"server-keystore": own["server-keystore"]})
    assert str(missing.value) == \
        "no server truststore given (give a layout folder, or stores={'server-truststore': ...})"
    # A folder without layout.json, holding one store in both forms: only what is not given must be found.
    loose = tmp_path / "loose"
    loose.mkdir()
    for path in own.values():
        shutil.copy(path, loose / path.name)
    shutil.copy(own["client-truststore"], loose / "client.truststore.jks")
    with pytest.raises(api.JkstoolError, match="both client.truststore.jks and client.truststore.p12"):
        checks.pair_stores(loose)
    chosen = checks.pair_stores(loose, {"client-truststore": loose / "client.truststore.jks"})
    assert chosen["client-truststore"].name == "client.truststore.jks"
    assert chosen["server-keystore"] == loose / "server.keystore.p12"


# -- verify_pair: the report is what the command prints ------------------------------------------

def test_report_to_dict_is_what_verify_pair_json_prints(layouts):
    tls, other = layouts
    foreign = api.Layout.open(other).stores()["client-truststore"]
    report = api.verify_pair({"client-truststore": foreign}, folder=tls, password=PASSWORD, hostname="localhost",
                             at=AT, first_break=True)
    code, printed = command_json("verify-pair", tls, "--client-truststore", foreign, "--hostname", "localhost",
                                 "--at", AT.isoformat(), "--first-break")
    assert report.to_dict() == printed and code == 1 and not report.ok
    assert report.error_count == 1 and printed["first_break"]["findings"][0]["code"] == "server-untrusted"
    assert report.trust()["server"]["ok"] is False and report.trust()["client"]["ok"] is True
    plain = api.verify_pair(tls, password=PASSWORD)
    assert "first_break" not in plain.to_dict() and plain.to_dict() == command_json("verify-pair", tls)[1]


def test_a_layouts_crls_count_however_its_stores_are_named(tmp_path):
    folder = api.init_pair(tmp_path / "tls", password=PASSWORD).folder
    assert run("revoke", folder, "--alias", "client", env=ENV).exit_code == 0
    stores = api.Layout.open(folder).stores()

    def revoked(report):
        return [f.store for f in report.findings if f.code == "cert-revoked"]
    assert revoked(api.verify_pair(folder, password=PASSWORD)) == [str(stores["client-keystore"])]
    assert revoked(api.verify_pair(stores, folder=folder, password=PASSWORD)) == [str(stores["client-keystore"])]
    assert revoked(api.verify_pair(stores, password=PASSWORD)) == []  # four files alone: no layout, no CRL
    crl = checks.layout_crls(folder)
    assert revoked(api.verify_pair(stores, password=PASSWORD, crls=crl)) == [str(stores["client-keystore"])]
    code, printed = command_json("verify-pair", folder, *(x for role in ROLES for x in (f"--{role}", stores[role])))
    assert code == 1 and {f["code"] for f in printed["findings"]} >= {"cert-revoked", "crl-not-enforced"}


@pytest.fixture(scope="module")
def keytool_pair(tmp_path_factory, keytool):
    """A pair made with keytool alone (JKS, one CA per side), as a Java team makes one by hand."""
    pki = KeytoolPKI(keytool.call, tmp_path_factory.mktemp("keytool-checks"))
    for root in ("serverca", "clientca"):
        pki.root(root)
    folder = pki.folder / "pair"
    folder.mkdir()
    pki.key_entry(folder / "server.keystore.jks", "server", "serverca", "serverAuth", san="dns:localhost")
    pki.key_entry(folder / "client.keystore.jks", "client", "clientca", "clientAuth")
    pki.trust(folder / "server.truststore.jks", "clientca")
    pki.trust(folder / "client.truststore.jks", "serverca")
    return folder


def test_a_password_chooser_is_asked_for_each_store_and_jsse_agrees(keytool_pair, handshake):
    asked = []

    def chooser(role, path, required):
        asked.append((role, path.name, required))
        return PASSWORD
    report = api.verify_pair(keytool_pair, passwords=chooser, hostname="localhost")
    assert asked == [(role, f"{role.replace('-', '.')}.jks", True) for role in ROLES]
    ok, seen = handshake(*(keytool_pair / f"{role.replace('-', '.')}.jks" for role in ROLES), "localhost")
    assert report.ok and ok, seen
    found = checks.run_handshake(report, passwords={role: PASSWORD for role in ROLES}, hostname="localhost",
                                 engine="java")
    assert found.code == "handshake-ok" and "JSSE" in found.message and report.findings[-1] is found

    def wrong(role, path, required):
        return "wrong-password" if role == "client-truststore" else PASSWORD
    with pytest.raises(api.JkstoolError) as refused:
        api.verify_pair(keytool_pair, passwords=wrong)
    assert refused.value.path == str(keytool_pair / "client.truststore.jks")


def test_a_pem_store_is_not_required_a_password(layouts, tmp_path):
    tls, _ = layouts
    stores = api.Layout.open(tls).stores()
    pem = tmp_path / "server.keystore.pem"
    api.convert_store(stores["server-keystore"], pem, password=PASSWORD, store_type="pem", encrypt_keys=False)
    asked = {}

    def chooser(role, path, required):
        asked[role] = required
        return PASSWORD if required else None
    report = api.verify_pair({**stores, "server-keystore": pem}, passwords=chooser)
    assert asked == {"server-keystore": False, "server-truststore": True, "client-keystore": True,
                     "client-truststore": True}
    assert report.ok and report.stores["server-keystore"].loaded.type == "PEM"
    found = checks.run_handshake(report, passwords={role: PASSWORD if asked[role] else None for role in ROLES},
                                 engine="openssl")
    assert found.code == "handshake-ok", found.message


# -- a fleet, Kubernetes Secrets ------------------------------------------------------------------

def test_verify_fleet_rows_are_what_verify_pair_all_prints(layouts, tmp_path):
    tls, other = layouts
    root = tmp_path / "root"
    api.init_pair(root / "a", password=PASSWORD)
    broken = api.init_pair(root / "b", password=PASSWORD).folder
    shutil.copy(api.Layout.open(other).stores()["client-truststore"], broken / "client.truststore.p12")
    unreadable = api.init_pair(root / "c", password=PASSWORD).folder
    (unreadable / "server.truststore.p12").write_bytes(b"not a store")
    api.init_pair(root / "d")  # its own storepass file
    done = []
    fleet = checks.verify_fleet(root, password=PASSWORD, at=AT, progress=done.append)
    assert [(p.name, p.verdict) for p in fleet.pairs] == [("a", "ok"), ("b", "FAIL"), ("c", "unreadable"),
                                                          ("d", "ok")]
    assert done == [1, 2, 3, 4] and not fleet.ok
    assert [p.name for p in fleet.failing] == ["b"] and [p.name for p in fleet.unreadable] == ["c"]
    assert fleet.pairs[2].error_path == str(unreadable / "server.truststore.p12")
    assert all(p.report.first_break is not None for p in fleet.pairs if p.report)
    assert fleet.soonest == AT  # b fails already
    result = run("verify-pair", root, "--all", "--json", "--at", AT.isoformat(), env=ENV)
    assert result.exit_code == 2 and json.loads(result.stdout) == {"schema": "jkstool/verify-pair-all/1",
                                                                   **fleet.to_dict()}


def test_verify_fleet_opens_each_store_with_the_password_chooser_gives_it(tmp_path):
    root = tmp_path / "root"
    api.init_pair(root / "a", password=PASSWORD)
    api.init_pair(root / "b", password="another-secret")
    fleet = checks.verify_fleet(root, password=PASSWORD,
                                passwords=lambda path: "another-secret" if path.parent.name == "b" else None)
    assert [(p.name, p.verdict) for p in fleet.pairs] == [("a", "ok"), ("b", "ok")]
    refused = checks.verify_fleet(root, password=PASSWORD)
    assert [p.verdict for p in refused.pairs] == ["ok", "unreadable"]


def test_verify_secrets_finds_the_pair_in_the_secrets(layouts, tmp_path):
    from jkstool.fleet import secrets
    tls, _ = layouts
    out = tmp_path / "secrets.json"
    assert run("k8s-secret", tls, "--name", "payments", "--output", out, env=ENV).exit_code == 0
    files = secrets.secret_files(secrets.documents(out.read_bytes(), str(out)), str(out), PASSWORD)
    report = checks.verify_secrets(files, at=AT)
    assert report.ok and report.stores["server-keystore"].path == f"{out}#payments-server/keystore.p12"
    code, printed = command_json("verify-pair", out, "--at", AT.isoformat())
    assert code == 0 and printed == report.to_dict()
    by_role = secrets.pair(files, None, None, str(out))
    assert checks.verify_secrets(by_role, at=AT).to_dict() == printed
    with pytest.raises(api.JkstoolError) as wrong:
        checks.verify_secrets(files, server="nope")
    assert wrong.value.path == str(out) and "the Secret nope holds no keystore" in wrong.value.what


# -- expiry ----------------------------------------------------------------------------------------

def test_expiry_counts_a_certificate_once_with_every_place_that_holds_it(layouts, tmp_path):
    tls, _ = layouts
    copy = tmp_path / "copy.p12"
    shutil.copy(api.Layout.open(tls).stores()["server-truststore"], copy)
    scan = api.expiry([tls, copy], password=PASSWORD)
    assert len(scan.certificates) < len(scan.found) and not scan.errors
    copied = [c for c in scan.certificates if any(path == str(copy) for path, _ in c.locations)]
    assert copied and all(len(c.locations) >= 2 and c.locations[0][0] != str(copy) for c in copied)
    assert sum(len(c.locations) for c in scan.certificates) == len(scan.found)
    assert len({c.sha256 for c in scan.certificates}) == len(scan.certificates)
    assert [c.not_after for c in scan.certificates] == sorted(c.not_after for c in scan.certificates)
    assert all(c.days_left >= 0 for c in scan.certificates)
    result = run("expiry", tls, copy, "--json", "--within", "5000", env=ENV)
    assert json.loads(result.stdout) == {"schema": "jkstool/expiry/1", **scan.to_dict(5000)}
    assert result.exit_code == 1 and scan.due(5000) == scan.certificates and scan.due(0) == []


# -- doctor ----------------------------------------------------------------------------------------

def test_doctor_checkup_is_what_doctor_json_prints(layouts, tmp_path, monkeypatch):
    tls, other = layouts
    monkeypatch.setenv("JKSTOOL_STOREPASS", PASSWORD)  # the snippet takes the passwords from it
    flags = tmp_path / "flags.txt"
    flags.write_text(run("snippet", "jvm", tls, "--side", "client", env=ENV).stdout)
    flags.chmod(0o600)
    asked = []

    def peer_password(folder):
        asked.append(folder)
        return PASSWORD
    checkup = checks.doctor([flags], peer=other, peer_password=peer_password)
    assert asked == [other] and not checkup.ok
    assert "server-untrusted" in {f.code for d in checkup.diagnoses for f in d.findings}
    code, printed = command_json("doctor", flags, "--peer", other)
    assert code == 1 and _same_but_javas_words(printed) == _same_but_javas_words(checkup.to_dict())
    trusted = checks.doctor([flags], peer_truststore=api.Layout.open(tls).stores()["server-truststore"],
                            peer_truststore_password=PASSWORD)
    assert trusted.ok and trusted.diagnoses[0].endpoint.side == "client"
    with pytest.raises(api.JkstoolError, match=r"give peer=\.\.\. a folder holding the peer's four stores"):
        checks.doctor([flags], peer=tmp_path, peer_password=PASSWORD)
    result = run("doctor", flags, "--peer", tmp_path, env=ENV)
    assert result.exit_code == 2 and "(give --peer a folder holding the peer's four stores, or --peer-truststore" \
        in result.stderr


def test_doctor_peer_url_takes_a_clients_configuration(layouts, tmp_path):
    tls, _ = layouts
    server = tmp_path / "server-flags.txt"
    server.write_text(run("snippet", "jvm", tls, "--side", "server", env=ENV).stdout)
    server.chmod(0o600)
    with pytest.raises(api.JkstoolError, match=r"peer_url=\.\.\. tries a client's stores against a server"):
        checks.doctor([server], side="server", peer_url="localhost:1")
    with pytest.raises(api.JkstoolError, match="give HOST:PORT"):
        checks.doctor([server], side="client", peer_url="localhost")


def test_importing_the_checks_loads_no_heavy_module():
    code = "import sys, jkstool.api.checks; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('cryptography', 'Cryptodome', 'OpenSSL', 'tabulate')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _same_but_javas_words(checkup: dict) -> dict:
    """A doctor report with Java's own refusal kept but its words left out: what a peer sees as a refused
    handshake ends (a reset, a broken pipe) differs from one handshake to the next."""
    for endpoint in checkup["endpoints"]:
        for found in endpoint["findings"]:
            if found["code"] == "java-refused":
                found["message"] = ""
    return checkup
