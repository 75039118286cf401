"""A new user's first mistakes: keytool's habits on jkstool's command line, each one line saying what to type
(exit 2, no usage dump), a mistyped command the nearest one, and words that say what went wrong."""

import pytest
from helpers import run


@pytest.mark.parametrize("args, says", [
    (["list", "-keystore", "x.jks"], "-keystore is keytool's: here, the store is an argument: jkstool list STORE"),
    (["list", "x.jks", "-storepass", "changeit"], "-storepass is keytool's: here, --storepass"),
    (["-list", "-v", "-keystore", "x.jks"], "-list is keytool's: here it is jkstool list"),
    (["-importcert", "-file", "ca.pem"], "-importcert is keytool's: here it is jkstool import-ca"),
    (["export", "x.jks", "-alias", "server"], "-alias is keytool's: here, --alias"),
    (["lsit", "x.jks"], "no command 'lsit': did you mean jkstool list?"),
    (["verfy-pair", "./tls"], "no command 'verfy-pair': did you mean jkstool verify-pair?"),
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
