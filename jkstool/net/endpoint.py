"""A mutual-TLS test endpoint from the server's stores, for partners to try their client set-up.

Like a JSSE server it names its truststore's subjects as acceptable client
CAs and requires a client certificate; unlike one, it says what it saw:
each client's certificate subject, issuer and verification result,
rejected ones included.
"""

import socket
import time
from dataclasses import dataclass, field

from OpenSSL import SSL, crypto

from ..model import PrivateKeyEntry, TrustedCertEntry
from ..pki import certs
from . import tls


@dataclass
class Visit:
    """What one client showed."""

    address: str
    subject: str | None = None
    issuer: str | None = None
    accepted: bool = False
    reason: str | None = None
    problems: list[str] = field(default_factory=list)


def serve(host: str, port: int, key_entry: PrivateKeyEntry, anchors: list[TrustedCertEntry], once: bool,
          report, ready) -> None:
    """Accept clients until interrupted (or one, with `once`); `report(visit)` for each,
    `ready(port)` once listening."""
    ctx = tls.context(key_entry, anchors)
    ctx.set_client_ca_list([crypto.X509.from_cryptography(certs.load(a.cert)).get_subject() for a in anchors])
    listener = socket.create_server((host, port))
    ready(listener.getsockname()[1])
    try:
        while True:
            sock, address = listener.accept()
            report(_visit(ctx, sock, f"{address[0]}:{address[1]}"))
            if once:
                return
    finally:
        listener.close()


def _visit(ctx: SSL.Context, sock: socket.socket, address: str) -> Visit:
    visit = Visit(address)

    def check(conn, cert, errno, depth, ok):
        if depth == 0:
            name = cert.to_cryptography()
            visit.subject, visit.issuer = certs.subject_of(name), certs.issuer_of(name)
        if not ok:
            visit.problems.append(f"{tls.name_text(cert.get_subject())}: "
                                  f"{tls.VERIFY_ERRORS.get(errno, f'verification error {errno}')}")
        return ok

    sock.setblocking(False)
    conn = SSL.Connection(ctx, sock)
    conn.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, check)
    conn.set_accept_state()
    deadline = time.monotonic() + 10
    try:
        tls.retry(conn.do_handshake, sock, deadline)
        line = _read_line(conn, sock, deadline)
        answer = f"hello {visit.subject}: mutual TLS works\n"
        if line.split(" ", 1)[0] in ("GET", "HEAD", "POST", "PUT"):
            answer = ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                      f"{len(answer)}\r\nConnection: close\r\n\r\n{answer}")
        tls.retry(lambda: conn.sendall(answer.encode()), sock, deadline)
        visit.accepted = True
        try:
            conn.shutdown()
        except SSL.Error:
            pass
    except (SSL.Error, OSError) as e:
        visit.reason = "; ".join(visit.problems) or tls.describe_error(e)
        if visit.subject is None and not visit.problems and not isinstance(e, SSL.SysCallError):
            visit.reason = f"no client certificate ({visit.reason})"
    finally:
        sock.close()
    return visit


def _read_line(conn, sock, deadline) -> str:
    data = b""
    while b"\n" not in data and len(data) < 8192:
        try:
            chunk = tls.retry(lambda: conn.recv(4096), sock, deadline)
        except (SSL.ZeroReturnError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1").split("\n", 1)[0].strip()
