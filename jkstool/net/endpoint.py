"""A mutual-TLS test endpoint from the server's stores, for partners to try their client set-up.

Like a JSSE server it names its truststore's subjects as acceptable client
CAs, requires a client certificate, and ends a rejected handshake with an
alert the client can read: certificate_required (TLS 1.3) or
handshake_failure (TLS 1.2) when none came, as JSSE does from 17.0.19 and in
25 (17.0.15 sent bad_certificate); for a certificate
it does not trust, OpenSSL's alert for the reason (unknown_ca,
certificate_expired...), where JSSE sends certificate_unknown. Unlike a JSSE
server, it says what it saw: each client's certificate subject, issuer and
verification result, rejected ones included.

Clients are served concurrently by a bounded pool, each with a deadline for
its whole visit that counts from the moment its connection is accepted, so
an idle or slow client never delays a good one: the pool is as large as the
listen queue, connections waiting for a worker run out their time as they
wait, and one whose time ran out is closed at once.
"""

import select
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from errno import EMFILE, ENFILE, ENOBUFS, ENOMEM

from cryptography import x509
from OpenSSL import SSL, crypto

from .. import limits
from ..errors import JkstoolError
from ..model import PrivateKeyEntry, TrustedCertEntry
from ..pki import certs
from . import tls
from .visit import Visit

BACKLOG = WORKERS = limits.SERVE_BACKLOG
"""Connections the listen queue holds before serve accepts them, and clients served at once."""
WAITING = BACKLOG
"""Connections accepted beyond WORKERS, waiting for a worker while their time runs; the next ones wait in the
listen queue."""
VISIT_SECONDS = limits.SERVE_VISIT_SECONDS
LINGER_SECONDS = 2
"""How long a rejected client is given to read its alert before the socket closes."""

Address = tuple[str, int] | tuple[str, int, int, int]
"""A client's IPv4 or IPv6 socket address, as accept() gives it."""


def serve(host: str, port: int, key_entry: PrivateKeyEntry, anchors: list[TrustedCertEntry], once: bool,
          report: Callable[[Visit], None], ready: Callable[[int], None],
          crls: Sequence[tuple[str, x509.CertificateRevocationList]] = ()) -> None:
    """Accept clients until interrupted (or one, with `once`); `report(visit)` for each, one at a time (its
    `at` set then), `ready(port)` once listening. With `crls`, a client certificate they revoke is refused."""
    ctx = tls.context(key_entry, anchors)
    store = ctx.get_cert_store()
    if crls and store is not None:
        for _, crl in crls:
            store.add_crl(crl)
        store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
    for anchor in anchors:  # the CA names the server advertises, in the truststore's order
        ctx.add_client_ca(certs.load(anchor.cert))
    listener = socket.create_server((host, port), backlog=BACKLOG)
    ready(listener.getsockname()[1])
    if once:
        with listener:
            sock, address = listener.accept()
            _report(report, _visit(ctx, sock, address))
        return
    reporting = threading.Lock()
    slots = threading.BoundedSemaphore(WORKERS + WAITING)

    def attend(sock: socket.socket, address: Address, accepted: float) -> None:
        try:
            visit = _visit(ctx, sock, address, accepted)
            with reporting:
                _report(report, visit)
        finally:
            slots.release()

    with listener, ThreadPoolExecutor(WORKERS, thread_name_prefix="client") as pool:
        while True:
            slots.acquire()
            try:
                sock, address = listener.accept()
            except OSError as e:
                slots.release()
                if not isinstance(e, ConnectionAbortedError) and e.errno not in _ACCEPT_AGAIN:
                    raise
                time.sleep(0.1)  # out of file descriptors or memory for a moment: visits ending free some
                continue
            pool.submit(attend, sock, address, time.monotonic())


_ACCEPT_AGAIN = {EMFILE, ENFILE, ENOBUFS, ENOMEM}
"""accept() errors that pass (a client that left before it was accepted is ConnectionAbortedError)."""


def _report(report: Callable[[Visit], None], visit: Visit) -> None:
    visit.at = datetime.now(timezone.utc)
    report(visit)


