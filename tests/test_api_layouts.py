"""A layout's life through the public API (jkstool.api.layouts): each change takes the layout's lock itself,
opens its stores with the password given or its own storepass file, and what it writes is read back here by
jkstool, keytool, OpenSSL and a JSSE handshake."""

import hashlib
import re
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import PASSWORD, run

import jkstool
from jkstool import api
from jkstool.api import layouts
from jkstool.errors import JkstoolError, PasswordNeeded


@pytest.fixture
def folder(tmp_path) -> Path:
    return jkstool.init_pair(tmp_path / "tls", password=PASSWORD, store_type="jks").folder


def leaf(path: Path, alias: str, password: str = PASSWORD) -> bytes:
    return jkstool.read_store(path, password).store.key_entry(alias).chain[0]


def key(path: Path, alias: str, password: str = PASSWORD) -> bytes:
    return jkstool.read_store(path, password).store.key_entry(alias).key


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def not_after(der: bytes) -> datetime:
    from jkstool.api import certificates
    return certificates.facts(der).not_after


# -- renew -----------------------------------------------------------------------------------------------

def test_renew_installs_a_new_certificate_and_key_that_jsse_takes(folder, handshake, keytool_inventory):
    keystore = folder / "server.keystore.jks"
    before_leaf, before_key = leaf(keystore, "server"), key(keystore, "server")
    renewal = layouts.renew(folder, "server", password=PASSWORD, days=30)
    assert isinstance(renewal, layouts.Renewal) and renewal.report.ok
    assert renewal.old == before_leaf and renewal.new == leaf(keystore, "server") != before_leaf
    assert key(keystore, "server") != before_key
    assert not_after(renewal.new) - datetime.now(timezone.utc) < timedelta(days=30, minutes=5)
    assert jkstool.Layout.open(folder).manifest.server.days == 30  # remembered for the next renewal
    (kind, chain), = keytool_inventory(keystore).values()
    assert kind == "PrivateKeyEntry" and chain[0] == hashlib.sha256(renewal.new).hexdigest()
    kept = {p.name: p for p in renewal.written.backups}
    assert set(kept) == {"server.keystore.jks", "layout.json"}
    assert kept["server.keystore.jks"].read_bytes() != keystore.read_bytes()
    data = renewal.to_dict()
    assert list(data) == ["side", "ok", "old", "new", "files", "backups"] and data["side"] == "server"
    assert data["new"]["serial"] != data["old"]["serial"] and str(keystore) in data["files"]
    done, seen = handshake(folder, store_type="jks")
    assert done, seen


def test_renew_keeps_the_key_when_asked_and_takes_a_new_name(folder):
    keystore = folder / "server.keystore.jks"
    before = key(keystore, "server")
    renewal = layouts.renew(folder, "server", password=PASSWORD, keep_key=True, cn="api.example.test",
                            sans=["DNS:api.example.test"])
    assert renewal.report.ok and key(keystore, "server") == before
    from jkstool.api import certificates
    assert certificates.facts(leaf(keystore, "server")).subject == "CN=api.example.test"
    assert jkstool.Layout.open(folder).manifest.server.sans == ["DNS:api.example.test"]


def test_without_the_ca_key_renew_writes_a_request_that_openssl_verifies(folder, tmp_path, openssl):
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(folder / "ca" / "ca-key.pem", moved / "ca-key.pem")
    before = digest(folder / "client.keystore.jks")
    request = layouts.renew(folder, "client", password=PASSWORD)
    assert isinstance(request, layouts.Request)
    assert (request.side, request.alias, request.keystore, request.ca_key) == \
        ("client", "client", folder / "client.keystore.jks", "ca/ca-key.pem")
    assert request.pending == folder / "client.keystore.next.jks" and request.pending.exists()
    verified = openssl("req", "-in", request.request, "-verify", "-noout")
    assert b"verify OK" in verified.stdout + verified.stderr
    assert digest(folder / "client.keystore.jks") == before  # nothing installed yet

    # the CA kept elsewhere, brought as its files: the renewal is done in one step after all
    renewal = layouts.renew(folder, "client", password=PASSWORD, ca_password=PASSWORD,
                            ca=(folder / "ca" / "ca.pem", moved / "ca-key.pem"))
    assert renewal.report.ok and leaf(folder / "client.keystore.jks", "client") == renewal.new
    assert jkstool.verify_pair(folder, password=PASSWORD).ok


