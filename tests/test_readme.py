"""The README's commands are the ones that run: CI runs its test command verbatim, and the
main-job command works as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_the_readme_test_command():
    _, test_command = readme_commands()
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()
    assert "pytest" in test_command


def test_readme_main_job_runs(tmp_path):
    """Everything after the install step, run as written with this environment's jkstool."""
    main_job, _ = readme_commands()
    assert "pip install . && jkstool init-pair" in main_job
    commands = main_job.split("pip install . && ", 1)[1]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("JKSTOOL_STOREPASS", None)
    result = subprocess.run(commands, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^server +key +CN=localhost", result.stdout, re.M), result.stdout


def test_ci_also_runs_the_suite_on_the_lowest_typer_and_cryptography_pyproject_allows():
    bounds = [re.search(rf'"{name}>=([0-9.]+),', (ROOT / "pyproject.toml").read_text()).group(1)
              for name in ("typer", "cryptography")]
    assert "pip install 'typer=={}' 'cryptography=={}.0' && python -m pytest".format(*bounds) in \
        (ROOT / ".ci" / "run").read_text()
