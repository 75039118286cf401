"""A layout's whole life, played on one layout with a real JSSE handshake after every step: renewals,
a new partner, a CA rolled over in stages (every mix of old and new stores tried between stages), a
client revoked (refused by verify-pair and by Tomcat 10 loading the CRL), converted to JKS and back;
the expiry gate passing throughout. Then the servers configured once by the snippets (nginx, Apache
httpd, Tomcat) following the layout through its renewal and rollover, reloaded in place, never restarted.
Each is played through the Python API; the tests named test_cli_* check only what the command line adds:
its options, exit codes and messages."""

import json
import os
import re
import shutil
import stat
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import layout_stores
from helpers import PASSWORD, run, shell_command
from servers import Apache, Nginx, Tomcat, free_port, served_serial

from jkstool import JkstoolError, api, formats
from jkstool.api import outputs
from jkstool.layout import snippets
from jkstool.pki import certs

ENV = {"JKSTOOL_STOREPASS": PASSWORD}  # for Tomcat's configuration, and the tests of the command line (test_cli_*)
SIDES = ("server", "client")
STAGES = ("trust", "reissue", "finish")


def ok(result, code=0):
    """A command's result, once its exit code is `code` (the tests of the command line)."""
    assert result.exit_code == code, result.stderr
    return result


def manifest(layout: Path) -> dict:
    return json.loads((layout / "layout.json").read_text())


def snapshot(layout: Path, where: Path) -> dict[str, list[Path]]:
    """The layout's stores as deployed at this moment: {side: [keystore, truststore]} copies."""
    where.mkdir()
    stores = layout_stores(layout)
    copies = []
    for path in stores:
        shutil.copy2(path, where / path.name)
        copies.append(where / path.name)
    return {"server": copies[:2], "client": copies[2:]}


def mixes_work(handshake, before: dict, after: dict) -> None:
    """Every mix of one stage's and the next stage's stores, a side deployed at a time, completes a
    mutual handshake."""
    for server in (before, after):
        for client in (before, after):
            done, seen = handshake(*server["server"], *client["client"])
            assert done, (server["server"][0].parent.name, client["client"][0].parent.name, seen)


def healthy(layout: Path, handshake) -> None:
    """verify-pair passes, a JSSE handshake works, and the expiry gate passes (nothing expires in 10 days;
    backups are not read)."""
    report = api.verify_pair(layout, password=PASSWORD)
    assert report.ok, [(f.code, f.message) for f in report.findings if f.severity == "error"]
    done, seen = handshake(layout)
    assert done, seen
    scan = api.expiry([layout], password=PASSWORD)
    assert not scan.errors and not scan.due(10), (scan.errors, scan.due(10))
    assert not any("backups" in Path(item.path).parts for item in scan.found)


def passed(result):
    """A layout change's result, once the layout it wrote passes verify-pair."""
    assert result.report.ok, [(f.code, f.message) for f in result.report.findings if f.severity == "error"]
    return result


def export_pem(store: Path, chain: Path, key: Path) -> None:
    """A keystore's one key entry as PEM files: the chain, and the key unencrypted."""
    export = api.export_entry(store, password=PASSWORD, with_key=True, encrypt_key=False)
    outputs.write_files(export.files(chain=chain, key=key))


def leaf(store: Path, alias: str) -> bytes:
    return formats.read_store(store, PASSWORD).store.key_entry(alias).chain[0]


def test_a_layout_lives_its_whole_life(tmp_path, handshake, tomcat_home, curl):
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    healthy(layout, handshake)

    # renewal with a shorter validity: remembered, and the gate still passes
    for side in SIDES:
        renewal = passed(api.renew(layout, side, password=PASSWORD, days=20))
        assert renewal.side == side and renewal.old != renewal.new
    assert manifest(layout)["server"]["days"] == manifest(layout)["client"]["days"] == 20
    assert not list(layout.glob("*.bak-*")) and len(list((layout / "backups").iterdir())) == 2
    healthy(layout, handshake)

    # a new partner: only its own files and layout.json are written
    truststore = layout / "server.truststore.p12"
    before = truststore.read_bytes()
    added = api.add_client(layout, "partner-b", password=PASSWORD)
    assert truststore.read_bytes() == before and not added.server_trust_added
    assert sorted(p.name for p in added.written.files) == [
        "client-partner-b.keystore.p12", "client-partner-b.truststore.p12", "layout.json"]
    partner = [layout / "client-partner-b.keystore.p12", layout / "client-partner-b.truststore.p12"]
    assert [added.keystore, added.truststore] == partner
    done, seen = handshake(*layout_stores(layout)[:2], *partner)
    assert done, seen

    # the CA rolled over in three stages; every mix of neighbouring stages works
    previous = snapshot(layout, tmp_path / "stage-0")
    for n, stage in enumerate(("trust", "reissue", "finish"), 1):
        done = passed(api.rollover_ca(layout, stage, password=PASSWORD))
        status = api.rollover_status(layout)
        assert status["stage"] == (None if stage == "finish" else stage) and done.name == stage
        assert done.status == status
        current = snapshot(layout, tmp_path / f"stage-{n}")
        mixes_work(handshake, previous, current)
        healthy(layout, handshake)
        done, seen = handshake(*layout_stores(layout)[:2], *partner)
        assert done, seen
        previous = current
    old_client = tmp_path / "stage-0" / "client.keystore.p12"
    done, _ = handshake(*layout_stores(layout)[:2], old_client, layout_stores(layout)[3])
    assert not done  # after --finish, a certificate of the old CA is refused
    new_leaf = certs.load(leaf(layout / "server.keystore.p12", "server"))
    days = (new_leaf.not_valid_after_utc - datetime.now(timezone.utc)).days
    assert days in (19, 20)  # reissued with the validity renew set, not init-pair's

    # revoke the client: verify-pair (using the layout's CRLs unasked) and Tomcat loading them refuse it
    revoked = api.revoke(layout, aliases=["client"], password=PASSWORD)
    assert [item["subject"] for item in revoked.to_dict()["revoked"]] == ["CN=client"]
    report = api.verify_pair(layout, password=PASSWORD)
    assert not report.ok and "cert-revoked" in {f.code for f in report.findings if f.severity == "error"}
    pems = {}
    for name, store in (("client", layout / "client.keystore.p12"), ("partner", partner[0])):
        pems[name] = (tmp_path / f"{name}-chain.pem", tmp_path / f"{name}-key.pem")
        export_pem(store, *pems[name])
    port = free_port()
    connector = api.snippet(layout, "tomcat", port=port).text
    assert "certificateRevocationListFile" in connector
    with Tomcat(tomcat_home, tmp_path / "catalina", connector, port, ENV):
        answers = {name: subprocess.run(
            [curl, "-sS", "--cacert", layout / "ca" / "ca.pem", "--cert", chain, "--key", key,
             f"https://localhost:{port}/"], capture_output=True, text=True, timeout=30)
            for name, (chain, key) in pems.items()}
    assert "hello from tomcat" in answers["partner"].stdout, answers["partner"].stderr
    assert answers["client"].returncode != 0 and "hello" not in answers["client"].stdout
    passed(api.renew(layout, "client", password=PASSWORD))  # a new certificate, not on the CRL
    healthy(layout, handshake)

    # converted to JKS and back, the layout keeps working, snippets naming the new files
    assert api.snippet(layout, "curl", password=PASSWORD).written  # client PEM files, which follow the conversion
    for store_type, ext in (("jks", "jks"), ("pkcs12", "p12")):
        api.convert_layout(layout, store_type, password=PASSWORD)
        assert manifest(layout)["store_type"] == store_type
        assert sorted(p.name for p in layout.glob("*.keystore.*")) == [
            f"client-partner-b.keystore.{ext}", f"client.keystore.{ext}", f"server.keystore.{ext}"]
        healthy(layout, handshake)
        assert f"server.keystore.{ext}" in api.snippet(layout, "tomcat").text
        curl_files = api.snippet(layout, "curl", password=PASSWORD)
        assert curl_files.pem_files and curl_files.written == []  # up to date