def test_renew_refuses_what_verify_pair_would_and_writes_nothing(folder):
    api.delete_entry(folder / "client.truststore.jks", "ca", password=PASSWORD)
    before = {p.name: digest(p) for p in folder.glob("*.jks")}
    renewal = layouts.renew(folder, "server", password=PASSWORD)
    assert not renewal.report.ok and renewal.written.files == []
    assert {p.name: digest(p) for p in folder.glob("*.jks")} == before
    assert renewal.to_dict()["ok"] is False


def test_a_layout_opens_with_its_own_storepass_file_else_needs_a_password(tmp_path, monkeypatch):
    monkeypatch.delenv("JKSTOOL_STOREPASS", raising=False)
    generated = jkstool.init_pair(tmp_path / "auto").folder
    assert layouts.renew(generated, "server").report.ok
    with pytest.raises(api.PasswordError):
        layouts.renew(generated, "server", password="wrong-password")
    given = jkstool.init_pair(tmp_path / "given", password=PASSWORD).folder
    with pytest.raises(PasswordNeeded, match="the layout .*given needs a password"):
        layouts.add_client(given, "p")


def test_a_folder_that_is_no_layout_is_refused_for_what_it_is(tmp_path):
    (tmp_path / "loose").mkdir()
    assert not layouts.is_layout(tmp_path / "loose")
    for call in (lambda: layouts.renew(tmp_path / "loose", "server", password=PASSWORD),
                 lambda: layouts.rollover_status(tmp_path / "loose"),
                 lambda: layouts.restore(tmp_path / "loose"),
                 lambda: layouts.k8s_secrets(tmp_path / "loose", password=PASSWORD)):
        with pytest.raises(JkstoolError, match="not an init-pair layout"):
            call()


def test_a_change_waits_for_the_layouts_lock(folder):
    from jkstool import files
    before = digest(folder / "server.keystore.jks")
    with files.locked(folder / "layout.json", 5):
        with pytest.raises(JkstoolError, match="another process is changing the file"):
            layouts.renew(folder, "server", password=PASSWORD, lock_timeout=0.2)
    assert digest(folder / "server.keystore.jks") == before
    released = threading.Event()

    def hold():
        with files.locked(folder / "layout.json", 5):
            released.wait(0.5)
    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert layouts.renew(folder, "server", password=PASSWORD, lock_timeout=10).report.ok  # waits its turn
    finally:
        released.set()
        holder.join()


# -- clients, rollover, restore ---------------------------------------------------------------------------

def test_add_client_gives_a_partner_stores_that_complete_a_handshake(folder, handshake, keytool_inventory):
    client = layouts.add_client(folder, "Partner-B", password=PASSWORD)
    assert (client.keystore.name, client.truststore.name, client.alias) == \
        ("client-partner-b.keystore.jks", "client-partner-b.truststore.jks", "partner-b")
    assert client.server_truststore == folder / "server.truststore.jks" and not client.server_trust_added
    assert set(keytool_inventory(client.keystore)) == {"partner-b"}
    assert leaf(client.keystore, "partner-b") == client.leaf
    done, seen = handshake(folder / "server.keystore.jks", folder / "server.truststore.jks",
                           client.keystore, client.truststore)
    assert done, seen
    assert client.to_dict() == {
        "files": [{"path": str(client.keystore), "role": "client-keystore"},
                  {"path": str(client.truststore), "role": "client-truststore"}],
        "server_truststore_changed": False, "written": [str(p) for p in client.written.files]}
    with pytest.raises(JkstoolError, match="the file already exists"):
        layouts.add_client(folder, "partner-b", password=PASSWORD)


def test_a_ca_rolls_over_in_three_stages_each_deployable(folder, handshake):
    assert layouts.rollover_status(folder) == {"stage": None, "next": "trust", "cas": []}
    with pytest.raises(JkstoolError, match="the rollover's next stage is trust, not finish"):
        layouts.rollover_ca(folder, "finish", password=PASSWORD)
    with pytest.raises(JkstoolError, match="no rollover stage 'begin'"):
        layouts.rollover_ca(folder, "begin", password=PASSWORD)
    with pytest.raises(JkstoolError, match="sides, ca and ca_crls choose the CA"):
        layouts.rollover_ca(folder, "reissue", sides=["server"], password=PASSWORD)
    old_leaf = leaf(folder / "server.keystore.jks", "server")
    old_cas = {e.cert for e in jkstool.read_store(folder / "server.truststore.jks", PASSWORD).store}
    for name in ("trust", "reissue", "finish"):
        stage = layouts.rollover_ca(folder, name, password=PASSWORD)
        assert stage.name == name and stage.report.ok, stage.report.findings
        status = layouts.rollover_status(folder)
        data = stage.to_dict()
        assert list(data)[:2] == ["ok", "stage"] and data["stage"] == status["stage"]
        assert data["files"] == [str(p) for p in stage.written.files]
        done, seen = handshake(folder, store_type="jks")
        assert done, (name, seen)
    assert status == {"stage": None, "next": "trust", "cas": []}
    assert leaf(folder / "server.keystore.jks", "server") != old_leaf
    new_cas = {e.cert for e in jkstool.read_store(folder / "server.truststore.jks", PASSWORD).store}
    new_chain = jkstool.read_store(folder / "client.keystore.jks", PASSWORD).store.key_entry("client").chain
    assert len(new_cas) == 1 and not new_cas & old_cas and new_chain[-1] in new_cas


