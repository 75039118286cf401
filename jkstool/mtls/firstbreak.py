"""The first break: when a pair that passes today stops passing, if nothing is done.

Rather than a second copy of the rules (which anchors JSSE date-checks, when a
stale CRL refuses every client), the verdict itself is asked again at each
moment something ends: a second after the notAfter of each certificate of the
keystores and of the trust paths' anchors, and after each CRL's nextUpdate.
The first moment the checks find an error is the break; the findings new at
that moment say what broke.
"""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from cryptography import x509

from ..pki import certs
from .checks import Break, Ending, Report
from .findings import ERROR, Finding

_AFTER = timedelta(seconds=1)


def endings(report: Report, crls: list[tuple[str, x509.CertificateRevocationList]]) -> list[Ending]:
    """What can end the pair's passing, soonest first: each certificate of the two keystores, the anchor of
    each trust path (the target JDK's rules say whether its end matters), and each CRL's next update.
    The truststores' other anchors are on no path and cannot break it."""
    found = set()
    places = [(store.path, cert) for role, store in report.stores.items() if role.endswith("keystore")
              for entry in store.loaded.store for cert in entry.certificates]
    for side, trust_path in report.paths.items():
        truststore = report.stores[f"{'client' if side == 'server' else 'server'}-truststore"].path
        if trust_path.anchor is not None:
            places.append((truststore, trust_path.anchor.cert))
    for where, cert in places:
        facts = certs.facts(cert)
        found.add(Ending(facts.not_after, facts.subject or "a certificate", where))
    for path, crl in crls:
        if crl.next_update_utc is not None:
            found.add(Ending(crl.next_update_utc, f"the CRL of {crl.issuer.rfc4514_string()}", path))
    return sorted(found, key=lambda e: (e.at, e.what, e.where))


def first_break(verdict: Callable[[datetime], Report], base: Report, now: datetime | None,
                ends: list[Ending]) -> Break | None:
    """The first moment from `now` at which `verdict(moment)` has an error (`base` is the verdict now);
    None if none of `ends` brings one (a pinned certificate, say, is trusted as it is)."""
    now = now or datetime.now(timezone.utc)
    if _broken(base):
        return Break(now, (), _broken(base))
    known = {_key(f) for f in base.findings}
    for moment in sorted({e.at + _AFTER for e in ends if e.at + _AFTER > now}):
        broken = _broken(verdict(moment))
        if broken:
            ended = tuple(e for e in ends if e.at + _AFTER == moment)
            return Break(moment, ended, tuple(f for f in broken if _key(f) not in known) or broken)
    return None


def _broken(report: Report) -> tuple[Finding, ...]:
    """What fails the pair: its errors, and a stale CRL (a CRL given is one a server loads, and a server
    refuses every client once its CRL is stale)."""
    return tuple(f for f in report.findings if f.severity == ERROR or f.code == "crl-stale")


def _key(finding: Finding) -> tuple[str, str, str | None]:
    return finding.code, finding.store, finding.alias
