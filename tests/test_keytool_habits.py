"""A new user's first mistakes: keytool's habits on jkstool's command line, each one line saying what to type
(exit 2, no usage dump), a mistyped command the nearest one, and words that say what went wrong."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES, run


@pytest.mark.parametrize("args, says", [
    (["list", "-keystore", "x.jks"], "-keystore is keytool's: here, the store is an argument: jkstool list STORE"),
    (["list", "x.jks", "-storepass", "changeit"], "-storepass is keytool's: here, --storepass"),
    (["-list", "-v", "-keystore", "x.jks"], "-list is keytool's: here it is jkstool list"),
    (["-importcert", "-file", "ca.pem"], "-importcert is keytool's: here it is jkstool import-ca"),
    (["export", "x.jks", "-alias", "server"], "-alias is keytool's: here, --alias"),
    (["lsit", "x.jks"], "no command 'lsit': did you mean jkstool list?"),
    (["printcert", "-file", "ca.pem"], "-file is keytool's: here, the file is an argument: jkstool printcert FILE"),
    (["verfy-pair", "./tls"], "no command 'verfy-pair': did you mean jkstool verify-pair?"),
    (["importcert", "x.jks", "ca.pem"], "importcert is keytool's -importcert: here it is jkstool import-ca"),
    (["list", "x.jks", "-alias", "a"], "-alias is keytool's, and jkstool list has nothing for it"),
    (["csr", "x.jks", "--alias", "a", "-file", "a.csr"], "-file is keytool's: here, --out"),
    (["export", "x.jks", "-file", "c.pem"], "-file is keytool's: here, --cert (or --chain, --key)"),
    (["import-ca", "t.jks", "-file", "ca.pem"], "-file is keytool's: here, the certificate is an argument: "
                                                 "jkstool import-ca TRUSTSTORE FILE"),
    (["list", "x.jks", "-storepass:env", "SP"], "-storepass:env is keytool's: here, --storepass env:SP"),
    (["convert", "a.jks", "b.p12", "-deststoretype", "pkcs12"], "-deststoretype is keytool's: here, --store-type"),
])
def test_a_keytool_habit_is_one_line_naming_what_to_type(args, says):
    result = run(*args)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {says}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Usage" not in result.stderr


def test_after_a_double_dash_keytool_words_are_arguments(tmp_path):
    result = run("list", "--", str(tmp_path / "-keystore"))
    assert "keytool" not in result.stderr and result.exit_code == 2


def test_a_password_ending_in_a_newline_is_said(tmp_path, monkeypatch):
    from jkstool import api
    api.init_pair(tmp_path / "tls", password="changeit")
    monkeypatch.setenv("PWX", "changeit\n")
    result = run("list", tmp_path / "tls" / "server.keystore.p12", "--storepass", "env:PWX")
    assert result.exit_code == 2 and "ends in whitespace (a newline?)" in result.stderr, result.stderr


def test_a_folder_that_is_not_there_is_named_so():
    result = run("verify-pair", "no-such-folder-here")
    assert result.exit_code == 2 and "no-such-folder-here: no such folder" in result.stderr, result.stderr


def test_a_closed_port_asks_nothing_of_a_client():
    result = run("probe", "127.0.0.1:1")
    assert result.exit_code == 1
    asked = [line.split()[-1] for line in result.stdout.splitlines() if line.startswith("client certificate")]
    assert asked == ["-"], result.stdout
    given = run("probe", "127.0.0.1:1", "--truststore", FIXTURES / "jdk17-keytool.jks", "--storepass", "pass:changeit")
    assert given.exit_code == 1 and "no --truststore" not in given.stdout  # given, but no chain came to check
    assert re.search(r"chain leads to the truststore +- \(no chain\)", given.stdout), given.stdout


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from jkstool import api
    folder = tmp_path_factory.mktemp("first") / "tls"
    api.init_pair(folder, password="changeit", store_type="jks")
    (folder.parent / "notafile.txt").write_text("")
    return folder


@pytest.mark.parametrize("args, says", [
    (["export", "TLS/server.truststore.jks", "--key", "OUT/k.pem"],
     "the store holds no private key (a truststore?) (give the keystore; a certificate of this one is exported "
     "with --alias)"),
    (["convert", "TLS/server.keystore.jks", "OUT/notafile.txt/x.p12"],
     "a part of the path is a file, not a folder (check the path)"),
    (["import-key", "OUT/new.p12", "--key", "TLS/ca/ca.pem", "--cert", "TLS/ca/ca.pem", "--alias", "x"],
     "the key file holds no private key, and must hold one (give the key's own file; a certificate goes to --cert)"),
])
def test_a_first_mistake_names_the_file_and_the_fix(made, tmp_path, args, says):
    args = [a.replace("TLS", str(made)).replace("OUT", str(made.parent)) for a in args]
    result = run(*args, env={"JKSTOOL_STOREPASS": "changeit"})
    assert result.exit_code == 2 and result.stderr.strip().endswith(says), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_import_ca_arguments_the_other_way_round_are_said(made, tmp_path):
    """A store given as the certificate, or a PEM of a leaf given as the truststore: one line, nothing
    written; a PEM truststore of CAs still takes more."""
    from jkstool import api
    env = {"JKSTOOL_STOREPASS": "changeit"}
    ca, truststore = made / "ca" / "ca.pem", made / "server.truststore.jks"
    swapped = run("import-ca", ca, truststore, env=env)
    assert swapped.exit_code == 2 and f"the truststore comes first (jkstool import-ca {truststore} {ca})" in \
        swapped.stderr, swapped.stderr
    from jkstool.api import outputs
    leaf = tmp_path / "leaf.pem"
    outputs.write_files(api.export_entry(made / "server.keystore.jks", password="changeit").files(cert=leaf))
    before = leaf.read_bytes()
    refused = run("import-ca", leaf, ca, env=env)
    assert refused.exit_code == 2 and "holds leaf certificates and no CA" in refused.stderr, refused.stderr
    assert leaf.read_bytes() == before
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ca.read_bytes())
    assert run("import-ca", bundle, ca, env=env).exit_code == 0


JKSTOOL = str(Path(sys.executable).parent / "jkstool")


def on_a_terminal(args, columns=100, env=None):
    """jkstool run with stdout and stderr on a pseudo-terminal `columns` wide: what a user at one sees."""
    import fcntl
    import pty
    import struct
    import termios
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    clean = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TERM")}
    process = subprocess.Popen([JKSTOOL, *map(str, args)], stdin=subprocess.DEVNULL, stdout=side, stderr=side,
                               env={**clean, "TERM": "xterm", **(env or {})})
    os.close(side)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    process.wait(30)
    return process.returncode, seen.decode().replace("\r\n", "\n")


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A pair that fails (the server's truststore lost its CA), and its store password."""
    from jkstool import api
    folder = tmp_path_factory.mktemp("colour") / "tls"
    api.init_pair(folder, password="changeit")
    api.delete_entry(folder / "server.truststore.p12", api.read_store(folder / "server.truststore.p12",
                     "changeit").store.trusted_entries()[0].alias, password="changeit")
    return folder


