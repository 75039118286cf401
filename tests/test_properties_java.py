"""doctor's java.util.Properties reader, held to a real JVM's Properties.load.

A corpus of tricky properties files is generated (hand-listed snippets, then seeded random lines
built from the pieces that decide how a file reads: backslash runs before a line's end, every line
end, separators, escapes valid and malformed, comments, blank lines, trailing whitespace, bytes
beyond ASCII); tests/java/PropertiesLoad.java loads every file with Properties.load(InputStream),
as Spring Boot, Kafka and Tomcat read theirs, in one JVM run. Java decides every expected value.
"""

import random
import subprocess
from pathlib import Path

import pytest

from jkstool.properties import MalformedEscape, load

SNIPPETS = [
    # line continuations: odd and even runs of backslashes, every line end, blank and comment-like lines
    b"a=b\\\n   c\n", b"a=b\\\\\nc=d\n", b"a=b\\\\\\\n \t c\n", b"a=b\\\\\\\\\nc\n", b"a=b\\\r\n  c\r\n",
    b"a=1\rb=2\r", b"a=1\r\nb=2\r\n", b"a=b\\\rc\r", b"a=b\\\n\rc=d", b"a=b\\\n\nc=d\n", b"a=b\\\n \t\f\nc=d",
    b"a=b\\\n# not a comment\n", b"a=b\\\n! not either\n", b"# comment \\\nk=v\n", b"! comment\nk=v",
    b"\\\n#comment\nk=v\n", b"\\", b"\\\n", b"\\\r", b"\\\r\n", b"k=v\n\\\r\n", b"\\\n\n", b"  \\",
    b"\\\n   ", b"\\\n\\", b"\\\n\\\nk=v",
    b"k=v\\\n", b"k=v\\", b"k=\\\n\\\nv", b"a\\\n=b", b"a\\\n b", b"k=\\u00\\\n41", b"k=x\\\r\n\r\ny",
    # separators and keys
    b"k = v", b"k\tv", b"k\fv", b"k  =  v", b"k : = v", b"k==v", b"k=:v", b"k:=v", b"k", b"k=", b"=v",
    b":v", b" =v", b"k\\ ey=v", b"k\\=ey=v", b"k\\:ey:v", b"k\\\\=v", b"k\\\\\\=x=v", b"\\u0041=b",
    b"k\\u0020y=v", b"\\#k=v", b"\\!k=v", b"  \t\f k=v", b"k=1\nk=2\n", b"\\ k=v", b"k\\\t=v",
    # values: trailing whitespace kept, escapes, bytes beyond ASCII
    b"server.ssl.key-store-password=changeit \n", b"k = v  \t", b"k=v\\ ", b"k=\\ v", b"k=v\f",
    b"k=\\q\\t\\n\\r\\f\\\\\\a", b"k=\\u0041\\u00e9\\uFFFF", b"k=\\uD83D\\uDE00", b"k=\\uD800x\\uDC00",
    b"k=\xe9\xff", b"k=\xc3\xa9", b"k=v\x0b", b"k=v\x85", b"k=v\xa0", b"k=a\x1cb\x1dc\x1ed", b"k=a\x00b",
    b"\xef\xbb\xbfk=v", b"#\xff\r\nk=v", b"k=\\u000a", b"k=\\=\\:", b"k=a=b:c d",
    # malformed \u: Java throws
    b"k=\\u12", b"k=\\u12G4", b"k=\\u", b"k=\\uXYZW", b"\\u12=v", b"k=ok\nj=\\u004", b"k=\\u00\n41",
]

PIECES = [b"a", b"b", b"key", b"x.y", b"=", b":", b" ", b" ", b"\t", b"\f", b"\\", b"\\", b"\\\\", b"\\\\\\",
          b"\\u0041", b"\\u00e9", b"\\uD83D\\uDE00", b"\\uD800", b"\\t", b"\\n", b"\\r", b"\\f", b"\\ ",
          b"\\=", b"\\:", b"\\#", b"#", b"!", b"\xe9", b"\xff", b"\x85", b"\x0b", b"\x1c", b"\xa0", b"\x00",
          b"\n", b"\r\n", b"\r"]
