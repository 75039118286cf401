"""What Java's PKCS12 keystore writes into bag attributes, shared by the PKCS12 and PEM formats.

Java marks a certificate bag as a trusted-certificate entry with an
attribute of its own (without it, keytool lists the certificate as nothing
at all), and keeps an entry's creation date in its localKeyId as the text
"Time <milliseconds>". jkstool writes both, in PKCS12 and in the bag
attributes of its PEM output, so either reads back with the same entries.
"""

from datetime import datetime, timezone

from ..model import PrivateKeyEntry, Store, TrustedCertEntry

JAVA_TRUSTED_USAGE = "2.16.840.1.113894.746875.1.1"


def creation_date(key_id: bytes | None) -> datetime | None:
    """Java keeps an entry's creation date in its localKeyId, as "Time <millis>"."""
    if not key_id or not key_id.startswith(b"Time "):
        return None
    try:
        return datetime.fromtimestamp(int(key_id[5:]) / 1000, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def key_ids(store: Store) -> dict[str, bytes]:
    """A "Time <millis>" localKeyId for each key entry, from its creation date.

    Private keys made in the same millisecond would share an id, and OpenSSL
    pairs keys with certificates by id alone: such ties move one millisecond
    on. (Secret keys pair with nothing, so they keep their date exactly.)
    """
    now = int(datetime.now(timezone.utc).timestamp() * 1000)
    ids, taken = {}, set()
    for entry in store:
        if isinstance(entry, TrustedCertEntry):
            continue
        millis = int(entry.created.timestamp() * 1000) if entry.created else now
        if isinstance(entry, PrivateKeyEntry):
            while millis in taken:
                millis += 1
            taken.add(millis)
        ids[entry.alias.lower()] = f"Time {millis}".encode()
    return ids