RED, GREEN = "\033[31m", "\033[32m"


def test_verdicts_are_coloured_on_a_terminal_and_never_in_a_pipe(made, broken):
    env = {"JKSTOOL_STOREPASS": "changeit"}
    code, seen = on_a_terminal(["verify-pair", broken, "--model-only"], env=env)
    assert code == 1 and f"{RED}FAIL\033[0m: the server and the client will not" in seen, seen
    assert f"{RED}error\033[0m" in seen
    code, seen = on_a_terminal(["verify-pair", made, "--model-only"], env=env)
    assert code == 0 and seen.startswith(f"{GREEN}OK\033[0m: "), seen
    code, seen = on_a_terminal(["verify-pair", made, "--model-only"], env={**env, "NO_COLOR": "1"})
    assert code == 0 and "\033[" not in seen and seen.startswith("OK: ")
    piped = subprocess.run([JKSTOOL, "verify-pair", broken, "--model-only"], capture_output=True, text=True,
                           env={**os.environ, **env})
    assert piped.returncode == 1 and "\033[" not in piped.stdout + piped.stderr
    forced = subprocess.run([JKSTOOL, "verify-pair", broken, "--model-only"], capture_output=True, text=True,
                            env={**os.environ, **env, "FORCE_COLOR": "1"})
    assert forced.stdout.startswith(f"{RED}FAIL\033[0m")
    json_out = subprocess.run([JKSTOOL, "verify-pair", broken, "--model-only", "--json"], capture_output=True,
                              text=True, env={**os.environ, **env, "FORCE_COLOR": "1"})
    assert "\033[" not in json_out.stdout and json.loads(json_out.stdout)


