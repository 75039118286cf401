"""Key entries and their chains: a new key, its request, a CA's reply, or a PEM key and its certificates.

The certificate must carry the key's own public key: installing a reply for
another key would leave a store Java cannot use ("the key does not match").
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

from cryptography.hazmat.primitives.serialization import Encoding, load_der_private_key

from ..errors import JkstoolError
from ..model import PrivateKeyEntry
from . import certs, issue


def _leaf_for(public_der: bytes, candidates: list[bytes]) -> bytes | None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    for data in candidates:
        spki = certs.load(data).public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        if spki == public_der:
            return data
    return None


def public_key_of(entry: PrivateKeyEntry) -> bytes:
    """The entry's public key (SubjectPublicKeyInfo DER), from its key or else its certificate."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if entry.key is not None:
        return load_der_private_key(entry.key, None).public_key().public_bytes(*spki)
    return certs.load(entry.chain[0]).public_key().public_bytes(*spki)


def install_reply(entry: PrivateKeyEntry, reply: list[bytes], pool: list[bytes]) -> PrivateKeyEntry:
    """`entry` with the CA's reply as its chain, completed from the reply, then `pool`, to a root."""
    leaf = _leaf_for(public_key_of(entry), reply)
    if leaf is None:
        raise JkstoolError("the reply is for another key: none of its certificates carries this entry's "
                           "public key", "check that this is the reply to this entry's request",
                           alias=entry.alias)
    chain = certs.complete_chain(leaf, [*reply, *pool])
    return replace(entry, chain=chain, created=datetime.now(timezone.utc))


def key_entry(alias: str, pkcs8: bytes, certificates: list[bytes]) -> PrivateKeyEntry:
    """A new key entry: the key, the certificate that carries its public key, and that
    certificate's issuers among `certificates`."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    public = load_der_private_key(pkcs8, None).public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    leaf = _leaf_for(public, certificates)
    if leaf is None:
        raise JkstoolError("the key does not belong to any of the certificates",
                           "give the certificate issued for this key, or this certificate's key", alias=alias)
    return PrivateKeyEntry(alias, pkcs8, certs.build_chain(leaf, certificates), datetime.now(timezone.utc))


def new_key_entry(alias: str, cn: str, key_type: str, days: int, sans: Sequence[str] = ()) -> PrivateKeyEntry:
    """A fresh key of `key_type` (one of issue.KEY_TYPES) with a self-signed placeholder certificate for `cn`
    and `sans`, valid `days`, as keytool -genkeypair makes."""
    key = issue.new_key(key_type)
    cert = issue.self_signed(key, cn, days, sans)
    return PrivateKeyEntry(alias, issue.pkcs8(key), (issue.der(cert),), datetime.now(timezone.utc))


def request_pem(entry: PrivateKeyEntry, sans: Sequence[str] = ()) -> bytes:
    """A PKCS#10 request (PEM) signed by the entry's key, for its certificate's subject, and its SANs unless
    `sans` names others (keytool -certreq)."""
    leaf = certs.load(entry.chain[0])
    request = issue.request(issue.load_pkcs8(entry.pkcs8()), leaf.subject, sans or issue.sans_of(leaf))
    return request.public_bytes(Encoding.PEM)


def chain_pem(certificates: Sequence[bytes]) -> bytes:
    """Certificates (DER) as one PEM text, in their order."""
    return issue.cert_pem(*(certs.load(c) for c in certificates))
