"""A layout's whole life, played on one layout with a real JSSE handshake after every step: renewals,
a new partner, a CA rolled over in stages (every mix of old and new stores tried between stages), a
client revoked (refused by verify-pair and by Tomcat 10 loading the CRL), converted to JKS and back;
the expiry gate passing throughout. Then the servers configured once by the snippets (nginx, Apache
httpd, Tomcat) following the layout through its renewal and rollover."""

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import layout_stores
from helpers import PASSWORD, run, shell_command
from servers import Apache, Nginx, Tomcat, free_port, served_serial

from jkstool import formats
from jkstool.pki import certs

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
SIDES = ("server", "client")


def ok(result, code=0):
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
    ok(run("verify-pair", layout, env=ENV))
    done, seen = handshake(layout)
    assert done, seen
    ok(run("expiry", layout, "--within", "10", env=ENV))


def leaf(store: Path, alias: str) -> bytes:
    return formats.read_store(store, PASSWORD).store.key_entry(alias).chain[0]


def test_a_layout_lives_its_whole_life(tmp_path, handshake, tomcat_home, curl):
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env=ENV))
    healthy(layout, handshake)

    # renewal with a shorter validity: remembered, and the gate still passes
    for side in SIDES:
        ok(run("renew", layout, "--side", side, "--days", "20", env=ENV))
    assert manifest(layout)["server"]["days"] == manifest(layout)["client"]["days"] == 20
    assert not list(layout.glob("*.bak-*")) and len(list((layout / "backups").iterdir())) == 2
    healthy(layout, handshake)

    # a new partner: only its own files and layout.json are written
    truststore = layout / "server.truststore.p12"
    before = truststore.read_bytes()
    added = json.loads(ok(run("add-client", layout, "--cn", "partner-b", "--json", env=ENV)).stdout)
    assert truststore.read_bytes() == before and not added["server_truststore_changed"]
    assert sorted(Path(p).name for p in added["written"]) == [
        "client-partner-b.keystore.p12", "client-partner-b.truststore.p12", "layout.json"]
    partner = [layout / "client-partner-b.keystore.p12", layout / "client-partner-b.truststore.p12"]
    done, seen = handshake(*layout_stores(layout)[:2], *partner)
    assert done, seen

    # the CA rolled over in three stages; every mix of neighbouring stages works
    previous = snapshot(layout, tmp_path / "stage-0")
    for n, (stage, flag) in enumerate((("trust", []), ("reissue", ["--reissue"]), ("finish", ["--finish"])), 1):
        ok(run("rollover-ca", layout, *flag, env=ENV))
        status = json.loads(ok(run("rollover-ca", layout, "--status", "--json", env=ENV)).stdout)
        assert status["stage"] == (None if stage == "finish" else stage)
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
    ok(run("revoke", layout, "--alias", "client", env=ENV))
    report = json.loads(ok(run("verify-pair", layout, "--json", env=ENV), 1).stdout)
    assert "cert-revoked" in {f["code"] for f in report["findings"]}
    pems = {}
    for name, store in (("client", layout / "client.keystore.p12"), ("partner", partner[0])):
        pems[name] = (tmp_path / f"{name}-chain.pem", tmp_path / f"{name}-key.pem")
        ok(run("export", store, "--chain", pems[name][0], "--key", pems[name][1], "--no-encrypt-key", env=ENV))
    port = free_port()
    connector = ok(run("snippet", "tomcat", layout, "--port", str(port), env=ENV)).stdout
    assert "certificateRevocationListFile" in connector
    with Tomcat(tomcat_home, tmp_path / "catalina", connector, port, ENV):
        answers = {name: subprocess.run(
            [curl, "-sS", "--cacert", layout / "ca" / "ca.pem", "--cert", chain, "--key", key,
             f"https://localhost:{port}/"], capture_output=True, text=True, timeout=30)
            for name, (chain, key) in pems.items()}
    assert "hello from tomcat" in answers["partner"].stdout, answers["partner"].stderr
    assert answers["client"].returncode != 0 and "hello" not in answers["client"].stdout
    ok(run("renew", layout, "--side", "client", env=ENV))  # a new certificate, not on the CRL
    healthy(layout, handshake)

    # converted to JKS and back, the layout keeps working, snippets naming the new files
    ok(run("snippet", "curl", layout, env=ENV))  # client PEM files, which follow the conversion
    for store_type, ext in (("jks", "jks"), ("pkcs12", "p12")):
        ok(run("convert", layout, "--store-type", store_type, env=ENV))
        assert manifest(layout)["store_type"] == store_type
        assert sorted(p.name for p in layout.glob("*.keystore.*")) == [
            f"client-partner-b.keystore.{ext}", f"client.keystore.{ext}", f"server.keystore.{ext}"]
        healthy(layout, handshake)
        assert f"server.keystore.{ext}" in ok(run("snippet", "tomcat", layout, env=ENV)).stdout
        assert "up to date" in ok(run("snippet", "curl", layout, env=ENV)).stderr


