"""Living with an init-pair layout: renewing a side, adding clients, revoking, converting, restoring.

Every change is built in memory, serialized, read back and checked with
verify-pair's rules *before* anything is written; only a layout that passes
is written, as one change, with byte-exact backups of the files it replaces
in DIR/backups/<time>/. The files derived from the stores (PEM exports, the
CRL bundle) follow in the same change; files that would not change are not
rewritten.
"""

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .. import files, formats
from ..errors import JkstoolError, file_exists
from ..formats.pem import key_pem
from ..model import ROLES, Entry, PrivateKeyEntry, Store, TrustedCertEntry
from ..mtls import checks
from ..pki import certs
from ..pki import crl as crls
from ..pki import issue as pki
from . import derived, k8s
from .manifest import (
    BACKUPS,
    EXTENSIONS,
    MANIFEST,
    STOREPASS_FILE,
    CARecord,
    ClientRecord,
    Layout,
    RolloverCA,
    backups_for,
    generated_password,
    within,
)


@dataclass
class Written:
    """What a change wrote (files created or replaced) and the backups it kept."""

    files: list[Path] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)
    folder: Path | None = None
    """The folder holding the backups (DIR/backups/<time>)."""

    def to_dict(self) -> dict[str, Any]:
        """{"files": [...], "backups": [...]}, as the commands report them in JSON."""
        return {"files": [str(p) for p in self.files], "backups": [str(p) for p in self.backups]}


@dataclass
class Change:
    """Files a lifecycle step writes (path -> store or bytes), checked before they are written."""

    layout: Layout
    password: str
    stores: dict[Path, Store] = field(default_factory=dict)
    raw: dict[Path, tuple[bytes, files.Secrecy]] = field(default_factory=dict)
    read: dict[Path, list[Entry]] = field(default_factory=dict)
    """The entries of each store as read, so that a store the change leaves as it was is not rewritten."""
    dumps: dict[Path, tuple[list[Entry], bytes]] = field(default_factory=dict)
    """Each store dumped, with the entries it was dumped from: the check reads the very bytes the write then
    writes, and a store's key derivations (the costliest part of a step) are paid once."""

    def store(self, path: Path) -> Store:
        """The store at `path` as this change leaves it (read from disk the first time)."""
        if path not in self.stores:
            self.stores[path] = formats.read_store(path, self.password).store
            self.read[path] = list(self.stores[path])
        return self.stores[path]

    def changed(self) -> list[Path]:
        """The stores this change alters."""
        return [path for path, store in self.stores.items() if list(store) != self.read.get(path)]

    def check(self, client: "ClientRecord | None" = None, **options: Any) -> checks.Report:
        """verify-pair's checks on the layout as it will be, read back from the bytes to be written (with an
        added client's stores on the client side, when given), with the layout's CRLs as verify-pair uses
        them: a change that leaves servers checking revocation unable to serve is not written."""
        inputs = {}
        own = {"client-keystore": client.keystore, "client-truststore": client.truststore} if client else {}
        for role in ROLES:
            path = self.layout.path(own[role]) if role in own else self.layout.store_path(role)
            loaded = formats.load(self._bytes(path), self.password, strict=False)
            inputs[role] = checks.StoreInput(role, str(path), loaded)
        revocation = [(str(p), crls.load(self.raw[p][0] if p in self.raw else files.read_bytes(p)))
                      for p in derived.crl_paths(self.layout) if p in self.raw or p.exists()]
        return checks.verify(inputs, crls=revocation, **options)

    def _bytes(self, path: Path) -> bytes:
        """A store's bytes as this change leaves it."""
        return self._dump(path) if path in self.stores else files.read_bytes(path)

    def _dump(self, path: Path) -> bytes:
        entries = list(self.stores[path])
        cached = self.dumps.get(path)
        if cached is None or cached[0] != entries:
            cached = self.dumps[path] = (entries, self.layout.dump(self.stores[path], self.password))
        return cached[1]

    def derive(self, dumped: dict[Path, bytes]) -> None:
        """The derived files as this change leaves the stores (`dumped`: those it rewrites, as they will be
        written) and CRLs, and layout.json."""
        layout = self.layout
        for side in layout.manifest.exports:
            pem = derived.pem_files(layout, side, self.store(layout.store_path(f"{side}-keystore")),
                                    self.store(layout.store_path(f"{side}-truststore")))
            self.raw.update({path: (data, private) for path, data, private in pem.values()})
        bundle = derived.crl_bundle(layout, self.raw)
        if bundle:
            self.raw[bundle[0]] = bundle[1:]
        for export in layout.manifest.secrets:
            document = k8s.secrets(layout, self.password, export.name, export.namespace,
                                   lambda p: dumped[p] if p in dumped else files.read_bytes(p))
            self.raw[layout.path(export.file)] = (k8s.as_json(document), files.Secrecy.CLEAR)
        path, data, private = layout.manifest_item()
        self.raw[path] = (data, private)

    def write(self, backups: files.Backups | None = None) -> Written:
        """Write every file that changes, derived files and layout.json included, as one change."""
        dumped = {path: self._dump(path) for path in self.changed()}
        self.derive(dumped)  # the Secrets hold the very bytes the stores are written with
        items: list[tuple[Path, bytes, files.Secrecy]] = [
            (path, data, files.Secrecy.KEYS if self.stores[path].holds_keys() else files.Secrecy.PUBLIC)
            for path, data in dumped.items()]
        items += [(path, data, private) for path, (data, private) in self.raw.items()]
        backups = backups or backups_of(self.layout)
        kept = files.write_all(items, replace=True, backups=backups)
        return Written([*backups.created, *backups.replaced], kept, backups.folder)


