"""Mutual TLS for a Python test suite, in memory: `Pair()` is a server and a client that trust each other.

trustme gives a test a CA and a server certificate; a mutual-TLS test needs
both sides, each trusting the other's CA. `Pair` makes them as `init-pair`
does — its CAs, profiles and names, by the same code — but keeps them in
memory, so a test suite gets a fresh pair in milliseconds and no file to
clean up:

    pair = Pair()
    pair.configure_server(server_context)   # its key and chain; requires a client certificate
    pair.configure_client(client_context)   # its key and chain; trusts the server's CA
    layout = pair.write(tmp_path / "tls", password="changeit")   # the same pair, for a Java process

The keys are unencrypted in memory and in the PEM this module hands out:
they are test keys, and a test suite must not ship them anywhere.
"""

import dataclasses
import os
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509

from . import passwords
from .api.layouts import write_layout
from .errors import JkstoolError
from .formats.pem import key_pem
from .layout import create
from .layout.manifest import EXTENSIONS, Layout
from .model import SIDES, PrivateKeyEntry
from .pki import issue as pki
from .pki.certs import subject_of

__all__ = ["Pair", "CA", "LeafCert"]

_SAN_KINDS = ("dns", "ip", "uri", "email")


class CA:
    """A certificate authority of a `Pair`: what the peers of its leaves trust.

    Its key never leaves it; another certificate comes from `Pair.issue_cert`,
    which knows the profile and key type each side's leaves get.
    """

    def __init__(self, issuer: pki.Issuer) -> None:
        self._issuer = issuer

    @property
    def cert_pem(self) -> bytes:
        """The trust anchor, PEM: for a client library that takes a CA file rather than a context."""
        return pki.cert_pem(self._issuer.root)

    def configure_trust(self, ctx: ssl.SSLContext) -> None:
        """Trust this CA in `ctx`. Unlike a key, a CA loads from memory: no file is written."""
        ctx.load_verify_locations(cadata=self.cert_pem.decode("ascii"))

    def __repr__(self) -> str:
        return f"CA({subject_of(self._issuer.cert)!r})"


class LeafCert:
    """A key and its certificate chain (leaf first, up to the CA), as PEM for whatever takes PEM.

    The accessors are trustme's, so a test written for trustme's LeafCert reads the same.
    """

    def __init__(self, side: str, key: pki.PrivateKey, chain: Sequence[x509.Certificate]) -> None:
        self.side = side
        self._key = key
        self._chain = tuple(chain)

    @property
    def cert(self) -> x509.Certificate:
        """The leaf certificate, to look at its subject, names or validity."""
        return self._chain[0]

    @property
    def private_key_pem(self) -> bytes:
        """The key, PKCS#8 PEM, unencrypted."""
        return key_pem(pki.pkcs8(self._key), None).encode("ascii")

    @property
    def cert_chain_pems(self) -> list[bytes]:
        """Each certificate of the chain as PEM, leaf first."""
        return [pki.cert_pem(cert) for cert in self._chain]

    @property
    def private_key_and_cert_chain_pem(self) -> bytes:
        """Key and chain in one PEM file: what `SSLContext.load_cert_chain`, nginx or curl take."""
        return self.private_key_pem + b"".join(self.cert_chain_pems)

    def key_entry(self, alias: str) -> PrivateKeyEntry:
        """The leaf as a keystore entry, for a `jkstool.Store` of one's own (then `jkstool.write_store`)."""
        return PrivateKeyEntry(alias, pki.pkcs8(self._key), tuple(pki.der(cert) for cert in self._chain))

    def configure_cert(self, ctx: ssl.SSLContext) -> None:
        """Present this key and chain in `ctx`'s handshakes."""
        with _private_file(self.private_key_and_cert_chain_pem) as path:
            ctx.load_cert_chain(path)

    def __repr__(self) -> str:
        return f"LeafCert(side={self.side!r}, subject={subject_of(self.cert)!r}, sans={pki.sans_of(self.cert)!r})"


