"""Living with an init-pair layout: renewing a side, adding clients, rolling a CA over.

Every change is built in memory, serialized, read back and checked with
verify-pair's rules *before* anything is written; only a layout that passes
is written, as one change, with byte-exact backups of the files it replaces.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509

from .. import files, formats
from ..errors import JkstoolError, file_exists
from ..formats.pem import key_pem
from ..model import PrivateKeyEntry, Store, TrustedCertEntry
from ..mtls import checks
from ..pki import certs
from ..pki import issue as pki
from .create import ca_tag
from .manifest import EXTENSIONS, STORE_ROLES, ClientRecord, Layout, LeafRecord, Rollover, RolloverCA


@dataclass
class Change:
    """Files a lifecycle step writes (path -> store or bytes), checked before they are written."""

    layout: Layout
    password: str
    stores: dict[Path, Store] = field(default_factory=dict)
    raw: dict[Path, tuple[bytes, int]] = field(default_factory=dict)

    def store(self, path: Path) -> Store:
        """The store at `path` as this change leaves it (read from disk the first time)."""
        if path not in self.stores:
            self.stores[path] = formats.read_store(path, self.password).store
        return self.stores[path]

    def add_manifest(self) -> None:
        """Write the layout's manifest, as it now stands, with the change."""
        path, data, private = self.layout.manifest_item()
        self.raw[path] = (data, private)

    def check(self, **options) -> checks.Report:
        """verify-pair's checks on the layout as it will be, read back from the bytes to be written."""
        inputs = {}
        for role in STORE_ROLES:
            path = self.layout.store_path(role)
            data = (formats.dump(self.stores[path], self.layout.store_type, self.password)
                    if path in self.stores else files.read_bytes(path))
            loaded = formats.load(data, self.password, strict=False)
            inputs[role] = checks.StoreInput(role, str(path), loaded)
        return checks.verify(inputs, **options)

    def write(self) -> list[Path]:
        """Write every file as one change; returns the backups kept."""
        items: list[tuple[Path, bytes, int]] = [
            (path, formats.dump(store, self.layout.store_type, self.password), store.holds_keys())
            for path, store in self.stores.items()]
        items += [(path, data, private) for path, (data, private) in self.raw.items()]
        return files.write_all(items, replace=True)


def _leaf(issuer: pki.Issuer, key: pki.PrivateKey, subject: x509.Name | str, side: str, days: int,
          sans: list[str]) -> tuple[bytes, ...]:
    cert = pki.issue(issuer, key.public_key(), subject, side, days, sans)
    return tuple(pki.der(c) for c in (cert, *issuer.certificates))


def _key(key_type: str, keep: bytes | None) -> pki.PrivateKey:
    """The key to keep (PKCS#8), or a new one of `key_type`."""
    return pki.new_key(key_type) if keep is None else pki.load_pkcs8(keep)


# -- renewal -------------------------------------------------------------------------------

@dataclass
class Renewal:
    """A certificate renewed from the layout's CA (written only when `report` passes)."""

    old: bytes
    new: bytes
    report: checks.Report
    backups: list[Path] = field(default_factory=list)


@dataclass
class Request:
    """No CA key at hand: a request for the CA, and (for a new key) the keystore that waits for its reply."""

    old: bytes
    request: Path
    pending: Path | None = None


def renew(layout: Layout, side: str, password: str, ca_password: str | None, keep_key: bool,
          days: int | None, issuer: pki.Issuer | None = None) -> Renewal | Request:
    """A new certificate (and key, unless `keep_key`) for `side`, from its CA, with the same subject,
    SANs and profile. Without the CA's key: a request to send to the CA instead."""
    record = layout.manifest.leaf(side)
    change = Change(layout, password)
    keystore = layout.store_path(f"{side}-keystore")
    store = change.store(keystore)
    entry = store.key_entry(record.alias)
    old_leaf = certs.load(entry.chain[0])
    key = _key(layout.manifest.key_type, entry.key if keep_key else None)
    issuer = issuer or layout.issuer(side, ca_password or password)
    if issuer is None:
        return _request_instead(layout, side, entry, key, keep_key, password, old_leaf)
    chain = _leaf(issuer, key, old_leaf.subject, side, days or record.days, record.sans)
    store.put(replace(entry, key=pki.pkcs8(key), chain=chain, created=datetime.now(timezone.utc)))
    report = change.check()
    renewal = Renewal(entry.chain[0], chain[0], report)
    if report.ok:
        renewal.backups = change.write()
    return renewal