def _own_files(top: Path) -> list[Path]:
    """The files under a backup folder, walked without following links, each a regular file or folder of this
    user (anything else was planted)."""
    found = []
    for folder, subfolders, names in os.walk(top, followlinks=False):
        for name in sorted(subfolders):
            files.own_folder(Path(folder) / name)
        for name in sorted(names):
            path = Path(folder) / name
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                raise files.not_own(path)
            found.append(path)
    return sorted(found)


def _a_run(path: Path) -> bool:
    """Whether an entry of backups/ is a run's folder: a file of this user there is passed over (a note left
    there), a link or someone else's entry refused."""
    info = os.lstat(path)
    return not (stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid()) and files.own_folder(path)


def _inside(folder: Path, name: str) -> bool:
    """Whether a name a backup lists (created.txt) is a regular file inside the layout folder, reached through
    no link leading out."""
    path = folder / name
    return not Path(name).is_absolute() and ".." not in Path(name).parts and path.is_file() \
        and not path.is_symlink() and path.resolve().is_relative_to(folder.resolve())


def backups_of(layout: Layout) -> files.Backups:
    """Where a change to the layout keeps its backups: DIR/backups/<time>/."""
    found = backups_for(layout.folder / MANIFEST)
    assert found is not None  # a layout's folder holds its layout.json
    return found


def store_edited(layout: Layout, path: Path, store: Store, password: str) -> Written:
    """A store of the layout changed by a store command (import-ca, delete, genkey...): written as a
    lifecycle step is, into DIR/backups/<time>/ (restore undoes it), with the derived files that follow
    from it (the side's PEM files)."""
    change = Change(layout, password)
    change.stores[path] = store
    return change.write()


def new_password(layout: Layout, password: str, new: str) -> Written:
    """Every store of the layout under a new password (the layout's commands open them all with one: the
    clients added later too), the CA keys made here that the old one encrypts (the default CA key password
    follows the store password), and its storepass file when it has one: one change, backed up."""
    change = Change(layout, new)
    added = [layout.path(name) for c in layout.manifest.clients for name in (c.keystore, c.truststore)]
    for path in [*layout.stores().values(), *added]:
        loaded = formats.read_store(path, password)
        if loaded.locked:
            raise JkstoolError("a key of it has a password of its own, which a new store password would not "
                               "change", "give the key the store's password first (jkstool passwd STORE "
                               "--alias ALIAS --new-keypass ...)", path=str(path), alias=loaded.locked[0])
        change.stores[path] = loaded.store
    for key_path in _ca_keys_made_here(layout):
        data = files.read_bytes(key_path)
        try:
            key = pki.load_private_key(data, password) if b"ENCRYPTED PRIVATE KEY" in data else None
        except JkstoolError:
            key = None  # a CA key password of its own (--ca-keypass): it stays as it is
        if key is not None:
            change.raw[key_path] = (key_pem(pki.pkcs8(key), new).encode(), files.Secrecy.KEYS)
    if generated_password(layout.folder) is not None:
        change.raw[layout.folder / STOREPASS_FILE] = (f"{new}\n".encode(), files.Secrecy.CLEAR)
    return change.write()


