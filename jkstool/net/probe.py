"""The openssl s_client job, from Java stores: what a live server presents and asks for.

A completed handshake is not yet an accepted client. Under TLS 1.3 a server
that rejects the client's certificate says so only after the handshake (an
alert at the first read), and some servers reject it in the application:
nginx with `ssl_verify_client on` completes the handshake, then answers HTTP
400 "The SSL certificate error". So a request is sent and the answer read
before the verdict: an alert, or an HTTP error status that names the
certificate, counts as a rejection. A close without an alert or an answer
does not: a service that does not speak HTTP closes so too, so it is said as
"no answer", not as a refusal.

The timeout holds for the whole probe, from the connection to the verdict
on the server's chain: a server that sends a byte at a time, or a chain
whose path takes long to build, ends in a result when it runs out.
"""

import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from OpenSSL import SSL, crypto

from ..errors import JkstoolError
from ..model import PrivateKeyEntry, TrustedCertEntry
from ..mtls import checks, keychoice, pkix
from ..mtls import hostname as hostnames
from ..pki import certs, crl
from . import tls


@dataclass
class ProbeResult:
    host: str
    port: int
    connected: bool = False
    error: str | None = None
    protocol: str | None = None
    cipher: str | None = None
    chain: list[bytes] = field(default_factory=list)
    trust: checks.TrustPath | None = None
    name_matches: bool | None = None
    requested: bool = False
    acceptable: list[str] = field(default_factory=list)
    acceptable_der: list[bytes] = field(default_factory=list, repr=False)
    keystore_acceptable: bool | None = None
    handshake_ok: bool = False
    unparseable: str | None = None
    rejected: str | None = None
    """What the server said when it refused the client after the handshake."""
    no_answer: bool = False
    """Whether the server closed the connection without a TLS alert or any answer (during the handshake, or
    after it, the request unanswered): not proof that it refused the client."""
    revoked: str | None = None
    """The CRL (--crl) that lists a certificate of the server's chain, when one does."""
    uncovered: list[str] = field(default_factory=list)
    """With --crl: the certificates of the server's chain whose issuer no CRL given is from."""
    cut_short: str | None = None
    """Why building the path of the server's chain stopped before it ended (the timeout, or a budget)."""

    @property
    def unanswered(self) -> bool:
        """The handshake completed, then the server closed without a word: nothing says whether it took the
        client, so this is no problem found."""
        return self.no_answer and self.protocol is not None

    def problems(self, keystore_given: bool, truststore_given: bool) -> list[str]:
        """Why this is not a working mutual-TLS connection, if it is not."""
        found = []
        if not self.connected:
            return [self.error or "could not connect"]
        if self.unparseable:
            found.append(self.unparseable)
        completed = self.handshake_ok or self.unanswered
        if self.rejected:
            found.append(f"the server refused the client after the handshake: {self.rejected}")
        elif not completed:
            found.append(f"the handshake failed: {self.error}")
        if not completed and self.requested and not keystore_given:
            found.append("the server asked for a client certificate and none was given (keystore=...)")
        if truststore_given and self.trust is not None and not self.trust.ok:
            found.append(f"the server's chain does not lead to the truststore: {self.cut_short}" if self.cut_short
                         else "the server's chain does not lead to the truststore: Java would fail with 'PKIX "
                         "path building failed'")
        if self.revoked:
            found.append(f"the server's certificate is revoked by {self.revoked}")
        for subject in self.uncovered:
            found.append(f"no CRL given is from the issuer of {subject}: a client that checks revocation with "
                         "these CRLs checks every certificate of the path, and fails ('Could not determine "
                         "revocation status'; OpenSSL with -crl_check_all: 'unable to get certificate CRL')")
        if self.name_matches is False:  # whatever the truststore: every HTTPS client checks the name
            found.append("the server certificate does not match the name dialled (servername=... sets it)")
        if keystore_given and completed and not self.requested:
            found.append("the server did not ask for a client certificate: it runs one-way TLS only")
        if keystore_given and self.requested and self.keystore_acceptable is False:
            found.append("no certificate in the keystore's chain is issued by a CA the server names: a Java "
                         "client would send no certificate ('Empty client certificate chain')")
        return found


