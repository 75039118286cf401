"""Every certificate in stores, PEM files and folders, soonest to expire first: a pre-deploy gate.

CRLs found (a layout's ca/*.crl, a PEM bundle of them) are rows too, by their
nextUpdate: a server that checks a CRL refuses every client once it is stale.

A folder is scanned recursively; a file in it that is not a store or a
certificate (a README, a config) is passed over, but one that is a store and
cannot be read is reported, since a gate must not pass over what it could
not check. Backups are never read (a layout's backups/ folder, NAME.bak-*
copies): they hold the certificates a renewal replaced. A store of a layout
opens with the layout's storepass file when it has one.
"""

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .. import files, formats
from ..errors import JkstoolError, unexpected
from ..formats import certfile
from ..layout.manifest import BACKUPS, MANIFEST, generated_password, layout_folder
from ..pki import certs
from ..pki.crl import NEAR as CRL_NEAR
from ..pki.inventory import days_left
from .reasons import reason

if TYPE_CHECKING:
    from .secrets import SecretFile


@dataclass(frozen=True)
class Expiring:
    path: str
    alias: str | None
    kind: str
    cert: bytes
    """The certificate's DER; for kind "crl", the CRL's."""

    @property
    def facts(self) -> certs.CertFacts:
        """What the rows show; read from the DER also where no parser takes the certificate. A CRL's
        subject is "CRL of ISSUER", its dates its thisUpdate and nextUpdate."""
        return _crl_facts(self.cert) if self.kind == "crl" else certs.facts(self.cert)

    @property
    def not_after(self) -> datetime:
        return self.facts.not_after


def _crl_facts(data: bytes) -> certs.CertFacts:
    from ..pki import crl
    loaded = crl.load(data)
    issuer = loaded.issuer.rfc4514_string()
    end = loaded.next_update_utc
    assert end is not None  # certificates_in keeps only CRLs with a nextUpdate
    return certs.CertFacts(f"CRL of {issuer}", issuer, "", loaded.last_update_utc, end, certs.sha256(data), "", None)


@dataclass(frozen=True)
class ExpiringCertificate:
    """One certificate, however many stores hold it: where it was found first, and every place."""

    path: str
    alias: str | None
    kind: str
    subject: str
    not_after: datetime
    days_left: int
    """Whole days from the scan to its notAfter (negative once it has expired)."""
    sha256: str
    locations: tuple[tuple[str, str | None], ...]
    """(path, alias) of each place that holds it, the first one first."""

    def to_dict(self) -> dict[str, object]:
        """The certificate's row as expiry --json prints it."""
        return {"path": self.path, "alias": self.alias, "kind": self.kind, "subject": self.subject,
                "not_after": self.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), "days_left": self.days_left,
                "sha256": self.sha256, "locations": [{"path": path, "alias": alias} for path, alias in self.locations]}


def due_days(kind: str, within: int) -> int:
    """The gate's days for a row of `kind`: `within` for a certificate; for a CRL, at most the days before
    its nextUpdate that verify-pair warns at. A CRL is signed anew every few days or weeks (revoke's default
    is 30), so a month's notice would fail the gate on every CRL just published."""
    return min(within, CRL_NEAR.days) if kind == "crl" else within


class ReadError(NamedTuple):
    """A file that could not be read: its name, what went wrong, and why as a code of fleet.reasons (what
    the reports' machines match on)."""

    path: str
    error: str
    code: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error, "code": self.code}