def test_a_separate_cas_layout_rolls_only_its_client_ca(tmp_path, handshake):
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, separate_cas=True)
    server_keystore, _, _, client_truststore = layout_stores(layout)
    untouched = {p: p.read_bytes() for p in (server_keystore, client_truststore)}
    previous = snapshot(layout, tmp_path / "stage-0")
    for n, stage in enumerate(("trust", "reissue", "finish"), 1):
        passed(api.rollover_ca(layout, stage, sides=["client"] if stage == "trust" else None, password=PASSWORD))
        current = snapshot(layout, tmp_path / f"stage-{n}")
        mixes_work(handshake, previous, current)
        healthy(layout, handshake)
        previous = current
    assert {p: p.read_bytes() for p in untouched} == untouched  # the server's CA did not move
    done, _ = handshake(*layout_stores(layout)[:2], tmp_path / "stage-0" / "client.keystore.p12", client_truststore)
    assert not done


def test_stages_refuse_to_run_out_of_order_and_change_nothing(tmp_path):
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    files = lambda: {p: p.read_bytes() for p in layout.rglob("*") if p.is_file()}  # noqa: E731
    before = files()
    for stage, sides, due in (("reissue", None, "trust"), ("finish", None, "trust"), ("trust", ["client"], None)):
        with pytest.raises(JkstoolError) as refused:
            api.rollover_ca(layout, stage, sides=sides, password=PASSWORD)
        assert due is None or f"next stage is {due}" in str(refused.value)
    assert files() == before
    passed(api.rollover_ca(layout, "trust", password=PASSWORD))
    with pytest.raises(JkstoolError, match="next stage is reissue, not finish"):
        api.rollover_ca(layout, "finish", password=PASSWORD)


