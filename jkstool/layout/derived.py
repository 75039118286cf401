"""Files a layout derives from its stores and CAs: the PEM files of servers and clients outside Java
(nginx, Apache httpd, curl) and the CRL bundle servers load.

They are rewritten with every change to what they derive from, at the same paths, so a server
configured once with them keeps serving the layout's current certificates after a reload. A file
that would not change is not rewritten (files.write_all leaves it alone).
"""

from pathlib import Path

from .. import files
from ..formats.pem import armor
from ..model import Store
from ..pki import certs
from ..pki import issue as pki
from .manifest import Layout

PEM_FOLDER = "pem"
CRL_BUNDLE = "ca/crls.pem"
"""Every CRL of the layout's CAs in one PEM file: what Tomcat, nginx and httpd are configured to load."""

Item = tuple[Path, bytes, files.Secrecy]


def pem_files(layout: Layout, side: str, keystore: Store, truststore: Store) -> dict[str, Item]:
    """`side`'s chain, unencrypted key (0600) and trusted CAs as PEM, under DIR/pem/:
    {"chain" | "key" | "cas": (path, bytes, private)}."""
    entry = keystore.key_entry(layout.manifest.leaf(side).alias)
    files.own_folder(layout.folder / PEM_FOLDER)  # it takes a key in the clear: no link, no one else's
    folder = (layout.folder / PEM_FOLDER).resolve()
    chain = pki.cert_pem(*(certs.load(c) for c in entry.chain))
    anchors = pki.cert_pem(*(certs.load(e.cert) for e in truststore.trusted_entries()))
    return {"chain": (folder / f"{side}-chain.pem", chain, files.Secrecy.PUBLIC),
            "key": (folder / f"{side}-key.pem", armor("PRIVATE KEY", entry.pkcs8()).encode(), files.Secrecy.CLEAR),
            "cas": (folder / f"{side}-trusted-cas.pem", anchors, files.Secrecy.PUBLIC)}


def crl_paths(layout: Layout) -> list[Path]:
    """The CRLs of the layout's CAs, the one a rollover started included, and those of the CAs above a
    brought CA."""
    cas = layout.manifest.cas
    records = cas.records()
    names = [r.crl for r in records] + ([r.crl for r in layout.manifest.rollover.cas.values()]
                                         if layout.manifest.rollover else []) + cas.issuer_crls
    return [layout.path(name) for name in dict.fromkeys(names) if name]


def crl_gaps(layout: Layout) -> list[tuple[str, str]]:
    """(issuer, certificate) for each CA certificate above the client CA's leaves whose issuer has no CRL in
    the layout (a brought intermediate whose root's CRL was not given): a server that checks revocation at
    every level refuses every client then. Empty when the layout keeps no CRL at all."""
    paths = [p for p in crl_paths(layout) if p.exists()]
    if not paths:
        return []
    from ..formats import certfile
    from ..pki import crl
    issuers = [c.issuer for p in paths for c in crl.load_all(files.read_bytes(p))]
    record = layout.manifest.cas.client
    chain = [certs.load(c) for c in certfile.parse_certificates(files.read_bytes(layout.path(record.cert)))]
    return [(c.issuer.rfc4514_string(), c.subject.rfc4514_string()) for c in chain
            if not certs.same_name(c.issuer, c.subject) and not any(certs.same_name(c.issuer, i) for i in issuers)]


def crl_bundle(layout: Layout, pending: dict[Path, tuple[bytes, files.Secrecy]]) -> Item | None:
    """The CRL bundle as it follows from the layout's CRLs (those about to be written in `pending`, else
    on disk); None when the layout has none."""
    parts = [pending[p][0] if p in pending else files.read_bytes(p) for p in crl_paths(layout)
             if p in pending or p.exists()]
    return (layout.path(CRL_BUNDLE), b"".join(parts), files.Secrecy.PUBLIC) if parts else None
