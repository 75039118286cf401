"""jkstool's pytest plugin: `jkstool_pair`, a mutual-TLS `Pair` for the tests that ask for one.

pytest loads it (the `pytest11` entry point) in every session of an environment
where jkstool is installed, asked or not: so it imports nothing of jkstool's,
and nothing heavy, until a test uses the fixture.
"""

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .testing import Pair


@pytest.fixture(scope="session")
def jkstool_pair() -> "Pair":
    """A server and a client that trust each other (jkstool.testing.Pair), one for the whole session:
    a test that needs its own calls `Pair()`, or `jkstool_pair.issue_cert(...)` for another leaf."""
    from .testing import Pair
    return Pair()