def test_cli_rollover_refusals_exit_2_on_one_line(tmp_path):
    """The command line: the stage options (--reissue, --finish, --side), and a refusal as exit 2 with its
    reason on one line of stderr."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    files = lambda: {p: p.read_bytes() for p in layout.rglob("*") if p.is_file()}  # noqa: E731
    before = files()
    for flag, due in ((["--reissue"], "trust"), (["--finish"], "trust"), (["--side", "client"], None)):
        result = ok(run("rollover-ca", layout, *flag, env=ENV), 2)
        assert result.stderr.count("\n") == 1 and (due is None or f"next stage is {due}" in result.stderr)
    assert files() == before
    ok(run("rollover-ca", layout, env=ENV))
    assert json.loads(ok(run("rollover-ca", layout, "--status", "--json", env=ENV)).stdout)["next"] == "reissue"
    assert "next stage is reissue, not finish" in ok(run("rollover-ca", layout, "--finish", env=ENV), 2).stderr


def test_backups_are_out_of_the_way_and_restore_undoes_a_step(tmp_path, handshake):
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    original = {p.relative_to(layout): p.read_bytes() for p in layout.rglob("*") if p.is_file()}
    stage = passed(api.rollover_ca(layout, "trust", password=PASSWORD))
    (folder,) = (layout / "backups").iterdir()
    assert stage.written.folder == folder
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert "ca/ca-next.pem" in (folder / "created.txt").read_text()
    chosen, _ = api.restore(layout)
    assert chosen == folder
    now = {p.relative_to(layout): p.read_bytes() for p in layout.rglob("*")
           if p.is_file() and "backups" not in p.relative_to(layout).parts}
    assert now == original  # the new CA's files, which the rollover created, are gone too
    healthy(layout, handshake)


def test_renew_takes_new_names_as_the_hostname_finding_advises(tmp_path):
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    finding = api.verify_pair(layout, password=PASSWORD, hostname="api.example.test")
    assert not finding.ok
    assert any(f.code == "hostname-mismatch" and "--san" in f.fix for f in finding.findings)
    passed(api.renew(layout, "server", password=PASSWORD, cn="api.example.test", sans=["DNS:api.example.test"]))
    assert api.verify_pair(layout, password=PASSWORD, hostname="api.example.test").ok
    assert manifest(layout)["server"]["sans"] == ["DNS:api.example.test"]


def test_servers_configured_once_follow_the_layout_reloaded_in_place(tmp_path, nginx, tomcat_home, tomcat_manager,
                                                                    curl):
    """nginx, Apache httpd and Tomcat, configured once from the snippets and started once, serve the layout's
    current server certificate after each renewal and rollover stage, reloaded in place as the snippets say
    (nginx -s reload, apachectl -k graceful, Tomcat's manager sslReload), never restarted; and a client keeps
    being served by all three while they reload."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    ports = {name: free_port() for name in ("nginx", "apache", "tomcat")}
    configs = {name: api.snippet(layout, name, port=port, password=PASSWORD).text for name, port in ports.items()}
    assert "nginx -s reload" in configs["nginx"] and "apachectl -k graceful" in configs["apache"]
    assert "/manager/text/sslReload" in configs["tomcat"] and "reloadSslHostConfigs" in configs["tomcat"]
    again = api.snippet(layout, "nginx", port=ports["nginx"], password=PASSWORD)
    assert again.pem_files and again.written == []  # a rerun on an unchanged layout changes nothing
    curl_command = shell_command(api.snippet(layout, "curl", port=0, password=PASSWORD).text).split()[:-1]
    steps = [lambda: api.renew(layout, "server", password=PASSWORD), *(
        lambda stage=stage: api.rollover_ca(layout, stage, password=PASSWORD) for stage in STAGES)]
    servers = [Nginx(nginx, tmp_path / "nginx", configs["nginx"], ports["nginx"]),
               Apache("/usr/sbin/apache2", tmp_path / "apache", configs["apache"], ports["apache"]),
               Tomcat(tomcat_home, tmp_path / "tomcat", configs["tomcat"], ports["tomcat"], ENV, manager=free_port())]
    old_client = []  # a partner still on the old CA's certificate (trusting both CAs since trust)
    with servers[0], servers[1], servers[2]:
        started = [server.process.pid for server in servers]
        for step, name in zip(steps, ("renew", *STAGES), strict=True):
            result = passed(step())
            if name in ("renew", "reissue"):  # a new server certificate: named, to reload nginx and httpd
                assert layout / "pem" / "server-chain.pem" in result.written.files, result.written.files
            expected = format(certs.load(leaf(layout / "server.keystore.p12", "server")).serial_number, "x")
            if name == "finish":  # until they reload, the servers still trust the old CA
                assert _served(old_client, ports.values()) == [True, True, True]
            with Clients(curl_command, [server.port for server in servers]) as clients:
                for server in servers:
                    server.reload()
                    _serves(server, expected, name)
            assert clients.served and not clients.refused, (name, clients.refused[:3])
            if name == "trust":
                old_client = [_kept(part, tmp_path / "old-client") for part in curl_command]
        assert _served(old_client, ports.values()) == [False, False, False]  # reloaded: their truststores too
        assert [server.process.pid for server in servers] == started
        assert all(server.process.poll() is None for server in servers)


def _served(command: list[str], ports) -> list[bool]:
    return [subprocess.run([*command, "--fail", f"https://localhost:{port}/"], capture_output=True,
                           timeout=30).returncode == 0 for port in ports]


def _kept(argument: str, folder: Path) -> str:
    """A command's argument, a copy in `folder` where it is a client credential file."""
    if "/pem/client-" not in argument:
        return argument
    folder.mkdir(exist_ok=True)
    return str(shutil.copy(argument, folder))


def _serves(server, serial: str, step: str, seconds: float = 20) -> None:
    """Wait until `server` presents the certificate of `serial` (nginx and httpd reload in the background)."""
    deadline = time.monotonic() + seconds
    while (seen := served_serial(server.port)) != serial:
        assert time.monotonic() < deadline, (step, type(server).__name__, seen, serial)
        time.sleep(0.2)


class Clients:
    """curl with the layout's client credentials, in a loop over the servers' ports while the block runs:
    every request made must be served."""

    def __init__(self, command: list[str], ports: list[int]):
        self.command, self.ports = command, ports
        self.served, self.refused = 0, []
        self.stop = threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self._loop)
        self.thread.start()
        return self

    def _loop(self) -> None:
        while not self.stop.is_set():
            for port in self.ports:
                reply = subprocess.run([*self.command, "--fail", f"https://localhost:{port}/"],
                                       capture_output=True, text=True, timeout=30)
                if reply.returncode == 0:
                    self.served += 1
                else:
                    self.refused.append((port, reply.stderr.strip()))

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def key_of_its_own(tmp_path: Path) -> Path:
    """A JKS keystore (the server keystore of a new layout) whose key has a password other than the store's."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    source = tmp_path / "own-key-password.jks"
    api.convert_store(layout / "server.keystore.p12", source, password=PASSWORD)
    assert api.change_password(source, password=PASSWORD, alias="server", new_key_password="key-of-its-own")
    return source


@pytest.mark.parametrize("store_type", ["jks", "pkcs12"])
def test_convert_gives_keys_the_new_store_password(tmp_path, java_inventory, store_type):
    """JSSE's key manager opens every key with the store password: converted with a new store password, a key
    that had a password of its own opens with the new store password (Java's KeyStore.getKey decides)."""
    source = key_of_its_own(tmp_path)
    dest = tmp_path / f"out.{'jks' if store_type == 'jks' else 'p12'}"
    done = api.convert_store(source, dest, password=PASSWORD, key_password="key-of-its-own",
                             dest_password="another-secret")
    assert done.rekeyed == ["server"] and done.entries == 1
    inventory = java_inventory(dest, password="another-secret")
    assert "server" in inventory[str(dest)]


def test_cli_convert_says_which_keys_took_the_new_store_password(tmp_path):
    """The command line: --keypass and --dest-storepass from the environment, and on stderr, which keys now
    have the new store's password."""
    source = key_of_its_own(tmp_path)
    dest = tmp_path / "out.p12"
    result = ok(run("convert", source, dest, "--keypass", "env:KP", "--dest-storepass", "env:NEW",
                    env={**ENV, "KP": "key-of-its-own", "NEW": "another-secret"}))
    assert f"{dest}: the key of 'server' now has the store's password" in result.stderr
    assert formats.read_store(dest, "another-secret").store.key_entry("server").key_password is None


def test_a_rollover_starts_a_crl_for_the_new_ca_and_serve_refuses_the_revoked(tmp_path):
    """Servers that check revocation need a CRL for every CA they trust: a rollover starts one for the
    new CA when the old one has one, and keeps both until finish; serve on the layout loads them."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, separate_cas=True)
    api.add_client(layout, "gone", password=PASSWORD)
    api.revoke(layout, aliases=["gone"], password=PASSWORD)
    assert sorted(p.name for p in (layout / "ca").glob("*.crl")) == ["client-ca.crl", "server-ca.crl"]
    passed(api.rollover_ca(layout, "trust", sides=["client"], password=PASSWORD))
    assert (layout / "ca" / "client-ca-next.crl").is_file()
    assert (layout / "ca" / "crls.pem").read_text().count("BEGIN X509 CRL") == 3
    for stage in ("reissue", "finish"):
        passed(api.rollover_ca(layout, stage, password=PASSWORD))
    assert not (layout / "ca" / "client-ca-next.crl").exists()
    assert (layout / "ca" / "crls.pem").read_text().count("BEGIN X509 CRL") == 2
    new_ca = (layout / "ca" / "client-ca.pem").read_bytes()
    crl = subprocess.run(["openssl", "crl", "-in", layout / "ca" / "client-ca.crl", "-noout", "-verify",
                          "-CAfile", layout / "ca" / "client-ca.pem"], capture_output=True, text=True)
    assert "verify OK" in crl.stdout + crl.stderr and new_ca  # the new CA's CRL took the old one's name

    api.revoke(layout, aliases=["client"], password=PASSWORD)
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    export_pem(layout / "client.keystore.p12", chain, key)
    listening, visits, failed = [], [], []

    def serve():
        try:
            api.serve(layout, password=PASSWORD, port=0, once=True, report=visits.append,
                      ready=lambda where: listening.append(where.port))
        except BaseException as e:  # said by the test, not lost in the thread
            failed.append(e)
    server = threading.Thread(target=serve, daemon=True)
    server.start()
    while not listening and server.is_alive():
        server.join(0.05)
    assert listening, failed
    subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{listening[0]}", "-cert", chain, "-key", key,
                    "-quiet"], input="hello\n", capture_output=True, text=True, timeout=30)
    server.join(30)
    assert not server.is_alive() and not failed, failed
    (visit,) = visits
    assert (visit.subject, visit.accepted, visit.reason) == ("CN=client", False, "CN=client: certificate revoked")


def test_expiry_opens_a_layouts_stores_with_its_storepass_file(tmp_path):
    layout = api.init_pair(tmp_path / "tls")  # a generated password, in tls/storepass
    assert (layout.folder / "storepass").is_file()
    scan = api.expiry([tmp_path])
    assert not scan.errors and len(scan.certificates) == 3
    assert not scan.to_dict(30)["errors"] and len(scan.to_dict(30)["certificates"]) == 3


def test_cli_layout_commands_exit_codes_and_what_they_say(tmp_path):
    """The command line on a layout: exit codes 0 and 1, the JSON on stdout, and on stderr what to reload and
    whether PEM files were written; the stores opened with the layout's storepass file, no password given."""
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env={}))  # a generated password, in tls/storepass
    ok(run("expiry", tmp_path, "--within", "10", env={}))
    data = json.loads(ok(run("expiry", tmp_path, "--json", env={})).stdout)
    assert not data["errors"] and len(data["certificates"]) == 3
    first = ok(run("snippet", "nginx", layout, env={}))
    assert "ssl_verify_client" in first.stdout and "wrote " in first.stderr
    assert "up to date" in ok(run("snippet", "nginx", layout, env={})).stderr
    renewed = ok(run("renew", layout, "--side", "server", env={}))
    assert "pem/server-chain.pem: reload" in renewed.stderr, renewed.stderr
    added = json.loads(ok(run("add-client", layout, "--cn", "partner-b", "--json", env={})).stdout)
    assert not added["server_truststore_changed"] and sorted(Path(p).name for p in added["written"]) == [
        "client-partner-b.keystore.p12", "client-partner-b.truststore.p12", "layout.json"]
    status = json.loads(ok(run("rollover-ca", layout, "--status", "--json", env={})).stdout)
    assert status["stage"] is None and status["next"] == "trust"
    ok(run("revoke", layout, "--alias", "client", env={}))
    report = json.loads(ok(run("verify-pair", layout, "--json", env={}), 1).stdout)
    assert "cert-revoked" in {f["code"] for f in report["findings"]}