def _request_instead(layout: Layout, side: str, entry: PrivateKeyEntry, key: pki.PrivateKey, keep_key: bool,
                     password: str, old_leaf: x509.Certificate) -> Request:
    """No CA key at hand: write a CSR, and (for a new key) a pending keystore holding the new key."""
    from cryptography.hazmat.primitives.serialization import Encoding
    sans = layout.manifest.leaf(side).sans
    request = layout.folder / f"{side}.csr"
    csr = pki.request(key, old_leaf.subject, sans)
    items = [(request, csr.public_bytes(Encoding.PEM), False)]
    pending = None
    if not keep_key:
        pending = layout.folder / f"{side}.keystore.next.{EXTENSIONS[layout.store_type]}"
        placeholder = pki.self_signed(key, old_leaf.subject.rfc4514_string(), 30, sans)
        store = Store([PrivateKeyEntry(entry.alias, pki.pkcs8(key), (pki.der(placeholder),),
                                       datetime.now(timezone.utc))])
        items.append((pending, formats.dump(store, layout.store_type, password), True))
    files.write_all(items, replace=True)
    return Request(entry.chain[0], request, pending)


# -- more clients ------------------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class NewClient:
    keystore: Path
    truststore: Path
    alias: str
    leaf: bytes
    server_trust_added: bool
    backups: list[Path]


def add_client(layout: Layout, cn: str, password: str, ca_password: str | None) -> NewClient:
    """A keystore and truststore for one more client, issued by the layout's client CA."""
    name = cn.lower()
    if not _NAME.match(name):
        raise JkstoolError(f"--cn {cn!r} cannot name a file", "use letters, digits, '.', '_' and '-'")
    ext = EXTENSIONS[layout.store_type]
    keystore, truststore = (layout.folder / f"client-{name}.keystore.{ext}",
                            layout.folder / f"client-{name}.truststore.{ext}")
    for path in (keystore, truststore):
        if path.exists():
            raise file_exists(path, "choose another --cn, or delete the old client's files")
    issuer = layout.issuer("client", ca_password or password)
    if issuer is None:
        raise JkstoolError("the client CA's key is not at hand, so no client certificate can be issued",
                           "give --ca-cert and --ca-key", path=layout.ca("client").key)
    change = Change(layout, password)
    key = pki.new_key(layout.manifest.key_type)
    chain = _leaf(issuer, key, cn, "client", layout.manifest.client.days, [])
    change.stores[keystore] = Store([PrivateKeyEntry(name, pki.pkcs8(key), chain, datetime.now(timezone.utc))])
    client_trust = change.store(layout.store_path("client-truststore"))
    change.stores[truststore] = Store(list(client_trust))
    server_trust = change.store(layout.store_path("server-truststore"))
    added = not any(e.cert == chain[-1] for e in server_trust.trusted_entries())
    if added:
        server_trust.add(TrustedCertEntry(certs.alias_for(chain[-1], server_trust), chain[-1],
                                          datetime.now(timezone.utc)))
    layout.manifest.clients.append(ClientRecord(cn, name, keystore.name, truststore.name))
    change.add_manifest()
    report = change.check()
    if not report.ok:
        raise JkstoolError("the layout would not pass verify-pair after adding the client",
                           "run jkstool verify-pair on it and fix what it reports", path=str(layout.folder))
    return NewClient(keystore, truststore, name, chain[0], added, change.write())


# -- CA rollover ------------------------------------------------------------------------------

def _ca_groups(layout: Layout, sides: list[str]) -> dict[str, list[str]]:
    """CA file prefix -> the sides it issues for: one CA for both, or one per side."""
    if not layout.manifest.cas.separate:
        if set(sides) != {"server", "client"}:
            raise JkstoolError("the layout has one CA for both sides", "roll it over with --side both")
        return {"ca": ["server", "client"]}
    return {f"{side}-ca": [side] for side in sides}


def _days(record: LeafRecord | ClientRecord) -> int:
    return record.days if isinstance(record, LeafRecord) else 397


def _sans(record: LeafRecord | ClientRecord) -> list[str]:
    return record.sans if isinstance(record, LeafRecord) else []


