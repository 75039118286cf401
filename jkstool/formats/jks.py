"""JKS, Java's original keystore format: read and write.

Keys are protected with Sun's JKS key protector under the store password (as
JSSE's default key manager expects); the container is shared with JCEKS
(see _keystore). A JKS store holds key entries and trusted certificates only.
"""

import struct
import time

from .. import der
from ..errors import JkstoolError, key_not_read
from ..model import Loaded, PrivateKeyEntry, Store, TrustedCertEntry
from . import _keystore
from ._keystore import PRIVATE_KEY, TRUSTED_CERT, java_utf_encode, keyed_digest
from ._opener import KeyOpener

MAGIC = b"\xfe\xed\xfe\xed"


def load(data: bytes, password: str | None, opener: KeyOpener) -> Loaded:
    """Read a JKS store; with no password, its certificates only, unverified."""
    return _keystore.load(data, password, opener, "JKS", _keystore.SecretKeys())


def dump(store: Store, password: str) -> bytes:
    """Write a JKS store, keys protected with the store password (as JSSE expects)."""
    parts = [MAGIC, struct.pack(">II", 2, len(store))]
    now = int(time.time() * 1000)
    for entry in store:
        created = int(entry.created.timestamp() * 1000) if entry.created else now
        header = java_utf_encode(entry.alias.lower()) + struct.pack(">q", created)
        if isinstance(entry, PrivateKeyEntry):
            parts += [struct.pack(">I", PRIVATE_KEY), header, _blob(_protected(entry, password)),
                      struct.pack(">I", len(entry.chain))]
            parts += [_cert_blob(cert) for cert in entry.chain]
        elif isinstance(entry, TrustedCertEntry):
            parts += [struct.pack(">I", TRUSTED_CERT), header, _cert_blob(entry.cert)]
        else:
            raise JkstoolError("a JKS store cannot hold a secret key",
                               "write PKCS12 instead: store_type='pkcs12'", alias=entry.alias)
    body = b"".join(parts)
    return body + keyed_digest(password, body)


def _blob(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _cert_blob(cert: bytes) -> bytes:
    return java_utf_encode("X.509") + _blob(cert)


def _protected(entry: PrivateKeyEntry, password: str) -> bytes:
    """The entry's key protected by its own password or the store's; a key kept sealed, as it was read."""
    if entry.key is not None:
        return _protect(entry.key, entry.key_password or password)
    if entry.sealed is not None:
        return entry.sealed
    raise key_not_read(entry.alias)


def _protect(pkcs8: bytes, password: str) -> bytes:
    from ._pyjks import sun_crypto
    algorithm_id = der.sequence(der.oid(_keystore.JKS_KEY_PROTECTOR), der.null())
    return der.sequence(algorithm_id, der.octets(sun_crypto.jks_pkey_encrypt(pkcs8, password)))
