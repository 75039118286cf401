"""keytool's habits on jkstool's command line: each gets one line saying what to type (exit 2, no usage
dump), and a mistyped command the nearest one."""

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
