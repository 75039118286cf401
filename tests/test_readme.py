"""The README's commands are the ones that run: CI runs its test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_the_readme_test_command():
    main_job, test_command = readme_commands()
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()
    assert "pytest" in test_command and "jkstool " in main_job


def test_readme_main_job_fixture_exists():
    main_job, _ = readme_commands()
    for path in re.findall(r"fixtures/\S+", main_job):
        assert (ROOT / path).is_file()