def test_store_commands_on_a_layouts_stores_are_changes_of_the_layout(tmp_path, handshake):
    """import-ca, delete and passwd on a layout's stores: each backed up into DIR/backups/<time>/ (restore
    undoes it) with the side's PEM files written again; one store's password alone is refused, the
    layout's as a whole changes all four. A real handshake after every step."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    api.snippet(layout, "nginx", password=PASSWORD)  # exports the server's PEM files, as nginx is given them
    trusted_pem = layout / "pem" / "server-trusted-cas.pem"
    before = trusted_pem.read_bytes()
    truststore = layout / "server.truststore.p12"
    partner = tmp_path / "partner.pem"
    partner.write_bytes(_partner_ca_pem())
    api.import_ca(truststore, [partner], password=PASSWORD, alias="partner")
    step = sorted((layout / "backups").iterdir())[-1]
    assert (step / "server.truststore.p12").is_file() and (step / "pem" / "server-trusted-cas.pem").is_file()
    assert trusted_pem.read_bytes() == before + partner.read_bytes()  # nginx is given the new trust too
    healthy(layout, handshake)
    api.delete_entry(truststore, "partner", password=PASSWORD)
    assert trusted_pem.read_bytes() == before
    api.restore(layout)  # undoes the delete
    assert "partner" in api.read_store(truststore, PASSWORD).store
    healthy(layout, handshake)

    kept = {p: p.read_bytes() for p in layout_stores(layout)}
    with pytest.raises(JkstoolError) as refused:
        api.change_password(truststore, password=PASSWORD, new_password="another-one-1")
    assert "share one password" in refused.value.what and {p: p.read_bytes() for p in kept} == kept
    api.change_password(layout, password=PASSWORD, new_password="another-one-1")
    assert all(api.read_store(p, "another-one-1").store for p in kept)
    done, seen = handshake(layout, password="another-one-1")
    assert done, seen
    api.restore(layout)
    healthy(layout, handshake)


def _partner_ca_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from helpers import certificate, new_key
    return certificate(new_key("ec"), "Partner CA", ca=True).public_bytes(serialization.Encoding.PEM)


def test_servers_listen_on_the_address_bound_and_curl_dials_it(tmp_path, nginx, curl):
    """snippet --bind: nginx listens on that address alone (another loopback address is refused) and the curl
    snippet dials it by the certificate's name."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    port = free_port()
    config = api.snippet(layout, "nginx", port=port, bind="127.0.0.1", password=PASSWORD).text
    command = shell_command(api.snippet(layout, "curl", port=port, bind="127.0.0.1", password=PASSWORD).text)
    with Nginx(nginx, tmp_path / "nginx", config, port):
        reply = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert reply.returncode == 0 and "hello" in reply.stdout, reply.stderr
        elsewhere = subprocess.run(command.replace(":127.0.0.1 ", ":127.0.0.2 "), shell=True, capture_output=True,
                                   text=True, timeout=30)
        assert elsewhere.returncode == 7, elsewhere.stderr  # curl: failed to connect


def test_the_jvm_snippet_in_an_argument_file_keeps_the_password_out_of_the_log(tmp_path, java_classes):
    """The java launcher prints JDK_JAVA_OPTIONS to stderr, password and all; an argument file it does not."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    text = api.snippet(layout, "jvm", side="client").text
    flags = [line.replace("${JKSTOOL_STOREPASS}", PASSWORD) for line in text.splitlines()
             if line and not line.startswith("#")]
    arguments = tmp_path / "app-tls.args"
    arguments.write_text("\n".join(flags) + "\n")
    java = java_classes[0]
    quiet = subprocess.run([java, f"@{arguments}", "-version"], capture_output=True, text=True)
    assert quiet.returncode == 0 and PASSWORD not in quiet.stdout + quiet.stderr
    taken = subprocess.run([java, f"@{arguments}", "-XshowSettings:properties", "-version"], capture_output=True,
                           text=True)
    assert f"javax.net.ssl.keyStore = {(layout / 'client.keystore.p12').resolve()}" in taken.stderr
    logged = subprocess.run([java, "-version"], capture_output=True, text=True,
                            env={**os.environ, "JDK_JAVA_OPTIONS": " ".join(flags)})
    assert "Picked up JDK_JAVA_OPTIONS" in logged.stderr and PASSWORD in logged.stderr


def test_a_brought_ca_is_named_as_the_docs_name_it(tmp_path):
    """With the company's CA: init-pair says to keep that CA's key private (there is no DIR/ca of its
    own), and the layout's CRL for it is ca/ca.crl, as docs/lifecycle.md says."""
    from cryptography.hazmat.primitives import serialization
    from helpers import certificate, new_key
    key = new_key("ec")
    ca_cert, ca_key = tmp_path / "company-ca.pem", tmp_path / "company-ca-key.pem"
    ca_cert.write_bytes(certificate(key, "Company CA", ca=True).public_bytes(serialization.Encoding.PEM))
    ca_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    ca_key.chmod(0o600)
    layout = tmp_path / "tls"
    made = ok(run("init-pair", layout, "--ca-cert", ca_cert, "--ca-key", ca_key, env=ENV))
    assert f"keep {ca_key} private: it signs new certificates" in made.stderr
    assert f"keep {layout / 'ca'} private" not in made.stderr
    api.add_client(layout, "gone", password=PASSWORD)
    api.revoke(layout, aliases=["gone"], password=PASSWORD)
    assert sorted(p.name for p in (layout / "ca").glob("*.crl")) == ["ca.crl"]


