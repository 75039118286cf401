"""docs/errors.md is true: each message it lists is produced by the case beside it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PASSWORD

DOCS = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
ENTRY = re.compile(r"^### `(?P<message>[^\n]+)`\n(?P<text>.*?)```sh\n(?P<case>.*?)```", re.S | re.M)


def entries():
    found = []
    for match in ENTRY.finditer(DOCS.read_text()):
        code = re.search(r"Exit code: (\d+)", match["text"])
        found.append(pytest.param(match["message"], int(code.group(1)) if code else 2, match["case"],
                                  id=match["message"][:70]))
    return found


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """What every case starts from: two layouts, the password in the environment."""
    folder = tmp_path_factory.mktemp("errors")
    env = {**os.environ, "JKSTOOL_STOREPASS": PASSWORD,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for args in (["init-pair", "tls", "--separate-cas", "--store-type", "jks"],
                 ["init-pair", "one", "--store-type", "jks"]):
        subprocess.run([sys.executable, "-m", "jkstool", *args], cwd=folder, env=env, check=True,
                       capture_output=True)
    return folder, env


def test_every_heading_has_a_case():
    headings = re.findall(r"^### ", DOCS.read_text(), re.M)
    assert len(headings) == len(entries()) >= 90


@pytest.fixture(scope="module")
def outcomes(sandbox, tmp_path_factory):
    """Every case's result, the cases run four at a time: each is its own processes in its own copy of
    the sandbox, so they cannot disturb one another."""
    from concurrent.futures import ThreadPoolExecutor
    template, env = sandbox

    def play(case: str) -> subprocess.CompletedProcess:
        work = tmp_path_factory.mktemp("case") / "case"
        shutil.copytree(template, work, symlinks=True)
        return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", case], cwd=work, env=env,
                              capture_output=True, text=True, timeout=120)
    cases = list(dict.fromkeys(param.values[2] for param in entries()))
    with ThreadPoolExecutor(4) as pool:
        return dict(zip(cases, pool.map(play, cases), strict=True))


@pytest.mark.parametrize("message,code,case", entries())
def test_the_case_produces_the_message(outcomes, message, code, case):
    result = outcomes[case]
    pattern = ".*".join(re.escape(part) for part in message.split("…"))
    last_lines = result.stderr.strip().splitlines()
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert any(re.fullmatch(pattern, line) for line in last_lines), (message, result.stderr)


def test_no_message_nests_parentheses():
    """'(give --storepass (or --keypass))' reads badly: a fix is one plain clause."""
    nested = [message for message, _, _ in (p.values for p in entries()) if re.search(r"\([^()]*\(", message)]
    assert not nested, nested
