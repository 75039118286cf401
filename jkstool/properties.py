"""java.util.Properties.load(InputStream), as the JDK's LineReader and loadConvert read a file.

Kafka's properties and Tomcat's catalina.properties are read so, and Spring Boot's
application.properties nearly so: its OriginTrackedPropertiesLoader reads ISO-8859-1, the same
escapes and separators, and keeps a value's trailing whitespace; it differs in corners no TLS
setting reaches (it trims keys, drops an empty one, expands name[]=a,b lists, reads the line after a
lone backslash as a key even when it starts with #, and reads a \\u's four digits from the raw text,
across a line's end). tests/test_properties_java.py holds this reader to a real JVM's
Properties.load over a generated corpus of tricky files.

The rules, from the JDK's source: the bytes are ISO-8859-1; lines end at \\r\\n, \\r or \\n (a form
feed is a blank); a natural line's leading blanks (space, tab, form feed) go; a logical line goes on
in the next natural line when it ends in an odd run of backslashes, and a blank line after such a
line ends it; # and ! start a comment only at the start of a logical line; the key ends at the
first =, : or blank no backslash escapes, then blanks and at most one = or : go; the value keeps
its trailing whitespace; \\t \\n \\r \\f and \\uXXXX are escapes, a backslash before any other
character is that character, and a malformed \\uXXXX makes Java throw (IllegalArgumentException).
"""

import re
from collections.abc import Iterator

_LINE_END = re.compile(r"\r\n|\r|\n")
_BLANKS = " \t\f"
_SEPARATOR = re.compile(r"(?<!\\)[=: \t\f]")
"""A key's end: =, : or a blank, with no backslash left before it once escaped backslashes are masked."""
_AFTER_KEY = re.compile(r"[ \t\f]*(?:[=:][ \t\f]*)?")
"""Between a key and its value: blanks, at most one = or :, blanks."""
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|(u)|(.))", re.S)
"""An escape: \\uXXXX, a malformed \\u, or a backslash before any other character."""
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedEscape(ValueError):
    """A \\u not followed by four hex digits: Java's Properties.load throws, having put the entries
    before it (`partial`), which a runtime that catches the exception goes on with (Tomcat does)."""

    def __init__(self, line: int, partial: dict[str, tuple[str, int]]):
        super().__init__(f"line {line}: malformed \\uxxxx encoding")
        self.line, self.partial = line, partial


def load(data: bytes) -> dict[str, tuple[str, int]]:
    """The file's properties, key -> (value, the line its logical line starts on), as Java's
    Properties.load(InputStream) reads them: a key given twice takes its last value. Raises
    MalformedEscape. Linear in the file: one pass, a natural line at a time."""
    found: dict[str, tuple[str, int]] = {}
    for number, line in _logical_lines(data.decode("latin-1")):
        key, value = _split(line)
        try:
            found[_convert(key)] = (_convert(value), number)
        except ValueError:
            raise MalformedEscape(number, found) from None
    return found


def _natural_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """Each line with its number, split at \\r\\n, \\r and \\n only (str.splitlines splits at a form feed too,
    which Properties takes for a blank); and whether LineReader meets the end of the file as it reads the
    line's end: the last line's, unless that is \\r\\n (it looks past the \\r, and skips the \\n)."""
    start, number = 0, 1
    for end in _LINE_END.finditer(text):
        yield number, text[start:end.start()], end.end() == len(text) and end.group() != "\r\n"
        start, number = end.end(), number + 1
    if start < len(text):
        yield number, text[start:], True


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """LineReader.readLine: the logical lines, comments and blank lines left out, continuations joined
    (the backslash that continues a line dropped, the next line's leading blanks too)."""
    lines = _natural_lines(text)
    for number, line, at_end in lines:
        line = line.lstrip(_BLANKS)
        if not line or line[0] in "#!":
            continue
        if line == "\\" and not at_end:  # continues into nothing: the next line starts afresh, comment or not;
            continue  # but at the end of the file, Java reads it as an empty line: the key "", its value ""
        parts = []
        while _continued(line):
            parts.append(line[:-1])
            following = next(lines, None)
            line = following[1].lstrip(_BLANKS) if following else ""
            if not line:  # the end of the file, or a blank line, ends it
                break
        parts.append(line)
        yield number, "".join(parts)  # joined once: adding each line to those before was quadratic


def _continued(line: str) -> bool:
    """Whether the line ends in an odd number of backslashes (the last one escapes the line's end)."""
    return line.endswith("\\") and (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _split(line: str) -> tuple[str, str]:
    """The key and the value of a logical line, both still escaped. With each escaped backslash masked (the
    pairs of a run, from its left), a separator is escaped exactly when a backslash is left before it (a
    regex that could read a backslash two ways took exponential time on a key of backslashes)."""
    separator = _SEPARATOR.search(line.replace("\\\\", "\0\0") if "\\" in line else line)
    end = separator.start() if separator else len(line)
    after = _AFTER_KEY.match(line, end)
    return line[:end], line[after.end() if after else end:]


def _convert(text: str) -> str:
    """loadConvert: the escapes read. Java's strings are UTF-16: the \\u escapes of a surrogate pair make one
    character, and half of one stays as it is. Raises ValueError for a malformed \\u."""
    if "\\" not in text:
        return text
    converted = _ESCAPE.sub(_escaped, text)
    if _SURROGATE.search(converted) is None:
        return converted
    return converted.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _escaped(match: re.Match[str]) -> str:
    code, malformed, other = match.groups()
    if malformed:
        raise ValueError("malformed \\uxxxx encoding")
    if code:
        return chr(int(code, 16))
    return _ESCAPES.get(other, other)


_JAVA_BLANKS = "".join(map(chr, range(0x21)))


def java_trim(value: str) -> str:
    """Java's String.trim: every character up to U+0020 (controls too) off both ends, no other."""
    return value.strip(_JAVA_BLANKS)