def test_restore_puts_back_the_bytes_a_change_replaced(folder):
    before = {p.name: digest(p) for p in folder.glob("*.jks")}
    client = layouts.add_client(folder, "p", password=PASSWORD)
    renewal = layouts.renew(folder, "server", password=PASSWORD)
    chosen, written = layouts.restore(folder)
    assert chosen == renewal.written.folder
    assert {p.name: digest(p) for p in folder.glob("*.jks") if "client-p" not in p.name} == before
    chosen, written = layouts.restore(folder, when=client.written.folder.name)
    assert not client.keystore.exists() and not client.truststore.exists()  # created by that change: moved away
    assert written.to_dict() == {"files": [str(p) for p in written.files], "backups": [str(p) for p in written.backups]}
    with pytest.raises(JkstoolError, match="no backup nope"):
        layouts.restore(folder, when="nope")


# -- revocation ------------------------------------------------------------------------------------------

def test_revoke_with_nothing_named_publishes_the_next_crls_and_the_expiry_gate_waits_for_them(folder, openssl):
    """A CRL is published anew before its nextUpdate: `revoke DIR` alone signs each CRL of the layout with the
    next number, its revoked certificates kept. The expiry gate fails on a CRL only when its nextUpdate is
    near (3 days), not a month ahead as for certificates: a CRL just published passes it."""
    client = layouts.add_client(folder, "p", password=PASSWORD)
    layouts.revoke(folder, aliases=["p"], password=PASSWORD, crl_days=2)
    env = {"JKSTOOL_STOREPASS": PASSWORD}
    due = run("expiry", folder, env=env)
    assert due.exit_code == 1 and "and 1 CRL in" in due.stderr and "; 1 expires within 30 days" in due.stderr
    crl = folder / "ca" / "ca.crl"

    def shown() -> str:
        return openssl("crl", "-in", crl, "-noout", "-text", "-CAfile", folder / "ca" / "ca.pem").stdout.decode()
    before = shown()
    published = run("revoke", folder, env=env)
    assert published.exit_code == 0 and f"wrote {crl}, valid for 30 days" in published.stderr, published.stderr
    after = shown()
    number = re.compile(r"X509v3 CRL Number: *\n *(\d+)")
    assert int(number.search(after)[1]) == int(number.search(before)[1]) + 1
    from jkstool.api import certificates
    serial = certificates.facts(client.leaf).serial.upper()
    assert serial in after.replace(":", "").upper()
    assert run("expiry", folder, env=env).exit_code == 0
    assert run("expiry", folder, "--within", "0", env=env).exit_code == 0


def test_revoke_in_a_layout_puts_the_certificate_on_its_cas_crl(folder, openssl):
    client = layouts.add_client(folder, "p", password=PASSWORD)
    done = layouts.revoke(folder, aliases=["p"], password=PASSWORD)
    assert [r.crl.name for r in done.results] == ["ca.crl"] and done.results[0].added == [client.leaf]
    assert [p.name for p in done.crls] == ["ca.crl", "crls.pem"]
    text = openssl("crl", "-in", folder / "ca" / "ca.crl", "-noout", "-text").stdout.decode()
    from jkstool.api import certificates
    serial = certificates.facts(client.leaf).serial
    assert serial.upper() in text.replace(":", "").upper()
    assert done.to_dict()["revoked"] == [{"subject": "CN=p", "serial": serial, "status": "revoked",
                                          "crl": str(folder / "ca" / "ca.crl")}]
    pem = folder / "partner.pem"
    pem.write_text(_pem(client.leaf))
    again = layouts.revoke(folder, certificates=[pem], password=PASSWORD)
    assert again.results[0].already == [client.leaf] and again.results[0].added == []
    roles = {"server-keystore": folder / "server.keystore.jks", "server-truststore": folder / "server.truststore.jks",
             "client-keystore": client.keystore, "client-truststore": client.truststore}
    report = jkstool.verify_pair(roles, password=PASSWORD, crls=[folder / "ca" / "ca.crl"])
    assert not report.ok and "cert-revoked" in {f.code for f in report.findings}