def _company_ca(folder: Path, root=None, crl_sign: bool = False, crl_days: int = 30) -> tuple[Path, Path, Path]:
    """A company's root and intermediate, made elsewhere: (the intermediate then the root, PEM; the
    intermediate's key; the root's CRL, empty, PEM). `root` (certificate, key) makes another intermediate
    under an existing root (a company's next one); `crl_sign` gives the intermediate a key usage naming
    keyCertSign and cRLSign (openssl's CA profile writes no key usage); the root's CRL is due in `crl_days`."""
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from helpers import certificate, new_key
    root_cert, root_key = root or (None, new_key("ec"))
    root_cert = root_cert or certificate(root_key, "Company Root CA", ca=True)
    key = new_key("ec")
    usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False) if crl_sign else None
    intermediate = certificate(key, f"Company Issuing CA {folder.name}", root_cert, root_key, ca=True, usage=usage)
    folder.mkdir(parents=True, exist_ok=True)
    chain, key_file, root_crl = folder / "company-ca.pem", folder / "company-ca-key.pem", folder / "company-root.crl"
    chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (intermediate, root_cert)))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    now = datetime.now(timezone.utc)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(root_cert.subject).last_update(now)
           .next_update(now + timedelta(days=crl_days))  # with the authority key identifier RFC 5280 asks of a CRL
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
           .sign(root_key, hashes.SHA256()))
    root_crl.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    (folder / "root.key").write_bytes(root_key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
    return chain, key_file, root_crl


def _root_of(folder: Path):
    """The root _company_ca made in `folder`: (certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    root = x509.load_pem_x509_certificates((folder / "company-ca.pem").read_bytes())[-1]
    return root, serialization.load_pem_private_key((folder / "root.key").read_bytes(), None)


def test_revocation_under_a_company_intermediate_needs_the_roots_crl_as_nginx_does(tmp_path, nginx, curl):
    """A layout under a brought intermediate revokes a partner: nginx told to check CRLs (ssl_crl) checks every
    level, so without the root's CRL it refuses every client, as the snippet (which leaves ssl_crl out then)
    warns. verify-pair says so (crl-missing), and agrees with nginx again once the root's CRL is there, when
    the snippet configures ssl_crl itself."""
    chain, key, root_crl = _company_ca(tmp_path)
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key))
    api.add_client(layout, "gone", password=PASSWORD)
    api.revoke(layout, aliases=["gone"], password=PASSWORD)
    report = api.verify_pair(layout, password=PASSWORD)
    assert {f.code for f in report.findings if f.severity == "error"} == {"crl-missing"}, report.findings
    port = free_port()
    config = api.snippet(layout, "nginx", port=port, password=PASSWORD).text
    bundle = layout.resolve() / "ca" / "crls.pem"
    assert f"# so with ssl_crl {bundle} it would refuse every client." in config
    checking = config.replace("    ssl_protocols", f"    ssl_crl {bundle};\n    ssl_protocols")
    command = shell_command(api.snippet(layout, "curl", port=port, password=PASSWORD).text)
    with Nginx(nginx, tmp_path / "nginx", checking, port):
        refused = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert "hello" not in refused.stdout and "The SSL certificate error" in refused.stdout, refused.stdout
    assert api.verify_pair(layout, password=PASSWORD, crls=[root_crl]).ok
    api.revoke(layout, ca_crls=[root_crl], password=PASSWORD)  # the layout keeps it, and bundles it for servers
    assert root_crl.read_bytes() in (layout / "ca" / "crls.pem").read_bytes()
    assert api.verify_pair(layout, password=PASSWORD).ok
    gone = tmp_path / "gone"
    gone.mkdir()
    export_pem(layout / "client-gone.keystore.p12", gone / "chain.pem", gone / "key.pem")
    config = api.snippet(layout, "nginx", port=port, password=PASSWORD).text
    assert f"ssl_crl                 {bundle};" in config  # every level has its CRL: checked again
    with Nginx(nginx, tmp_path / "nginx-2", config, port):
        served = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert served.returncode == 0 and "hello" in served.stdout, served.stderr
        revoked = subprocess.run(re.sub(r"--cert \S+ --key \S+", f"--cert {gone}/chain.pem --key {gone}/key.pem",
                                        command), shell=True, capture_output=True, text=True, timeout=30)
        assert "hello" not in revoked.stdout and "The SSL certificate error" in revoked.stdout, revoked.stdout
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(JkstoolError) as foreign:  # a CRL of no CA above the brought one
        api.revoke(layout, ca_crls=[_company_ca(other)[2]], password=PASSWORD)
    assert "not signed by a CA above" in foreign.value.what


def test_doctor_and_tomcat_agree_on_the_crls_a_company_intermediate_needs(tmp_path, tomcat_home, curl):
    """Tomcat configured by the snippet checks every level of the client's path against the CRL file it is
    given: without the company root's CRL it refuses every client, and doctor, reading that file from
    server.xml, says so (crl-missing); with it, Tomcat serves and doctor passes."""
    chain, key, root_crl = _company_ca(tmp_path)
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key))
    api.add_client(layout, "gone", password=PASSWORD)
    api.revoke(layout, aliases=["gone"], password=PASSWORD)
    port = free_port()
    connector = api.snippet(layout, "tomcat", port=port).text
    config = tmp_path / "server.xml"
    config.write_text(connector)
    config.chmod(0o600)
    command = shell_command(api.snippet(layout, "curl", port=port, password=PASSWORD).text)

    def doctor_errors() -> set[str]:
        result = run("doctor", config, "--peer", layout, "--json", env=ENV)
        return {f["code"] for e in json.loads(result.stdout)["endpoints"] for f in e["findings"]
                if f["severity"] == "error"}
    assert doctor_errors() == {"crl-missing"}
    with Tomcat(tomcat_home, tmp_path / "catalina", connector, port, ENV):
        refused = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert refused.returncode not in (0, 7) and "hello" not in refused.stdout, refused.stderr  # 7: no connection
    api.revoke(layout, ca_crls=[root_crl], password=PASSWORD)
    assert doctor_errors() == set()
    with Tomcat(tomcat_home, tmp_path / "catalina-2", connector, port, ENV):
        served = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert served.returncode == 0 and "hello from tomcat" in served.stdout, served.stderr


def test_a_client_added_later_is_renewed_by_its_name_under_a_company_ca(tmp_path, handshake):
    """renew --side client --client CN: the added client's own keystore gets a new certificate from the
    layout's (brought) CA, checked against the server with its own truststore, and shakes hands."""
    chain, key, _ = _company_ca(tmp_path)
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key))
    api.add_client(layout, "partner-b", password=PASSWORD)
    keystore = layout / "client-partner-b.keystore.p12"
    before = leaf(keystore, "partner-b")
    renewal = passed(api.renew(layout, "client", added="partner-b", password=PASSWORD))
    assert renewal.old == before != renewal.new == leaf(keystore, "partner-b")
    assert keystore in renewal.written.files
    done, seen = handshake(layout / "server.keystore.p12", layout / "server.truststore.p12", keystore,
                           layout / "client-partner-b.truststore.p12")
    assert done, seen
    with pytest.raises(JkstoolError) as unknown:
        api.renew(layout, "client", added="nobody", password=PASSWORD)
    assert "partner-b" in unknown.value.what
    result = ok(run("renew", layout, "--side", "client", "--client", "partner-b", env=ENV))
    assert leaf(keystore, "partner-b") != renewal.new, result.stderr


def test_a_company_intermediate_is_rolled_over_in_stages(tmp_path, handshake):
    """rollover-ca --ca-cert/--ca-key on a layout under a brought intermediate: the company's next
    intermediate under the same root changes no truststore, every leaf (an added client's too) is
    reissued from it, and finish points the layout at it; every mix of neighbouring stages shakes hands."""
    chain, key, _ = _company_ca(tmp_path / "company")
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key))
    api.add_client(layout, "partner-b", password=PASSWORD)
    next_chain, next_key, _ = _company_ca(tmp_path / "company-next", root=_root_of(tmp_path / "company"))
    before = snapshot(layout, tmp_path / "before")
    trusted = {p: p.read_bytes() for p in layout_stores(layout)[1::2]}
    assert api.rollover_status(layout) == {"stage": None, "next": "trust", "cas": [], "needs": "ca"}
    with pytest.raises(JkstoolError):
        api.rollover_ca(layout, "trust", password=PASSWORD)  # a brought CA's successor must be given
    stage = passed(api.rollover_ca(layout, "trust", password=PASSWORD, ca=(next_chain, next_key)))
    assert {p: p.read_bytes() for p in trusted} == trusted  # the root is trusted already
    after_trust = snapshot(layout, tmp_path / "trust")
    mixes_work(handshake, before, after_trust)
    passed(api.rollover_ca(layout, "reissue", password=PASSWORD))
    after_reissue = snapshot(layout, tmp_path / "reissue")
    mixes_work(handshake, after_trust, after_reissue)
    issued = certs.load(leaf(layout / "client-partner-b.keystore.p12", "partner-b"))
    assert issued.issuer.rfc4514_string() == "CN=Company Issuing CA company-next"
    passed(api.rollover_ca(layout, "finish", password=PASSWORD))
    mixes_work(handshake, after_reissue, snapshot(layout, tmp_path / "finish"))
    assert manifest(layout)["cas"]["server"]["cert"] == str(next_chain.resolve())
    assert stage.status["stage"] == "trust" and api.rollover_status(layout)["stage"] is None
    healthy(layout, handshake)
    renewal = passed(api.renew(layout, "server", password=PASSWORD))  # from the new intermediate
    assert certs.load(renewal.new).issuer.rfc4514_string() == "CN=Company Issuing CA company-next"


def test_a_company_intermediate_with_a_crl_is_rolled_over_twice_each_key_under_its_own_password(
        tmp_path, handshake, openssl):
    """The company's next intermediates come with keys under passwords of their own: trust needs only the
    new key's (the old one's is not asked for). A layout keeping the intermediate's CRL rolls over twice:
    each finish gives the new CRL the old one's name, so the next trust finds its own name free, and no CRL
    of a retired intermediate is left for the expiry gate to trip on."""
    chain, plain_key, root_crl = _company_ca(tmp_path / "company")
    key = tmp_path / "company" / "sealed-key.pem"
    openssl("pkey", "-in", plain_key, "-aes256", "-passout", "pass:own-pass-0", "-out", key)
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key), ca_crls=[root_crl], ca_password="own-pass-0")
    api.revoke(layout, password=PASSWORD, ca_password="own-pass-0")  # the layout keeps the intermediate's CRL
    for n in (1, 2):
        next_chain, plain_key, _ = _company_ca(tmp_path / f"next-{n}", root=_root_of(tmp_path / "company"))
        next_key = tmp_path / f"next-{n}" / "sealed-key.pem"
        openssl("pkey", "-in", plain_key, "-aes256", "-passout", f"pass:own-pass-{n}", "-out", next_key)
        own = f"own-pass-{n}"
        passed(api.rollover_ca(layout, "trust", password=PASSWORD, ca=(next_chain, next_key), ca_password=own))
        passed(api.rollover_ca(layout, "reissue", password=PASSWORD, ca_password=own))
        passed(api.rollover_ca(layout, "finish", password=PASSWORD))
        issuers = {row.subject for row in api.expiry([layout], password=PASSWORD).certificates if row.kind == "crl"}
        assert issuers == {"CRL of CN=Company Root CA", f"CRL of CN=Company Issuing CA next-{n}"}, issuers
        assert run("expiry", layout, env=ENV).exit_code == 0
        healthy(layout, handshake)


