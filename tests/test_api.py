"""The public API's examples run as written: docs/api.md and the docstrings of jkstool.api."""

import doctest
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.fixture
def at_the_top(monkeypatch):
    """The examples name files relative to the top of the repository."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("JKSTOOL_STOREPASS", raising=False)


def test_docs_api_examples_run(at_the_top):
    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False, optionflags=FLAGS)
    assert result.attempted > 20 and result.failed == 0


def test_docstring_examples_run(at_the_top):
    import jkstool.api
    result = doctest.testmod(jkstool.api, optionflags=FLAGS)
    assert result.attempted >= 8 and result.failed == 0


def test_help_shows_the_public_api():
    import pydoc

    import jkstool
    text = pydoc.render_doc(jkstool, renderer=pydoc.plaintext)
    for name in ("read_store", "write_store", "init_pair", "verify_pair", "import_ca", "expiry", "Layout",
                 "JkstoolError"):
        assert name in text
    assert os.path.basename(jkstool.__file__) == "__init__.py"