def _pem(der: bytes) -> str:
    import base64
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def test_revoke_with_a_ca_outside_a_layout_extends_its_crl(folder, tmp_path, openssl):
    crl = tmp_path / "partner-ca.crl"
    ca = (folder / "ca" / "ca.pem", folder / "ca" / "ca-key.pem")
    client = leaf(folder / "client.keystore.jks", "client")
    first = layouts.revoke_with(ca, crl, [client], ca_password=PASSWORD)
    assert first.added == [client] and first.already == [] and crl.exists()
    server = leaf(folder / "server.keystore.jks", "server")
    second = layouts.revoke_with(ca, crl, [server, client], ca_password=PASSWORD, crl_days=7)
    assert second.added == [server] and second.already == [client]
    assert [item["status"] for item in second.to_dict()["revoked"]] == ["revoked", "already revoked"]
    shown = openssl("crl", "-in", crl, "-noout", "-text", "-CAfile", folder / "ca" / "ca.pem")
    assert b"verify OK" in shown.stdout + shown.stderr
    assert shown.stdout.count(b"Serial Number") == 2
    other = jkstool.init_pair(tmp_path / "other", password=PASSWORD).folder
    with pytest.raises(JkstoolError, match="the existing CRL is not signed by this CA"):
        layouts.revoke_with((other / "ca" / "ca.pem", other / "ca" / "ca-key.pem"), crl, [client],
                            ca_password=PASSWORD)
    with pytest.raises(JkstoolError, match="CN=client is not issued by this CA"):
        layouts.revoke_with((other / "ca" / "ca.pem", other / "ca" / "ca-key.pem"), tmp_path / "other.crl",
                            [client], ca_password=PASSWORD)
    assert not (tmp_path / "other.crl").exists()