def _visit(ctx: SSL.Context, sock: socket.socket, address: Address, accepted: float | None = None) -> Visit:
    """Serve one client, within VISIT_SECONDS of `accepted` (time.monotonic(); by default, now)."""
    visit = Visit(f"{address[0]}:{address[1]}")
    sock.setblocking(False)
    conn = SSL.Connection(ctx, None)  # over memory buffers, which tls.pump fills a chunk at a time
    conn.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, _checker(visit))
    conn.set_accept_state()
    deadline = (time.monotonic() if accepted is None else accepted) + VISIT_SECONDS
    try:
        try:
            spoke = _spoke(sock, deadline)
        except TimeoutError as e:  # nothing sent, so no alert to wait for: closed at once
            visit.reason = str(e)
            return visit
        if not spoke:
            visit.reason = "the connection closed without a TLS handshake (a bare TCP connect, such as a port check)"
            return visit
        tls.pump(conn.do_handshake, conn, sock, deadline)
        line = _read_line(conn, sock, deadline)
        answer = f"hello {visit.subject}: mutual TLS works\n"
        if line.split(" ", 1)[0] in ("GET", "HEAD", "POST", "PUT"):
            answer = ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                      f"{len(answer)}\r\nConnection: close\r\n\r\n{answer}")
        tls.pump(lambda: conn.sendall(answer.encode()), conn, sock, deadline)
        visit.accepted = True
        try:
            tls.pump(conn.shutdown, conn, sock, deadline)
        except (SSL.Error, OSError):
            pass
    except (SSL.Error, OSError) as e:
        visit.reason = _reason(visit, e)
        _linger(sock)
    finally:
        sock.close()
    return visit


def _checker(visit: Visit) -> Callable[[SSL.Connection, crypto.X509, int, int, int], bool]:
    """OpenSSL's verify callback: note what the client showed, and reject at the first problem (OpenSSL
    then sends its alert for it: unknown_ca, certificate_expired, bad_certificate...)."""
    def check(conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int) -> bool:
        der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
        if depth == 0 and visit.subject is None:
            _describe(visit, der)
        if not ok:
            visit.problems.append(f"{certs.facts(der).subject}: "
                                  f"{tls.VERIFY_ERRORS.get(errno, f'verification error {errno}')}")
        return bool(ok) and not visit.problems
    return check


def _describe(visit: Visit, data: bytes) -> None:
    """The client certificate's names, also from one Java cannot parse (which Java refuses)."""
    facts = certs.facts(data)
    visit.subject, visit.issuer = facts.subject or None, facts.issuer or None
    try:
        certs.load(data)
    except JkstoolError as e:
        visit.problems.append(f"{e.what}; Java fails with 'Failed to parse client certificates'")


def _spoke(sock: socket.socket, deadline: float) -> bool:
    """Whether the client sent a first byte, or closed without one (a bare TCP connect, such as a port
    check); TimeoutError when it stays silent."""
    if not select.select([sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
        raise TimeoutError(f"no TLS handshake within {VISIT_SECONDS} s (an idle connection)")
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except OSError:
        return False


def _reason(visit: Visit, error: Exception) -> str:
    if visit.problems:
        return "; ".join(visit.problems)
    reason = tls.describe_error(error)
    if visit.subject is None and not isinstance(error, (SSL.SysCallError, TimeoutError)):
        return f"no client certificate ({reason})"
    return reason


def _linger(sock: socket.socket) -> None:
    """Let a rejected client read its alert: closing with its data unread would reset the connection
    and lose the alert (the client would see 'broken pipe' instead of why)."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        sock.settimeout(LINGER_SECONDS)
        while time.monotonic() < deadline and sock.recv(4096):
            pass
    except OSError:
        pass


def _read_line(conn: SSL.Connection, sock: socket.socket, deadline: float) -> str:
    data = b""
    while b"\n" not in data and len(data) < 8192:
        try:
            chunk = tls.pump(lambda: conn.recv(4096), conn, sock, deadline)
        except (SSL.ZeroReturnError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1").split("\n", 1)[0].strip()