def test_a_separate_cas_layout_rolls_only_its_client_ca(tmp_path, handshake):
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, "--separate-cas", env=ENV))
    server_keystore, _, _, client_truststore = layout_stores(layout)
    untouched = {p: p.read_bytes() for p in (server_keystore, client_truststore)}
    previous = snapshot(layout, tmp_path / "stage-0")
    ok(run("rollover-ca", layout, "--side", "client", env=ENV))
    for n, flag in enumerate(([], ["--reissue"], ["--finish"]), 1):
        if flag:
            ok(run("rollover-ca", layout, *flag, env=ENV))
        current = snapshot(layout, tmp_path / f"stage-{n}")
        mixes_work(handshake, previous, current)
        healthy(layout, handshake)
        previous = current
    assert {p: p.read_bytes() for p in untouched} == untouched  # the server's CA did not move
    done, _ = handshake(*layout_stores(layout)[:2], tmp_path / "stage-0" / "client.keystore.p12", client_truststore)
    assert not done


def test_stages_refuse_to_run_out_of_order_and_change_nothing(tmp_path):
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env=ENV))
    files = lambda: {p: p.read_bytes() for p in layout.rglob("*") if p.is_file()}  # noqa: E731
    before = files()
    for flag, due in ((["--reissue"], "trust"), (["--finish"], "trust"), (["--side", "client"], None)):
        result = ok(run("rollover-ca", layout, *flag, env=ENV), 2)
        assert result.stderr.count("\n") == 1 and (due is None or f"next stage is {due}" in result.stderr)
    assert files() == before
    ok(run("rollover-ca", layout, env=ENV))
    assert "next stage is reissue, not finish" in ok(run("rollover-ca", layout, "--finish", env=ENV), 2).stderr


def test_backups_are_out_of_the_way_and_restore_undoes_a_step(tmp_path, handshake):
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env=ENV))
    original = {p.relative_to(layout): p.read_bytes() for p in layout.rglob("*") if p.is_file()}
    ok(run("rollover-ca", layout, env=ENV))
    (folder,) = (layout / "backups").iterdir()
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert "ca/ca-next.pem" in (folder / "created.txt").read_text()
    ok(run("restore", layout, env=ENV))
    now = {p.relative_to(layout): p.read_bytes() for p in layout.rglob("*")
           if p.is_file() and "backups" not in p.relative_to(layout).parts}
    assert now == original  # the new CA's files, which the rollover created, are gone too
    healthy(layout, handshake)


def test_renew_takes_new_names_as_the_hostname_finding_advises(tmp_path):
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env=ENV))
    finding = json.loads(ok(run("verify-pair", layout, "--hostname", "api.example.test", "--json", env=ENV),
                            1).stdout)
    assert any(f["code"] == "hostname-mismatch" and "--san" in f["fix"] for f in finding["findings"])
    ok(run("renew", layout, "--side", "server", "--cn", "api.example.test", "--san", "DNS:api.example.test",
           env=ENV))
    ok(run("verify-pair", layout, "--hostname", "api.example.test", env=ENV))
    assert manifest(layout)["server"]["sans"] == ["DNS:api.example.test"]


def test_servers_configured_once_follow_the_layout(tmp_path, nginx, tomcat_home, curl):
    """nginx, Apache httpd and Tomcat, configured once from the snippets, serve the layout's current server
    certificate after each renewal and rollover stage (restarted, as a deployment would)."""
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env=ENV))
    ports = {name: free_port() for name in ("nginx", "apache", "tomcat")}
    configs = {name: ok(run("snippet", name, layout, "--port", str(port), env=ENV)).stdout
               for name, port in ports.items()}
    again = ok(run("snippet", "nginx", layout, "--port", str(ports["nginx"]), env=ENV))
    assert "up to date" in again.stderr  # a rerun on an unchanged layout changes nothing
    curl_command = shell_command(ok(run("snippet", "curl", layout, "--port", "0", env=ENV)).stdout).split()
    steps = [["renew", layout, "--side", "server"], ["rollover-ca", layout], ["rollover-ca", layout, "--reissue"],
             ["rollover-ca", layout, "--finish"]]
    for step in steps:
        result = ok(run(*step, env=ENV))
        if step[0] == "renew" or "--reissue" in step:  # a new server certificate: named, to reload nginx and httpd
            assert "pem/server-chain.pem: reload" in result.stderr, result.stderr
        expected = format(certs.load(leaf(layout / "server.keystore.p12", "server")).serial_number, "x")
        servers = [Nginx(nginx, tmp_path / f"nginx-{id(step)}", configs["nginx"], ports["nginx"]),
                   Apache("/usr/sbin/apache2", tmp_path / f"apache-{id(step)}", configs["apache"], ports["apache"]),
                   Tomcat(tomcat_home, tmp_path / f"tomcat-{id(step)}", configs["tomcat"], ports["tomcat"], ENV)]
        for server in servers:
            with server:
                assert served_serial(server.port) == expected, (step, type(server).__name__)
                command = [*curl_command[:-1], "--fail", f"https://localhost:{server.port}/"]
                reply = subprocess.run(command, capture_output=True, text=True, timeout=30)
                assert reply.returncode == 0, (step, type(server).__name__, reply.stderr)


