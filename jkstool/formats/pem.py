"""PEM read and write: certificate bundles, private keys, and whole stores.

A whole store written as PEM keeps what a keystore knows in the
`Bag Attributes` headers that `openssl pkcs12` prints: friendlyName (the
alias), localKeyID (pairing a key with its chain, and Java's "Time <millis>"
creation date) and Java's trusted-usage marker on trusted certificates.
Reading such a file back rebuilds the same store; a plain bundle (no
headers) reads as keys with their chains, and every other certificate as a
trusted entry.
"""

import base64
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .. import der, limits
from ..errors import JkstoolError, key_not_read, wrong_key_password
from ..model import Loaded, PrivateKeyEntry, SecretKeyEntry, Store, TrustedCertEntry
from ..pki.certs import load as load_certificate
from . import _pbe as pbe
from ._javaattrs import JAVA_TRUSTED_USAGE, creation_date, key_ids
from ._opener import KeyOpener

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_CERT_LABELS = {"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"}
_KEY_LABELS = {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY",
               "EC PRIVATE KEY", "DSA PRIVATE KEY"}
_QUIET_LABELS = {"EC PARAMETERS"}  # what `openssl ecparam -genkey` puts before a key


@dataclass
class _Block:
    label: str
    text: str
    name: str | None = None
    key_id: bytes | None = None
    trusted: bool = False
    data: bytes = field(default=b"", repr=False)


def is_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:65536]


def _lines(data: bytes) -> Iterator[str]:
    """The lines of `data`, decoded one at a time: no copy of the whole file as text."""
    start, end = 0, len(data)
    while start < end:
        stop = data.find(b"\n", start)
        stop = end if stop < 0 else stop
        yield data[start:stop].decode("utf-8", "replace").strip()
        start = stop + 1


def _blocks(data: bytes) -> list[_Block]:
    """PEM blocks with the attribute lines written above them, in one pass over the lines, taken one at a
    time (a regular expression across the text would be quadratic on unterminated blocks, a list of all
    lines many times the file's size). A block is at most limits.PEM_BLOCK_CHARS long; of the lines
    above it, the last few are kept (Bag Attributes are three or four)."""
    blocks: list[_Block] = []
    header: deque[str] = deque(maxlen=16)
    body: list[str] | None = None
    label, size = "", 0
    for stripped in _lines(data):
        if body is None:
            begin = _BEGIN.fullmatch(stripped)
            if begin:
                label, body, size = begin.group(1), [stripped], len(stripped)
            else:
                header.append(stripped)
        else:
            body.append(stripped)
            size += len(stripped) + 1
            if size > limits.PEM_BLOCK_CHARS:
                raise limits.exceeded(f"a {label} block is longer than {limits.PEM_BLOCK_CHARS:,} characters")
            if stripped == f"-----END {label}-----":
                blocks.append(_headed(_Block(label, "\n".join(body) + "\n"), list(header)))
                header.clear()
                body = None
                if len(blocks) > limits.max_entries():
                    raise limits.too_many("PEM blocks", "JKSTOOL_MAX_ENTRIES")
            elif begin := _BEGIN.fullmatch(stripped):  # an unterminated block: start again here
                label, body, size = begin.group(1), [stripped], len(stripped)
    return blocks


def _headed(block: _Block, header: list[str]) -> _Block:
    """`block` with what its Bag Attributes lines say."""
    for line in header:
        name, _, value = line.partition(":")
        if name == "friendlyName":
            block.name = value.strip()
        elif name == "localKeyID":
            try:
                block.key_id = bytes.fromhex(value.replace(" ", ""))
            except ValueError:
                raise JkstoolError("a localKeyID header is not hex") from None
        elif name == JAVA_TRUSTED_USAGE:
            block.trusted = True
    return block


def _base64(block: _Block) -> bytes:
    body = block.text.split("-----", 2)[2].rsplit("-----END", 1)[0]
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except ValueError:  # binascii.Error, or characters outside ASCII
        raise JkstoolError(f"a {block.label} block is not valid base64",
                           "the file was damaged: export it again") from None


def _certificate(block: _Block) -> bytes:
    data = _base64(block)
    if block.label == "TRUSTED CERTIFICATE":  # OpenSSL's X509_AUX: the certificate comes first
        _, start, length = der.header(data, 0)
        data = data[:start + (length or 0)]
    return data


def certificate_blocks(data: bytes) -> list[bytes]:
    """The DER of every certificate block in a PEM text, in order."""
    return [_certificate(b) for b in _blocks(data) if b.label in _CERT_LABELS]