def test_clients_added_or_renewed_during_a_rollover_come_from_the_ca_that_finishes_it(tmp_path, handshake):
    """From the reissue stage on, add-client and renew issue from the new CA, so finish takes them too."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    passed(api.rollover_ca(layout, "trust", password=PASSWORD))
    passed(api.rollover_ca(layout, "reissue", password=PASSWORD))
    added = api.add_client(layout, "late", password=PASSWORD)
    passed(api.renew(layout, "server", password=PASSWORD))
    passed(api.rollover_ca(layout, "finish", password=PASSWORD))
    done, seen = handshake(layout / "server.keystore.p12", layout / "server.truststore.p12", added.keystore,
                           added.truststore)
    assert done, seen
    healthy(layout, handshake)


def test_a_rollover_gives_a_revoked_partner_no_new_certificate(tmp_path, handshake):
    """A partner revoked before the rollover keeps its revoked certificate: reissue leaves its keystore as it
    is and says so, finish takes the old CA's trust from it (a JSSE handshake with its stores fails), and
    renew by name still issues it a new one."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    gone = api.add_client(layout, "gone", password=PASSWORD)
    api.revoke(layout, aliases=["gone"], password=PASSWORD)
    before = gone.keystore.read_bytes()
    passed(api.rollover_ca(layout, "trust", password=PASSWORD))
    reissued = api.rollover_ca(layout, "reissue", password=PASSWORD)
    passed(reissued)
    assert reissued.left_revoked == [gone.keystore] and gone.keystore.read_bytes() == before
    assert reissued.to_dict()["left_revoked"] == [str(gone.keystore)]
    result = run("rollover-ca", layout, "--finish", env=ENV)
    assert result.exit_code == 0 and f"warning: {gone.keystore}: not reissued: revoked, or from a retired CA" in \
        result.stderr.splitlines(), result.stderr
    assert gone.keystore.read_bytes() == before
    server = (layout / "server.keystore.p12", layout / "server.truststore.p12")
    done, seen = handshake(*server, gone.keystore, gone.truststore)
    assert not done, seen
    healthy(layout, handshake)
    for stage in ("trust", "reissue"):  # a second rollover: the old CA's CRL is gone, the partner still left
        rolled = passed(api.rollover_ca(layout, stage, password=PASSWORD))
    assert rolled.left_revoked == [gone.keystore] and gone.keystore.read_bytes() == before
    passed(api.rollover_ca(layout, "finish", password=PASSWORD))
    passed(api.renew(layout, "client", added="gone", password=PASSWORD))
    done, seen = handshake(*server, gone.keystore, gone.truststore)
    assert done, seen


def test_init_pair_takes_the_company_roots_crl_and_refuses_a_foreign_one_before_writing(tmp_path):
    """init-pair --ca-crl: the root's CRL kept and bundled from the start (the layout's own CRL beside it),
    so a server configured to check revocation serves from day one; a CRL of no CA above the brought one is
    refused before any file is written."""
    chain, key, root_crl = _company_ca(tmp_path / "company")
    layout = tmp_path / "tls"
    made = api.init_pair(layout, password=PASSWORD, ca=(chain, key), ca_crls=[root_crl])
    assert made.manifest.cas.issuer_crls and root_crl.read_bytes() in (layout / "ca" / "crls.pem").read_bytes()
    assert api.verify_pair(layout, password=PASSWORD).ok
    older = _older_crl(tmp_path / "company", tmp_path / "older.crl")
    with pytest.raises(JkstoolError) as undone:  # an older CRL could un-revoke what the kept one revokes
        api.revoke(layout, ca_crls=[older], password=PASSWORD)
    assert "older than the one the layout keeps" in undone.value.what
    _, _, foreign = _company_ca(tmp_path / "elsewhere")
    with pytest.raises(JkstoolError) as refused:
        api.init_pair(tmp_path / "other", password=PASSWORD, ca=(chain, key), ca_crls=[foreign])
    assert "not signed by a CA above" in refused.value.what and not (tmp_path / "other").exists()
    result = run("init-pair", tmp_path / "cli", "--ca-cert", chain, "--ca-key", key, "--ca-crl", root_crl, env=ENV)
    assert result.exit_code == 0 and (tmp_path / "cli" / "ca" / "crls.pem").is_file(), result.stderr


def _older_crl(company: Path, path: Path) -> Path:
    """An empty CRL of the company's root, issued two days ago."""
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    root, key = _root_of(company)
    then = datetime.now(timezone.utc) - timedelta(days=2)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(root.subject).last_update(then)
           .next_update(then + timedelta(days=30)).sign(key, hashes.SHA256()))
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def test_a_company_root_and_intermediate_layout_lives_its_whole_life_in_tomcat_and_nginx(
        tmp_path, handshake, nginx, tomcat_home, tomcat_manager, curl):
    """A layout under a company's root and intermediate (brought, with the root's CRL), deployed once in
    Tomcat 10 and nginx as the snippets say, CRL checking on, each reloaded in place after every step:
    a partner added, the server and that partner renewed, the partner revoked, another added, the
    intermediate rolled over in its three stages, a store command and its restore. After every step both
    servers serve exactly the clients they should (not the revoked one; the old intermediate's until the
    rollover finishes, when its CRL leaves the bundle the servers check), a JSSE handshake passes, and
    verify-pair and doctor agree with the servers."""
    chain, key, root_crl = _company_ca(tmp_path / "company")
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key), ca_crls=[root_crl])
    ports = {"nginx": free_port(), "tomcat": free_port()}
    nginx_conf = api.snippet(layout, "nginx", port=ports["nginx"], password=PASSWORD).text
    connector = api.snippet(layout, "tomcat", port=ports["tomcat"]).text
    assert "ssl_crl" in nginx_conf and "certificateRevocationListFile" in connector  # revocation checked
    server_xml = tmp_path / "server.xml"
    server_xml.write_text(connector)
    server_xml.chmod(0o600)
    curl_command = shell_command(api.snippet(layout, "curl", port=0, password=PASSWORD).text).split()[:-1]
    clients: dict[str, list[str]] = {}  # name: its curl command (the client's own PEM files)
    (tmp_path / "partners").mkdir()
    refused: set[str] = set()

    def holds(name: str, keystore: Path, alias: str) -> None:
        """The partner `name`'s certificate as it is now, exported as it would be handed over."""
        folder = tmp_path / "partners" / str(len(list((tmp_path / "partners").glob("*"))))
        folder.mkdir(parents=True)
        export_pem(keystore, folder / "chain.pem", folder / "key.pem")
        clients[name] = [*curl_command[:1], "--cert", str(folder / "chain.pem"), "--key", str(folder / "key.pem"),
                         *curl_command[5:]]

    def lives(step: str) -> None:
        for server in servers:
            server.reload()
        for name, command in clients.items():
            served = _served(command, ports.values())
            assert served == [name not in refused] * 2, (step, name, served)
        report = api.verify_pair(layout, password=PASSWORD)
        assert report.ok and report.java.ok, (step, [(f.code, f.message) for f in report.findings])
        done, seen = handshake(layout)
        assert done, (step, seen)
        doctor = run("doctor", server_xml, "--peer", layout, "--json", env=ENV)
        assert doctor.exit_code == 0, (step, doctor.stdout, doctor.stderr)

    holds("client", layout / "client.keystore.p12", "client")
    servers = [Nginx(nginx, tmp_path / "nginx", nginx_conf, ports["nginx"]),
               Tomcat(tomcat_home, tmp_path / "tomcat", connector, ports["tomcat"], ENV, manager=free_port())]
    with servers[0], servers[1]:
        lives("init")
        api.add_client(layout, "partner-b", password=PASSWORD)
        holds("partner-b", layout / "client-partner-b.keystore.p12", "partner-b")
        lives("add-client")
        passed(api.renew(layout, "server", password=PASSWORD))
        lives("renew server")
        passed(api.renew(layout, "client", added="partner-b", password=PASSWORD))
        holds("partner-b", layout / "client-partner-b.keystore.p12", "partner-b")
        lives("renew partner-b")
        api.revoke(layout, aliases=["partner-b"], password=PASSWORD)
        refused.add("partner-b")
        partner_b = {"client-keystore": layout / "client-partner-b.keystore.p12",
                     "client-truststore": layout / "client-partner-b.truststore.p12"}
        its_pair = api.verify_pair(partner_b, folder=layout, password=PASSWORD)
        assert "cert-revoked" in {f.code for f in its_pair.findings if f.severity == "error"}, its_pair.findings
        lives("revoke partner-b")
        api.add_client(layout, "partner-c", password=PASSWORD)
        holds("partner-c", layout / "client-partner-c.keystore.p12", "partner-c")
        lives("add-client partner-c")
        next_chain, next_key, _ = _company_ca(tmp_path / "company-next", root=_root_of(tmp_path / "company"))
        passed(api.rollover_ca(layout, "trust", password=PASSWORD, ca=(next_chain, next_key)))
        lives("rollover trust")
        passed(api.rollover_ca(layout, "reissue", password=PASSWORD))
        clients["partner-c (old intermediate)"] = clients.pop("partner-c")
        holds("partner-c", layout / "client-partner-c.keystore.p12", "partner-c")
        holds("client (new intermediate)", layout / "client.keystore.p12", "client")
        lives("rollover reissue")
        passed(api.rollover_ca(layout, "finish", password=PASSWORD))
        refused |= {"client", "partner-c (old intermediate)"}  # partners not moved by now are refused
        lives("rollover finish")
        partner_ca = tmp_path / "partner-ca.pem"
        partner_ca.write_bytes(_partner_ca_pem())
        api.import_ca(layout / "server.truststore.p12", [partner_ca], password=PASSWORD)
        lives("import-ca")
        api.restore(layout)
        lives("restore")


