"""doctor on hostile configurations: each input once stalled doctor or ran it out of memory.

A configuration file may be planted, or checked out from somewhere else: whatever it holds, doctor
ends in a verdict, or in one error line naming the file (exit 2), in time and memory about linear in
its size. Each case is a generator of the file, scaled (1 here, larger in a stress run).
"""

from pathlib import Path

import pytest
from hostile import MIB, measure

SECONDS = 5.0
"""Well under what the old readers took at scale 1 (from 20 s to forever)."""
PEAK_MIB = 200


def tomcat_doctypes(scale: int) -> bytes:
    """A server.xml of DOCTYPE openings that never close: removing DOCTYPEs with a regex was quadratic."""
    return b'<Connector port="8443" SSLEnabled="true"/>\n' + b"<!DOCTYPE" * (36_000 * scale)


def properties_backslashes(scale: int) -> bytes:
    """Keys of 60 backslashes and no separator: a regex with two ways to read each backslash backtracked
    exponentially."""
    return (b"\\" * 60 + b"\n") * (1_000 * scale)


def properties_continuations(scale: int) -> bytes:
    """A value continued over a million lines, each ending in a backslash: joining them one by one was
    quadratic."""
    return b"app.junk=" + b"x\\\n" * (1_000_000 * scale) + b"x\n"


def properties_carriage_returns(scale: int) -> bytes:
    """A value continued over 700,000 lines ended by a lone CR (a line end of Properties' own, which
    str.splitlines shares with ten others), each after a run of three backslashes."""
    return b"app.junk=" + b"x\\\\\\\r" * (700_000 * scale) + b"x\r"


def properties_expansion(scale: int) -> bytes:
    """A property made of ten references to itself: each round of filling placeholders made it ten times
    longer (once 880 MB)."""
    return b"server.ssl.key-store=${a}\na=" + b"${a}" * (10 * scale) + b"\n"


def env_spaces(scale: int) -> bytes:
    """A 250 KB line of an env file, spaces inside its value: stripping a '# comment' with a regex was
    quadratic."""
    return b"A=x" + b" " * (250_000 * scale) + b"y\n"


def tomcat_connectors(scale: int) -> bytes:
    """Hundreds of TLS connectors, each one more endpoint to check (each with the JDK's cacerts loaded)."""
    return b'<Connector SSLEnabled="true"/>\n' * (300 * scale)


def tomcat_protocols(scale: int) -> bytes:
    """A protocols attribute of 100,000 names: a list searched for each one was quadratic."""
    names = b" ".join(b"P%d" % n for n in range(100_000 * scale))
    return b'<Connector SSLEnabled="true"><SSLHostConfig protocols="' + names + b'"/></Connector>\n'


def tomcat_nesting(scale: int) -> bytes:
    """100,000 nested elements: expat keeps each open one."""
    return b'<Connector SSLEnabled="true"/>' + b"<a>" * (100_000 * scale) + b"</a>" * (100_000 * scale)


def _one_line_naming(outcome, path: Path) -> None:
    assert outcome.code == 2 and outcome.stdout == "", outcome
    assert outcome.stderr.count("\n") == 1 and outcome.stderr.startswith(f"error: {path}"), outcome.stderr
    assert "Traceback" not in outcome.stderr and "unexpected" not in outcome.stderr, outcome.stderr


def _bounded(outcome) -> None:
    assert outcome.seconds < SECONDS, outcome
    assert outcome.peak_mib < PEAK_MIB, outcome


def test_tomcat_doctypes_are_refused_in_linear_time(tmp_path):
    path = tmp_path / "server.xml"
    path.write_bytes(tomcat_doctypes(1))
    outcome = measure(["doctor", path], timeout=60)
    _one_line_naming(outcome, path)
    assert "not well-formed XML" in outcome.stderr, outcome.stderr
    _bounded(outcome)


def test_tomcat_entities_are_refused_not_expanded(tmp_path):
    """A billion laughs: the DTD's entities are refused before any is expanded."""
    path = tmp_path / "server.xml"
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE Server [<!ENTITY e0 "lol">{entities}]>\n'
                    '<Connector port="8443" SSLEnabled="true" keystoreFile="&e9;"/>\n')
    outcome = measure(["doctor", path], timeout=60)
    _one_line_naming(outcome, path)
    assert "DTD" in outcome.stderr, outcome.stderr
    _bounded(outcome)