def _ca_keys_made_here(layout: Layout) -> list[Path]:
    """The key files of the layout's own CAs, and of the next one a rollover made (a brought CA's are the
    company's, under its own password)."""
    rolled = list(layout.manifest.rollover.cas.values()) if layout.manifest.rollover else []
    names = [r.key for r in layout.manifest.cas.records() if not r.brought] + [r.key for r in rolled if not r.brought]
    return [path for path in dict.fromkeys(layout.path(name) for name in names) if path.is_file()]


def issuer_now(layout: Layout, side: str, ca_password: str | None) -> pki.Issuer | None:
    """The CA that issues `side`'s certificates now: a rollover's new CA from its reissue stage on (a leaf
    issued by the old one then would stop the finish), else the layout's; None when its key is not at hand."""
    from ..formats import certfile
    rollover = layout.manifest.rollover
    rolling = next((r for r in rollover.cas.values() if side in r.sides), None) if rollover else None
    if rolling is None or rollover is None or rollover.stage != "reissue":
        return layout.issuer(side, ca_password)
    return certfile.read_issuer(layout.path(rolling.cert), layout.path(rolling.key), ca_password)


def issue_leaf(issuer: pki.Issuer, key: pki.PrivateKey, subject: x509.Name | str, side: str, days: int,
               sans: list[str]) -> tuple[bytes, ...]:
    cert = pki.issue(issuer, key.public_key(), subject, side, days, sans)
    return tuple(pki.der(c) for c in (cert, *issuer.certificates))


def new_or_kept_key(key_type: str, keep: bytes | None) -> pki.PrivateKey:
    """The key to keep (PKCS#8), or a new one of `key_type`."""
    return pki.new_key(key_type) if keep is None else pki.load_pkcs8(keep)


# -- renewal -------------------------------------------------------------------------------

