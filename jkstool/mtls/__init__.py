"""Will two sides complete a mutual-TLS handshake? Decided as JSSE decides it, and tried for real.

`checks` runs verify-pair's rules on the four stores as read; `findings`
holds what they report; `handshake` runs a real handshake, with JSSE (the
Java program in java/) when a JVM is found and Python's ssl otherwise.

May import: `jkstool.formats`, `jkstool.pki` and everything below them.
"""
