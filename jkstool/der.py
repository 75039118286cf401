"""A small, strict DER reader and writer: just what PKCS#12 and PKCS#8 need.

pyasn1 decodes a 10,000-certificate PKCS#12 in seconds; walking the same
bytes here takes milliseconds. Every declared length is checked against what
remains before anything is sliced, so damaged input fails fast and cleanly.
BER's indefinite lengths and constructed OCTET STRINGs (Bouncy Castle writes
them) are read too; everything written is DER.
"""

from collections.abc import Iterable

from . import limits

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
BMP_STRING = 0x1E



class DerError(ValueError):
    """The bytes are not the DER structure they should be."""


def context(number: int, constructed: bool = True) -> int:
    """The tag of a context-specific field, `[number]`."""
    return 0x80 | (0x20 if constructed else 0) | number


def header(data: bytes, pos: int) -> tuple[int, int, int | None]:
    """Read one tag and length: (tag, content start, content length or None)."""
    if pos + 2 > len(data):
        raise DerError("truncated")
    tag, first = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used here")
    pos += 2
    if first < 0x80:
        return tag, pos, first
    if first == 0x80:
        if not tag & 0x20:
            raise DerError("indefinite length on a primitive value")
        return tag, pos, None
    count = first & 0x7F
    if count > 4 or pos + count > len(data):
        raise DerError("bad length")
    length = int.from_bytes(data[pos:pos + count], "big")
    return tag, pos + count, length


def _read(data: bytes, pos: int, depth: int = 0) -> tuple[int, bytes, int]:
    """Read the value at pos: (tag, content, position after it). Each byte is read once, however deep
    indefinite lengths nest (re-reading them per level would double the work at every level)."""
    if depth > limits.ASN1_DEPTH:
        raise DerError("nested too deeply")
    tag, start, length = header(data, pos)
    if length is not None:
        end = start + length
        if end > len(data):
            raise DerError("truncated")
        if tag == OCTET_STRING | 0x20:
            return OCTET_STRING, b"".join(c for _, c in _items(data[start:end], depth + 1)), end
        return tag, data[start:end], end
    children, end = [], start
    while data[end:end + 2] != b"\x00\x00":
        child_tag, child, end = _read(data, end, depth + 1)
        children.append((child_tag, child))
    if tag == OCTET_STRING | 0x20:
        return OCTET_STRING, b"".join(c for _, c in children), end + 2
    return tag, encode_items(children), end + 2


def _items(data: bytes, depth: int) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(data):
        tag, content, pos = _read(data, pos, depth)
        out.append((tag, content))
    return out


def decode(data: bytes, tag: int | None = None) -> bytes:
    """The content of the one value that makes up `data` (checked against `tag`)."""
    found, content, end = _read(data, 0)
    if end != len(data):
        raise DerError("trailing data")
    if tag is not None and found != tag:
        raise DerError(f"expected tag {tag:#x}, found {found:#x}")
    return content


def items(content: bytes) -> list[tuple[int, bytes]]:
    """The values inside a constructed value's content, as (tag, content)."""
    return _items(content, 1)


def fields(content: bytes, *tags: int | None, optional: tuple[int, ...] = ()) -> list[bytes]:
    """The contents of a SEQUENCE whose leading fields must have `tags` (None: any tag), and the
    fields after them, where present, the `optional` tags."""
    found = items(content)
    if len(found) < len(tags):
        raise DerError("too few fields")
    for (tag, _), want in zip(found, tags + optional, strict=False):
        if want is not None and tag != want:
            raise DerError(f"expected tag {want:#x}, found {tag:#x}")
    return [c for _, c in found]


def to_int(content: bytes) -> int:
    return int.from_bytes(content, "big", signed=True)


def to_oid(content: bytes) -> str:
    if not content or content[-1] & 0x80:
        raise DerError("bad object identifier")
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, [first, arcs[0] - 40 * first, *arcs[1:]]))


# -- writing -----------------------------------------------------------------

def encode(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


def encode_items(values: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(encode(tag, content) for tag, content in values)


def sequence(*parts: bytes) -> bytes:
    return encode(SEQUENCE, b"".join(parts))


def set_of(*parts: bytes) -> bytes:
    """A SET OF, its members sorted as DER requires."""
    return encode(SET, b"".join(sorted(parts)))


def octets(value: bytes) -> bytes:
    return encode(OCTET_STRING, value)


def integer(value: int) -> bytes:
    return encode(INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def null() -> bytes:
    return encode(NULL, b"")


def bmp_string(text: str) -> bytes:
    return encode(BMP_STRING, text.encode("utf-16-be"))


def explicit(number: int, inner: bytes) -> bytes:
    return encode(context(number), inner)


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return encode(OID, bytes(body))