@pytest.mark.parametrize("columns", [80, 100, 132])
def test_help_takes_the_terminals_width_up_to_100_columns_and_cuts_no_summary(columns):
    code, seen = on_a_terminal(["-h"], columns=columns)
    lines = seen.splitlines()
    assert code == 0 and max(map(len, lines)) <= min(columns, 100)
    assert max(map(len, lines)) > min(columns, 100) - 10  # the width is used, not 78 whatever the terminal
    commands = lines[lines.index("Commands:") + 1:]
    assert not any(line.rstrip().endswith("...") for line in commands), seen
    code, seen = on_a_terminal(["renew", "-h"], columns=columns)
    assert code == 0 and max(map(len, seen.splitlines())) <= min(columns, 100)


def test_quiet_keeps_the_data_and_errors_and_drops_the_warnings(made):
    store = made / "server.keystore.jks"
    loud = run("list", store, "--storepass", "changeit")
    assert "visible to other local users" in loud.stderr
    quiet = run("list", store, "--storepass", "changeit", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == loud.stdout
    wrong = run("list", store, "--storepass", "pass:wrong", "-q")
    assert wrong.exit_code == 2 and wrong.stderr.startswith("error: ")


def test_pass_text_is_a_deliberate_choice_and_is_taken_without_a_warning(made):
    result = run("list", made / "server.keystore.jks", "--storepass", "pass:changeit")
    assert result.exit_code == 0 and "warning" not in result.stderr


@pytest.mark.parametrize("source", ["stdin", "file:-"])
def test_a_password_from_standard_input(made, source):
    store = made / "server.keystore.jks"
    read = subprocess.run([JKSTOOL, "list", store, "--storepass", source], input="changeit\n", capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if k != "JKSTOOL_STOREPASS"})
    assert read.returncode == 0 and "server" in read.stdout and "warning" not in read.stderr, read.stderr
    twice = subprocess.run([JKSTOOL, "import-ca", made / "t.p12", store, "--from-store", "--storepass", source,
                            "--src-storepass", source], input="changeit\n",
                           capture_output=True, text=True)
    assert twice.returncode == 2 and re.search(r"--(src-)?storepass names standard input, which --(src-)?storepass "
                                               "has read already", twice.stderr), twice.stderr


def test_cacerts_is_the_jdks_own_with_its_known_password(monkeypatch, keytool):
    """--cacerts lists what `keytool -list -cacerts` lists (keytool decides), without a password given."""
    monkeypatch.delenv("JKSTOOL_STOREPASS", raising=False)
    listed = run("list", "--cacerts", "--json")
    assert listed.exit_code == 0 and "warning" not in listed.stderr, listed.stderr
    theirs = re.findall(r"^(\S.*?), .*trustedCertEntry,", keytool("-list", "-cacerts").stdout, re.M)
    assert theirs and sorted(e["alias"] for e in json.loads(listed.stdout)["entries"]) == sorted(theirs)
    wrong = run("list", "--cacerts", "--storepass", "pass:not-changeit")
    assert wrong.exit_code == 2 and "password" in wrong.stderr
