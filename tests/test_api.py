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
    import pkgutil

    import jkstool.api
    attempted = 0
    for found in pkgutil.iter_modules(jkstool.api.__path__, "jkstool.api."):
        result = doctest.testmod(__import__(found.name, fromlist=["_"]), optionflags=FLAGS)
        assert result.failed == 0, found.name
        attempted += result.attempted
    assert attempted >= 9


def test_help_shows_the_public_api():
    import pydoc

    import jkstool
    text = pydoc.render_doc(jkstool, renderer=pydoc.plaintext)
    for name in ("read_store", "write_store", "init_pair", "verify_pair", "import_ca", "expiry", "Layout",
                 "JkstoolError"):
        assert name in text
    assert os.path.basename(jkstool.__file__) == "__init__.py"


@pytest.mark.parametrize("schema", [1, 2])
def test_an_older_layout_json_is_read_and_written_back_in_the_current_schema(tmp_path, schema):
    """layout.json files of earlier releases ("format": 1; schema 2, without CRLs) open, and are migrated
    when written."""
    import json

    import jkstool
    from jkstool.layout.manifest import SCHEMA
    layout = jkstool.init_pair(tmp_path / "tls", password="changeit")
    data = json.loads((layout.folder / "layout.json").read_text())
    for record in data["cas"].values():
        if isinstance(record, dict):
            del record["crl"]
    key = "format" if schema == 1 else "schema"
    old = {key: schema, **{k: v for k, v in data.items() if k != "schema"}}
    (layout.folder / "layout.json").write_text(json.dumps(old))
    reopened = jkstool.Layout.open(layout.folder)
    assert reopened.manifest == layout.manifest
    assert json.loads(reopened.manifest_item()[1])["schema"] == SCHEMA == 3


def test_a_layout_json_of_a_newer_schema_is_refused(tmp_path):
    import json

    import jkstool
    layout = jkstool.init_pair(tmp_path / "tls", password="changeit")
    data = json.loads((layout.folder / "layout.json").read_text())
    (layout.folder / "layout.json").write_text(json.dumps({**data, "schema": 99}))
    with pytest.raises(jkstool.JkstoolError, match="schema 99, which this jkstool does not know"):
        jkstool.Layout.open(layout.folder)
