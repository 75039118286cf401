"""RFC 9579's PBMAC1, written again from the RFC for the tests, apart from jkstool's code.

It checks the MAC of a PKCS #12 file jkstool writes with an implementation jkstool does not
share (cryptography's PBKDF2 and HMAC, a DER reader of its own), and makes MacData with any
parameters — right or wrong — for the reader's tests, the MAC computed as the parameters say.
"""

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PBMAC1 = "1.2.840.113549.1.5.14"
PBKDF2 = "1.2.840.113549.1.5.12"
HMAC_OID = {"sha1": "1.2.840.113549.2.7", "sha256": "1.2.840.113549.2.9", "sha512": "1.2.840.113549.2.11"}
HASH = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha512": hashes.SHA512}
_NAMES = {oid: name for name, oid in HMAC_OID.items()}


# -- DER, the little the tests need ---------------------------------------------

def tlv(tag: int, content: bytes) -> bytes:
    n, width = len(content), (len(content).bit_length() + 7) // 8
    size = bytes([n]) if n < 0x80 else bytes([0x80 | width]) + n.to_bytes(width, "big")
    return bytes([tag]) + size + content


def seq(*parts: bytes) -> bytes:
    return tlv(0x30, b"".join(parts))


def octets(value: bytes) -> bytes:
    return tlv(0x04, value)


def integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.insert(0, 0x80 | (arc & 0x7F))
        body += bytes(chunk)
    return tlv(0x06, bytes(body))


def children(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """The TLVs inside `data`: (tag, content, whole encoding)."""
    found, pos = [], 0
    while pos < len(data):
        tag, size, pos_content = data[pos], data[pos + 1], pos + 2
        if size & 0x80:
            width = size & 0x7F
            size = int.from_bytes(data[pos + 2:pos + 2 + width], "big")
            pos_content += width
        end = pos_content + size
        found.append((tag, data[pos_content:end], data[pos:end]))
        pos = end
    return found


def _dotted(content: bytes) -> str:
    arcs, value = [content[0] // 40, content[0] % 40], 0
    for byte in content[1:]:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, arcs))


# -- PBMAC1 ------------------------------------------------------------------------

def authenticated_data(pfx: bytes) -> bytes:
    """What the MAC covers: the content of the PFX's authSafe (a ContentInfo of type data)."""
    (_, body, _), = children(pfx)
    _, auth_safe, _ = children(body)[1]
    _, explicit, _ = children(auth_safe)[1]
    (_, content, _), = children(explicit)
    return content


def mac(password: str, data: bytes, salt: bytes, iterations: int, key_length: int, prf: str, scheme: str) -> bytes:
    key = PBKDF2HMAC(HASH[prf](), key_length, salt, iterations).derive(password.encode("utf-8"))
    signer = hmac.HMAC(key, HASH[scheme]())
    signer.update(data)
    return signer.finalize()


def mac_data(pfx: bytes, password: str, *, salt: bytes = b"S" * 16, iterations: int = 2048, key_length=32,
             prf: str | None = "sha256", scheme: str = "sha256", salt_der: bytes | None = None,
             key_length_der: bytes | None = None, mac_salt: bytes | None = None, mac_iterations: int = 2048) -> bytes:
    """MacData for `pfx` as the parameters say, its MAC computed as a reader following them would.
    `salt_der`/`key_length_der` replace those fields' encodings (b"" leaves one out)."""
    params = [octets(salt) if salt_der is None else salt_der, integer(iterations),
              integer(key_length) if key_length_der is None else key_length_der]
    if prf:
        params.append(seq(oid(HMAC_OID[prf]), tlv(0x05, b"")))
    algorithm = seq(oid(PBMAC1), seq(seq(oid(PBKDF2), seq(*params)), seq(oid(HMAC_OID[scheme]), tlv(0x05, b""))))
    usable = 0 < key_length <= 64
    digest = mac(password, authenticated_data(pfx), salt, iterations, key_length if usable else 32,
                 prf or "sha1", scheme)
    return seq(seq(algorithm, octets(digest)), octets(mac_salt or salt), integer(mac_iterations))


def with_mac_data(pfx: bytes, new: bytes) -> bytes:
    (_, body, _), = children(pfx)
    version, auth_safe = children(body)[:2]
    return seq(version[2], auth_safe[2], new)


def verify(pfx: bytes, password: str) -> bool:
    """True when `pfx` carries a PBMAC1 MAC that RFC 9579's rules verify with `password`."""
    (_, body, _), = children(pfx)
    _, mac_data_content, _ = children(body)[2]
    (_, digest_info, _), _, _ = children(mac_data_content)[:3]
    (_, algorithm, _), (_, digest, _) = children(digest_info)
    (_, algorithm_oid, _), (_, params, _) = children(algorithm)
    assert _dotted(algorithm_oid) == PBMAC1
    (_, kdf, _), (_, scheme, _) = children(params)
    (_, kdf_oid, _), (_, pbkdf2, _) = children(kdf)
    assert _dotted(kdf_oid) == PBKDF2
    fields = children(pbkdf2)
    salt, iterations = fields[0][1], int.from_bytes(fields[1][1], "big")
    key_length = int.from_bytes(next(c for t, c, _ in fields[2:] if t == 0x02), "big")  # required (section 5)
    prfs = [children(c)[0][1] for t, c, _ in fields[2:] if t == 0x30]
    prf = _NAMES[_dotted(prfs[0])] if prfs else "sha1"
    expected = mac(password, authenticated_data(pfx), salt, iterations, key_length, prf,
                   _NAMES[_dotted(children(scheme)[0][1])])
    return expected == digest
