"""Making the four-store mutual-TLS layout that `init-pair` writes, all in memory first.

The CA material goes to ca/, apart from what gets deployed, and layout.json
records what later commands need (see manifest). Nothing is written until
every file's bytes exist, and then all of them are written as one change.
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from .. import files, formats
from ..errors import JkstoolError
from ..formats import certfile
from ..formats.pem import key_pem
from ..model import ROLES, PrivateKeyEntry, Store, TrustedCertEntry
from ..pki import issue as pki
from ..pki.certs import subject_of
from .manifest import (
    MANIFEST,
    STOREPASS_FILE,
    CARecord,
    CAs,
    LeafRecord,
    Manifest,
    backups_for,
    store_name,
)

CAPaths = tuple[str | Path, str | Path]
"""A brought CA's (certificate file, key file)."""


@dataclass
class BroughtCA:
    """A CA the user brings: it signs, but its files stay where they are."""

    issuer: pki.Issuer
    cert_path: str
    key_path: str


@dataclass
class PairSpec:
    """What `init-pair` was asked for; every default is init-pair's."""

    store_type: str = "pkcs12"
    key_type: str = "ec-p256"
    server_cn: str = "localhost"
    client_cn: str = "client"
    sans: list[str] | None = None
    server_alias: str = "server"
    client_alias: str = "client"
    days: int = 397
    ca_days: int = 3650
    separate_cas: bool = False
    profile: str | None = None
    """The PKCS12 write profile of the stores (None: keytool 17's)."""
    shared_ca: BroughtCA | None = None
    server_ca: BroughtCA | None = None
    client_ca: BroughtCA | None = None

    @property
    def server_sans(self) -> list[str]:
        return self.sans if self.sans else pki.default_sans(self.server_cn)

    @property
    def separate(self) -> bool:
        return self.separate_cas or bool(self.server_ca or self.client_ca)

    def bring(self, ca: "CAPaths | None", server_ca: "CAPaths | None", client_ca: "CAPaths | None",
              password: str | None) -> None:
        """Bring CAs, each (certificate file, key file): one for both sides, or one per side."""
        if ca and self.separate_cas:
            raise JkstoolError("separate_cas=True makes two CAs, ca=... brings one for both sides: choose one "
                               "(bring two with server_ca=... and client_ca=...)")
        if ca and (server_ca or client_ca):
            raise JkstoolError("ca=... brings one CA for both sides: do not combine it with "
                               "server_ca=... or client_ca=...")
        self.shared_ca, self.server_ca, self.client_ca = (
            None if paths is None else BroughtCA(certfile.read_issuer(*paths, password),
                                                  os.path.abspath(paths[0]), os.path.abspath(paths[1]))
            for paths in (ca, server_ca, client_ca))

    def planned_files(self, generated_password: bool = False) -> dict[str, str]:
        """role -> path relative to the layout folder, for everything init-pair writes."""
        paths = {role: store_name(role, self.store_type) for role in ROLES}
        if self.shared_ca is None and not self.separate:
            paths.update({"ca-cert": "ca/ca.pem", "ca-key": "ca/ca-key.pem"})
        for side, brought in (("server", self.server_ca), ("client", self.client_ca)):
            if self.separate and brought is None:
                paths.update({f"{side}-ca-cert": f"ca/{side}-ca.pem", f"{side}-ca-key": f"ca/{side}-ca-key.pem"})
        paths["manifest"] = MANIFEST
        if generated_password:
            paths["storepass"] = STOREPASS_FILE
        return paths


@dataclass
class PlannedFile:
    role: str
    path: str
    data: bytes = field(repr=False)
    private: files.Secrecy
    alias: str | None = None
    cert: x509.Certificate | None = None
    """The certificate the summary shows."""


@dataclass
class Issued:
    """A pair's CAs, keys and leaves by side, in memory: what the layout's files are made from."""

    cas: dict[str, pki.Issuer]
    keys: dict[str, pki.PrivateKey] = field(repr=False)
    leaves: dict[str, x509.Certificate]


def issue(spec: PairSpec) -> Issued:
    """The CAs (brought, or made as init-pair names them) and each side's key and certificate."""
    cas = certificate_authorities(spec)
    keys, leaves = {}, {}
    for side, cn, sans in (("server", spec.server_cn, spec.server_sans), ("client", spec.client_cn, [])):
        keys[side] = pki.new_key(spec.key_type)
        leaves[side] = pki.issue(cas[side], keys[side].public_key(), cn, side, spec.days, sans)
    return Issued(cas, keys, leaves)