@pytest.mark.parametrize("store_type", ["jks", "pkcs12"])
def test_convert_gives_keys_the_new_store_password(tmp_path, java_inventory, store_type):
    """JSSE's key manager opens every key with the store password: after convert --dest-storepass, a key
    that had a password of its own opens with the new store password (Java's KeyStore.getKey decides)."""
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env=ENV))
    source = tmp_path / "own-key-password.jks"
    ok(run("convert", layout / "server.keystore.p12", source, env=ENV))
    ok(run("passwd", source, "--alias", "server", "--new-keypass", "env:KP", env={**ENV, "KP": "key-of-its-own"}))
    dest = tmp_path / f"out.{'jks' if store_type == 'jks' else 'p12'}"
    result = ok(run("convert", source, dest, "--keypass", "env:KP", "--dest-storepass", "env:NEW",
                    env={**ENV, "KP": "key-of-its-own", "NEW": "another-secret"}))
    assert f"{dest}: the key of 'server' now has the store's password" in result.stderr
    inventory = java_inventory(dest, password="another-secret")
    assert "server" in inventory[str(dest)]


def test_a_rollover_starts_a_crl_for_the_new_ca_and_serve_refuses_the_revoked(tmp_path):
    """Servers that check revocation need a CRL for every CA they trust: a rollover starts one for the
    new CA when the old one has one, and keeps both until --finish; serve DIR loads them."""
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, "--separate-cas", env=ENV))
    ok(run("add-client", layout, "--cn", "gone", env=ENV))
    ok(run("revoke", layout, "--alias", "gone", env=ENV))
    assert sorted(p.name for p in (layout / "ca").glob("*.crl")) == ["client-ca.crl", "server-ca.crl"]
    ok(run("rollover-ca", layout, "--side", "client", env=ENV))
    assert (layout / "ca" / "client-ca-next.crl").is_file()
    assert (layout / "ca" / "crls.pem").read_text().count("BEGIN X509 CRL") == 3
    for flag in ("--reissue", "--finish"):
        ok(run("rollover-ca", layout, flag, env=ENV))
    assert not (layout / "ca" / "client-ca-next.crl").exists()
    assert (layout / "ca" / "crls.pem").read_text().count("BEGIN X509 CRL") == 2
    new_ca = (layout / "ca" / "client-ca.pem").read_bytes()
    crl = subprocess.run(["openssl", "crl", "-in", layout / "ca" / "client-ca.crl", "-noout", "-verify",
                          "-CAfile", layout / "ca" / "client-ca.pem"], capture_output=True, text=True)
    assert "verify OK" in crl.stdout + crl.stderr and new_ca  # the new CA's CRL took the old one's name

    ok(run("revoke", layout, "--alias", "client", env=ENV))
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    ok(run("export", layout / "client.keystore.p12", "--chain", chain, "--key", key, "--no-encrypt-key", env=ENV))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "jkstool", "serve", layout, "--port", str(port), "--once"],
                              env={**os.environ, **ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port_quietly(port)
        subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-cert", chain, "-key", key,
                        "-quiet"], input="hello\n", capture_output=True, text=True, timeout=30)
        out, _ = server.communicate(timeout=30)
    finally:
        server.kill()
    assert "rejected: CN=client: certificate revoked" in out, out


def wait_for_port_quietly(port: int) -> None:
    """Wait for a port without connecting to it (serve --once would take the probe for its one client)."""
    import time
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sockets = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
        if any(s[1].endswith(f":{port:04X}") and s[3] == "0A" for s in sockets):  # 0A: LISTEN
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def test_expiry_opens_a_layouts_stores_with_its_storepass_file(tmp_path):
    layout = tmp_path / "tls"
    ok(run("init-pair", layout, env={}))  # a generated password, in tls/storepass
    data = json.loads(ok(run("expiry", tmp_path, "--json", env={})).stdout)
    assert not data["errors"] and len(data["certificates"]) == 3
