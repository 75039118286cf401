"""OpenSSL (pyOpenSSL) connections from keystore material: what probe and serve share.

pyOpenSSL is used rather than Python's ssl because it can see what matters
for mutual TLS: the CA names a server sends as acceptable client issuers,
whether it asked for a certificate at all, and the certificates a server
rejects. It is imported only by the commands that need it.
"""

import select
import socket
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from OpenSSL import SSL, crypto

from ..errors import JkstoolError
from ..model import PrivateKeyEntry, TrustedCertEntry
from ..pki import certs
from ..pki.issue import PrivateKey, load_pkcs8

# X509_V_ERR_* codes a peer's certificate most often fails with, in OpenSSL's own words.
VERIFY_ERRORS = {
    2: "unable to get issuer certificate", 9: "certificate is not yet valid", 10: "certificate has expired",
    18: "self-signed certificate", 19: "self-signed certificate in certificate chain",
    20: "unable to get local issuer certificate", 21: "unable to verify the first certificate",
    23: "certificate revoked", 24: "invalid CA certificate", 26: "unsupported certificate purpose",
}


def context(key_entry: PrivateKeyEntry | None, anchors: Sequence[TrustedCertEntry] = ()) -> SSL.Context:
    """A TLS context presenting `key_entry`'s key and chain, trusting `anchors`."""
    ctx = SSL.Context(SSL.TLS_METHOD)
    if key_entry is not None:
        ctx.use_privatekey(_signing_key(key_entry))
        leaf, *rest = (certs.load(c) for c in key_entry.chain)
        ctx.use_certificate(leaf)
        for cert in rest:
            ctx.add_extra_chain_cert(cert)
    store = ctx.get_cert_store()
    if store is None:  # OpenSSL gives every new context one; pyOpenSSL's signature allows for none
        raise JkstoolError("OpenSSL made a TLS context without a certificate store")
    for anchor in anchors:
        store.add_cert(crypto.X509.from_cryptography(certs.load(anchor.cert)))
    return ctx


def _signing_key(entry: PrivateKeyEntry) -> PrivateKey:
    """The entry's key as OpenSSL takes it: read from the store, and of a kind that signs a handshake."""
    try:
        return load_pkcs8(entry.pkcs8())
    except JkstoolError as e:
        raise e.at(alias=entry.alias) from None


_T = TypeVar("_T")


CHUNK = 16 * 1024
"""Bytes handed to OpenSSL at a time by `pump`: a TLS record."""


def pump(call: Callable[[], _T], conn: SSL.Connection, sock: socket.socket, deadline: float) -> _T:
    """Run a pyOpenSSL call on `conn`, a connection over memory buffers (SSL.Connection(ctx, None)), moving
    bytes between them and the non-blocking socket `sock`, until it completes or the deadline passes.

    OpenSSL then never reads the socket itself, so each call returns after at most CHUNK bytes, and the
    deadline holds however the peer sends: on a socket, one handshake call can run for as long as the peer
    keeps it fed (a client skips every HelloRequest message it receives during a handshake)."""
    ended = False
    while True:
        try:
            result = call()
        except SSL.WantReadError:
            if ended:  # OpenSSL reports the end of its input itself; this is for the case it did not
                raise SSL.SysCallError(-1, "Unexpected EOF") from None
            _send_pending(conn, sock, deadline)
            _wait(sock, deadline, reading=True)
            try:
                data = sock.recv(CHUNK)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""  # reset: OpenSSL sees the end of its input, as on a socket it sees the reset
            if data:
                conn.bio_write(data)
            else:
                conn.bio_shutdown()
                ended = True
            continue
        except SSL.Error:
            try:  # the alert OpenSSL wrote, for the peer to read why
                _send_pending(conn, sock, deadline)
            except OSError:
                pass
            raise
        _send_pending(conn, sock, deadline)
        return result


def _send_pending(conn: SSL.Connection, sock: socket.socket, deadline: float) -> None:
    """Send what OpenSSL wrote into `conn`'s outgoing buffer."""
    while True:
        try:
            data = conn.bio_read(CHUNK)
        except SSL.WantReadError:
            return
        view = memoryview(data)
        while view:
            try:
                view = view[sock.send(view):]
            except (BlockingIOError, InterruptedError):
                _wait(sock, deadline, reading=False)


def _wait(sock: socket.socket, deadline: float, reading: bool) -> None:
    """Until `sock` is readable (writable), or TimeoutError when the deadline passes first or has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    ready = select.select([sock], [], [], left)[0] if reading else select.select([], [sock], [], left)[1]
    if not ready:
        raise TimeoutError("timed out")


def describe_error(error: Exception) -> str:
    """An OpenSSL error as one readable line (the alert or reason it carries)."""
    if isinstance(error, SSL.SysCallError):
        return "the connection closed during the handshake"
    if isinstance(error, SSL.Error) and error.args and isinstance(error.args[0], list):
        reasons = [part[2] for part in error.args[0] if len(part) > 2 and part[2]]
        if reasons:
            return "; ".join(reasons)
    return str(error) or type(error).__name__


def name_text(name: crypto.X509Name) -> str:
    """An OpenSSL name, written as cryptography writes names (RFC 4514, most specific first)."""
    def escape(value: str) -> str:
        value = "".join("\\" + c if c in ',+"\\<>;' else c for c in value)
        return "\\" + value if value[:1] in ("#", " ") else value
    return ",".join(f"{key.decode()}={escape(value.decode('utf-8', 'replace'))}"
                    for key, value in reversed(name.get_components()))