def load(data: bytes, password: str | None, opener: KeyOpener) -> Loaded:
    """Read PEM certificates and keys; keys that are encrypted need the key password."""
    keys, certs, skipped = [], [], 0
    for block in _blocks(data):
        if block.label in _CERT_LABELS:
            block.data = _certificate(block)
            certs.append(block)
        elif block.label in _KEY_LABELS:
            keys.append((block, *_key(block, opener)))
        elif block.label not in _QUIET_LABELS:
            skipped += 1
    if not keys and not certs:
        raise JkstoolError("no certificate or private key in this PEM file",
                           "give a file with -----BEGIN CERTIFICATE----- blocks")
    store = _assemble(keys, certs)
    warnings = [f"{skipped} PEM block(s) that are neither certificates nor private keys "
                "were skipped"] if skipped else []
    return Loaded("PEM", store, verified=None, warnings=warnings)


def _key(block: _Block, opener: KeyOpener) -> tuple[bytes | None, str | None]:
    """(PKCS#8 DER of a key block, its own password); no key when it is encrypted and keys
    are not read."""
    encrypted = block.label == "ENCRYPTED PRIVATE KEY" or "ENCRYPTED" in block.text
    if not encrypted:
        return _private_key(block, None), None
    opened: tuple[bytes | None, str | None] = opener.open(lambda password: _private_key(block, password),
                                                          block.name)
    return opened


def _private_key(block: _Block, password: str | None) -> bytes:
    """PKCS#8 DER of a key block, decrypted with `password` if it is encrypted (None: it is not)."""
    if block.label == "PRIVATE KEY":
        return _checked(_base64(block), block)
    encrypted = block.label == "ENCRYPTED PRIVATE KEY" or "ENCRYPTED" in block.text
    if block.label == "ENCRYPTED PRIVATE KEY" and password is not None:
        try:
            return _checked(pbe.decrypt_pkcs8(_base64(block), password), block)
        except pbe.PbeError:
            raise wrong_key_password(block.name) from None
        except (pbe.UnsupportedPbe, der.DerError):
            pass  # schemes only OpenSSL knows (scrypt, ...): cryptography reads them below
    return _via_cryptography(block, password if encrypted else None)


def _checked(pkcs8: bytes, block: _Block) -> bytes:
    """`pkcs8`, once cryptography has parsed it: a broken key must not reach a keystore."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_der_private_key
    try:
        load_der_private_key(pkcs8, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise JkstoolError(f"a {block.label} block does not hold a valid private key",
                           "check that the file holds an unbroken PEM key", alias=block.name) from None
    return pkcs8


def _via_cryptography(block: _Block, password: str | None) -> bytes:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    try:
        key = serialization.load_pem_private_key(
            block.text.encode(), password.encode() if password is not None else None)
    except (TypeError, ValueError) as e:
        if password is not None and ("password" in str(e).lower() or "decrypt" in str(e).lower()):
            raise wrong_key_password(block.name) from None
        raise JkstoolError(f"a {block.label} block cannot be read as a private key",
                           "check that the file holds an unbroken PEM key", alias=block.name) from None
    except UnsupportedAlgorithm as e:
        raise JkstoolError(f"unsupported private key ({type(e).__name__})", alias=block.name) from None
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _assemble(keys: list[tuple[_Block, bytes | None, str | None]], certs: list[_Block]) -> Store:
    from ..pki.certs import Pool, alias_for, build_chain
    pool = Pool([c.data for c in certs] if keys else [])  # only keys need chains: without keys, nothing is parsed
    by_key_id: dict[bytes, list[int]] = {}
    for i, cert in enumerate(certs):
        if cert.key_id:
            by_key_id.setdefault(cert.key_id, []).append(i)
    leaves = _Leaves(certs)
    used: set[int] = set()
    entries: list[PrivateKeyEntry | TrustedCertEntry] = []
    for block, pkcs8, own in keys:
        same_id = by_key_id.get(block.key_id, []) if block.key_id else []
        if len(same_id) > 1:
            chain = tuple(certs[i].data for i in same_id)
        else:
            leaf = same_id[0] if same_id else leaves.find(pkcs8, used)
            chain = build_chain(certs[leaf].data, pool) if leaf is not None else ()
            in_chain = set(chain)
            same_id = [i for i, c in enumerate(certs) if c.data in in_chain and not c.trusted] if chain else []
        used.update(same_id)
        entries.append(PrivateKeyEntry(block.name or "", pkcs8, chain, creation_date(block.key_id), own))
    for i, cert in enumerate(certs):
        if i not in used:
            entries.append(TrustedCertEntry(cert.name or "", cert.data))
    store = Store()
    taken: set[str] = set()
    for entry in entries:
        alias = entry.alias
        if not alias or alias.lower() in taken:
            alias = alias_for(entry.certificates[0], taken) if entry.certificates else _free("key", taken)
        taken.add(alias.lower())
        store.add(_renamed(entry, alias))
    return store


class _Leaves:
    """Finds the certificate of a key that came without localKeyID: by its public key when the key
    was decrypted (whatever chain it is in too), else the first certificate not yet taken. Public keys
    are read once."""

    def __init__(self, certs: list[_Block]):
        self.certs = certs
        self.free = [i for i, c in enumerate(certs) if not c.trusted and not c.key_id]
        self._by_public_key: dict[bytes, int] | None = None

    def find(self, pkcs8: bytes | None, used: set[int]) -> int | None:
        if pkcs8 is None:
            return next((i for i in self.free if i not in used), None)
        if self._by_public_key is None:
            self._by_public_key = {}
            for i in self.free:
                self._by_public_key.setdefault(_spki(load_certificate(self.certs[i].data).public_key()), i)
        from cryptography.hazmat.primitives.serialization import load_der_private_key
        # a certificate in another key's chain is still this key's own (an intermediate CA's key beside a leaf's)
        return self._by_public_key.get(_spki(load_der_private_key(pkcs8, None).public_key()))


def _spki(public_key: "PublicKeyTypes") -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _free(base: str, taken: set[str]) -> str:
    n, alias = 1, base
    while alias in taken:
        n, alias = n + 1, f"{base}-{n + 1}"
    return alias


def _renamed(entry: PrivateKeyEntry | TrustedCertEntry, alias: str) -> PrivateKeyEntry | TrustedCertEntry:
    return entry if entry.alias == alias else replace(entry, alias=alias)


# -- writing -------------------------------------------------------------------

def armor(label: str, data: bytes) -> str:
    body = base64.b64encode(data).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def key_pem(pkcs8: bytes, password: str | None) -> str:
    """A PKCS#8 key as PEM: encrypted (PBES2, AES-256) with `password`, or in the clear without one."""
    if password is None:
        return armor("PRIVATE KEY", pkcs8)
    return armor("ENCRYPTED PRIVATE KEY", pbe.encrypt_pkcs8(pkcs8, password))


