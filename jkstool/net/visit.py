"""What a client of the test endpoint showed: plain data, loaded without pyOpenSSL (the API names it)."""

from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass
class Visit:
    """What one client showed: its certificate's names, and whether it was accepted (else why not)."""

    address: str
    """The client's address and port."""
    subject: str | None = None
    issuer: str | None = None
    accepted: bool = False
    reason: str | None = None
    problems: list[str] = field(default_factory=list)
    at: datetime | None = None
    """When it was reported (its handshake and request over)."""

    @property
    def time(self) -> str:
        """`at` as serve logs it: 2025-01-31T12:00:00Z."""
        return (self.at or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def to_dict(self) -> dict[str, object]:
        """`serve --json`'s line for it."""
        return {"time": self.time, "client": self.address, "subject": self.subject, "issuer": self.issuer,
                "accepted": self.accepted, "reason": self.reason}
