"""What verify-pair reports: findings, each with a stable code, a severity, where, what and the fix.

The codes are an interface: scripts match on them, and docs/findings.md
documents each one (a test keeps the two the same).
"""

from dataclasses import dataclass

ERROR, WARNING, INFO = "error", "warning", "info"

# Every finding code, as documented (with cause and fix) in docs/findings.md. They are stable:
# scripts match on them.
CODES = (
    "no-key-entry", "several-key-entries", "key-password-differs", "no-certificate", "key-cert-mismatch",
    "chain-order", "server-untrusted", "client-untrusted", "client-cert-not-sent", "cert-expired",
    "cert-not-yet-valid", "cert-expiring", "server-eku", "client-eku", "key-usage", "ca-not-ca", "path-length",
    "hostname-no-san", "hostname-mismatch", "weak-key", "weak-signature", "truststore-empty",
    "truststore-has-keys", "jks-format", "handshake-ok", "handshake-failed", "cert-revoked", "crl-stale",
    "crl-expiring", "crl-not-enforced",
)


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    store: str
    alias: str | None
    message: str
    fix: str