def _attributes(alias: str, key_id: bytes | None = None, trusted: bool = False) -> list[str]:
    """The Bag Attributes lines above an entry's blocks, as `openssl pkcs12` prints them. An alias they
    cannot carry as it is (a line break would end the line and start one of the file's own; spaces at its
    ends are read as the line's) is refused rather than changed."""
    if not alias or alias != alias.strip() or any(ch < " " or ch == "\x7f" for ch in alias):
        raise JkstoolError("a PEM file cannot keep this alias as it is (empty, spaces at an end, or a control "
                           "character)", "give the entry another alias first: jkstool rename", alias=alias)
    lines = ["Bag Attributes", f"    friendlyName: {alias}"]
    if key_id:
        lines.append("    localKeyID: " + " ".join(f"{b:02X}" for b in key_id))
    if trusted:
        lines.append(f"    {JAVA_TRUSTED_USAGE}: <Unsupported tag 6>")
    return lines


def _cert_text(cert: bytes, header: list[str]) -> str:
    from ..pki.certs import facts
    known = facts(cert)
    lines = [*header, f"subject={known.subject}", f"issuer={known.issuer}"]
    return "\n".join(lines) + "\n" + armor("CERTIFICATE", cert)


def dump(store: Store, password: str | None, encrypt_keys: bool = True) -> bytes:
    """The whole store as PEM; keys encrypted with `password` unless `encrypt_keys` is off."""
    ids = key_ids(store)
    parts = []
    for entry in store:
        if isinstance(entry, SecretKeyEntry):
            raise JkstoolError("a PEM file cannot hold a secret key",
                               "write PKCS12 instead: store_type='pkcs12'", alias=entry.alias)
        if isinstance(entry, TrustedCertEntry):
            parts.append(_cert_text(entry.cert, _attributes(entry.alias, trusted=True)))
            continue
        if entry.key is None:
            raise key_not_read(entry.alias)
        header = _attributes(entry.alias, ids[entry.alias.lower()])
        secret = entry.key_password or password
        if encrypt_keys and secret is None:
            raise JkstoolError("an encrypted PEM key needs a password",
                               "give dest_password=..., or encrypt_keys=False", alias=entry.alias)
        key_text = key_pem(entry.key, secret if encrypt_keys else None)
        parts.append("\n".join([*header, "Key Attributes: <No Attributes>"]) + "\n" + key_text)
        parts += [_cert_text(cert, header) for cert in entry.chain]
    return "".join(parts).encode()