def _moment(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Renewal:
    """A certificate renewed from the layout's CA (written only when `report` passes)."""

    side: str
    old: bytes
    new: bytes
    report: checks.Report
    written: Written = field(default_factory=Written)

    def to_dict(self) -> dict[str, Any]:
        """What `jkstool renew --json` prints: the side, the verdict, the old and new certificate, the files."""
        old, new = certs.facts(self.old), certs.facts(self.new)
        return {"side": self.side, "ok": self.report.ok,
                "old": {"serial": old.serial, "not_after": _moment(old.not_after)},
                "new": {"serial": new.serial, "not_after": _moment(new.not_after)}, **self.written.to_dict()}


@dataclass
class Request:
    """No CA key at hand: a request for the CA, and (for a new key) the keystore that waits for its reply."""

    side: str
    old: bytes
    request: Path
    alias: str
    """The key entry the CA's reply goes to."""
    keystore: Path
    """The layout's keystore of the side: where the reply ends up."""
    ca_key: str
    """The CA key file the layout names (relative to the folder unless brought), which was not there."""
    pending: Path | None = None
    """With a new key: the keystore holding it, which takes the reply before it replaces `keystore`."""


def renew(layout: Layout, side: str, password: str, ca_password: str | None, keep_key: bool,
          days: int | None, issuer: pki.Issuer | None = None, cn: str | None = None,
          sans: list[str] | None = None, added: str | None = None) -> Renewal | Request:
    """A new certificate (and key, unless `keep_key`) for `side`, or for the client `added` later (by its
    cn), from its CA, with the same subject, SANs and profile, or the `cn` and `sans` given; `days` is
    remembered for later renewals and rollovers. Without the CA's key: a request to send to the CA instead."""
    if added is not None:
        return _renew_added(layout, _added(layout, added), password, ca_password, keep_key, days, issuer)
    record = layout.manifest.leaf(side)
    change = Change(layout, password)
    keystore = layout.store_path(f"{side}-keystore")
    store = change.store(keystore)
    entry = store.key_entry(record.alias)
    old_leaf = certs.load(entry.chain[0])
    subject = f"CN={cn}" if cn else old_leaf.subject.rfc4514_string()
    record.days, record.sans, record.subject = days or record.days, sans or record.sans, subject
    key = new_or_kept_key(layout.manifest.key_type, entry.key if keep_key else None)
    issuer = issuer or issuer_now(layout, side, ca_password or password)
    if issuer is None:
        return _request_instead(layout, side, entry, key, keep_key, password, subject)
    chain = issue_leaf(issuer, key, x509.Name.from_rfc4514_string(subject), side, record.days, record.sans)
    store.put(replace(entry, key=pki.pkcs8(key), chain=chain, created=datetime.now(timezone.utc)))
    report = change.check()
    renewal = Renewal(side, entry.chain[0], chain[0], report)
    if report.ok:
        renewal.written = change.write()
    return renewal


def _added(layout: Layout, cn: str) -> ClientRecord:
    found = next((c for c in layout.manifest.clients if cn.lower() in (c.cn.lower(), c.alias)), None)
    if found is None:
        names = ", ".join(c.cn for c in layout.manifest.clients) or "none yet"
        raise JkstoolError(f"no client {cn!r} was added to this layout (added: {names})",
                           "give added=... the cn of a client added to the layout", path=str(layout.folder))
    return found


def _renew_added(layout: Layout, record: ClientRecord, password: str, ca_password: str | None, keep_key: bool,
                 days: int | None, issuer: pki.Issuer | None) -> Renewal:
    """renew for a client added later: its own keystore, checked against the server with its own
    truststore."""
    change = Change(layout, password)
    store = change.store(layout.path(record.keystore))
    entry = store.key_entry(record.alias)
    record.days = days or record.days
    key = new_or_kept_key(layout.manifest.key_type, entry.key if keep_key else None)
    issuer = issuer or issuer_now(layout, "client", ca_password or password)
    if issuer is None:
        raise JkstoolError("the client CA's key is not at hand, so no client certificate can be issued",
                           "run this where ca/ is, or give ca=...", path=layout.ca("client").key)
    chain = issue_leaf(issuer, key, certs.load(entry.chain[0]).subject, "client", record.days, [])
    store.put(replace(entry, key=pki.pkcs8(key), chain=chain, created=datetime.now(timezone.utc)))
    report = change.check(record)
    renewal = Renewal("client", entry.chain[0], chain[0], report)
    if report.ok:
        renewal.written = change.write()
    return renewal


def _request_instead(layout: Layout, side: str, entry: PrivateKeyEntry, key: pki.PrivateKey, keep_key: bool,
                     password: str, subject: str) -> Request:
    """No CA key at hand: write a CSR, and (for a new key) a pending keystore holding the new key."""
    from cryptography.hazmat.primitives.serialization import Encoding
    sans = layout.manifest.leaf(side).sans
    request = layout.folder / f"{side}.csr"
    csr = pki.request(key, x509.Name.from_rfc4514_string(subject), sans)
    items = [(request, csr.public_bytes(Encoding.PEM), files.Secrecy.PUBLIC)]
    pending = None
    if not keep_key:
        pending = layout.folder / f"{side}.keystore.next.{EXTENSIONS[layout.store_type]}"
        placeholder = pki.self_signed(key, subject, 30, sans)
        store = Store([PrivateKeyEntry(entry.alias, pki.pkcs8(key), (pki.der(placeholder),),
                                       datetime.now(timezone.utc))])
        items.append((pending, layout.dump(store, password), files.Secrecy.KEYS))
    files.write_all(items, replace=True, backups=backups_of(layout))
    return Request(side, entry.chain[0], request, layout.manifest.leaf(side).alias,
                   layout.store_path(f"{side}-keystore"), layout.ca(side).key, pending)


# -- more clients ------------------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class NewClient:
    """A client added to the layout: its two stores, and whether the server's truststore changed."""

    keystore: Path
    truststore: Path
    alias: str
    leaf: bytes
    server_trust_added: bool
    written: Written
    server_truststore: Path

    def to_dict(self) -> dict[str, Any]:
        """What `jkstool add-client --json` prints."""
        return {"files": [{"path": str(self.keystore), "role": "client-keystore"},
                          {"path": str(self.truststore), "role": "client-truststore"}],
                "server_truststore_changed": self.server_trust_added,
                "written": [str(p) for p in self.written.files]}


def add_client(layout: Layout, cn: str, password: str, ca_password: str | None) -> NewClient:
    """A keystore and truststore for one more client, issued by the layout's client CA; the server's
    truststore changes only when it does not trust that CA yet."""
    name = cn.lower()
    if not _NAME.match(name):
        raise JkstoolError(f"cn=... {cn!r} cannot name a file", "use letters, digits, '.', '_' and '-'")
    ext = EXTENSIONS[layout.store_type]
    keystore, truststore = (layout.folder / f"client-{name}.keystore.{ext}",
                            layout.folder / f"client-{name}.truststore.{ext}")
    for path in (keystore, truststore):
        if path.exists():
            raise file_exists(path, "choose another cn=..., or delete the old client's files")
    issuer = issuer_now(layout, "client", ca_password or password)
    if issuer is None:
        raise JkstoolError("the client CA's key is not at hand, so no client certificate can be issued",
                           "run this where ca/ is", path=layout.ca("client").key)
    change = Change(layout, password)
    key = pki.new_key(layout.manifest.key_type)
    days = layout.manifest.client.days
    chain = issue_leaf(issuer, key, cn, "client", days, [])
    change.stores[keystore] = Store([PrivateKeyEntry(name, pki.pkcs8(key), chain, datetime.now(timezone.utc))])
    change.stores[truststore] = Store(list(change.store(layout.store_path("client-truststore"))))
    server_trust = change.store(layout.store_path("server-truststore"))
    added = not any(e.cert == chain[-1] for e in server_trust.trusted_entries())
    if added:
        server_trust.add(TrustedCertEntry(certs.alias_for(chain[-1], server_trust), chain[-1],
                                          datetime.now(timezone.utc)))
    layout.manifest.clients.append(ClientRecord(cn, name, keystore.name, truststore.name, days))
    report = change.check()
    if not report.ok:
        raise JkstoolError("the layout would not pass verify-pair after adding the client",
                           "run jkstool verify-pair on it and fix what it reports", path=str(layout.folder))
    return NewClient(keystore, truststore, name, chain[0], added, change.write(),
                     layout.store_path("server-truststore"))


# -- revocation --------------------------------------------------------------------------------

@dataclass
class Revocation:
    """One CRL extended: the certificates put on it, and those that were on it already."""

    crl: Path
    added: list[bytes]
    already: list[bytes]

    def to_dict(self) -> dict[str, Any]:
        """What `jkstool revoke --json` prints for one CRL."""
        return {"crl": str(self.crl), "revoked": _revoked([self])}


@dataclass
class Revocations:
    """A revocation in a layout: one `Revocation` per CRL that took certificates, and what was written."""

    results: list[Revocation]
    written: Written

    @property
    def crls(self) -> list[Path]:
        """The CRL files written (those of ca/, the CRL bundle included)."""
        return [p for p in self.written.files if p.name.endswith((".crl", ".pem")) and p.parent.name == "ca"]

    def to_dict(self) -> dict[str, Any]:
        """What `jkstool revoke DIR --json` prints ("crl" is None when several CRLs took certificates)."""
        return {"crl": str(self.results[0].crl) if len(self.results) == 1 else None,
                "revoked": _revoked(self.results)}


def _revoked(results: list[Revocation]) -> list[dict[str, str]]:
    items = [(r.crl, c, "revoked") for r in results for c in r.added]
    items += [(r.crl, c, "already revoked") for r in results for c in r.already]
    found = []
    for crl, data, status in items:
        cert = certs.load(data)
        found.append({"subject": certs.subject_of(cert), "serial": format(cert.serial_number, "x"),
                      "status": status, "crl": str(crl)})
    return found


def revoke(layout: Layout, password: str, ca_password: str | None, revoked: list[bytes],
           days: int, issuer_crls: Sequence[tuple[str, bytes]] = ()) -> Revocations:
    """Revoke certificates in the CRL of the layout's CA that issued each (one CRL per CA, in ca/). The
    first revocation starts a CRL for every CA of the layout, so that servers loading the CRL bundle
    find one for each issuer they trust. `issuer_crls` ((file, bytes)) are CRLs of the CAs above a
    brought CA, kept in ca/ (a newer one replaces the CRL of the same CA) and bundled the same way. With
    nothing to revoke or keep, every CRL is signed anew, with the next number and a new nextUpdate."""
    change = Change(layout, password)
    for source, data in issuer_crls:
        keep_issuer_crl(layout, change, source, data)
    signers = _signers(layout, ca_password or password)
    by_ca: dict[str, list[bytes]] = {}
    for data in revoked:
        cert = certs.load(data)
        name = next((n for n, (issuer, _, _) in signers.items() if certs.issued_by(cert, issuer.cert)), None)
        if name is None:
            raise JkstoolError(f"{certs.subject_of(cert)} is not issued by a CA of this layout",
                               "revoke it with its own CA: revoke_with(ca, crl, certificates)",
                               path=str(layout.folder))
        by_ca.setdefault(name, []).append(data)
    results = []
    for name, (issuer, crl_name, record) in signers.items():
        path = layout.path(crl_name)
        if name not in by_ca and path.exists() and (revoked or issuer_crls):
            continue
        existing = crls.load(files.read_bytes(path)) if path.exists() else None
        try:
            data, added, already = crls.revoke(issuer, existing, by_ca.get(name, []), days)
        except JkstoolError as e:
            raise e.at(path=path) from None
        change.raw[path] = (data, files.Secrecy.PUBLIC)
        record.crl = crl_name
        if name in by_ca:
            results.append(Revocation(path, added, already))
    return Revocations(results, change.write())


def keep_issuer_crl(layout: Layout, change: "Change", source: str, data: bytes) -> None:
    """A CRL of a CA above the layout's brought CA, or above the one a rollover brings (checked to be signed
    by one of the chain that came with it), kept as ca/issuer-<its CA's fingerprint>.crl and recorded."""
    from ..formats import certfile
    try:
        crl = crls.load(data)
    except JkstoolError as e:
        raise e.at(path=source) from None
    cas = layout.manifest.cas
    rolled = list(layout.manifest.rollover.cas.values()) if layout.manifest.rollover else []
    brought = [r.cert for r in cas.records() if r.brought] + [r.cert for r in rolled if r.brought]
    above = [certs.load(c) for cert in brought for c in certfile.read_certificates(layout.path(cert))[1:]]
    signer = crls.signer_among(crl, above)
    if signer is None:
        raise not_above(source)
    name = f"ca/issuer-{certs.sha256(pki.der(signer))[:12]}.crl"
    kept = layout.path(name)
    if kept.exists() and crls.load(files.read_bytes(kept)).last_update_utc > crl.last_update_utc:
        raise JkstoolError("this CRL is older than the one the layout keeps for its CA, and would undo what "
                           "that one revokes", "give the CA's newest CRL", path=source)
    change.raw[kept] = (crl.public_bytes(Encoding.PEM), files.Secrecy.PUBLIC)
    if name not in cas.issuer_crls:
        cas.issuer_crls.append(name)


def not_above(source: str) -> JkstoolError:
    return JkstoolError("this CRL is not signed by a CA above the layout's brought CA", "give the CRL of a CA of "
                        "the chain brought to init-pair (its root's), or bring that chain whole", path=source)


def _signers(layout: Layout, ca_password: str) -> dict[str, tuple[pki.Issuer, str, CARecord | RolloverCA]]:
    """The layout's CAs whose keys are at hand, a rollover's new ones included: name -> (issuer, CRL file,
    the record that names the CRL)."""
    from ..formats import certfile
    cas = layout.manifest.cas
    found: dict[str, tuple[pki.Issuer, str, CARecord | RolloverCA]] = {}
    for side in (("server", "client") if cas.separate else ("server",)):
        record = cas.of(side)
        issuer = layout.issuer(side, ca_password)
        if issuer is not None:
            name = Path(record.cert).stem if not record.brought else f"{side}-ca" if cas.separate else "ca"
            found[name] = (issuer, record.crl or f"ca/{name}.crl", record)
    if layout.manifest.rollover:
        for rolling in layout.manifest.rollover.cas.values():
            issuer = certfile.read_issuer(layout.path(rolling.cert), layout.path(rolling.key), ca_password)
            name = Path(rolling.cert).stem
            found[name] = (issuer, rolling.crl or f"ca/{name}.crl", rolling)
    if not found:
        raise JkstoolError("no key of the layout's CAs is at hand", "run this where ca/ is",
                           path=str(layout.folder))
    return found


def leaf_of(layout: Layout, password: str, alias: str) -> bytes:
    """The certificate of the key entry `alias` in one of the layout's keystores."""
    for side in ("server", "client"):
        for path, record in layout.keystores(side):
            if record.alias == alias.lower():
                return formats.read_store(path, password).store.key_entry(record.alias).chain[0]
    raise JkstoolError(f"no keystore of the layout has the alias {alias!r}",
                       "give the alias of the server, the client or an added client", path=str(layout.folder))


# -- converting, restoring -------------------------------------------------------------------------

def convert(layout: Layout, password: str, store_type: str) -> Written:
    """Every store of the layout in `store_type`, layout.json updated; the old files go to the backup."""
    if store_type == layout.store_type:
        raise JkstoolError(f"the layout's stores are {store_type} already", path=str(layout.folder))
    change = Change(layout, password)
    ext = EXTENSIONS[store_type]
    old = [layout.store_path(role) for role in ROLES] + [
        layout.path(name) for c in layout.manifest.clients for name in (c.keystore, c.truststore)]
    renamed = {path: path.with_suffix(f".{ext}") for path in old}
    for path, target in renamed.items():  # new paths: written in the layout's new type
        change.stores[target] = formats.read_store(path, password).store
    manifest = layout.manifest
    manifest.store_type = store_type
    manifest.files = {role: Path(name).with_suffix(f".{ext}").as_posix() for role, name in manifest.files.items()}
    for client in manifest.clients:
        client.keystore, client.truststore = (Path(client.keystore).with_suffix(f".{ext}").name,
                                              Path(client.truststore).with_suffix(f".{ext}").name)
    report = change.check()
    if not report.ok:
        raise JkstoolError("the converted layout would not pass verify-pair", "run jkstool verify-pair on it",
                           path=str(layout.folder))
    backups = backups_of(layout)
    written = change.write(backups)
    written.backups += [backups.retire(path) for path in old]
    return written


def restore(folder: Path, stamp: str | None) -> tuple[Path, Written]:
    """Put back the files of a backup (the newest, or the one of `stamp`), the current ones backed up
    first; files the backed-up run created are taken away (into the new backup). Backups are this user's
    own: a folder or file in backups/ that is a link or someone else's (planted in a shared folder) is
    refused, and a file is restored no wider than it was kept."""
    root = folder / BACKUPS
    runs = sorted(p for p in root.iterdir() if _a_run(p)) if files.own_folder(root) else []
    chosen = next((p for p in runs if p.name == stamp), None) if stamp else (runs[-1] if runs else None)
    if chosen is None:
        raise JkstoolError(f"no backup {stamp}" if stamp else "no backups", "see the folders in backups/: "
                           + (", ".join(p.name for p in runs[-5:]) or "none"), path=str(root))
    created_list = chosen / files.Backups.CREATED
    kept_files = [path for path in _own_files(chosen) if path != created_list]
    items = [(within(folder, str(path.relative_to(chosen))), files.read_bytes(path, own=True), files.Secrecy.PUBLIC)
             for path in kept_files]
    private = [folder / path.relative_to(chosen) for path in kept_files if files.mode(path) & 0o077 == 0]
    created = files.read_bytes(created_list, 1 << 20, own=True).decode("utf-8", "replace").split() \
        if created_list.exists() else []
    backups = files.Backups(root, folder)
    kept = files.write_all([(p, data, files.Secrecy.KEYS if p in private else secrecy) for p, data, secrecy in items],
                           replace=True, backups=backups)
    for path in private:  # as private as it was kept, whatever the file it replaced allowed
        files.narrow(path, 0o700)
    kept += [backups.retire(folder / name) for name in created if _inside(folder, name)]
    return chosen, Written([*backups.created, *backups.replaced], kept, backups.folder)
