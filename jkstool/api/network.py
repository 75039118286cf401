"""Mutual TLS on the wire: what a live server presents and asks for (`probe`: openssl s_client, from Java
stores), and a test endpoint from a server's stores (`serve`), for partners to try their client set-up on.

Both read their stores when called (a store in a Kubernetes Secret, named
SOURCE#SECRET/KEY, too); what reading one noticed (a key file others can
read, a name that says another type) goes to `noticed(path, message)` as it
is read. pyOpenSSL loads only when they run.

Around them, keytool's habits: `save_chain` trusts what a probed server
presented (what InstallCert does by hand), and `server_chain` is a server's
chain as `keytool -printcert -sslserver` shows it (a file's is
`certificates.read_certificates`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import JkstoolError
from ..layout.manifest import find_stores, generated_password
from ..model import Loaded, PrivateKeyEntry, TrustedCertEntry
from ..net.visit import Visit
from .checks import layout_crls, read_crls
from .stores import import_ca, read_store

if TYPE_CHECKING:
    from ..pki.trust import ImportResult

__all__ = ["probe", "ProbeResult", "ServerCertificate", "serve", "Listening", "Visit", "save_chain", "server_chain"]

StrPath = str | Path
Noticed = Callable[[Path, str], None]


@dataclass(frozen=True)
class ServerCertificate:
    """One certificate of the chain a server presented (one no parser takes, as far as its DER tells)."""

    subject: str
    issuer: str
    serial: str
    sha256: str
    not_after: datetime
    der: bytes = field(repr=False)
    """The certificate as the server sent it."""

    def to_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "issuer": self.issuer, "serial": self.serial, "sha256": self.sha256,
                "not_after": self.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")}


@dataclass
class ProbeResult:
    """What a live server presented and asked for, and whether the client was accepted (`probe`)."""

    host: str
    port: int
    connected: bool
    error: str | None
    """Why the connection or the handshake failed."""
    protocol: str | None
    cipher: str | None
    chain: list[ServerCertificate]
    """The server's chain, leaf first."""
    trusted: bool | None
    """Whether the chain leads to the truststore (None: no truststore given)."""
    anchor: str | None
    """The subject of the truststore's certificate the chain leads to."""
    broken_at: str | None
    """The subject of the certificate where the chain stops leading to the truststore."""
    name_matches: bool | None
    """Whether the server's certificate names the host dialled (or `servername`) in its SANs."""
    requested: bool
    """Whether the server asked for a client certificate."""
    acceptable: list[str]
    """The CA names the server accepts client certificates from (what Java's key manager matches)."""
    keystore_acceptable: bool | None
    """Whether the keystore's chain has a certificate issued by one of them (None: not asked, or no keystore)."""
    handshake_ok: bool
    """Whether the server accepted the client: the handshake completed and a request was answered."""
    rejected: str | None
    """What the server said when it refused the client after the handshake."""
    no_answer: bool
    """Whether the server closed the connection without a TLS alert or any answer: during the handshake (a
    service that does not speak TLS, or drops what it refuses), or after it, the request unanswered (one that
    does not speak HTTP). Not proof that it refused the client: after the handshake, no problem."""
    revoked: str | None
    """The CRL that lists a certificate of the server's chain, when one does."""
    crl_missing: list[str]
    """With `crls`: the subjects of the chain's certificates whose issuer no CRL given is from (a client
    checking revocation needs one at every level)."""
    problems: list[str]
    """Why this is not a working mutual-TLS connection; empty when it is."""
    warnings: list[str] = field(default_factory=list)
    """What reading the stores noticed, each `PATH: message`."""
    expected_sha256: str | None = None
    """`expect_sha256` as jkstool writes fingerprints (lowercase hex), when given."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unexpected(self) -> bool:
        """Whether the server presents another certificate than `expect_sha256` (then the last problem)."""
        return self.expected_sha256 is not None and (not self.chain or self.chain[0].sha256 != self.expected_sha256)

    def to_dict(self) -> dict[str, object]:
        """`probe --json`."""
        return {
            "ok": self.ok, "host": self.host, "port": self.port, "connected": self.connected,
            "protocol": self.protocol, "cipher": self.cipher, "chain": [c.to_dict() for c in self.chain],
            "trusted": self.trusted, "name_matches": self.name_matches,
            "client_cert_requested": self.requested, "acceptable_cas": self.acceptable,
            "keystore_matches": self.keystore_acceptable, "handshake_ok": self.handshake_ok,
            "rejected": self.rejected, "no_answer": self.no_answer, "revoked": self.revoked,
            "crl_missing": self.crl_missing, "expected_sha256": self.expected_sha256, "problems": self.problems}


def probe(host: str, port: int, *, servername: str | None = None, timeout: float = 10,
          keystore: StrPath | None = None, truststore: StrPath | None = None, password: str | None = None,
          keystore_password: str | None = None, truststore_password: str | None = None,
          crls: Iterable[StrPath] = (), expect_sha256: str | None = None,
          noticed: Noticed | None = None) -> ProbeResult:
    """Connect to a live server as a Java client of these stores would, and say what it saw.

    The server's chain is checked against `truststore` (as Java's PKIX does)
    and `crls`, its certificate against the name dialled (`servername`, sent
    as SNI, else `host`). `keystore`'s first key entry is presented when the
    server asks for a client certificate; its own certificate is checked
    first (dates, clientAuth). A request is sent after the handshake, so a
    server that refuses the client then (an alert, nginx's HTTP 400) is
    caught, and one that closes without a word is said (`no_answer`), not
    taken for a refusal. With `expect_sha256` (hex, colons allowed), a server
    presenting another certificate is a problem (a deploy check). `password`
    opens both stores, unless `keystore_password` or `truststore_password` is
    given. A server that cannot be reached is a result (`connected` False),
    not an error.

    >>> import socket
    >>> with socket.socket() as unused:
    ...     unused.bind(("127.0.0.1", 0))
    ...     port = unused.getsockname()[1]
    >>> result = probe("127.0.0.1", port, timeout=2)
    >>> result.connected, result.ok, result.problems[0].startswith("cannot connect to 127.0.0.1:")
    (False, False, True)
    """
    from ..net import probe as wire
    from ..pki import certs
    expected = _sha256_given(expect_sha256) if expect_sha256 else None
    warnings: list[str] = []

    def said(path: Path, message: str) -> None:
        warnings.append(f"{path}: {message}")
        if noticed:
            noticed(path, message)
    key_entry = _key_entry(keystore, _either(keystore_password, password), said) if keystore else None
    anchors = _anchors(truststore, _either(truststore_password, password), said) if truststore else None
    own = wire.keystore_problems(key_entry) if key_entry else []
    revocations = [found for p in crls for found in read_crls(p)]
    result = wire.probe(host, port, servername, timeout, key_entry, anchors, revocations)
    problems = own + result.problems(keystore is not None, truststore is not None)
    chain = [ServerCertificate(f.subject, f.issuer, f.serial, f.sha256, f.not_after, der)
             for f, der in zip(map(certs.facts, result.chain), result.chain, strict=True)]
    path = result.trust
    found = ProbeResult(
        host, port, result.connected, result.error, result.protocol, result.cipher, chain,
        None if path is None else path.ok,
        certs.facts(path.anchor.cert).subject if path is not None and path.anchor else None,
        certs.facts(path.broken_at).subject if path is not None and path.broken_at else None,
        result.name_matches, result.requested, result.acceptable, result.keystore_acceptable, result.handshake_ok,
        result.rejected, result.no_answer, result.revoked, result.uncovered, problems, warnings, expected)
    if found.unexpected:
        problems.append(f"the server presents {chain[0].sha256 if chain else 'no certificate'}, not the "
                        f"certificate expected ({expected}: expect_sha256=...)")
    return found


def _sha256_given(text: str) -> str:
    """A SHA-256 fingerprint as given (keytool's AB:CD:..., or plain hex), as jkstool writes them."""
    plain = text.replace(":", "").strip().lower()
    if len(plain) != 64 or any(c not in "0123456789abcdef" for c in plain):
        raise JkstoolError(f"{text!r} is not a SHA-256 fingerprint", "give expect_sha256=... as 64 hex digits, "
                           "with or without colons")
    return plain


_NO_CHAIN_FIX = "check the host and port"


def save_chain(result: ProbeResult, truststore: StrPath, *, password: str | None,
               allow_weak: bool = False) -> "ImportResult":
    """Trust what a probed server presented, as InstallCert does by hand: the top certificate of its chain
    (the last one it sent: the CA the chain ends at; a server that sends only its own certificate, that one,
    pinned) added to `truststore`, created when missing, through `import_ca` (idempotent, locked, written
    atomically; the type from the name). A truststore holds anchors, not leaves, so the rest of the chain is
    not added: the server's renewed certificate from the same CA is still trusted.

    A server presents whatever it holds: compare the SHA-256 of what was added with its owner's, out of band,
    before relying on it. A probe whose `expect_sha256` the server did not present saves nothing: that pin is
    the out-of-band check, and it failed. A top certificate that has expired is refused: a client fails on it anyway.
    """
    from ..pki import certs
    where = f"{result.host}:{result.port}"
    if result.unexpected:
        raise JkstoolError("nothing was saved: the server presents another certificate than the one expected",
                           "check which server answers, and the SHA-256 its owner gave (expect_sha256=...)",
                           path=where)
    if not result.chain:
        raise JkstoolError(f"nothing was saved: {result.error or 'the server presented no certificate'}",
                           _NO_CHAIN_FIX, path=where)
    top = result.chain[-1].der
    try:
        expires = certs.load(top).not_valid_after_utc
    except JkstoolError as e:
        raise e.at(path=where) from None
    if expires < datetime.now(timezone.utc):
        raise JkstoolError(f"the certificate at the top of the server's chain expired on {expires:%Y-%m-%d}, so "
                           "nothing was saved", "have the server's chain renewed, then save it again", path=where)
    return import_ca(truststore, [(where, top)], password=password, allow_leaf=True, allow_weak=allow_weak)


def server_chain(host: str, port: int, *, servername: str | None = None, timeout: float = 10) -> list[bytes]:
    """The certificates a server presents (DER, in the order sent: its own first), as `keytool -printcert
    -sslserver` shows them: a handshake without a client certificate and no request, the chain taken even
    from a handshake the server then fails. A server that sends none (unreachable, not speaking TLS) is a
    JkstoolError.
    """
    from ..net import probe as wire
    result = wire.probe(host, port, servername, timeout, None, None, request=False)
    if not result.chain:
        raise JkstoolError(f"no certificate: {result.error or 'the server sent none'}", _NO_CHAIN_FIX,
                           path=f"{host}:{port}")
    return result.chain


@dataclass(frozen=True)
class Listening:
    """What `serve` tells `ready` once it listens."""

    host: str
    port: int
    """The port it listens on (a free one, when 0 was asked)."""
    accepted: list[str]
    """The aliases of the truststore's certificates: the CAs whose clients it accepts."""


def serve(folder: StrPath | None = None, *, keystore: StrPath | None = None, truststore: StrPath | None = None,
          password: str | None = None, keystore_password: str | None = None,
          truststore_password: str | None = None, crls: Iterable[StrPath] = (), host: str = "127.0.0.1",
          port: int = 8443, once: bool = False, report: Callable[[Visit], None],
          ready: Callable[[Listening], None] | None = None, noticed: Noticed | None = None) -> None:
    """A mutual-TLS test endpoint from a server's stores, until interrupted (or one client, with `once`).

    The stores are a layout folder's server side (its layout.json's, else the
    conventional names), whose CRLs it also refuses clients by, or `keystore`
    and `truststore`. Like a JSSE server it requires a client certificate,
    naming the truststore's subjects as acceptable CAs; unlike one it says
    what it saw: `report(visit)` for each client, one at a time (`visit.subject`,
    `issuer`, `accepted`, `reason`, `to_dict()`). `ready(listening)` is called
    once it listens. `password` opens both stores (for a layout, its
    `storepass` file when not given), unless `keystore_password` or
    `truststore_password` is given. A port it cannot listen on is a
    JkstoolError.
    """
    from ..net import endpoint
    if folder is not None:
        folder = Path(folder)
        if keystore or truststore:
            raise JkstoolError("give a layout folder, or a keystore and a truststore, not both", path=str(folder))
        stores = find_stores(folder)
        keystore, truststore = stores["server-keystore"], stores["server-truststore"]
        crls = [*crls, *layout_crls(folder)]
        password = generated_password(folder) if password is None else password
    if keystore is None or truststore is None:
        raise JkstoolError("nothing to serve", "give a layout folder, or a keystore and a truststore")
    said = noticed or (lambda path, message: None)
    key_entry = _key_entry(keystore, _either(keystore_password, password), said)
    anchors = _anchors(truststore, _either(truststore_password, password), said)
    revocations = [found for p in crls for found in read_crls(p)]
    accepted = [a.alias for a in anchors]

    def listening(bound: int) -> None:
        if ready:
            ready(Listening(host, bound, accepted))
    try:
        endpoint.serve(host, port, key_entry, anchors, once, report, listening, revocations)
    except OSError as e:
        raise JkstoolError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def _either(own: str | None, shared: str | None) -> str | None:
    return own if own is not None else shared


def _read(path: StrPath, password: str | None, keys: bool, noticed: Noticed) -> Loaded:
    """A store, or the store of a Kubernetes Secret named SOURCE#SECRET/KEY, its warnings noticed."""
    from . import secrets
    found = secrets.secret_store(path, password=password)
    if found is not None:
        loaded, name = secrets.load_secret(found, keys=keys), Path(found.name)
    else:
        loaded, name = read_store(path, password, keys=keys), Path(path)
    for message in loaded.warnings:
        noticed(name, message)
    return loaded


def _key_entry(path: StrPath, password: str | None, noticed: Noticed) -> PrivateKeyEntry:
    """The first key entry of a keystore: the one a JSSE key manager would present."""
    keys = _read(path, password, True, noticed).store.key_entries()
    if not keys:
        raise JkstoolError("the keystore holds no key entry", path=str(path))
    return keys[0]


def _anchors(path: StrPath, password: str | None, noticed: Noticed) -> list[TrustedCertEntry]:
    return [e for e in _read(path, password, False, noticed).store if isinstance(e, TrustedCertEntry)]