def test_two_revocations_at_once_both_land(folder, tmp_path):
    crl = tmp_path / "x.crl"
    ca = (folder / "ca" / "ca.pem", folder / "ca" / "ca-key.pem")
    certificates = [leaf(folder / "client.keystore.jks", "client"), leaf(folder / "server.keystore.jks", "server")]
    threads = [threading.Thread(target=layouts.revoke_with, args=(ca, crl, [c]), kwargs={"ca_password": PASSWORD})
               for c in certificates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from jkstool.api import read_crls
    ((_, revoked),) = read_crls(crl)
    assert len(list(revoked)) == 2


# -- conversion, Secrets, snippets, the files of a layout --------------------------------------------------

def test_convert_layout_rewrites_every_store_in_the_other_type(folder, keytool):
    layouts.add_client(folder, "p", password=PASSWORD)
    written = layouts.convert_layout(folder, "pkcs12", password=PASSWORD)
    stores = jkstool.Layout.open(folder).stores()
    assert sorted(p.name for p in stores.values()) == ["client.keystore.p12", "client.truststore.p12",
                                                       "server.keystore.p12", "server.truststore.p12"]
    for path in [*stores.values(), folder / "client-p.keystore.p12"]:
        shown = keytool("-list", "-keystore", path).stdout
        assert "Keystore type: PKCS12" in shown, shown
    assert not list(folder.glob("*.jks")) and {p.name for p in written.backups} >= {"server.keystore.jks"}
    with pytest.raises(JkstoolError, match="already"):
        layouts.convert_layout(folder, "pkcs12", password=PASSWORD)
    with pytest.raises(JkstoolError, match="pkcs12 or jks"):
        layouts.convert_layout(folder, "pem", password=PASSWORD)
    assert jkstool.verify_pair(folder, password=PASSWORD).ok


def test_k8s_secrets_hold_the_stores_and_never_the_ca_key(folder):
    import base64
    with pytest.raises(JkstoolError, match="DNS-1123"):
        layouts.check_k8s_name("Bad_Name")
    assert layouts.check_k8s_name("payments") == "payments"
    document = layouts.k8s_secrets(folder, namespace="prod", password=PASSWORD)
    names = [item["metadata"]["name"] for item in document["items"]]
    assert names == ["tls-server", "tls-client", "tls-keystore-password"]  # the folder's name by default
    server = {k: base64.b64decode(v) for k, v in document["items"][0]["data"].items()}
    assert server["keystore.jks"] == (folder / "server.keystore.jks").read_bytes()
    assert (folder / "ca" / "ca-key.pem").read_bytes() not in b"".join(server.values())
    password = base64.b64decode(document["items"][2]["data"]["password"]).decode()
    assert password == PASSWORD and {i["metadata"]["namespace"] for i in document["items"]} == {"prod"}


def test_snippet_writes_the_pem_files_its_server_reads(folder, openssl):
    made = layouts.snippet(folder, "nginx", password=PASSWORD)
    assert "ssl_verify_client       on;" in made.text
    assert [p.name for p in made.pem_files] == ["server-chain.pem", "server-key.pem", "server-trusted-cas.pem"]
    assert made.written == made.pem_files
    assert (made.pem_files[1].stat().st_mode & 0o777) == 0o600
    verified = openssl("verify", "-CAfile", folder / "ca" / "ca.pem", made.pem_files[0])
    assert b": OK" in verified.stdout
    assert layouts.snippet(folder, "nginx", password=PASSWORD).written == []  # up to date
    renewal = layouts.renew(folder, "server", password=PASSWORD)
    assert made.pem_files[0] in renewal.written.files  # a change refreshes what the snippet exported
    java = layouts.snippet(folder, "spring-boot", side="client")  # no password: nothing to export
    assert "client.keystore.jks" in java.text and java.pem_files == []
    with pytest.raises(JkstoolError, match="tomcat runs the server side"):
        layouts.snippet(folder, "tomcat", side="client")
    with pytest.raises(JkstoolError, match="no snippet format 'caddy'"):
        layouts.snippet(folder, "caddy")


def test_snippet_replaces_a_file_it_did_not_write_only_when_asked(folder):
    pem = folder / "pem"
    pem.mkdir()
    (pem / "client-chain.pem").write_text("mine\n")
    with pytest.raises(JkstoolError, match="the file already exists"):
        layouts.snippet(folder, "curl", password=PASSWORD)
    assert (pem / "client-chain.pem").read_text() == "mine\n"
    made = layouts.snippet(folder, "curl", password=PASSWORD, replace=True)
    assert (pem / "client-chain.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert "--cert" in made.text


def test_layout_files_name_the_certificate_each_file_holds(folder):
    from jkstool.api import certificates
    found = {item.role: item for item in layouts.layout_files(folder, password=PASSWORD)}
    assert set(found) == set(jkstool.Layout.open(folder).files())
    assert found["server-keystore"].alias == "server"
    assert found["server-keystore"].certificate == leaf(folder / "server.keystore.jks", "server")
    assert certificates.facts(found["ca-cert"].certificate).subject.startswith("CN=jkstool CA")
    assert found["manifest"].certificate is None


def test_the_snippet_formats_the_api_names_are_the_cores():
    from jkstool.layout import snippets
    assert set(layouts.PEM_SNIPPETS) == set(snippets.PEM_FORMATS)
    assert set(layouts.SERVER_SNIPPETS) < set(snippets.PEM_FORMATS) | set(snippets.JAVA_FORMATS)


def test_importing_the_layouts_api_loads_no_heavy_module():
    code = ("import sys, jkstool.api.layouts; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('cryptography', 'Cryptodome', 'OpenSSL')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_crl_bundle_is_read_whole_as_openssl_reads_it(tmp_path, openssl):
    """--crl ca/crls.pem (every CRL of a layout with a CA per side): each CRL in it counts, as openssl's
    -CRLfile takes them; a revoked client is found in the second one."""
    folder = jkstool.init_pair(tmp_path / "tls", password=PASSWORD, separate_cas=True).folder
    bundle = folder / "ca" / "crls.pem"
    layouts.revoke(folder, password=PASSWORD)
    env = {"JKSTOOL_STOREPASS": PASSWORD}
    roles = ["--server-keystore", folder / "server.keystore.p12", "--server-truststore",
             folder / "server.truststore.p12", "--client-keystore", folder / "client.keystore.p12",
             "--client-truststore", folder / "client.truststore.p12"]
    client_pem = tmp_path / "client.pem"
    client_pem.write_text(_pem(leaf(folder / "client.keystore.p12", "client")))
    judged = openssl("verify", "-crl_check_all", "-CRLfile", bundle, "-CAfile", folder / "ca" / "client-ca.pem",
                     client_pem, check=False)
    assert judged.returncode == 0
    assert run("verify-pair", *roles, "--crl", bundle, env=env).exit_code == 0
    layouts.revoke(folder, aliases=["client"], password=PASSWORD)
    judged = openssl("verify", "-crl_check_all", "-CRLfile", bundle, "-CAfile", folder / "ca" / "client-ca.pem",
                     client_pem, check=False)
    assert judged.returncode != 0 and b"revoked" in judged.stdout + judged.stderr
    revoked = run("verify-pair", *roles, "--crl", bundle, "--json", env=env)
    assert revoked.exit_code == 1 and "cert-revoked" in revoked.stdout
