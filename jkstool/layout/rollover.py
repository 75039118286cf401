"""Replacing a layout's CA in three stages, each safe to deploy in any order against the stage before.

    trust    a new CA, trusted beside the old one by every truststore that trusts the old
    reissue  the leaves reissued from the new CA (their validity and SANs as recorded)
    finish   the old CA leaves the truststores; the new one takes its file names

Every mix of stores from one stage and the next completes a mutual handshake:
at *trust* no leaf changes, at *reissue* every truststore trusts both CAs, and
at *finish* every leaf is from the new CA. A stage refuses to run out of order.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import files
from ..errors import JkstoolError
from ..files import Secrecy
from ..formats import certfile
from ..formats.pem import key_pem
from ..model import TrustedCertEntry
from ..mtls import checks
from ..pki import certs
from ..pki import crl as crls
from ..pki import issue as pki
from . import derived
from .create import ca_tag
from .lifecycle import Change, Written, backups_of, issue_leaf, keep_issuer_crl, new_or_kept_key
from .manifest import STAGES, ClientRecord, Layout, LeafRecord, Rollover, RolloverCA

NEXT = {"trust": "reissue", "reissue": "finish"}


@dataclass
class Stage:
    """A stage done (or refused by verify-pair's checks: then nothing was written)."""

    name: str
    report: checks.Report
    written: Written
    status: dict[str, Any] = field(default_factory=dict)
    """Where the rollover stands after this stage (`status`)."""
    left_revoked: list[Path] = field(default_factory=list)
    """Keystores not reissued: their certificate is revoked (or from a CA an earlier rollover retired), and
    they lose the old CA's trust at finish."""

    def to_dict(self) -> dict[str, Any]:
        """What `jkstool rollover-ca --json` prints: the verdict, the stage, where the rollover stands, the
        keystores left revoked, the files written and their backups."""
        return {"ok": self.report.ok, "stage": self.name, **self.status,
                "left_revoked": [str(p) for p in self.left_revoked], **self.written.to_dict()}


def status(layout: Layout) -> dict[str, Any]:
    """Where a rollover stands: its stage, the next one, the CAs it replaces; "needs": "ca" when the next
    stage replaces a brought CA, whose successor must be given."""
    rollover = layout.manifest.rollover
    if rollover is None:
        brought = any(r.brought for r in layout.manifest.cas.records())
        return {"stage": None, "next": "trust", "cas": [], **({"needs": "ca"} if brought else {})}
    return {"stage": rollover.stage, "next": NEXT[rollover.stage], "started": rollover.started,
            "cas": [{"sides": r.sides, "new": r.subject, "old_sha256": r.old_anchor} for r in rollover.cas.values()]}


def _expect(layout: Layout, stage: str) -> Rollover:
    """The rollover under way, when `stage` comes next; else the refusal naming the stage that does."""
    rollover = layout.manifest.rollover
    due = "trust" if rollover is None else NEXT[rollover.stage]
    if stage != due:
        raise JkstoolError(f"the rollover's next stage is {due}, not {stage}",
                           f"run rollover_ca(folder, {due!r}); the stages are {', '.join(STAGES)}",
                           path=str(layout.folder))
    assert rollover is not None or stage == "trust"
    return rollover  # type: ignore[return-value]


def _groups(layout: Layout, sides: list[str] | None) -> dict[str, list[str]]:
    """CA file prefix -> the sides it issues for: the one CA of the layout, or one per side."""
    if not layout.manifest.cas.separate:
        if sides is not None and set(sides) != {"server", "client"}:
            raise JkstoolError("the layout has one CA for both sides, so sides=... has nothing to choose",
                               "leave out sides=...: it is for layouts made with separate_cas=True",
                               path=str(layout.folder))
        return {"ca": ["server", "client"]}
    return {f"{side}-ca": [side] for side in (sides or ["server", "client"])}


def trust(layout: Layout, sides: list[str] | None, password: str, ca_password: str | None,
          ca_days: int = 3650, brought: tuple[Path, Path] | None = None,
          issuer_crls: Sequence[tuple[str, bytes]] = ()) -> Stage:
    """Stage 1: a new CA (per side rolled), added to every truststore that trusts the old one; a CRL for
    it when the old one had one. No leaf changes. A CA brought to init-pair is replaced by the one
    `brought` gives (its certificate file, the CA first then its issuers, and its key): trusted where its
    root is not trusted yet (a next intermediate under the same root changes no truststore).
    `issuer_crls` ((file, bytes)) are CRLs of the CAs above it (a new root's), kept as revoke keeps them:
    servers that check revocation need one for every level once leaves come from it."""
    _expect(layout, "trust")
    change = Change(layout, password)
    now = datetime.now(timezone.utc)
    rollover = Rollover(now.strftime("%Y-%m-%dT%H:%M:%SZ"), {})
    for prefix, group in _groups(layout, sides).items():
        record = layout.ca(group[0])
        if record.brought and brought is None:
            raise JkstoolError("this CA was brought to init-pair, so its successor comes from you too",
                               "give ca=(certificate, key)", path=record.cert)
        if brought is not None and not record.brought:
            raise JkstoolError("this layout made its CA, and makes the next one too",
                               "leave out ca=(certificate, key)", path=record.cert)
        old_root = certfile.read_certificates(layout.path(record.cert))[-1]  # the old CA's key is not needed
        files = {kind: f"ca/{prefix}-next{suffix}" for kind, suffix in
                 (("cert", ".pem"), ("key", "-key.pem"), ("crl", ".crl"))}
        if brought is not None:
            new = certfile.read_issuer(brought[0], brought[1], ca_password)
            files.update(cert=str(brought[0].resolve()), key=str(brought[1].resolve()))
        else:
            new = pki.new_ca(f"jkstool {'' if prefix == 'ca' else group[0].title() + ' '}CA {ca_tag()}",
                             layout.manifest.key_type, ca_days)
            change.raw[layout.path(files["cert"])] = (pki.cert_pem(new.cert), Secrecy.PUBLIC)
            change.raw[layout.path(files["key"])] = (key_pem(pki.pkcs8(new.key), ca_password or password)
                                                     .encode(), Secrecy.KEYS)
        if record.crl:  # servers that check revocation must find a CRL for the new CA from the start
            change.raw[layout.path(files["crl"])] = (crls.revoke(new, None, [], 30)[0], Secrecy.PUBLIC)
        rollover.cas[prefix] = RolloverCA(group, files["cert"], files["key"], certs.subject_of(new.cert),
                                          certs.sha256(old_root), files["crl"] if record.crl else "",
                                          brought is not None)
        anchor = pki.der(new.root)
        for side in group:
            for path in layout.truststores_trusting(side):
                store = change.store(path)
                if not any(e.cert == anchor for e in store.trusted_entries()):
                    store.add(TrustedCertEntry(certs.alias_for(anchor, store), anchor, now))
    layout.manifest.rollover = rollover
    for source, data in issuer_crls:
        keep_issuer_crl(layout, change, source, data)
    return _done("trust", change)


def reissue(layout: Layout, password: str, ca_password: str | None, keep_key: bool = False) -> Stage:
    """Stage 2: every leaf of the sides rolled, reissued from the new CA with its recorded validity; but
    not one whose certificate the layout's CRLs revoke: a rollover must not give a revoked partner back
    the trust that revocation took (renew does, when asked by name)."""
    rollover = _expect(layout, "reissue")
    change = Change(layout, password)
    now = datetime.now(timezone.utc)
    revoked = _revoked_keystores(layout, change, rollover)
    for record in rollover.cas.values():
        new = certfile.read_issuer(layout.path(record.cert), layout.path(record.key), ca_password or password)
        for side in record.sides:
            for path, leaf in layout.keystores(side):
                if path in revoked:
                    continue
                store = change.store(path)
                entry = store.key_entry(leaf.alias)
                key = new_or_kept_key(layout.manifest.key_type, entry.key if keep_key else None)
                chain = issue_leaf(new, key, certs.load(entry.chain[0]).subject, side, leaf.days, _sans(leaf))
                store.put(replace(entry, key=pki.pkcs8(key), chain=chain, created=now))
    rollover.stage = "reissue"
    return replace(_done("reissue", change), left_revoked=revoked)


def finish(layout: Layout, password: str) -> Stage:
    """Stage 3: the old CA leaves the truststores, and the new one takes its file names (the old files are
    in the backup). Refused while a leaf of the layout still chains to an old CA, unless it is revoked."""
    rollover = _expect(layout, "finish")
    change = Change(layout, password)
    revoked = _revoked_keystores(layout, change, rollover)
    retired: list[str] = []
    for record in rollover.cas.values():
        new_chain = certfile.read_certificates(layout.path(record.cert))
        for side in record.sides:
            for path, leaf in layout.keystores(side):
                if path not in revoked and new_chain[0] not in change.store(path).key_entry(leaf.alias).chain[1:]:
                    raise JkstoolError("this keystore's certificate is not from the new CA",
                                       "reissue it with jkstool renew before finishing", path=str(path))
            if certs.sha256(new_chain[-1]) == record.old_anchor:
                continue  # a next intermediate under the same root: the truststores keep trusting the root
            for path in layout.truststores_trusting(side):
                store = change.store(path)
                for entry in [e for e in store.trusted_entries() if certs.sha256(e.cert) == record.old_anchor]:
                    store.remove(entry.alias)
        old = layout.ca(record.sides[0])
        # the new CA's files take the old ones' names; a brought CA's own files stay where the company keeps them
        moves = [] if record.brought else [(record.cert, old.cert, Secrecy.PUBLIC), (record.key, old.key, Secrecy.KEYS)]
        if record.crl:
            moves.append((record.crl, old.crl or str(Path(old.cert).with_suffix(".crl")), Secrecy.PUBLIC))
        for source, target, private in moves:
            change.raw[layout.path(target)] = (layout.path(source).read_bytes(), private)
            retired.append(source)
        for side in record.sides:
            ca = layout.ca(side)
            ca.subject = record.subject
            if record.brought:
                ca.cert, ca.key = record.cert, record.key
            if record.crl:
                ca.crl = moves[-1][1]
    layout.manifest.rollover = None
    kept = backups_of(layout)
    stage = replace(_done("finish", change, kept), left_revoked=revoked)
    if stage.report.ok:  # the new CA's -next files now live under the old names
        stage.written.backups += [kept.retire(layout.path(name)) for name in retired]
    return stage


def _revoked_keystores(layout: Layout, change: Change, rollover: Rollover) -> list[Path]:
    """The keystores of the sides rolled that a rollover leaves as they are: a certificate the layout's CRLs
    revoke, or one from neither the CA being replaced nor the new one (revoked under a CA an earlier
    rollover retired, with its CRL): no rollover gives a revoked partner back the trust revocation took."""
    lists = [crls.load(files.read_bytes(p)) for p in derived.crl_paths(layout) if p.exists()]
    left = []
    for record in rollover.cas.values():
        new = certs.load(certfile.read_certificates(layout.path(record.cert))[0])
        for side in record.sides:
            old = certs.load(certfile.read_certificates(layout.path(layout.ca(side).cert))[0])
            for path, leaf in layout.keystores(side):
                cert = certs.load(change.store(path).key_entry(leaf.alias).chain[0])
                if crls.revoked_by(lists, cert, None) or not (certs.issued_by(cert, old)
                                                               or certs.issued_by(cert, new)):
                    left.append(path)
    return left


def _done(name: str, change: Change, kept: files.Backups | None = None) -> Stage:
    report = change.check()
    return Stage(name, report, change.write(kept) if report.ok else Written(), status(change.layout))


def _sans(record: LeafRecord | ClientRecord) -> list[str]:
    return record.sans if isinstance(record, LeafRecord) else []
