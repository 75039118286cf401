"""Hardening, second round: a hostile neighbour against a layout's files. Another local user (`nobody`,
through runuser) plants files and links in a folder they may write to, or hands over a layout.json of
their making; none of it may make jkstool leak a key or a password, or write outside the layout.
"""

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import PASSWORD, run

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
SECRET = b"the root-only secret\n"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="plays another user through runuser, as root does")


@pytest.fixture
def shared():
    """A folder every user may write to (sticky, as /tmp is), outside the tests' private temp folders."""
    folder = Path(tempfile.mkdtemp(prefix="jkstool-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def layout(shared):
    """A layout in a folder its group (and here everyone) may write to, and a root-only file to steal."""
    folder = shared / "tls"
    assert run("init-pair", folder, env=ENV).exit_code == 0
    folder.chmod(0o777)
    secret = shared / "root-only"
    secret.write_bytes(SECRET)
    secret.chmod(0o600)
    return folder


def as_nobody(*command) -> None:
    subprocess.run(["runuser", "-u", "nobody", "--", *map(str, command)], check=True)


def one_line(result) -> str:
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, (result.exit_code, result.stderr)
    return result.stderr


def test_restore_takes_no_backup_another_user_planted(layout, shared):
    """With no backups/ yet, another user makes backups/<a later time>/ holding a link to a root-only file,
    or makes the time folder a link to a private folder: restore refuses both and copies nothing."""
    as_nobody("mkdir", "-p", layout / "backups" / "20990101T000000Z")
    as_nobody("ln", "-s", shared / "root-only", layout / "backups" / "20990101T000000Z" / "server.truststore.p12")
    before = (layout / "server.truststore.p12").read_bytes()
    assert "not a file or folder of this user" in one_line(run("restore", layout, env=ENV))
    assert (layout / "server.truststore.p12").read_bytes() == before
    shutil.rmtree(layout / "backups")
    private = shared / "private"
    private.mkdir(mode=0o700)
    (private / "server.truststore.p12").write_bytes(SECRET)
    assert run("import-ca", layout / "server.truststore.p12", _partner_ca(shared), env=ENV).exit_code == 0
    (layout / "backups").chmod(0o777)  # as a careless group setting would leave it
    as_nobody("ln", "-s", private, layout / "backups" / "20990101T000000Z")
    assert "not a file or folder of this user" in one_line(run("restore", layout, env=ENV))
    assert SECRET not in (layout / "server.truststore.p12").read_bytes()


def test_restore_puts_a_file_back_no_wider_than_it_was_kept(layout):
    keystore = layout / "server.keystore.p12"
    assert run("passwd", layout, "--new-storepass", "pass:another-one-1", env=ENV).exit_code == 0
    keystore.chmod(0o644)  # widened since, by hand
    assert run("restore", layout, env={"JKSTOOL_STOREPASS": "another-one-1"}).exit_code == 0
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o600


def test_secrets_onto_a_file_another_user_planted_need_force_and_become_ours(layout, shared):
    planted = shared / "secrets.json"
    as_nobody("touch", planted)
    as_nobody("chmod", "0666", planted)
    result = run("k8s-secret", layout, "--output", planted, env=ENV)
    assert "already exists" in one_line(result) and planted.read_bytes() == b""
    assert run("k8s-secret", layout, "--output", planted, "--force", env=ENV).exit_code == 0
    info = planted.stat()
    assert info.st_uid == 0 and stat.S_IMODE(info.st_mode) == 0o600
    assert subprocess.run(["runuser", "-u", "nobody", "--", "cat", planted], capture_output=True).returncode != 0


@pytest.mark.parametrize("edit, command", [
    ({"files": {"server_truststore": "ROOT_ONLY"}}, ["k8s-secret", "LAYOUT"]),
    ({"files": {"server_truststore": "../root-only"}}, ["k8s-secret", "LAYOUT"]),
    ({"cas": {"server": {"crl": "../../outside/ca.crl"}}}, ["revoke", "LAYOUT", "--alias", "client"]),
    ({"exports": ["../../elsewhere"]}, ["revoke", "LAYOUT", "--alias", "client"]),
    ({"server": {"days": "forever"}}, ["renew", "LAYOUT", "--side", "server"]),
    ({"key_type": "rsa-99999999"}, ["renew", "LAYOUT", "--side", "server"]),
    ({"profile": "x"}, ["renew", "LAYOUT", "--side", "server"]),
    ({"clients": [{"cn": "x", "alias": "x", "keystore": "/tmp/x.p12", "truststore": "t.p12"}]},
     ["add-client", "LAYOUT", "--cn", "y"]),
    ({"server": {"days": 10 ** 30}}, ["renew", "LAYOUT", "--side", "server"]),
    ({"server": {"days": -5}}, ["renew", "LAYOUT", "--side", "server"]),
    ({"clients": [{"cn": "x", "alias": "x", "keystore": "x.p12", "truststore": "t.p12", "days": "abc"}]},
     ["renew", "LAYOUT", "--side", "client", "--client", "x"]),
    ({"clients": [{"cn": 5, "alias": "x", "keystore": "x.p12", "truststore": "t.p12"}]},
     ["renew", "LAYOUT", "--side", "client", "--client", "x"]),
    ({"files": {"server_keystore": "DELETE"}}, ["verify-pair", "LAYOUT"]),
], ids=["absolute-store", "store-above", "crl-outside", "export-outside", "days-of-a-string", "huge-key-type",
        "no-such-profile", "client-outside", "days-past-9999", "days-negative", "client-days-of-a-string",
        "client-cn-of-a-number", "a-store-missing"])
def test_a_layout_json_of_someone_elses_names_nothing_outside_the_layout(layout, shared, edit, command):
    """layout.json is input: a path it names outside the folder, or a field of another type, is one error line;
    no byte of another file is read into an output, nothing is written outside."""
    manifest = json.loads((layout / "layout.json").read_text())
    for key, value in edit.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                if isinstance(inner_value, dict):
                    manifest[key][inner].update(inner_value)
                elif inner_value == "DELETE":
                    del manifest[key][inner]
                else:
                    manifest[key][inner] = str(shared / "root-only") if inner_value == "ROOT_ONLY" else inner_value
        else:
            manifest[key] = value
    (layout / "layout.json").write_text(json.dumps(manifest))
    result = subprocess.run([sys.executable, "-m", "jkstool", *[str(layout) if a == "LAYOUT" else a for a in command]],
                            capture_output=True, env={**os.environ, **ENV})
    assert result.returncode == 2 and len(result.stderr.decode().strip().splitlines()) == 1, result.stderr
    assert b"Traceback" not in result.stderr and b"unexpected" not in result.stderr and SECRET not in result.stdout
    assert base64.b64encode(SECRET) not in result.stdout
    assert not (shared / "outside").exists() and not (shared.parent / "outside").exists()
    assert not (shared / "elsewhere").exists()


def test_a_link_in_the_layout_leading_out_is_refused(layout, shared):
    (layout / "server.keystore.p12").unlink()
    (layout / "server.keystore.p12").symlink_to(shared / "root-only")
    result = subprocess.run([sys.executable, "-m", "jkstool", "k8s-secret", str(layout)], capture_output=True,
                            env={**os.environ, **ENV})
    assert result.returncode == 2 and b"leads out of the layout folder" in result.stderr, result.stderr
    assert SECRET not in result.stdout


@pytest.mark.parametrize("dangling", [False, True], ids=["into-their-folder", "dangling"])
def test_snippet_writes_no_key_through_a_planted_pem_link(layout, shared, dangling):
    theirs = shared / "theirs"
    if not dangling:
        as_nobody("mkdir", theirs)
    as_nobody("ln", "-s", theirs, layout / "pem")
    result = run("snippet", "nginx", layout, env=ENV)
    assert "not a file or folder of this user" in one_line(result)
    assert not theirs.exists() if dangling else list(theirs.iterdir()) == []


def test_a_layout_made_under_umask_000_is_not_writable_by_others(tmp_path):
    folder = tmp_path / "made" / "tls"
    subprocess.run([sys.executable, "-c", "import os, runpy, sys; os.umask(0); sys.argv = ['jkstool', 'init-pair', "
                    f"{str(folder)!r}]; runpy.run_module('jkstool', run_name='__main__')"],
                   check=True, capture_output=True, env={**os.environ, **ENV})
    for path in [folder.parent, folder, *folder.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o022 == 0, (path, oct(path.stat().st_mode))


def test_a_layout_json_nested_past_the_parser_is_one_line(layout):
    (layout / "layout.json").write_text("[" * 200_000)
    assert "layout.json is not valid JSON" in one_line(run("verify-pair", layout, env=ENV))


def _partner_ca(folder: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from helpers import MiniCA
    path = folder / "partner-ca.pem"
    path.write_bytes(MiniCA("Partner").root.public_bytes(serialization.Encoding.PEM))
    return path



def test_secrets_go_through_no_link_planted_at_the_output_name(layout, shared):
    """A dangling link at --output's name: nothing is written where it points; with --force the link is
    replaced by a file of ours."""
    aim = shared / "aim.json"
    as_nobody("ln", "-s", aim, shared / "secrets.json")
    assert "already exists" in one_line(run("k8s-secret", layout, "--output", shared / "secrets.json", env=ENV))
    assert run("k8s-secret", layout, "--output", shared / "secrets.json", "--force", env=ENV).exit_code == 0
    assert not aim.exists() and not (shared / "secrets.json").is_symlink()
    assert stat.S_IMODE((shared / "secrets.json").stat().st_mode) == 0o600


def test_force_onto_a_planted_link_backs_up_no_file_through_it(layout, shared):
    """--force replaces a link planted at the output name: the file it points to (root's) is neither
    overwritten nor copied into a backup beside it, where its planter could read it."""
    keystore = layout / "server.keystore.p12"
    for args in (["export", keystore, "--cert", "OUT"], ["convert", keystore, "OUT"],
                 ["csr", keystore, "--alias", "server", "--out", "OUT"]):
        out = shared / f"out-{args[0]}"
        as_nobody("ln", "-s", shared / "root-only", out)
        result = run(*[out if a == "OUT" else a for a in args], "--force", env=ENV)
        assert result.exit_code == 0, (args, result.stderr)
        assert not out.is_symlink() and (shared / "root-only").read_bytes() == SECRET
        copies = [p for p in shared.iterdir() if p.is_file() and not p.is_symlink() and p.name != "root-only"
                  and SECRET in p.read_bytes()]
        assert copies == [], copies


def test_a_planted_file_of_the_same_bytes_is_not_taken_for_ours(layout, shared):
    """A file another user made, holding the bytes jkstool would write, stays theirs to change later: it is
    an existing file (refused without --force), not one already written."""
    keystore = layout / "server.keystore.p12"
    mine = shared / "mine.pem"
    assert run("export", keystore, "--chain", mine, env=ENV).exit_code == 0
    planted = shared / "chain.pem"
    as_nobody("sh", "-c", f"cat {mine} > {planted}; chmod 666 {planted}")
    refused = run("export", keystore, "--chain", planted, env=ENV)
    assert "--force" in one_line(refused)
    assert planted.stat().st_uid != 0


def test_a_lock_file_another_user_planted_is_refused(shared):
    """The lock beside a store, made by another user, could be removed by them while held, letting a second
    writer in: jkstool refuses it, and no run's change is lost."""
    truststore = shared / "ts.p12"
    ca = _partner_ca(shared)
    assert run("import-ca", truststore, ca, env=ENV).exit_code == 0
    as_nobody("touch", shared / ".ts.p12.lock")
    (shared / "second").mkdir()
    before = truststore.read_bytes()
    refused = run("import-ca", truststore, _partner_ca(shared / "second"), env=ENV)
    assert "the lock file belongs to another user" in one_line(refused)
    assert truststore.read_bytes() == before


def test_restore_writes_nothing_through_a_folder_swapped_for_a_link(layout, shared):
    """Between two changes another user swaps the layout's ca/ (in a folder they may write to) for a link to
    theirs: restore refuses it before writing, as renew and revoke do."""
    assert run("revoke", layout, env=ENV).exit_code == 0
    assert run("revoke", layout, env=ENV).exit_code == 0
    elsewhere = shared / "elsewhere"
    as_nobody("mkdir", elsewhere)
    (layout / "ca").rename(layout / "ca.moved")
    as_nobody("ln", "-s", elsewhere, layout / "ca")
    assert "leads out of the layout folder" in one_line(run("restore", layout, env=ENV))
    assert list(elsewhere.iterdir()) == []


def test_init_pair_writes_nothing_where_a_link_or_anyone_could_swap_its_files(shared):
    """A ca/ planted as a link to another user's folder, or a layout folder every user may write to (without
    the sticky bit): init-pair refuses before writing anything, the CA key above all."""
    theirs = shared / "theirs"
    as_nobody("mkdir", theirs)
    as_nobody("mkdir", "-m", "777", shared / "tls")
    refused = run("init-pair", shared / "tls", env=ENV)
    assert "every user may write to this folder" in one_line(refused)
    os.chmod(shared / "tls", 0o755)
    as_nobody("ln", "-s", theirs, shared / "tls" / "ca")
    assert "leads out of the layout folder" in one_line(run("init-pair", shared / "tls", env=ENV))
    assert list(theirs.iterdir()) == [] and sorted(p.name for p in (shared / "tls").iterdir()) == ["ca"]


def test_an_output_under_a_link_to_nowhere_is_one_line(layout, shared):
    as_nobody("ln", "-s", shared / "nowhere", shared / "newdir")
    result = run("export", layout / "server.keystore.p12", "--key", shared / "newdir" / "k.pem", env=ENV)
    assert "is a link to a folder that is not there" in one_line(result)
    assert not (shared / "nowhere").exists()