def test_probe_crl_wants_a_crl_at_every_level_as_openssl_does(tmp_path, nginx):
    """probe --crl judges the server's chain as a client that checks revocation: OpenSSL with -crl_check_all
    (like Java's revocation checker) wants the issuer's CRL for every certificate but the root. With only the
    company intermediate's CRL, OpenSSL fails the chain and probe names what has none; with the root's too,
    both pass."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    chain, key, root_crl = _company_ca(tmp_path / "company")
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key), ca_crls=[root_crl])
    port = free_port()
    config = api.snippet(layout, "nginx", port=port, password=PASSWORD).text
    root = tmp_path / "root.pem"
    root.write_bytes(x509.load_pem_x509_certificates(chain.read_bytes())[-1].public_bytes(serialization.Encoding.PEM))
    served = x509.load_pem_x509_certificates((layout / "pem" / "server-chain.pem").read_bytes())
    leaf_pem, untrusted = tmp_path / "leaf.pem", tmp_path / "untrusted.pem"
    leaf_pem.write_bytes(served[0].public_bytes(serialization.Encoding.PEM))
    untrusted.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in served[1:]))
    with Nginx(nginx, tmp_path / "nginx", config, port):
        for crls in ([layout / "ca" / "ca.crl"], [layout / "ca" / "ca.crl", root_crl]):
            verified = subprocess.run(["openssl", "verify", "-crl_check_all", "-CAfile", root, "-untrusted", untrusted,
                                       *(a for crl in crls for a in ("-CRLfile", crl)), leaf_pem],
                                      capture_output=True, text=True)
            result = api.probe("127.0.0.1", port, servername="localhost", password=PASSWORD, crls=crls,
                               keystore=layout / "client.keystore.p12", truststore=layout / "client.truststore.p12")
            assert result.ok == (verified.returncode == 0), (crls, result.problems, verified.stdout + verified.stderr)
            assert result.crl_missing == ([] if result.ok else ["CN=Company Issuing CA company"]), result.crl_missing
            assert result.ok or "unable to get certificate CRL" in verified.stderr, verified.stderr


def test_expiry_watches_the_crls_a_layout_keeps_by_their_next_update(tmp_path):
    """The company root's CRL kept by init-pair --ca-crl (and the layout's own) are rows of expiry, by their
    nextUpdate as openssl reads it: a CRL due within 3 days (or --within days, when fewer) fails the gate,
    the layout's own, just published for 30 days, does not; the Prometheus exposition carries them."""
    chain, key, root_crl = _company_ca(tmp_path / "company", crl_days=2)
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key), ca_crls=[root_crl])
    printed = subprocess.run(["openssl", "crl", "-in", root_crl, "-noout", "-nextupdate"], capture_output=True,
                             text=True, check=True).stdout.strip().split("=", 1)[1]
    next_update = datetime.strptime(printed, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=timezone.utc)
    days = (next_update - datetime.now(timezone.utc)).days
    scan = api.expiry([layout], password=PASSWORD)
    rows = {row.subject: row for row in scan.certificates if row.kind == "crl"}
    assert rows["CRL of CN=Company Root CA"].not_after == next_update
    assert str(layout / "ca" / "crls.pem") in [path for path, _ in rows["CRL of CN=Company Root CA"].locations]
    assert "CRL of CN=Company Issuing CA company" in rows
    assert [row.subject for row in scan.due(30) if row.kind == "crl"] == ["CRL of CN=Company Root CA"]
    gate = run("expiry", layout, "--json", env=ENV)
    assert gate.exit_code == 1 and "CRL of CN=Company Root CA" in [
        row["subject"] for row in json.loads(gate.stdout)["certificates"] if row["kind"] == "crl"]
    assert run("expiry", layout, "--within", str(days + 1), env=ENV).exit_code == 1
    assert run("expiry", layout, "--within", str(days), env=ENV).exit_code == 0
    metrics = run("expiry", layout, "--format", "prometheus", env=ENV).stdout
    assert f'jkstool_crl_next_update{{filepath="{root_crl}"' not in metrics  # the layout's copy, not the source
    assert re.search(r'jkstool_crl_stale\{filepath="[^"]+",issuer_CN="Company Root CA"\} 0', metrics), metrics
    cafile = tmp_path / "cafile.pem"  # certificates and CRLs in one file, as OpenSSL's CAfile takes them
    cafile.write_bytes(chain.read_bytes() + root_crl.read_bytes())
    kinds = sorted(row.kind for row in api.expiry([cafile], password=PASSWORD).certificates)
    assert kinds == ["certificate", "certificate", "crl"], kinds


