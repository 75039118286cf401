"""Text from certificates, peers and file names as it may be shown: one visible line, and UTF-8.

A subject, a SAN or a file name is chosen by whoever made the certificate or the file. Shown as it is, a
newline forges a log line, an escape sequence moves a terminal's cursor, a bidirectional override turns
text around, and a file name's bytes that are not UTF-8 stop the output. The command line, the pictures
and the reports all show such text through these two functions.
"""

import re

# C0 and C1 controls, DEL, line and paragraph separators, the bidirectional overrides, and the two
# non-characters XML refuses.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def printable(text: str) -> str:
    """`readable` text as one visible line: what a terminal or a parser would act on as backslash escapes."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}",
                       readable(text))


def readable(text: str) -> str:
    """Text as UTF-8 can carry it: a file name's bytes that are not UTF-8 (which Python holds as lone
    surrogates) as backslash escapes, bad\\xff.p12, where they would stop the output's encoding."""
    if text.isascii() or not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name decodes to
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
