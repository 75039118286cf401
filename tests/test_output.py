"""Every command's default output fits a 100-column terminal: each is run on a pseudo-terminal with
COLUMNS=100, on real layouts, and every line it prints (tables, findings, messages) is measured."""

import os
import pty
import re
import select
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import FIXTURES, PASSWORD, run

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
COLUMNS = 100


def on_a_terminal(args, cwd: Path) -> tuple[int, str]:
    """jkstool ARGS on a pseudo-terminal 100 columns wide: (exit code, everything it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "jkstool", *map(str, args)],
                  {**os.environ, **ENV, "COLUMNS": str(COLUMNS)})
    seen = b""
    while select.select([fd], [], [], 60)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def home():
    """A short working folder (paths in the output stay short, as in a user's own), with a layout that has
    been through renewal, a new client, a rollover's first stage and a revocation."""
    folder = Path(tempfile.mkdtemp(prefix="w", dir="/tmp"))
    for step in (["init-pair", "tls", "--separate-cas"], ["renew", "tls", "--side", "server"],
                 ["add-client", "tls", "--cn", "partner"], ["revoke", "tls", "--alias", "partner"],
                 ["rollover-ca", "tls", "--side", "client"], ["export", "tls/client.keystore.p12", "--chain",
                                                              "c.pem", "--key", "k.pem"],
                 ["export", "tls/server.keystore.p12", "--chain", "s.pem"]):
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            assert run(*step, env=ENV).exit_code == 0, step
        finally:
            os.chdir(cwd)
    yield folder
    import shutil
    shutil.rmtree(folder)


CASES = [
    ["init-pair", "fresh"], ["list", "tls/server.keystore.p12"], ["list", "tls/server.truststore.p12", "-v"],
    ["list", FIXTURES / "public-ca-bundle.pem"], ["verify-pair", "tls"],
    ["verify-pair", "tls", "--hostname", "api.example.com", "--warn-days", "9999", "--model-only"], ["expiry", "tls"],
    ["import-ca", "tls/client.truststore.p12", "tls/ca/server-ca.pem"], ["snippet", "nginx", "tls"],
    ["snippet", "tomcat", "tls"], ["snippet", "spring-boot", "tls"], ["snippet", "jvm", "tls"],
    ["snippet", "curl", "tls"], ["renew", "tls", "--side", "client"], ["add-client", "tls", "--cn", "second"],
    ["rollover-ca", "tls", "--status"], ["rollover-ca", "tls", "--reissue"], ["revoke", "tls", "--alias", "second"],
    ["convert", "tls/server.keystore.p12", "s.jks"], ["genkey", "g.p12", "--alias", "g", "--cn", "g"],
    ["csr", "g.p12", "--alias", "g", "--out", "g.csr"],
    ["import-reply", "tls/server.keystore.p12", "s.pem", "--alias", "server"],
    ["export", "tls/client.keystore.p12"], ["copy", "tls/server.keystore.p12", "c.p12", "--alias", "server"],
    ["rename", "c.p12", "--alias", "server", "--dest-alias", "srv"], ["delete", "c.p12", "--alias", "srv"],
    ["passwd", "s.jks", "--new-storepass", "env:JKSTOOL_STOREPASS"], ["restore", "tls"],
    ["convert", "tls", "--store-type", "jks"], ["expiry", "."],
    ["graph", "tls", "--model-only"], ["graph", "tls", "--model-only", "--format", "mermaid"],
    ["graph", "tls", "--model-only", "--format", "dot"],
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(map(str, a)))
def test_default_output_fits_100_columns(home, args):
    code, text = on_a_terminal(args, home)
    assert code in (0, 1), text
    shown = re.sub(r"\033\[[0-9;]*m", "", text)  # a colour takes no column
    wide = [line for line in shown.splitlines() if len(line) > COLUMNS and " " in line.strip()]  # one word
    # cannot be wrapped: a long path or property name on a line of its own is all it may be
    assert not wide, "\n".join(wide)


LOGGED = [
    ["init-pair", "tls", "--separate-cas"], ["init-pair", "tls", "--separate-cas", "--force"],
    ["renew", "tls", "--side", "server"], ["add-client", "tls", "--cn", "partner"],
    ["revoke", "tls", "--alias", "partner"], ["rollover-ca", "tls", "--side", "client"],
    ["rollover-ca", "tls", "--status"], ["snippet", "nginx", "tls"], ["renew", "tls", "--side", "server"],
    ["rollover-ca", "tls", "--reissue"], ["restore", "tls"], ["convert", "tls", "--store-type", "jks"],
]


def test_the_layout_commands_lines_fit_100_columns_in_a_log():
    """In a pipe or a log nothing is wrapped, so what the layout commands say is worded to fit: a line per
    file written, what to reload once per kind of file, the backup folder as the layout's files are named."""
    folder = Path(tempfile.mkdtemp(prefix="w", dir="/tmp"))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for args in LOGGED:
            result = run(*args, env=ENV)
            assert result.exit_code == 0, (args, result.output)
            wide = [line for line in (result.stdout + result.stderr).splitlines() if len(line) > COLUMNS]
            assert not wide, (args, wide)
    finally:
        os.chdir(cwd)
        import shutil
        shutil.rmtree(folder)


def test_long_work_shows_progress_on_a_terminal_and_not_in_a_pipe(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from helpers import MiniCA
    bundle = tmp_path / "many.pem"
    bundle.write_bytes(b"".join(MiniCA(f"Many {n}").root.public_bytes(serialization.Encoding.PEM)
                                for n in range(1000)))
    code, text = on_a_terminal(["import-ca", "many.p12", "many.pem"], tmp_path)
    assert code == 0 and "importing: 1000" in text, text[-300:]
    code, text = on_a_terminal(["list", "many.p12"], tmp_path)
    assert code == 0 and "reading: 1000/1000" in text and "\033[K" in text
    piped = run("list", tmp_path / "many.p12", env=ENV)
    assert piped.exit_code == 0 and "reading" not in piped.stderr and "\r" not in piped.stderr


def test_json_shows_no_raw_terminal_control_from_a_certificate(tmp_path):
    """A subject carrying the 8-bit CSI and a right-to-left override: --json writes them as \\u escapes, which a
    terminal shows as text, and which a JSON reader reads back as the subject was."""
    import json

    from cryptography.hazmat.primitives import serialization
    from helpers import certificate, new_key
    cn = "evil\x9b2J\u202egnp.exe"
    pem = tmp_path / "cert.pem"
    pem.write_bytes(certificate(new_key("ec"), cn, ca=True).public_bytes(serialization.Encoding.PEM))
    shown = run("printcert", pem, "--json").stdout
    assert "\x9b" not in shown and "\u202e" not in shown and "\\u009b" in shown and "\\u202e" in shown
    assert json.loads(shown)["certificates"][0]["subject"] == f"CN={cn}"