@pytest.mark.parametrize("crl_sign", [True, False], ids=["intermediate-with-crl-sign", "openssl-default"])
def test_without_the_roots_crl_each_server_checks_what_it_can_and_the_snippet_says_which(tmp_path, nginx,
                                                                                          tomcat_home, curl,
                                                                                          crl_sign):
    """A layout under a company intermediate revokes a partner, and the root's CRL was not given: a server
    that checks every level would refuse every client. Each snippet says so and configures what its server
    supports: Apache httpd checks the client's certificate only (SSLCARevocationCheck leaf); nginx cannot,
    so its snippet leaves ssl_crl out and says revocation is off; Tomcat can with the security property
    the snippet names, where the intermediate's key usage names cRLSign (Java verifies the CRL of a CA
    without it through the CA's own path, every level checked). Each server decides; verify-pair given the
    same property agrees with Tomcat, and so does doctor reading it from Tomcat's CATALINA_OPTS; the Tomcat
    snippet offers the property only where it works."""
    chain, key, _ = _company_ca(tmp_path / "company", crl_sign=crl_sign)
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key))
    api.add_client(layout, "gone", password=PASSWORD)
    api.revoke(layout, aliases=["gone"], password=PASSWORD)
    ports = {name: free_port() for name in ("nginx", "apache", "tomcat")}
    configs = {name: api.snippet(layout, name, port=port, password=PASSWORD).text for name, port in ports.items()}
    assert "SSLCARevocationCheck    leaf" in configs["apache"] and "CN=Company Root CA" in configs["apache"]
    assert "Revocation is off" in configs["nginx"]
    assert not [line for line in configs["nginx"].splitlines() if "ssl_crl" in line and not line.startswith("#")]
    assert (snippets.LEAF_ONLY in configs["tomcat"]) == crl_sign
    leaf_only = tmp_path / "leaf-only.security"
    leaf_only.write_text(snippets.LEAF_ONLY + "\n")
    assert "crl-missing" in {f.code for f in api.verify_pair(layout, password=PASSWORD).findings}
    model = api.verify_pair(layout, password=PASSWORD, java_security=leaf_only)
    gone_pair = {"client-keystore": layout / "client-gone.keystore.p12",
                 "client-truststore": layout / "client-gone.truststore.p12"}
    gone = api.verify_pair(gone_pair, folder=layout, password=PASSWORD, java_security=leaf_only)
    good = shell_command(api.snippet(layout, "curl", port=0, password=PASSWORD).text).split()[:-1]
    (tmp_path / "gone").mkdir()
    export_pem(layout / "client-gone.keystore.p12", tmp_path / "gone" / "chain.pem", tmp_path / "gone" / "key.pem")
    revoked = [good[0], "--cert", str(tmp_path / "gone" / "chain.pem"), "--key", str(tmp_path / "gone" / "key.pem"),
               *good[5:]]
    servers = [Nginx(nginx, tmp_path / "nginx", configs["nginx"], ports["nginx"]),
               Apache("/usr/sbin/apache2", tmp_path / "apache", configs["apache"], ports["apache"]),
               Tomcat(tomcat_home, tmp_path / "tomcat", configs["tomcat"], ports["tomcat"],
                      {**ENV, "CATALINA_OPTS": f"-Djava.security.properties={leaf_only}"})]
    with servers[0], servers[1], servers[2]:
        nginx_serves, apache_serves, tomcat_serves = _served(good, ports.values())
        assert nginx_serves and apache_serves and _served(revoked, ports.values())[:2] == [True, False]
        tomcat_refuses_gone = not _served(revoked, [ports["tomcat"]])[0]
    assert tomcat_serves == model.ok == crl_sign, [(f.code, f.message) for f in model.findings]
    assert tomcat_refuses_gone and "cert-revoked" in {f.code for f in gone.findings if f.severity == "error"}
    server_xml, env = tmp_path / "server.xml", tmp_path / "tomcat.env"
    server_xml.write_text(configs["tomcat"])
    env.write_text(f"JKSTOOL_STOREPASS={PASSWORD}\nCATALINA_OPTS=-Djava.security.properties={leaf_only}\n")
    checkup = api.doctor([server_xml], env_file=env, peer=layout, peer_password=PASSWORD)
    assert checkup.ok == tomcat_serves, [(f.code, f.message) for d in checkup.diagnoses for f in d.findings]


def test_a_company_ca_rolled_over_to_a_new_root_brings_that_roots_crl(tmp_path, handshake):
    """rollover-ca to an intermediate under a company's new root, on a layout that keeps CRLs: the new root is
    trusted beside the old; its leaves would fail every server that checks revocation until the new root's
    CRL is there, so reissue writes nothing and says crl-missing; given (revoke --ca-crl, or rollover-ca
    --ca-crl at trust), reissue and finish pass, every mix of neighbouring stages shakes hands, and OpenSSL
    checking CRLs at every level accepts the new client's chain."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    chain, key, root_crl = _company_ca(tmp_path / "company")
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key), ca_crls=[root_crl])
    next_chain, next_key, next_root_crl = _company_ca(tmp_path / "company-next")  # under a root of its own
    before = snapshot(layout, tmp_path / "before")
    passed(api.rollover_ca(layout, "trust", password=PASSWORD, ca=(next_chain, next_key)))
    after_trust = snapshot(layout, tmp_path / "trust")
    mixes_work(handshake, before, after_trust)
    kept = {p: p.read_bytes() for p in layout_stores(layout)}
    refused = api.rollover_ca(layout, "reissue", password=PASSWORD)
    assert {f.code for f in refused.report.findings if f.severity == "error"} == {"crl-missing"}
    assert {p: p.read_bytes() for p in kept} == kept and refused.written.files == []
    with pytest.raises(JkstoolError):
        api.rollover_ca(layout, "reissue", password=PASSWORD, ca_crls=[next_root_crl])  # at trust only
    api.revoke(layout, ca_crls=[next_root_crl], password=PASSWORD)
    passed(api.rollover_ca(layout, "reissue", password=PASSWORD))
    after_reissue = snapshot(layout, tmp_path / "reissue")
    mixes_work(handshake, after_trust, after_reissue)
    passed(api.rollover_ca(layout, "finish", password=PASSWORD))
    mixes_work(handshake, after_reissue, snapshot(layout, tmp_path / "finish"))
    assert api.verify_pair(layout, password=PASSWORD).ok
    new_root = tmp_path / "new-root.pem"
    new_root.write_bytes(x509.load_pem_x509_certificates(next_chain.read_bytes())[-1].public_bytes(
        serialization.Encoding.PEM))
    leaf_pem = tmp_path / "client-leaf.pem"
    leaf_pem.write_bytes(x509.load_der_x509_certificate(leaf(layout / "client.keystore.p12", "client"))
                         .public_bytes(serialization.Encoding.PEM))
    verified = subprocess.run(["openssl", "verify", "-crl_check_all", "-CAfile", new_root, "-untrusted", next_chain,
                               "-CRLfile", layout / "ca" / "crls.pem", leaf_pem], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_cli_rollover_ca_takes_the_new_roots_crl_at_trust(tmp_path):
    chain, key, root_crl = _company_ca(tmp_path / "company")
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD, ca=(chain, key), ca_crls=[root_crl])
    next_chain, next_key, next_root_crl = _company_ca(tmp_path / "company-next")
    ok(run("rollover-ca", layout, "--ca-cert", next_chain, "--ca-key", next_key, "--ca-crl", next_root_crl, env=ENV))
    ok(run("rollover-ca", layout, "--reissue", env=ENV))
    refused = run("rollover-ca", layout, "--finish", "--ca-crl", next_root_crl, env=ENV)
    assert refused.exit_code == 2 and "leave them out" in refused.stderr
    ok(run("rollover-ca", layout, "--finish", env=ENV))
    assert api.verify_pair(layout, password=PASSWORD).ok


def test_a_new_layout_password_reaches_every_store_and_the_ca_key(tmp_path, keytool_inventory, openssl, handshake):
    """passwd DIR: the clients added later and the CA key made here (encrypted, by default, with the store
    password) follow, so the layout's commands still open everything; keytool and openssl read them with
    the new password."""
    layout = tmp_path / "tls"
    api.init_pair(layout, password=PASSWORD)
    alice = api.add_client(layout, "alice", password=PASSWORD)
    new = "brand-new-pass-1"
    assert run("passwd", layout, "--new-storepass", f"pass:{new}", env=ENV).exit_code == 0
    for store in [*layout.glob("*.p12")]:
        assert keytool_inventory(store, password=new), store
    openssl("pkey", "-in", layout / "ca" / "ca-key.pem", "-passin", f"pass:{new}", "-noout")
    assert stat.S_IMODE((layout / "ca" / "ca-key.pem").stat().st_mode) == 0o600
    passed(api.renew(layout, "client", added="alice", password=new))
    api.add_client(layout, "bob", password=new)
    done, seen = handshake(layout / "server.keystore.p12", layout / "server.truststore.p12", alice.keystore,
                           alice.truststore, password=new)
    assert done, seen