class Pair:
    """A server and a client that trust each other: a CA for both (or one per side, `separate_cas`),
    a server certificate and a client certificate, in memory.

    The defaults are init-pair's: EC P-256 keys, a server called localhost
    (and dialled at 127.0.0.1 and ::1 too), a client called client. `server`
    and `client` are their `LeafCert`s, `server_ca` and `client_ca` the `CA`s
    that issued them (one object when the CA is shared).
    """

    def __init__(self, *, separate_cas: bool = False, key_type: str = "ec-p256", server_cn: str = "localhost",
                 sans: Sequence[str] | None = None, client_cn: str = "client") -> None:
        self._spec = create.PairSpec(key_type=key_type, server_cn=server_cn, sans=list(sans) if sans else None,
                                     client_cn=client_cn, separate_cas=separate_cas)
        issued = create.issue(self._spec)  # as init-pair issues them
        self.server_ca = CA(issued.cas["server"])
        self.client_ca = self.server_ca if issued.cas["client"] is issued.cas["server"] else CA(issued.cas["client"])
        self.server, self.client = (LeafCert(side, issued.keys[side], (issued.leaves[side],
                                                                       *issued.cas[side].certificates))
                                    for side in SIDES)

    def issue_cert(self, *names: str, side: str = "client", common_name: str | None = None) -> LeafCert:
        """Another leaf from `side`'s CA, with that side's profile (EKU serverAuth or clientAuth) and key type.

        `names` become its SANs: `DNS:`, `IP:`, `URI:` or `email:` text as written, a bare name as DNS or
        IP as fits (localhost with its loopback addresses, as init-pair gives it). Its CN is `common_name`,
        else the first bare name, else the pair's own for that side. Without names, a server leaf gets the
        pair's server names and a client leaf none, as init-pair issues them.
        """
        issuer = self._ca(side)._issuer
        key = pki.new_key(self._spec.key_type)
        sans = _sans(names) if names else self._spec.server_sans if side == "server" else []
        cn = common_name or _first_bare(names) or (self._spec.server_cn if side == "server" else self._spec.client_cn)
        cert = pki.issue(issuer, key.public_key(), cn, side, self._spec.days, sans)
        return LeafCert(side, key, (cert, *issuer.certificates))

    def configure_server(self, ctx: ssl.SSLContext) -> None:
        """Make `ctx` this pair's server: its key and chain, trust in the client CA, and a client
        certificate required (a server context asks for none unless told: that would not be mutual TLS)."""
        self.server.configure_cert(ctx)
        self.client_ca.configure_trust(ctx)
        ctx.verify_mode = ssl.CERT_REQUIRED

    def configure_client(self, ctx: ssl.SSLContext) -> None:
        """Make `ctx` this pair's client: its key and chain, and trust in the server CA."""
        self.client.configure_cert(ctx)
        self.server_ca.configure_trust(ctx)

    def write(self, folder: str | Path, *, password: str, store_type: str = "pkcs12", replace: bool = False,
              allow_weak: bool = False, lock_timeout: float = 30) -> Layout:
        """The pair as init-pair lays it out, for a Java process under test: the four stores (keys 0600),
        the CAs in ca/ (their keys encrypted with `password`) and layout.json, so that every jkstool
        command works on it too; under the layout's lock, with init-pair's rules for the password.

        Returns the `Layout`: `layout.system_properties("server", password)` are the JVM flags. Existing
        files are replaced only with `replace` (backups are kept, as init-pair keeps them).
        """
        if store_type not in EXTENSIONS:
            raise JkstoolError(f"a layout's stores are pkcs12 or jks, not {store_type!r}", "give one of them")
        passwords.check_new(password, allow_weak)
        spec = dataclasses.replace(self._spec, store_type=store_type)
        leaves = {"server": self.server, "client": self.client}
        issued = create.Issued({side: self._ca(side)._issuer for side in SIDES},
                               {side: leaf._key for side, leaf in leaves.items()},
                               {side: leaf.cert for side, leaf in leaves.items()})
        return write_layout(Path(folder), spec.planned_files().values(),
                            lambda: create.plan(spec, issued, password, password, False), replace, lock_timeout)

    def _ca(self, side: str) -> CA:
        if side not in SIDES:
            raise JkstoolError(f"a pair has a server and a client, no side {side!r}",
                               "give side='server' or side='client'")
        return self.server_ca if side == "server" else self.client_ca

    def __repr__(self) -> str:
        cas = (f"ca={self.server_ca!r}" if self.server_ca is self.client_ca
               else f"server_ca={self.server_ca!r}, client_ca={self.client_ca!r}")
        return f"Pair({cas}, server={self.server!r}, client={self.client!r})"


def _sans(names: Sequence[str]) -> list[str]:
    """SAN text for each name: as written when it says its kind, else what a server so called is dialled by."""
    return [san for name in names for san in ([name] if _says_kind(name) else pki.default_sans(name))]


def _first_bare(names: Sequence[str]) -> str | None:
    return next((name for name in names if not _says_kind(name)), None)


def _says_kind(name: str) -> bool:
    """Whether `name` says its kind (DNS:, IP:, URI:, email:); `::1` says none."""
    return name.partition(":")[0].lower() in _SAN_KINDS


@contextmanager
def _private_file(data: bytes) -> Iterator[str]:
    """`data` in a file for as long as Python's ssl takes to read it, since it loads keys from files only.

    The file is 0600 in a 0700 folder of its own, so no other user can read or replace it, and both are
    removed as soon as the block ends, whatever happens in it.
    """
    with tempfile.TemporaryDirectory(prefix="jkstool-") as folder:
        path = os.path.join(folder, "key.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        yield path