MALFORMED = [b"\\u12", b"\\uZZZZ", b"\\u"]
LINE_ENDS = [b"\n", b"\r\n", b"\r", b"\\\n", b"\\\r\n", b"\\\\\n", b"\\\\\\\n"]


def random_file(rng: random.Random) -> bytes:
    """A few lines of random pieces, some blank-led, each with a random line end (the last maybe none);
    one file in ten holds a malformed \\u."""
    lines = []
    for _ in range(rng.randint(1, 6)):
        line = rng.choice([b"", b" ", b"\t\f "]) + b"".join(rng.choices(PIECES, k=rng.randint(0, 10)))
        if rng.random() < 0.03:
            line += rng.choice(MALFORMED)
        lines.append(line + rng.choice(LINE_ENDS))
    if rng.random() < 0.3:
        lines[-1] = lines[-1].rstrip(b"\r\n")
    return b"".join(lines)


def corpus(folder: Path) -> dict[str, bytes]:
    """The snippets and 400 random files (seeded: the same corpus each run), written to `folder`."""
    rng = random.Random(20240611)
    files = SNIPPETS + [random_file(rng) for _ in range(400)]
    named = {f"case-{n:04d}.properties": data for n, data in enumerate(files)}
    for name, data in named.items():
        (folder / name).write_bytes(data)
    return named


def javas_reading(java_classes, folder: Path) -> dict[str, object]:
    """Each file's properties as Java reads them ({key hex: value hex}), or the exception it throws."""
    java, classes = java_classes
    output = subprocess.run([java, "-cp", str(classes), "PropertiesLoad", str(folder)], capture_output=True,
                            text=True, check=True, timeout=60).stdout
    read: dict[str, object] = {}
    for line in output.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "FILE":
            name, entries = rest, {}
            read[name] = entries
        elif kind == "ERROR":
            read[name] = rest
        else:
            key, value = rest.split(" ")
            entries[key] = value
    return read


def ours(data: bytes) -> object:
    """The same file through doctor's reader, in the same form."""
    def utf16(text: str) -> str:
        return text.encode("utf-16-be", "surrogatepass").hex()
    try:
        return {utf16(key): utf16(value) for key, (value, _) in load(data).items()}
    except MalformedEscape:
        return "java.lang.IllegalArgumentException Malformed \\uxxxx encoding."


def test_properties_read_as_javas_properties_load(java_classes, tmp_path):
    files = corpus(tmp_path)
    java = javas_reading(java_classes, tmp_path)
    assert set(java) == set(files)
    read = {name: ours(data) for name, data in files.items()}
    differ = [name for name in files if read[name] != java[name]]
    assert not differ, "\n".join(f"{name}: {files[name]!r}\n  java: {java[name]}\n  ours: {read[name]}"
                                 for name in differ[:10])
    # the corpus reaches what it is for: errors, empty keys, values ending in whitespace, escaped surrogates
    results = list(java.values())
    assert sum(isinstance(r, str) for r in results) >= 20
    entries = [(k, v) for r in results if isinstance(r, dict) for k, v in r.items()]
    assert any(k == "" for k, _ in entries) and any(v.endswith(("0020", "0009", "000c")) for _, v in entries)
    assert any("d83dde00" in v for _, v in entries) and len(files) > 450


def test_the_line_of_each_property_and_of_a_malformed_escape():
    """The line a logical line starts on, counting \\r\\n as one line end; a malformed \\u names its line."""
    assert load(b"# c\r\na=1\\\r\n  2\r\n\rb = 3 \n") == {"a": ("12", 2), "b": ("3 ", 5)}
    with pytest.raises(MalformedEscape) as raised:
        load(b"a=1\nb=\\u12\n")
    assert raised.value.line == 2 and raised.value.partial == {"a": ("1", 1)}