def plan(spec: PairSpec, issued: Issued, password: str, ca_password: str,
         generated_password: bool) -> list[PlannedFile]:
    """Everything the layout's files hold, in memory, ready to be written together."""
    paths = spec.planned_files()
    planned: list[PlannedFile] = []
    for prefix, ca in _made_cas(spec, issued.cas):
        _plan_ca(planned, prefix, paths, ca, ca_password)
    for side, alias in (("server", spec.server_alias), ("client", spec.client_alias)):
        issuer, leaf = issued.cas[side], issued.leaves[side]
        chain = tuple(pki.der(c) for c in (leaf, *issuer.certificates))
        store = Store([PrivateKeyEntry(alias, pki.pkcs8(issued.keys[side]), chain)])
        planned.append(PlannedFile(f"{side}-keystore", paths[f"{side}-keystore"],
                                   _dump(spec, store, password), files.Secrecy.KEYS, alias, leaf))
    for side, peer in (("server", "client"), ("client", "server")):
        anchor = issued.cas[peer].root
        alias = _anchor_alias(spec, peer)
        store = Store([TrustedCertEntry(alias, pki.der(anchor))])
        planned.append(PlannedFile(f"{side}-truststore", paths[f"{side}-truststore"],
                                   _dump(spec, store, password), files.Secrecy.PUBLIC, alias, anchor))
    manifest = _manifest(spec, paths, issued.cas, issued.leaves, generated_password)
    planned.append(PlannedFile("manifest", MANIFEST, manifest.to_json(), files.Secrecy.PUBLIC))
    if generated_password:
        planned.append(PlannedFile("storepass", STOREPASS_FILE, (password + "\n").encode(),
                                   files.Secrecy.CLEAR))
    return planned


def _anchor_alias(spec: PairSpec, side: str) -> str:
    if not spec.separate:
        return "ca"
    return f"{side}-ca"


def certificate_authorities(spec: PairSpec) -> dict[str, pki.Issuer]:
    """The issuer of each side's leaf: the CAs brought, else new ones named as init-pair names them."""
    if spec.shared_ca is not None:
        return {"server": spec.shared_ca.issuer, "client": spec.shared_ca.issuer}
    if not spec.separate:
        ca = pki.new_ca(f"jkstool CA {ca_tag()}", spec.key_type, spec.ca_days)
        return {"server": ca, "client": ca}
    return {side: brought.issuer if brought is not None else
            pki.new_ca(f"jkstool {side.title()} CA {ca_tag()}", spec.key_type, spec.ca_days)
            for side, brought in (("server", spec.server_ca), ("client", spec.client_ca))}


def _made_cas(spec: PairSpec, cas: dict[str, pki.Issuer]) -> list[tuple[str, pki.Issuer]]:
    """The CAs made here (not brought), with the prefix of their files in ca/."""
    if spec.shared_ca is not None:
        return []
    if not spec.separate:
        return [("ca", cas["server"])]
    return [(f"{side}-ca", cas[side]) for side, brought in (("server", spec.server_ca), ("client", spec.client_ca))
            if brought is None]


def _dump(spec: "PairSpec", store: Store, password: str) -> bytes:
    return formats.dump(store, spec.store_type, password,
                        profile=spec.profile if spec.store_type == "pkcs12" else None)


def ca_tag() -> str:
    """A short random tag, so CAs from different runs never share a subject (Java
    matches issuers by name first)."""
    return secrets.token_hex(4)


def _plan_ca(planned: list[PlannedFile], role_prefix: str, paths: dict[str, str], ca: pki.Issuer,
             ca_password: str) -> None:
    planned.append(PlannedFile(f"{role_prefix}-cert", paths[f"{role_prefix}-cert"], pki.cert_pem(ca.cert),
                               files.Secrecy.PUBLIC, None, ca.cert))
    planned.append(PlannedFile(f"{role_prefix}-key", paths[f"{role_prefix}-key"],
                               key_pem(pki.pkcs8(ca.key), ca_password).encode(), files.Secrecy.KEYS))


def _manifest(spec: PairSpec, paths: dict[str, str], cas: dict[str, pki.Issuer],
              leaves: dict[str, x509.Certificate], generated_password: bool) -> Manifest:
    """layout.json: what renewal and new clients need later. No secrets."""

    def ca_record(side: str) -> CARecord:
        brought = spec.shared_ca or (spec.server_ca if side == "server" else spec.client_ca)
        prefix = "ca" if not spec.separate else f"{side}-ca"
        return CARecord(subject=subject_of(cas[side].cert),
                        cert=brought.cert_path if brought else paths[f"{prefix}-cert"],
                        key=brought.key_path if brought else paths[f"{prefix}-key"],
                        brought=brought is not None)

    def leaf_record(side: str, alias: str, sans: list[str]) -> LeafRecord:
        return LeafRecord(alias, subject_of(leaves[side]), sans, side, spec.days)

    return Manifest(
        store_type=spec.store_type, key_type=spec.key_type,
        files={role.replace("-", "_"): paths[role] for role in ROLES},
        server=leaf_record("server", spec.server_alias, spec.server_sans),
        client=leaf_record("client", spec.client_alias, []),
        cas=CAs(ca_record("server"), ca_record("client"), spec.separate),
        storepass_file=STOREPASS_FILE if generated_password else None, profile=spec.profile)


def write(folder: Path, planned: list[PlannedFile], replace: bool) -> list[Path]:
    """Write the layout as one change (see files.write_all); returns the backups kept."""
    return files.write_all([(folder / f.path, f.data, f.private) for f in planned], replace,
                           backups=backups_for(folder / MANIFEST))
