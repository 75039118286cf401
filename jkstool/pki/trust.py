"""Adding CA certificates to a truststore: idempotently, and refusing what should not be trusted.

Pre-deploy scripts run `import-ca` on every deploy, so a certificate already
trusted is reported, not added twice, and a run that adds nothing leaves the
file untouched. A certificate that is not a CA, or has expired, is refused
when it comes alone and skipped (with the reason) when it comes in a bundle:
public bundles carry a few expired roots.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509

from ..errors import JkstoolError
from ..model import PrivateKeyEntry, Store, TrustedCertEntry
from . import certs


@dataclass
class ImportResult:
    added: list[TrustedCertEntry] = field(default_factory=list)
    present: list[TrustedCertEntry] = field(default_factory=list)
    skipped: list[tuple[bytes, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """`import-ca --json`: the certificates added, already present and skipped (with the reason)."""
        return {"added": [_item(e.alias, e.cert) for e in self.added],
                "present": [_item(e.alias, e.cert) for e in self.present],
                "skipped": [{"subject": subject(data), "sha256": certs.sha256(data), "reason": reason}
                            for data, reason in self.skipped]}

    def check_something_imported(self) -> None:
        """A bundle of which nothing could be trusted is an error (after its reasons are shown)."""
        if not self.added and not self.present:
            raise JkstoolError("nothing to import: every certificate was skipped",
                               "see the reasons given to skipped=...; allow_expired=True and allow_leaf=True "
                               "override them")


def subject(data: bytes) -> str:
    """A certificate's subject, as import-ca shows it."""
    return certs.subject_of(certs.load(data))


def _item(alias: str, data: bytes) -> dict[str, str]:
    return {"alias": alias, "subject": subject(data), "sha256": certs.sha256(data)}


def certificates_of_store(store: Store) -> list[bytes]:
    """A store's trusted certificates, and the top of each key entry's chain."""
    found = []
    for entry in store:
        if isinstance(entry, TrustedCertEntry):
            found.append(entry.cert)
        elif isinstance(entry, PrivateKeyEntry) and entry.chain:
            found.append(entry.chain[-1])
    return found


def is_ca(data: bytes) -> bool:
    constraints = certs.extension(certs.load(data), x509.BasicConstraints)
    return bool(constraints and constraints.ca)


def add_certificates(store: Store, candidates: list[tuple[str, bytes]], alias: str | None = None,
                     allow_leaf: bool = False, allow_expired: bool = False, now: datetime | None = None,
                     progress: Callable[[int], None] | None = None) -> ImportResult:
    """Add `candidates`, (source file, DER) pairs, to `store` as trusted entries; see the
    module's rules. `progress(candidates_done)` is called as it goes."""
    now = now or datetime.now(timezone.utc)
    single = len({data for _, data in candidates}) == 1
    if alias is not None and not single:
        raise JkstoolError("alias=... names one certificate, but there are several",
                           "leave alias=... out: aliases come from each certificate's subject")
    trusted = {certs.sha256(e.cert): e for e in store if isinstance(e, TrustedCertEntry)}
    taken = {e.alias.lower() for e in store}
    result, seen = ImportResult(), set()
    for done, (source, data) in enumerate(candidates, 1):
        if progress:
            progress(done)
        fingerprint = certs.sha256(data)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        if fingerprint in trusted:
            result.present.append(trusted[fingerprint])
            continue
        reason = _refusal(data, allow_leaf, allow_expired, now)
        if reason:
            if single:
                raise JkstoolError(f"the certificate {reason[0]}", reason[1], path=source)
            result.skipped.append((data, reason[0]))
            continue
        name = alias or certs.alias_for(data, taken)
        if name.lower() in taken:
            raise JkstoolError("another entry already has this alias", "choose another alias=...",
                               alias=name)
        entry = TrustedCertEntry(name, data, now)
        store.add(entry)
        taken.add(name.lower())
        result.added.append(entry)
    return result


def _refusal(data: bytes, allow_leaf: bool, allow_expired: bool, now: datetime) -> tuple[str, str] | None:
    """(why, fix) when a certificate should not be trusted, else None."""
    try:
        certs.load(data)
    except JkstoolError as e:
        return e.what.removeprefix("a certificate "), "ask its issuer for the certificate again"
    if not allow_leaf and not is_ca(data):
        return ("is not a CA (no basicConstraints CA:true)",
                "trust the CA that issued it, or give allow_leaf=True to pin this very certificate")
    not_after = certs.load(data).not_valid_after_utc
    if not allow_expired and not_after < now:
        return (f"expired on {not_after:%Y-%m-%d}", "give allow_expired=True to trust it anyway")
    return None