def keystore_problems(entry: PrivateKeyEntry, at: datetime | None = None) -> list[str]:
    """What is wrong with the client certificate itself, whatever the server: found before connecting."""
    leaf = certs.load(entry.chain[0])
    at = at or datetime.now(timezone.utc)
    found = []
    if leaf.not_valid_after_utc < at:
        found.append(f"the keystore's certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    if leaf.not_valid_before_utc > at:
        found.append(f"the keystore's certificate is valid only from {leaf.not_valid_before_utc:%Y-%m-%d}")
    usages = certs.extension(leaf, x509.ExtendedKeyUsage)
    if usages is not None and not {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE} \
            & set(usages):
        found.append("the keystore's certificate lacks extended key usage clientAuth: servers refuse it "
                     "(Java: 'Extended key usage does not permit use for TLS client authentication')")
    return found


def probe(host: str, port: int, servername: str | None, timeout: float,
          key_entry: PrivateKeyEntry | None, anchors: list[TrustedCertEntry] | None,
          crls: Sequence[tuple[str, x509.CertificateRevocationList]] = (), request: bool = True) -> ProbeResult:
    """Connect, shake hands and (with `request`) send a request, then judge what the server presented.

    Without `request` only the handshake is made, and `handshake_ok` says no more than that it completed:
    for a caller that wants the chain alone (keytool -printcert -sslserver)."""
    result = ProbeResult(host, port)
    deadline = time.monotonic() + timeout
    try:
        sock = _connect(host, port, timeout)
    except OSError as e:
        result.error = f"cannot connect to {host}:{port}: {e.strerror or e}"
        return result
    result.connected = True
    states: set[bytes] = set()
    seen: dict[int, crypto.X509] = {}
    ctx = tls.context(key_entry)

    # judge trust ourselves, as Java would, after the handshake
    def keep(conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int) -> bool:
        seen.setdefault(depth, cert)
        return True
    ctx.set_verify(SSL.VERIFY_PEER, keep)
    ctx.set_info_callback(lambda conn, where, ret: states.add(conn.get_state_string()))
    sock.setblocking(False)
    conn = SSL.Connection(ctx, None)  # over memory buffers, which tls.pump fills a chunk at a time
    name = servername or (None if hostnames.is_ip(host) else host)
    if name:
        conn.set_tlsext_host_name(name.encode())
    conn.set_connect_state()
    try:
        tls.pump(conn.do_handshake, conn, sock, deadline)
        result.protocol, result.cipher = conn.get_protocol_version_name(), conn.get_cipher_name()
        result.handshake_ok = _exchange(conn, sock, host, deadline, result) if request else True
    except TimeoutError:
        result.error = f"timed out after {timeout:g} s"
    except (SSL.Error, OSError) as e:
        result.no_answer = _silent(e)
        result.error = _SILENT if result.no_answer else tls.describe_error(e)
    finally:
        result.requested = any(b"certificate request" in s for s in states)
        names = conn.get_client_ca_list() or []
        result.acceptable = [tls.name_text(n) for n in names]
        result.acceptable_der = [n.der() for n in names]
        sent = conn.get_peer_cert_chain() or [seen[d] for d in sorted(seen)]
        result.chain = [crypto.dump_certificate(crypto.FILETYPE_ASN1, c) for c in sent]  # DER, parsed or not
        sock.close()
    with pkix.within(deadline) as judging:  # the same deadline: building a path can take long too
        _judge(result, name or host, key_entry, anchors, crls)
    result.cut_short = next(iter(judging.cut), None)
    return result


_SILENT = "the server closed the connection without a TLS alert"


def _silent(error: Exception) -> bool:
    """Whether the server ended the connection without a word: a close (with or without close_notify), a
    reset, an end of input OpenSSL calls unexpected; not an alert, which says why."""
    if isinstance(error, (SSL.ZeroReturnError, SSL.SysCallError, ConnectionError)):
        return True
    return isinstance(error, SSL.Error) and tls.describe_error(error) == "unexpected eof while reading"


_HTTP_STATUS = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3}) ?([^\r\n]*)")
_CERTIFICATE_WORDS = re.compile(rb"certificate|ssl|tls|client cert", re.I)


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to host:port. `localhost` (and names under it) is the loopback even where the
    resolver does not know it (a machine without /etc/hosts, a minimal container): Java's InetAddress
    answers it so, and RFC 6761 asks it of every resolver."""
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror:
        if host.rstrip(".").lower().split(".")[-1] != "localhost":
            raise
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def _exchange(conn: SSL.Connection, sock: socket.socket, host: str, deadline: float, result: ProbeResult) -> bool:
    """Send a request and read the answer: a rejected client certificate shows here, as an alert or an HTTP
    error about the certificate (nginx: 400 "The SSL certificate error"). A close without an answer is raised
    (`_silent` tells it): it proves nothing."""
    tls.pump(lambda: conn.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode()), conn, sock, deadline)
    answer = b""
    try:
        while len(answer) < 65536:  # 2 s for the first bytes, then a moment for more (a server may keep talking)
            wait = 0.3 if answer else 2
            answer += tls.pump(lambda: conn.recv(16384), conn, sock, min(deadline, time.monotonic() + wait))
    except TimeoutError:
        pass  # the server sends nothing more (a non-HTTP service that waits): no rejection seen
    except SSL.Error as e:
        if not _silent(e):
            result.rejected = result.error = tls.describe_error(e)
            return False
        if not answer:
            raise
    status = _HTTP_STATUS.match(answer)
    if status and int(status[1]) >= 400 and _CERTIFICATE_WORDS.search(answer):
        title = re.search(rb"<title>([^<]*)</title>", answer, re.I)
        said = (title[1] if title else status[1] + b" " + status[2]).decode("latin-1").strip()
        result.rejected = f"HTTP {said}"
        return False
    return True


def _revocation(result: ProbeResult, chain: list[x509.Certificate],
                crls: Sequence[tuple[str, x509.CertificateRevocationList]]) -> None:
    """Each certificate of the server's chain (not a root) against the CRLs, as a client checking revocation
    does it: Java's PKIXRevocationChecker, like OpenSSL's -crl_check_all, wants its issuer's CRL at every
    level."""
    loaded = [c for _, c in crls]
    for cert, issuer in zip(chain, [*chain[1:], None], strict=True):
        if certs.same_name(cert.issuer, cert.subject):
            continue  # a root is its own anchor: no CRL speaks for it
        if not crl.covering(loaded, cert, issuer):
            result.uncovered.append(certs.subject_of(cert))
        listing = crl.revoked_by(loaded, cert, issuer)
        if listing is not None and result.revoked is None:
            result.revoked = next(path for path, c in crls if c is listing)


def _judge(result: ProbeResult, name: str, key_entry: PrivateKeyEntry | None, anchors: list[TrustedCertEntry] | None,
           crls: Sequence[tuple[str, x509.CertificateRevocationList]]) -> None:
    if result.chain:
        try:
            leaf = certs.load(result.chain[0])
        except JkstoolError as e:  # Java refuses it before any name check
            result.unparseable = f"the server's certificate {e.what}: Java fails with 'Failed to parse server " \
                "certificates'"
        else:
            match = hostnames.check(leaf, name, leftmost_only=True)
            result.name_matches = match.ok and not match.by_cn  # by its SANs, as every client but Java checks
            if crls:
                _revocation(result, [certs.load(c) for c in result.chain], crls)
        if anchors is not None:
            result.trust = checks.trust_path(result.chain, anchors)
    if key_entry is not None and result.requested:
        result.keystore_acceptable = not result.acceptable_der or keychoice.names_issuer(
            key_entry, certs.name_keys(result.acceptable_der))