@dataclass
class Scan:
    found: list[Expiring]
    """Every place a certificate was found (a certificate in three stores: three), soonest to expire first."""
    failures: list[ReadError]
    """Each file that could not be read, in the order met: what went wrong, and its reason code."""
    files: int = 0

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(path, what went wrong) of each file that could not be read."""
        return [(failure.path, failure.error) for failure in self.failures]

    @cached_property
    def certificates(self) -> list[ExpiringCertificate]:
        """One row per certificate (by its SHA-256 fingerprint) with every place that holds it, soonest to
        expire first: what expiry shows (computed on first read, its days left counted from then)."""
        now = datetime.now(timezone.utc)
        places: dict[str, list[Expiring]] = {}
        for item in self.found:
            places.setdefault(certs.sha256(item.cert), []).append(item)
        rows = []
        for fingerprint, items in places.items():
            first, facts = items[0], items[0].facts
            rows.append(ExpiringCertificate(first.path, first.alias, first.kind, facts.subject, facts.not_after,
                                            days_left(facts.not_after, now), fingerprint,
                                            tuple((item.path, item.alias) for item in items)))
        return rows

    def due(self, within: int) -> list[ExpiringCertificate]:
        """The certificates that expire within `within` days (or have expired), and the CRLs due within
        `due_days`: what fails the gate."""
        return [c for c in self.certificates if c.days_left < due_days(c.kind, within)]

    def to_dict(self, within: int) -> dict[str, object]:
        """As expiry --json prints it, for the gate of `within` days."""
        return {"within_days": within, "certificates": [c.to_dict() for c in self.certificates],
                "errors": [failure.to_dict() for failure in self.failures]}


def candidates(paths: list[Path]) -> Iterator[tuple[Path, bool, JkstoolError | None]]:
    """(file, whether it was named explicitly, None) for the paths given, folders walked in order, backups
    passed over; (folder, True, why) for a folder the walk could not list: a gate must not pass over what it
    could not check."""
    for path in paths:
        if path.is_dir():
            unlisted: list[OSError] = []
            for found in files_under(path, unlisted):
                if not _backup(found.relative_to(path), path):
                    yield found, False, None
            for error in unlisted:
                yield Path(error.filename), True, JkstoolError(
                    f"the folder cannot be listed: {(error.strerror or str(error)).lower()}",
                    "check the folder's owner and mode: the stores in it were not checked")
        else:
            yield path, True, None


VOLUME_DATA = "..data"
"""The link a Kubernetes Secret or ConfigMap volume (the kubelet's atomic writer) swaps to a new timestamped
folder (..2026_01_31_09_00_00.123456789) at each update; each key is a link `NAME -> ..data/NAME`."""


def volume(folder: Path) -> bool:
    """Whether `folder` is the top of a Kubernetes Secret (or ConfigMap) volume: it holds the ..data link."""
    return os.path.islink(folder / VOLUME_DATA)


def files_under(top: Path, unlisted: list[OSError] | None = None) -> list[Path]:
    """The regular files under `top`, in path order: links are not followed (a file is read once, under its
    own name), except in a Kubernetes Secret volume, whose files are the links of its keys (into ..data) and
    whose ..-named entries (the link, the timestamped folders) are the kubelet's own: there a store keeps its
    name across updates. A folder that cannot be listed is added to `unlisted`, when given."""
    found = []
    for folder, subfolders, names in os.walk(top, onerror=None if unlisted is None else unlisted.append):
        here = Path(folder)
        kubelet = volume(here)
        if kubelet:
            subfolders[:] = [name for name in subfolders if not name.startswith("..")]
        for name in names:
            path = here / name
            if kubelet and name.startswith(".."):
                continue
            if path.is_symlink():
                if kubelet and os.readlink(path).startswith(VOLUME_DATA + "/") and path.is_file():
                    found.append(path)
            elif path.is_file():
                found.append(path)
    return sorted(found)


def _backup(relative: Path, top: Path) -> bool:
    """Whether a file found under `top` is a backup: NAME.bak-*, or under a layout's backups/ folder."""
    if ".bak-" in relative.name:
        return True
    folder = top
    for part in relative.parts[:-1]:
        if part == BACKUPS and (folder / MANIFEST).is_file():
            return True
        folder = folder / part
    return False


Lookup = Callable[[Path], "str | None"]


def scan(paths: list[Path], password: str | None, progress: Callable[[int], None] | None = None,
         lookup: Lookup | None = None, secrets: "Sequence[SecretFile]" = ()) -> Scan:
    """Read every certificate under `paths` and in `secrets` (stores read from Kubernetes Secrets);
    `progress(files_done)` is called as it goes. `lookup` gives a store's own password (a password map),
    before its layout's and `password`."""
    result = Scan([], [])
    for item in secrets:
        result.files += 1
        if item.error:
            result.failures.append(_failure(item.name, JkstoolError(item.error)))
            continue
        try:
            result.found += certificates_in(item.name, item.data, item.password)
        except JkstoolError as e:
            result.failures.append(_failure(item.name, e))
        except Exception as e:  # a bug met on one file: its row, and the others still listed
            result.failures.append(_failure(item.name, unexpected(e, Path(item.name))))
    for path, named, unlisted in candidates(paths):
        if unlisted is not None:
            result.failures.append(_failure(str(path), unlisted))
            continue
        result.files += 1
        if progress:
            progress(result.files)
        try:
            result.found += _certificates(path, store_password(path, password, lookup))
        except JkstoolError as e:
            if named or reason(e) != "not_a_store" or path.suffix.lower() in formats.STORE_SUFFIXES:
                # a folder's README is passed over; a store is not, nor a file named as one that is empty
                result.failures.append(_failure(str(path), e, str(e.at(path=path)).split(": ", 1)[-1]))
        except Exception as e:  # a bug met on one file: its row, and the others still listed
            result.failures.append(_failure(str(path), unexpected(e, path)))
    result.found.sort(key=lambda item: item.not_after)
    return result


def _failure(name: str, error: JkstoolError, said: str | None = None) -> ReadError:
    """A file's read error: what it says (`said`, else the error's own words) and its code."""
    return ReadError(name, error.what if said is None else said, reason(error))


def store_password(path: Path, given: str | None, lookup: Lookup | None = None) -> str | None:
    """A store's password: the one `lookup` has for it, else its layout's generated one, else `given`."""
    mapped = lookup(path) if lookup else None
    if mapped is not None:
        return mapped
    folder = layout_folder(path)
    generated = generated_password(folder) if folder else None
    return given if generated is None else generated


def _certificates(path: Path, password: str | None) -> list[Expiring]:
    return certificates_in(str(path), files.read_bytes(path), password)


def certificates_in(name: str, data: bytes, password: str | None) -> list[Expiring]:
    """The certificates of a store, PEM or DER file given as bytes, each placed at `name`; or the CRLs of
    a CRL file (PEM, a bundle of them, or DER named *.crl) that have a nextUpdate."""
    if b"-----BEGIN X509 CRL-----" in data or name.endswith(".crl"):
        from cryptography.hazmat.primitives.serialization import Encoding

        from ..pki import crl
        found = [Expiring(name, None, "crl", c.public_bytes(Encoding.DER)) for c in crl.load_all(data)
                 if c.next_update_utc is not None]
        if b"-----BEGIN CERTIFICATE-----" in data:  # a CAfile of certificates and CRLs, as OpenSSL takes one
            found += [Expiring(name, None, "certificate", c) for c in certfile.parse_certificates(data)]
        return found
    try:
        formats.detect(data)
    except JkstoolError:  # not a store: a DER certificate or a PKCS#7 bundle, perhaps
        return [Expiring(name, None, "certificate", c) for c in certfile.parse_certificates(data)]
    loaded = formats.load(data, password, keys=False)
    return [Expiring(name, entry.alias, entry.kind, cert) for entry in loaded.store for cert in entry.certificates]
