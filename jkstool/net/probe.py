"""The openssl s_client job, from Java stores: what a live server presents and asks for.

Under TLS 1.3 a server that rejects the client's certificate says so only
after the handshake, so a line of data is exchanged before the verdict.
"""

import socket
import time
from dataclasses import dataclass, field

from OpenSSL import SSL, crypto

from ..errors import JkstoolError
from ..model import PrivateKeyEntry, TrustedCertEntry
from ..mtls import checks
from ..mtls import hostname as hostnames
from ..pki import certs
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

    def problems(self, keystore_given: bool, truststore_given: bool) -> list[str]:
        """Why this is not a working mutual-TLS connection, if it is not."""
        found = []
        if not self.connected:
            return [self.error or "could not connect"]
        if self.unparseable:
            found.append(self.unparseable)
        if not self.handshake_ok:
            found.append(f"the handshake failed: {self.error}")
            if self.requested and not keystore_given:
                found.append("the server asked for a client certificate and none was given (--keystore)")
        if truststore_given and self.trust is not None and not self.trust.ok:
            found.append("the server's chain does not lead to the truststore: Java would fail with 'PKIX path "
                         "building failed'")
        if truststore_given and self.name_matches is False:
            found.append("the server certificate does not match the name dialled")
        if keystore_given and self.handshake_ok and not self.requested:
            found.append("the server did not ask for a client certificate: it runs one-way TLS only")
        if keystore_given and self.requested and self.keystore_acceptable is False:
            found.append("no certificate in the keystore's chain is issued by a CA the server names: a Java "
                         "client would send no certificate ('Empty client certificate chain')")
        return found


def probe(host: str, port: int, servername: str | None, timeout: float,
          key_entry: PrivateKeyEntry | None, anchors: list[TrustedCertEntry] | None) -> ProbeResult:
    result = ProbeResult(host, port)
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        result.error = f"cannot connect to {host}:{port}: {e.strerror or e}"
        return result
    result.connected = True
    states: set[bytes] = set()
    seen: dict[int, crypto.X509] = {}
    ctx = tls.context(key_entry)

    def keep(conn, cert, errno, depth, ok):  # judge trust ourselves, as Java would, after the handshake
        seen.setdefault(depth, cert)
        return True
    ctx.set_verify(SSL.VERIFY_PEER, keep)
    ctx.set_info_callback(lambda conn, where, ret: states.add(conn.get_state_string()))
    sock.setblocking(False)
    conn = SSL.Connection(ctx, sock)
    name = servername or (None if hostnames.is_ip(host) else host)
    if name:
        conn.set_tlsext_host_name(name.encode())
    conn.set_connect_state()
    try:
        tls.retry(conn.do_handshake, sock, deadline)
        result.protocol, result.cipher = conn.get_protocol_version_name(), conn.get_cipher_name()
        result.handshake_ok = _exchange(conn, sock, host, deadline, result)
    except (SSL.Error, OSError) as e:
        result.error = tls.describe_error(e)
    finally:
        result.requested = any(b"certificate request" in s for s in states)
        names = conn.get_client_ca_list() or []
        result.acceptable = [tls.name_text(n) for n in names]
        result.acceptable_der = [n.der() for n in names]
        sent = conn.get_peer_cert_chain() or [seen[d] for d in sorted(seen)]
        result.chain = [crypto.dump_certificate(crypto.FILETYPE_ASN1, c) for c in sent]  # DER, parsed or not
        sock.close()
    _judge(result, name or host, key_entry, anchors)
    return result


def _exchange(conn, sock, host, deadline, result) -> bool:
    """Send a request line and wait a moment: a rejected client certificate shows here."""
    tls.retry(lambda: conn.sendall(f"HEAD / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode()), sock, deadline)
    try:
        tls.retry(lambda: conn.recv(1024), sock, min(deadline, time.monotonic() + 2))
    except (TimeoutError, SSL.ZeroReturnError):
        pass  # no answer to our line, or the server closed politely: no rejection
    except SSL.SysCallError:
        pass
    except SSL.Error as e:
        result.error = tls.describe_error(e)
        return False
    return True


def _judge(result: ProbeResult, name: str, key_entry, anchors) -> None:
    if result.chain:
        try:
            match = hostnames.check(certs.load(result.chain[0]), name, leftmost_only=True)
        except JkstoolError as e:  # Java refuses it before any name check
            result.unparseable = f"the server's certificate {e.what}: Java fails with 'Failed to parse server " \
                "certificates'"
        else:
            result.name_matches = match.ok and not match.by_cn  # by its SANs, as every client but Java checks
        if anchors is not None:
            result.trust = checks.trust_path(result.chain, anchors)
    if key_entry is not None and result.requested:
        accepted = set(result.acceptable_der)
        result.keystore_acceptable = (not accepted) or any(
            certs.load(c).issuer.public_bytes() in accepted for c in key_entry.chain)