def start_rollover(layout: Layout, sides: list[str], password: str, ca_password: str | None,
                   ca_days: int = 3650) -> tuple[checks.Report, list[Path]]:
    """Step 1: a new CA, trusted beside the old one, and the leaves reissued from it."""
    if layout.manifest.rollover is not None:
        raise JkstoolError("a CA rollover is under way", "finish it first: jkstool rollover-ca DIR --finish",
                           path=str(layout.folder))
    change = Change(layout, password)
    now = datetime.now(timezone.utc)
    rollover = Rollover(now.strftime("%Y-%m-%dT%H:%M:%SZ"), {})
    for prefix, group in _ca_groups(layout, sides).items():
        if layout.ca(group[0]).brought:
            raise JkstoolError("this CA was brought to init-pair, not made by it",
                               "roll it over where it lives, then import the new CA with import-ca",
                               path=layout.ca(group[0]).cert)
        old = layout.issuer(group[0], ca_password or password)
        if old is None:
            raise JkstoolError("the CA's key is not at hand", "run this where ca/ is",
                               path=layout.ca(group[0]).key)
        new = pki.new_ca(f"jkstool {'' if prefix == 'ca' else group[0].title() + ' '}CA {ca_tag()}",
                         layout.manifest.key_type, ca_days)
        cert_path, key_path = f"ca/{prefix}-next.pem", f"ca/{prefix}-next-key.pem"
        change.raw[layout.folder / cert_path] = (pki.cert_pem(new.cert), False)
        change.raw[layout.folder / key_path] = (key_pem(pki.pkcs8(new.key), ca_password or password).encode(), True)
        rollover.cas[prefix] = RolloverCA(group, cert_path, key_path, certs.subject_of(new.cert),
                                          certs.sha256(pki.der(old.root)))
        anchor = pki.der(new.cert)
        for side in group:
            for path in layout.truststores_trusting(side):
                trust = change.store(path)
                trust.add(TrustedCertEntry(certs.alias_for(anchor, trust), anchor, now))
            for path, record in layout.keystores(side):
                store = change.store(path)
                entry = store.key_entry(record.alias)
                key = pki.new_key(layout.manifest.key_type)
                chain = _leaf(new, key, certs.load(entry.chain[0]).subject, side, _days(record), _sans(record))
                store.put(replace(entry, key=pki.pkcs8(key), chain=chain, created=now))
    layout.manifest.rollover = rollover
    change.add_manifest()
    report = change.check()
    return report, (change.write() if report.ok else [])


def finish_rollover(layout: Layout, password: str) -> tuple[checks.Report, list[Path]]:
    """Step 2, once every side runs the new leaves: the old CA leaves the truststores."""
    from ..formats import certfile
    rollover = layout.manifest.rollover
    if rollover is None:
        raise JkstoolError("no CA rollover is under way", "start one with jkstool rollover-ca DIR",
                           path=str(layout.folder))
    change = Change(layout, password)
    for record in rollover.cas.values():
        new_anchor = certfile.read_certificates(layout.path(record.cert))[0]
        for side in record.sides:
            for path, entry_record in layout.keystores(side):
                if change.store(path).key_entry(entry_record.alias).chain[-1] != new_anchor:
                    raise JkstoolError("this keystore's certificate is not yet from the new CA",
                                       "reissue it (jkstool renew) before finishing", path=str(path))
            for path in layout.truststores_trusting(side):
                trust = change.store(path)
                for entry in [e for e in trust.trusted_entries() if certs.sha256(e.cert) == record.old_anchor]:
                    trust.remove(entry.alias)
        old = layout.ca(record.sides[0])
        # the new CA takes the old one's files; the old stays as their backup
        change.raw[layout.path(old.cert)] = (files.read_bytes(layout.path(record.cert)), False)
        change.raw[layout.path(old.key)] = (files.read_bytes(layout.path(record.key)), True)
        for side in record.sides:
            layout.ca(side).subject = layout.ca(side).trust_anchor = record.subject
    layout.manifest.rollover = None
    change.add_manifest()
    report = change.check()
    if not report.ok:
        return report, []
    backups = change.write()
    for record in rollover.cas.values():
        layout.path(record.cert).unlink(missing_ok=True)
        layout.path(record.key).unlink(missing_ok=True)
    return report, backups
