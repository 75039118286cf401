"""The command line as users meet it: output, exit codes, passwords, errors, files on disk."""

import json
import os
import re
import stat
import subprocess
import sys

import pytest
from helpers import FIXTURES, PASSWORD, private_copy, run, sample_store
from typer.testing import CliRunner

from jkstool import formats
from jkstool.cli import app

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


@pytest.fixture
def jks_store(tmp_path):
    path = tmp_path / "server.keystore.jks"
    formats.write_store(path, sample_store(), "jks", PASSWORD)
    return path


def one_error_line(result, *fragments):
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0]
    return lines[0]


# -- list ------------------------------------------------------------------------

def test_list_table(jks_store):
    result = run("list", jks_store, env=ENV)
    assert result.exit_code == 0, result.stderr
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == ["alias", "kind", "subject", "not", "after", "days", "key", "sha256"]
    assert sorted(r.split()[0] for r in rows) == ["key-ec", "key-ed25519", "key-rsa", "partner", "root"]
    assert re.search(r"key-rsa\s+key\s+CN=key-rsa.example.test\s+\d{4}-\d\d-\d\d\s+36[45]\s+RSA 2048\s+"
                     r"[0-9a-f]{16}…", result.stdout)
    assert result.stderr == "JKS store, 5 entries\n"
    wide = run("list", jks_store, "--wide", env=ENV).stdout
    assert re.search(r"key-rsa\s+private-key\s+CN=key-rsa.example.test\s+CN=Test Issuing CA\s+"
                     r"\S+Z\s+36[45]\s+RSA 2048\s+[0-9a-f]{64}", wide)


@pytest.mark.parametrize("wide", [[], ["--wide"]])
def test_list_table_keeps_its_columns_where_a_row_has_empty_cells(wide):
    """A secret key has no subject, dates or SHA-256: its key column stays under the header's."""
    result = run("list", "fixtures/jdk17-keytool.p12", "--storepass", "pass:changeit", *wide)
    assert result.exit_code == 0, result.stderr
    header, rule, *rows = result.stdout.splitlines()
    (secret,) = [row for row in rows if row.startswith("secret ")]
    assert secret.index("(encrypted)") == header.index("  key ") + 2
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    assert starts == [m.start() for m in re.finditer(r"\S+", header.replace("not after", "not_after"))]