@pytest.mark.parametrize("make", [properties_backslashes, properties_continuations, properties_carriage_returns],
                         ids=["backslash-keys", "continuation-lines", "carriage-returns"])
def test_properties_are_read_in_linear_time(tmp_path, make):
    path = tmp_path / "application.properties"
    path.write_bytes(make(1))
    outcome = measure(["doctor", path], timeout=60)
    assert outcome.code == 1 and "no keystore is configured" in outcome.stdout, outcome
    _bounded(outcome)


def test_a_placeholder_expansion_bomb_is_one_error(tmp_path):
    path = tmp_path / "application.properties"
    path.write_bytes(properties_expansion(1))
    outcome = measure(["doctor", path], timeout=60)
    _one_line_naming(outcome, path)
    assert f"{path}:1:" in outcome.stderr and "characters" in outcome.stderr, outcome.stderr
    _bounded(outcome)


def test_a_long_env_file_line_is_read_in_linear_time(tmp_path):
    config = tmp_path / "server.xml"
    config.write_text('<Connector port="8443" SSLEnabled="true" keystoreFile="/nonexistent/ks.p12" '
                      'keystorePass="${A}"/>\n')
    env_file = tmp_path / "app.env"
    env_file.write_bytes(env_spaces(1))
    outcome = measure(["doctor", config, "--env", env_file], timeout=60)
    assert outcome.code == 1 and "cannot be read" in outcome.stdout, outcome
    _bounded(outcome)


@pytest.mark.parametrize("make,name,says", [
    (tomcat_connectors, "server.xml", "more than 256 TLS endpoints"),
    (tomcat_nesting, "server.xml", "nest more than 64 deep")])
def test_configurations_larger_than_real_ones_are_refused(tmp_path, make, name, says):
    path = tmp_path / name
    path.write_bytes(make(1))
    outcome = measure(["doctor", path], timeout=60)
    _one_line_naming(outcome, path)
    assert says in outcome.stderr, outcome.stderr
    _bounded(outcome)


def test_a_long_protocols_attribute_is_read_in_linear_time(tmp_path):
    path = tmp_path / "server.xml"
    path.write_bytes(tomcat_protocols(1))
    outcome = measure(["doctor", path], timeout=60)
    assert outcome.code == 1 and "config-protocols" in outcome.stdout, outcome
    _bounded(outcome)


def test_yaml_values_are_counted_as_they_are_composed(monkeypatch):
    """A list of many values was composed in memory whole (a hundred times the file's size) before any was
    counted: the count now stops the composing."""
    from jkstool.doctor import sources
    monkeypatch.setattr(sources, "_YAML_NODES", 1_000)
    with pytest.raises(ValueError, match="more than 1,000 values"):
        sources._yaml_documents("server:\n  ssl:\n    ciphers: [" + "x," * 1_200 + "x]\n")
    assert sources._yaml_documents("a: [" + "x," * 900 + "x]\n")[0][0]["a"][0].count("x") == 901


def test_escaped_surrogates_are_read_as_java_reads_them(tmp_path):
    """A pair of \\u escapes is one character; half of one is none a file name holds (once a crash)."""
    path = tmp_path / "application.properties"
    path.write_text("server.ssl.key-store=/nonexistent/\\ud83d\\ude00\\uD800.p12\n")
    outcome = measure(["doctor", path], timeout=60)
    assert outcome.code == 1 and "/nonexistent/\U0001f600\ufffd.p12" in outcome.stdout, outcome


@pytest.mark.parametrize("make", [tomcat_doctypes, properties_backslashes, properties_continuations,
                                  properties_carriage_returns, properties_expansion, env_spaces, tomcat_connectors,
                                  tomcat_protocols, tomcat_nesting])
def test_the_files_grow_with_their_scale(make):
    assert len(make(1)) < len(make(2)) and len(make(1)) < 4 * MIB


def test_a_yaml_key_that_is_an_alias_bomb_is_refused_unwritten(tmp_path):
    """A mapping key made of nested aliases: PyYAML writes a node out in full when asked for its text."""
    path = tmp_path / "application.yml"
    lines = ['a0: &a0 [x, x]'] + [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}]" for n in range(1, 23)]
    path.write_text("\n".join(lines) + "\n? *a22\n: value\n")
    outcome = measure(["doctor", path], timeout=60)
    _one_line_naming(outcome, path)
    _bounded(outcome)