def test_list_json_has_the_documented_keys(jks_store):
    result = run("list", jks_store, "--json", env=ENV)
    data = json.loads(result.stdout)
    assert data["type"] == "JKS"
    entry = next(e for e in data["entries"] if e["alias"] == "key-ec")
    assert set(entry) == {"alias", "kind", "created", "certificates"}
    assert entry["kind"] == "private-key" and entry["created"] == "2026-01-02T03:04:06Z"
    assert [c["subject"] for c in entry["certificates"]] == [
        "CN=key-ec.example.test", "CN=Test Issuing CA", "CN=Test Root CA"]
    cert = entry["certificates"][0]
    assert set(cert) == {"subject", "issuer", "serial", "not_before", "not_after", "sha256",
                         "key_algorithm", "key_size"}
    assert re.fullmatch(r"[0-9a-f]{64}", cert["sha256"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cert["not_after"])
    assert (cert["key_algorithm"], cert["key_size"]) == ("EC", 256)
    assert [e["kind"] for e in data["entries"] if e["alias"] == "root"] == ["trusted-cert"]


def test_list_json_secret_key(tmp_path):
    path = tmp_path / "s.p12"
    formats.write_store(path, sample_store(("ec",), secret=True), "pkcs12", PASSWORD)
    data = json.loads(run("list", path, "--json", env=ENV).stdout)
    secret = next(e for e in data["entries"] if e["kind"] == "secret-key")
    assert secret["certificates"] == [] and secret["alias"] == "secret"


def test_list_verbose_shows_each_certificate_in_full(jks_store):
    out = run("list", jks_store, "-v", env=ENV).stdout
    block = out.split("Alias: key-rsa")[1].split("Alias:")[0]
    assert "Chain length: 3" in block
    assert block.index("Certificate [1]") < block.index("Certificate [2]") < block.index("Certificate [3]")
    for line in ("Subject alt names: DNS:key-rsa.example.test", "Extended key usage: serverAuth",
                 "Basic constraints: CA:false", "Subject key id: ", "Authority key id: "):
        assert line in block


def test_list_jks_without_password_warns_and_lists(jks_store):
    result = run("list", jks_store)
    assert result.exit_code == 0
    assert "integrity was not checked" in result.stderr
    assert len(re.findall(r"^key-\S+\s+key\s", result.stdout, re.M)) == 3


def test_list_pkcs12_without_password_says_it_needs_one(tmp_path):
    path = tmp_path / "x.p12"
    formats.write_store(path, sample_store(), "pkcs12", PASSWORD)
    one_error_line(run("list", path), path, "a password is needed")


@pytest.mark.parametrize("fixture", ["jdk17-keytool.p12", "jdk17-keytool.jks"])
def test_list_wrong_password(fixture):
    path = FIXTURES / fixture
    one_error_line(run("list", path, "--storepass", "env:P", env={"P": "wrong"}), path,
                   "wrong password, or the store is damaged: its integrity check failed")


# -- password sources ------------------------------------------------------------------

def test_password_sources(jks_store, tmp_path):
    secret_file = tmp_path / "pw"
    secret_file.write_text(PASSWORD + "\nignored second line\n")
    for args, env in [(["--storepass", "env:MYPASS"], {"MYPASS": PASSWORD}),
                      (["--storepass", f"file:{secret_file}"], {}),
                      ([], ENV)]:
        result = run("list", jks_store, *args, env=env)
        assert result.exit_code == 0 and result.stderr == "JKS store, 5 entries\n", result.stderr


@pytest.mark.parametrize("value, warned", [(PASSWORD, 1), (f"pass:{PASSWORD}", 0)])
def test_a_bare_password_on_the_command_line_warns_once(jks_store, value, warned):
    """pass:TEXT says it is meant: no warning on every call of a script that chose it."""
    result = run("list", jks_store, "--storepass", value)
    assert result.exit_code == 0
    assert result.stderr.count("visible to other local users") == warned


def test_password_source_errors(jks_store, tmp_path):
    one_error_line(run("list", jks_store, "--storepass", "env:NOT_SET_ANYWHERE"), "NOT_SET_ANYWHERE")
    missing = tmp_path / "nope.txt"
    one_error_line(run("list", jks_store, "--storepass", f"file:{missing}"), missing)
    one_error_line(run("list", jks_store, "--storepass", f"file:{tmp_path}"), "give the path of a password file")
    one_error_line(run("list", jks_store, "--storepass", "env:"), "--storepass is env: with nothing after it")
    one_error_line(run("list", jks_store, "--storepass", "file:"), "(give file:PATH)")
    empty = CliRunner().invoke(app, ["list", str(jks_store), "--storepass", "stdin"], input="")
    one_error_line(empty, "--storepass names standard input, which is empty")


# -- bad input ---------------------------------------------------------------------------

def _bad_inputs(tmp_path):
    good = formats.dump(sample_store(), "jks", PASSWORD)
    p12 = formats.dump(sample_store(), "pkcs12", PASSWORD)
    cases = {
        "missing": (None, "no such file"),
        "empty": (b"", "the file is empty"),
        "garbage": (b"\x01\x02 this is no keystore " * 20, "not a keystore"),
        "truncated.jks": (good[: len(good) // 2], "truncated or damaged"),
        "truncated.p12": (p12[: len(p12) - 40], "truncated or damaged"),
        "flipped.jks": (good[:-30] + bytes([good[-30] ^ 1]) + good[-29:], "integrity check failed"),
        "folder": ("dir", "is a folder"),
    }
    paths = {}
    for name, (data, message) in cases.items():
        path = tmp_path / name
        if data == "dir":
            path.mkdir()
        elif data is not None:
            path.write_bytes(data)
        paths[name] = (path, message)
    return paths


def test_bad_input_is_one_clear_line(tmp_path):
    for path, message in _bad_inputs(tmp_path).values():
        one_error_line(run("list", path, env=ENV), path, message)


def test_bad_input_leaves_the_destination_untouched(tmp_path):
    dest = tmp_path / "dest.p12"
    dest.write_bytes(b"precious")
    for path, _ in _bad_inputs(tmp_path).values():
        one_error_line(run("convert", path, dest, "--force", env=ENV), path)
        assert dest.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("dest")) == ["dest.p12"]


def test_unexpected_failure_is_one_line_unless_debug(jks_store, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")
    monkeypatch.setattr(formats, "load", boom)
    line = one_error_line(run("list", jks_store, env=ENV), "unexpected RuntimeError: simulated bug")
    assert "--debug" in line
    result = run("list", jks_store, "--debug", env=ENV)
    assert isinstance(result.exception, RuntimeError)


# -- convert -------------------------------------------------------------------------------

def test_convert_jks_to_pkcs12_and_pem(jks_store, tmp_path):
    for name, kind in [("out.p12", "PKCS12"), ("out.pem", "PEM"), ("out.bin", "PKCS12")]:
        dest = tmp_path / name
        result = run("convert", jks_store, dest, env=ENV)
        assert result.exit_code == 0, result.stderr
        assert f"wrote {dest} ({kind}, 5 entries from JKS" in result.stderr
        assert formats.detect(dest.read_bytes()) == kind
        assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_convert_store_type_and_dest_password(jks_store, tmp_path):
    dest = tmp_path / "out.keystore"
    result = run("convert", jks_store, dest, "--store-type", "pkcs12", "--dest-storepass", "env:NEW",
                 env={**ENV, "NEW": "new-password"})
    assert result.exit_code == 0, result.stderr
    assert formats.read_store(dest, "new-password").store["key-rsa"].key == \
        formats.read_store(jks_store, PASSWORD).store["key-rsa"].key


def test_convert_refuses_to_replace_without_force(jks_store, tmp_path):
    dest = tmp_path / "out.p12"
    dest.write_bytes(b"old bytes")
    one_error_line(run("convert", jks_store, dest, env=ENV), dest, "--force")
    assert dest.read_bytes() == b"old bytes"


def test_convert_force_keeps_a_byte_exact_backup_and_the_mode(jks_store, tmp_path):
    dest = tmp_path / "out.p12"
    dest.write_bytes(b"old bytes")
    dest.chmod(0o640)
    result = run("convert", jks_store, dest, "--force", env=ENV)
    assert result.exit_code == 0, result.stderr
    (backup,) = tmp_path.glob("out.p12.bak-*")
    assert backup.read_bytes() == b"old bytes" and str(backup) in result.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert formats.detect(dest.read_bytes()) == "PKCS12"


@pytest.mark.parametrize("target", ["out.jks", "out.pem"])
def test_convert_refuses_a_secret_key_the_target_cannot_hold(tmp_path, target):
    source = private_copy("jdk17-keytool.p12", tmp_path)
    dest = tmp_path / target
    line = one_error_line(run("convert", source, dest, env=ENV),
                          dest, "alias 'secret'", "cannot hold a secret key")
    assert "pkcs12" in line
    assert not dest.exists() and list(tmp_path.iterdir()) == [source]


def test_a_key_in_the_clear_readable_by_others_earns_a_warning(jks_store):
    """Not a store whose password encrypts its keys: keytool makes every store 0644 under the usual umask."""
    jks_store.chmod(0o644)
    assert "warning" not in run("list", jks_store, env=ENV).stderr
    clear = jks_store.with_name("clear.pem")
    formats.write_store(clear, sample_store(), "pem", PASSWORD, encrypt_keys=False)
    clear.chmod(0o644)
    result = run("list", clear, env=ENV)
    assert result.exit_code == 0
    assert f"warning: {clear}: it holds private keys and other users can read it (mode 0644): " \
           f"chmod 600 {clear}" in result.stderr
    truststore = jks_store.with_name("trust.jks")
    formats.write_store(truststore, sample_store(()), "jks", PASSWORD)
    truststore.chmod(0o644)
    assert "warning" not in run("list", truststore, env=ENV).stderr


def test_convert_conflicting_flags_fail_before_any_work(jks_store, tmp_path):
    one_error_line(run("convert", jks_store, tmp_path / "x.jks", "--legacy", env=ENV), "--profile legacy")
    one_error_line(run("convert", jks_store, tmp_path / "x.p12", "--no-encrypt-key", env=ENV),
                   "--no-encrypt-key")
    assert list(tmp_path.iterdir()) == [jks_store]


def test_convert_pem_without_key_encryption(jks_store, tmp_path):
    dest = tmp_path / "out.pem"
    assert run("convert", jks_store, dest, "--no-encrypt-key", env=ENV).exit_code == 0
    text = dest.read_text()
    assert text.count("BEGIN PRIVATE KEY") == 3 and "ENCRYPTED" not in text
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_convert_truststore_only_gets_ordinary_mode(tmp_path):
    source = tmp_path / "trust.pem"
    store = sample_store(())
    formats.write_store(source, store, "pem", None)
    dest = tmp_path / "trust.jks"
    assert run("convert", source, dest, "--dest-storepass", "env:NEW", env={"NEW": "new-password"}).exit_code == 0
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~_umask()


def test_convert_encrypted_pem_key_without_password(tmp_path):
    source = tmp_path / "k.pem"
    formats.write_store(source, sample_store(("ec",)), "pem", PASSWORD)
    one_error_line(run("convert", source, tmp_path / "k.jks", env={"NEW": "x"}), "alias 'key-ec'",
                   "encrypted")


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- secrets, atomicity, entry points ------------------------------------------------------------

def test_passwords_and_keys_never_appear_in_output(tmp_path):
    sentinel = "S3ntinel-Passw0rd"
    store = sample_store(secret=True)
    source = tmp_path / "s.p12"
    formats.write_store(source, store, "pkcs12", sentinel)
    env = {"JKSTOOL_STOREPASS": sentinel}
    outputs = [run("list", source, *flags, env=env) for flags in ([], ["-v"], ["--json"])]
    outputs += [run("convert", source, tmp_path / "o.p12", env=env),
                run("convert", source, tmp_path / "o.pem", env=env),
                run("list", source, "--storepass", "env:WRONG", env={"WRONG": sentinel + "x"})]
    secrets = [sentinel] + [e.key.hex() for e in store if e.kind != "trusted-cert"]
    for result in outputs:
        for secret in secrets:
            assert secret not in result.stdout and secret not in result.stderr


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "store.jks"
    path.write_bytes(b"old store")

    def fail(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(Exception, match="free some disk space"):
        formats.write_store(path, sample_store(), "jks", PASSWORD)
    assert path.read_bytes() == b"old store"
    assert [p.name for p in tmp_path.iterdir()] == ["store.jks"]


def test_python_m_and_version_and_help():
    result = subprocess.run([sys.executable, "-m", "jkstool", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("jkstool ")
    from jkstool.cli import COMMANDS
    commands = list(COMMANDS)
    assert len(commands) == 30  # graph, exporter
    for command in commands:
        shown = run(command, "--help", env={"COLUMNS": "100"}).stdout
        assert "Example:" in shown, command
        assert max(map(len, shown.splitlines())) <= 100, command  # its examples too
    assert "Example:" in run("--help").stdout
    assert "STORE  The store: JKS, JCEKS, PKCS12 or PEM; in a" in run("list", "--help").stdout  # arguments too


def test_damaged_jceks_secret_key_is_one_line_in_a_real_process(tmp_path):
    """javaobj, under pyjks, logs a multi-line state dump on a damaged sealed object."""
    data = bytearray((FIXTURES / "jdk17-keytool.jceks").read_bytes())
    start = data.index(b"com.sun.crypto.provider.SealedObjectForKeyProtector")
    data[start + 60:start + 64] = b"\xff\xff\xff\xff"
    path = tmp_path / "damaged.jceks"
    path.write_bytes(bytes(data))
    result = subprocess.run([sys.executable, "-m", "jkstool", "list", path], capture_output=True,
                            text=True, env={**os.environ, **ENV})
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: alias 'secret': the JCEKS store is truncated or damaged " \
                            "(restore it from a backup, or copy it again in binary mode)\n"


def test_pem_with_a_broken_key_is_one_line(tmp_path):
    path = tmp_path / "broken.pem"
    path.write_text("-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----\n"
                    "-----BEGIN CERTIFICATE-----\nnot base64 é\n-----END CERTIFICATE-----\n")
    one_error_line(run("list", path), path)


def _run_on_terminal(args, answer: str) -> str:
    """Run jkstool with a real pseudo-terminal, answering its password prompt."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JKSTOOL_")}
        os.execvpe(sys.executable, [sys.executable, "-m", "jkstool", *map(str, args)], env)
    output, answered = b"", False
    while True:
        ready, _, _ = select.select([fd], [], [], 20)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Password of" in output:
            os.write(fd, answer.encode() + b"\n")
            answered = True
    os.waitpid(pid, 0)
    return output.decode(errors="replace")


def test_list_prompts_on_a_terminal(jks_store):
    text = _run_on_terminal(["list", jks_store], PASSWORD)
    assert "Enter to skip the integrity check" in text and PASSWORD not in text
    assert "key-rsa" in text and "integrity was not checked" not in text
    skipped = _run_on_terminal(["list", jks_store], "")
    assert "integrity was not checked" in skipped and "key-rsa" in skipped
    wrong = _run_on_terminal(["list", jks_store], "wrong")
    assert "integrity check failed" in wrong


def test_a_layout_folders_storepass_file(tmp_path, monkeypatch):
    from jkstool.cli import passwords
    (tmp_path / "storepass").write_text("from-the-layout\n")
    monkeypatch.delenv("JKSTOOL_STOREPASS", raising=False)
    assert passwords.resolve(None, layout=tmp_path) == "from-the-layout"
    monkeypatch.setenv("JKSTOOL_STOREPASS", "from-the-environment")
    assert passwords.resolve(None, layout=tmp_path) == "from-the-environment"
    assert passwords.resolve("env:JKSTOOL_STOREPASS", layout=tmp_path) == "from-the-environment"


def test_convert_says_how_to_give_a_password_it_needs(tmp_path):
    source = tmp_path / "plain.pem"
    formats.write_store(source, sample_store(("ec",)), "pem", None, encrypt_keys=False)
    one_error_line(run("convert", source, tmp_path / "out.jks"), "needs a password", "--dest-storepass")
    assert not (tmp_path / "out.jks").exists()


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["list", "--help"], ["verify-pair", "--help"]])
def test_start_up_imports_no_heavy_module(args):
    """jkstool --help and --version stay instant: cryptography, pyjks, tabulate and pyOpenSSL load
    only inside the commands that use them (python -X importtime lists what a run imports)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "jkstool", *args],
                            capture_output=True, text=True)
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")}
    assert not imported & {"cryptography", "jks", "tabulate", "OpenSSL", "pydantic"}, imported & {
        "cryptography", "jks", "tabulate", "OpenSSL", "pydantic"}


@pytest.mark.parametrize("columns", ["80", "100"])
def test_every_help_example_parses_as_printed(columns):
    """The examples in each command's --help, pasted as they are printed, are valid command lines."""
    import shlex

    import typer

    from jkstool.cli import COMMANDS, app
    group = typer.main.get_command(app)
    for name in COMMANDS:
        text = run(name, "--help", env={"COLUMNS": columns}).stdout
        pasted = text.split("Example:", 1)[1].replace("\\\n", " ")  # a line continued with a backslash
        examples = [line.strip() for line in pasted.splitlines() if line.strip().startswith("jkstool ")]
        assert examples, name
        for example in examples:
            words = shlex.split(example, comments=True)
            command = group.get_command(None, words[1])
            assert command is not None, example
            command.make_context(words[1], words[2:])  # raises on anything the parser refuses


def test_shell_completion_offers_commands_and_choices():
    """What bash asks jkstool for as a user presses Tab (the protocol of `--show-completion bash`)."""
    def complete(words: str) -> list[str]:
        env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ")
                                                                                           else 1)),
               "_JKSTOOL_COMPLETE": "complete_bash"}
        return subprocess.run([sys.executable, "-m", "jkstool"], env=env, capture_output=True, text=True).stdout.split()
    assert complete("jkstool ren") == ["rename", "renew"]
    assert complete("jkstool rollover-ca tls --side ") == ["server", "client", "both"]
    assert sorted(complete("jkstool init-pair tls --store-type ")) == ["jks", "pkcs12"]


def test_list_shows_a_pem_key_that_matches_none_of_its_certificates(tmp_path):
    """A key and another key's certificate in one PEM file: listed (the key without a certificate), never a
    crash."""
    from helpers import MiniCA

    from jkstool.model import Store, TrustedCertEntry
    entries = [MiniCA("A").key_entry("a"), MiniCA("B").key_entry("b")]
    pem = tmp_path / "mixed.pem"
    chain = formats.dump(Store([TrustedCertEntry("leaf", entries[0].chain[0])]), "pem", None)
    key = formats.dump(Store([entries[1]]), "pem", None, encrypt_keys=False).split(b"-----BEGIN CERTIFICATE")[0]
    pem.write_bytes(chain + key)
    pem.chmod(0o600)
    for args in ([], ["--json"], ["-v"]):
        result = run("list", pem, *args)
        assert result.exit_code == 0, result.output
    assert "no certificate" in run("list", pem).stdout


def test_a_keystore_without_a_mac_is_said_so_and_a_wrong_password_points_at_the_store(tmp_path, openssl):
    """openssl pkcs12 -nomac -certpbe NONE: nothing proves the password, so a wrong one first fails on the key.
    The warning says what the store lacks (a password was given), and the refusal names the store password."""
    key, cert, store = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "nomac.p12"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=nomac",
            "-keyout", key, "-out", cert, "-days", "30")
    openssl("pkcs12", "-export", "-inkey", key, "-in", cert, "-name", "leaf", "-nomac", "-certpbe", "NONE",
            "-passout", f"pass:{PASSWORD}", "-out", store)
    listed = run("list", store, "--storepass", f"pass:{PASSWORD}")
    assert listed.exit_code == 0 and "the keystore has no integrity check (no MAC)" in listed.stderr
    assert "no password given" not in listed.stderr
    refused = run("convert", store, tmp_path / "out.jks", "--storepass", "pass:not-the-one")
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "alias 'leaf': the key does not open" in refused.stderr and "(check --storepass:" in refused.stderr


def test_expiry_says_a_read_error_in_the_command_lines_words(tmp_path):
    for extra in ([], ["--json"], ["--format", "junit"]):
        result = run("expiry", FIXTURES / "jdk17-keytool.p12", "--storepass", "pass:not-the-one", *extra)
        assert result.exit_code == 2 and "check --storepass or JKSTOOL_STOREPASS" in result.stdout + result.stderr
        assert "password=..." not in result.stdout + result.stderr
