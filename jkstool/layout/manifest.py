"""A layout folder and its `layout.json`: which files play which role, and what later commands need.

    server.keystore   server key + chain       server.truststore  CA(s) that issue client certs
    client.keystore   client key + chain       client.truststore  CA(s) that issue server certs

The manifest records what renewal, new clients and CA rollover need later —
store type, key type, each side's alias, subject, SANs and validity, the
CAs' files — and never a secret. Its schema is versioned: files written by
earlier releases are read and migrated in memory, and written back in the
current schema.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import files, limits
from ..errors import JkstoolError
from ..files import Secrecy
from ..model import ROLES

if TYPE_CHECKING:
    from ..model import Store
    from ..pki import issue

SCHEMA = 3
MANIFEST = "layout.json"
MANIFEST_BYTES = 1 << 20
"""layout.json's size limit: a layout of a thousand added clients writes under 300 KB."""
STOREPASS_FILE = "storepass"
EXTENSIONS = {"jks": "jks", "pkcs12": "p12"}
JAVA_TYPES = {"jks": "JKS", "pkcs12": "PKCS12"}


def store_name(role: str, store_type: str) -> str:
    """server-keystore -> server.keystore.jks (or .p12)."""
    side, kind = role.split("-")
    return f"{side}.{kind}.{EXTENSIONS[store_type]}"


def peer(side: str) -> str:
    return "client" if side == "server" else "server"


@dataclass
class LeafRecord:
    """A side's key entry: what its certificate is reissued with."""

    alias: str
    subject: str
    sans: list[str] = field(default_factory=list)
    profile: str = "server"
    days: int = 397


@dataclass
class CARecord:
    """The CA that issues one side's certificates: its files (relative to the folder, or absolute when
    brought from elsewhere)."""

    subject: str
    cert: str
    key: str
    brought: bool = False
    crl: str = ""
    """Its revocation list, once something was revoked (or the CA it replaced had one)."""


def _ca_record(data: dict[str, Any]) -> CARecord:
    """A CA's record, without the fields earlier releases wrote and none reads (trust_anchor)."""
    known = {f.name for f in fields(CARecord)}
    return CARecord(**{name: value for name, value in data.items() if name in known})


@dataclass
class CAs:
    server: CARecord
    client: CARecord
    separate: bool = False
    issuer_crls: list[str] = field(default_factory=list)
    """The CRLs of the CAs above a brought CA (a company's root), given to the layout: servers that check
    revocation check every level of the path, and need one for each."""

    def of(self, side: str) -> CARecord:
        return self.server if side == "server" else self.client

    def records(self) -> list[CARecord]:
        """The layout's CAs: one for both sides, or one per side."""
        return [self.server, self.client] if self.separate else [self.server]


@dataclass
class ClientRecord:
    """A client added after init-pair (add-client): its own keystore and truststore."""

    cn: str
    alias: str
    keystore: str
    truststore: str
    days: int = 397


@dataclass
class RolloverCA:
    """A CA being replaced: the sides it issues for, the new CA's files and the old anchor's SHA-256."""

    sides: list[str]
    cert: str
    key: str
    subject: str
    old_anchor: str
    crl: str = ""
    brought: bool = False
    """The new CA came from elsewhere (a company's next intermediate): at finish the layout points at its
    files instead of taking them under the old names."""


@dataclass
class SecretsExport:
    """Kubernetes Secrets written into the layout (init-pair --k8s-secret, k8s-secret --output): refreshed
    with every change, as the PEM exports are."""

    file: str
    name: str
    namespace: str | None = None


def _malformed(field_name: str) -> JkstoolError:
    return JkstoolError(f"layout.json's {field_name} is not what jkstool writes",
                        "restore layout.json from a backup, or check where it came from")


def _typed(value: object, kind: type, field_name: str) -> None:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise _malformed(field_name)


def _one_of(value: object, allowed: Iterable[str], field_name: str) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise _malformed(field_name)


STAGES = ("trust", "reissue", "finish")
"""A CA rollover's stages: the new CA trusted beside the old; the leaves reissued from it; the old CA gone."""


@dataclass
class Rollover:
    started: str
    cas: dict[str, RolloverCA]
    stage: str = "trust"
    """The last stage done: trust or reissue (after finish, there is no rollover)."""


@dataclass
class Manifest:
    """layout.json, typed."""

    store_type: str
    key_type: str
    files: dict[str, str]
    """server_keystore, server_truststore, client_keystore, client_truststore -> path."""
    server: LeafRecord
    client: LeafRecord
    cas: CAs
    storepass_file: str | None = None
    clients: list[ClientRecord] = field(default_factory=list)
    rollover: Rollover | None = None
    exports: list[str] = field(default_factory=list)
    """The sides whose PEM files `snippet` wrote to pem/: they are refreshed with every change."""
    profile: str | None = None
    """How its PKCS12 stores are protected (formats.pkcs12.PROFILES); None: keytool 17's."""
    secrets: list[SecretsExport] = field(default_factory=list)

    def leaf(self, side: str) -> LeafRecord:
        return self.server if side == "server" else self.client

    def check(self) -> None:
        """layout.json is input (a layout may come out of a shared repository): each field of the type and
        the values jkstool writes, and every path it names inside the layout folder, except the files of a
        CA brought from elsewhere, which are only read."""
        _one_of(self.store_type, EXTENSIONS, "store_type")
        _typed(self.key_type, str, "key_type")  # pki.issue.new_key refuses a type it does not make
        if self.profile is not None:
            from ..formats.pkcs12 import PROFILES
            _one_of(self.profile, PROFILES, "profile")
        if not isinstance(self.files, dict) or set(self.files) != {role.replace("-", "_") for role in ROLES}:
            raise _malformed("files")
        inside = [*self.files.values(), *(c.crl for c in self.cas.records()), *self.cas.issuer_crls]
        for name, record in (("server", self.server), ("client", self.client)):
            _typed(record.alias, str, f"{name}.alias")
            _typed(record.subject, str, f"{name}.subject")
            _typed(record.days, int, f"{name}.days")
            if not isinstance(record.sans, list) or not all(isinstance(s, str) for s in record.sans):
                raise _malformed(f"{name}.sans")
        for side in ("server", "client"):
            ca = self.cas.of(side)
            for value in (ca.subject, ca.cert, ca.key, ca.crl):
                _typed(value, str, f"cas.{side}")
            if not ca.brought:
                inside += [ca.cert, ca.key]
        for client in self.clients:
            inside += [client.keystore, client.truststore]
            _typed(client.alias, str, "clients.alias")
            _typed(client.cn, str, "clients.cn")
            _typed(client.days, int, "clients.days")
        if self.rollover is not None:
            _one_of(self.rollover.stage, STAGES, "rollover.stage")
            for rolled in self.rollover.cas.values():
                if not all(side in ("server", "client") for side in rolled.sides):
                    raise _malformed("rollover.cas.sides")
                inside += [rolled.crl] + ([] if rolled.brought else [rolled.cert, rolled.key])
        for side in self.exports:
            _one_of(side, ("server", "client"), "exports")
        inside += [e.file for e in self.secrets] + ([self.storepass_file] if self.storepass_file else [])
        for name in inside:
            _typed(name, str, "a file name")
            if name and (Path(name).is_absolute() or ".." in Path(name).parts):
                raise JkstoolError(f"layout.json names {name!r}, outside the layout folder",
                                   "a layout's own files are inside its folder: restore layout.json from a "
                                   "backup, or check where it came from")

    def to_json(self) -> bytes:
        data: dict[str, Any] = {"schema": SCHEMA, **asdict(self)}
        if not self.clients:
            del data["clients"]
        if self.rollover is None:
            del data["rollover"]
        if not self.exports:
            del data["exports"]
        if self.profile is None:
            del data["profile"]
        if not self.secrets:
            del data["secrets"]
        return (json.dumps(data, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Manifest":
        """Read any schema this release knows (1 had a "format" key; 3 added CRLs, rollover stages, exports
        and added clients' validity, all with defaults)."""
        schema = data.get("schema", data.get("format"))
        if schema not in (1, 2, SCHEMA):
            raise JkstoolError(f"layout.json has schema {schema!r}, which this jkstool does not know",
                               "upgrade jkstool")
        rollover = data.get("rollover")
        return cls(
            store_type=data["store_type"], key_type=data["key_type"], files=dict(data["files"]),
            server=LeafRecord(**data["server"]), client=LeafRecord(**data["client"]),
            cas=CAs(_ca_record(data["cas"]["server"]), _ca_record(data["cas"]["client"]),
                    bool(data["cas"].get("separate")), [str(p) for p in data["cas"].get("issuer_crls", [])]),
            storepass_file=data.get("storepass_file"),
            clients=[ClientRecord(**c) for c in data.get("clients", [])],
            rollover=None if not rollover else Rollover(
                rollover["started"], {prefix: RolloverCA(**ca) for prefix, ca in rollover["cas"].items()},
                rollover.get("stage", "reissue")),  # schema 2 reissued as it trusted
            exports=list(data.get("exports", [])), profile=data.get("profile"),
            secrets=[SecretsExport(**e) for e in data.get("secrets", [])])


def within(folder: Path, name: str) -> Path:
    """folder/name, refused when a link on the way leads out of `folder` (a layout's own files are inside it:
    a folder planted as a link would have jkstool write elsewhere)."""
    path = folder / name
    if not path.resolve().is_relative_to(folder.resolve()):
        raise JkstoolError("is a link that leads out of the layout folder", "a layout's own files are inside "
                           "its folder: replace the link with the file", path=str(path))
    return path


@dataclass
class Layout:
    """A layout folder and its manifest."""

    folder: Path
    manifest: Manifest
    backups: list[Path] = field(default_factory=list, compare=False)
    """The files the last change replaced, kept as backups (not part of layout.json)."""

    @classmethod
    def open(cls, folder: Path | str) -> "Layout":
        """The layout in `folder`; an error when it has no readable layout.json."""
        folder = Path(folder)
        path = folder / MANIFEST
        try:
            data = json.loads(files.read_bytes(path, MANIFEST_BYTES, "layout.json"))
        except JkstoolError as e:
            if e.what != "no such file":
                raise
            raise JkstoolError("not an init-pair layout: it has no layout.json",
                               "give the folder init-pair wrote", path=str(folder)) from None
        except (ValueError, RecursionError):  # nesting deeper than the parser recurses is not JSON jkstool wrote
            raise JkstoolError("layout.json is not valid JSON", "restore it from a backup", path=str(path)) from None
        try:
            manifest = Manifest.from_json(data)
            manifest.check()
        except (KeyError, TypeError, AttributeError, ValueError):
            raise JkstoolError("layout.json lacks fields jkstool needs", "restore it from a backup",
                               path=str(path)) from None
        except JkstoolError as e:
            raise e.at(path=path) from None
        return cls(folder, manifest)

    @property
    def store_type(self) -> str:
        return self.manifest.store_type

    def dump(self, store: "Store", password: str) -> bytes:
        """A store of this layout as bytes: its type, and for PKCS12 its write profile."""
        from .. import formats
        return formats.dump(store, self.store_type, password,
                            profile=self.manifest.profile if self.store_type == "pkcs12" else None)

    @property
    def password_file(self) -> Path | None:
        """The file holding the generated store password, when init-pair made one."""
        name = self.manifest.storepass_file
        return self.path(name) if name else None

    def path(self, name: str) -> Path:
        """A file layout.json names: a brought CA's where it is, any other inside the folder, a link leading
        out of it refused (layout.json was checked for names that do)."""
        if Path(name).is_absolute():
            return Path(name)
        return within(self.folder, name)

    def store_path(self, role: str) -> Path:
        return self.path(self.manifest.files[role.replace("-", "_")])

    def files(self) -> dict[str, Path]:
        """role -> path of every file the layout made: the four stores, the CA files made here (not
        brought ones), layout.json and the generated password file."""
        found = self.stores()
        cas = self.manifest.cas
        for prefix, record in (("ca", cas.server),) if not cas.separate else (
                ("server-ca", cas.server), ("client-ca", cas.client)):
            if not record.brought:
                found.update({f"{prefix}-cert": self.path(record.cert), f"{prefix}-key": self.path(record.key)})
        found["manifest"] = self.folder / MANIFEST
        if self.password_file:
            found["storepass"] = self.password_file
        return found

    def stores(self) -> dict[str, Path]:
        """role -> path of the four stores."""
        return {role: self.store_path(role) for role in ROLES}

    def system_properties(self, side: str, password: str) -> dict[str, str]:
        """The `javax.net.ssl.*` properties that make a JVM's default SSLContext use `side`'s stores."""
        kind = JAVA_TYPES[self.store_type]
        properties = {}
        for store, role in (("keyStore", f"{side}-keystore"), ("trustStore", f"{side}-truststore")):
            properties.update({f"javax.net.ssl.{store}": str(self.store_path(role).resolve()),
                               f"javax.net.ssl.{store}Type": kind,
                               f"javax.net.ssl.{store}Password": password})
        return properties

    def ca(self, side: str) -> CARecord:
        return self.manifest.cas.of(side)

    def issuer(self, side: str, ca_password: str | None) -> "issue.Issuer | None":
        """The CA that issues `side`'s certificates, or None when its key is not at hand."""
        from ..formats import certfile
        record = self.ca(side)
        key_path = self.path(record.key)
        if not key_path.exists():
            return None
        return certfile.read_issuer(self.path(record.cert), key_path, ca_password)

    def keystores(self, side: str) -> list[tuple[Path, LeafRecord | ClientRecord]]:
        """`side`'s keystores and their records: the layout's own, and clients added later."""
        found: list[tuple[Path, LeafRecord | ClientRecord]] = [
            (self.store_path(f"{side}-keystore"), self.manifest.leaf(side))]
        if side == "client":
            found += [(self.path(c.keystore), c) for c in self.manifest.clients]
        return found

    def truststores_trusting(self, side: str) -> list[Path]:
        """The truststores that hold the anchor for `side`'s certificates."""
        other = peer(side)
        found = [self.store_path(f"{other}-truststore")]
        if other == "client":
            found += [self.path(c.truststore) for c in self.manifest.clients]
        return found

    def manifest_item(self) -> tuple[Path, bytes, Secrecy]:
        """layout.json as a file to write: (path, bytes, secrecy)."""
        return self.folder / MANIFEST, self.manifest.to_json(), Secrecy.PUBLIC


BACKUPS = "backups"


def generated_password(folder: Path) -> str | None:
    """The password init-pair generated into a layout folder's storepass file: its first line ("" when the
    file is empty), None when there is no such file."""
    path = folder / STOREPASS_FILE
    if not path.is_file():
        return None
    lines = files.read_bytes(path, limits.PASSWORD_FILE_BYTES).decode("utf-8", "replace").splitlines()
    return lines[0] if lines else ""


def layout_folder(path: Path) -> Path | None:
    """The layout folder that `path` belongs to (it, or its folder such as ca/ or pem/, holds layout.json)."""
    return next((folder for folder in (path.parent, path.parent.parent) if (folder / MANIFEST).is_file()), None)


def layout_of_store(path: Path) -> "Layout | None":
    """The layout whose store `path` is (one of the four its layout.json names), else None."""
    folder = layout_folder(path)
    if folder is None:
        return None
    layout = Layout.open(folder)
    resolved = path.resolve()
    return layout if any(p.resolve() == resolved for p in layout.stores().values()) else None


def lock_path(path: Path) -> Path:
    """The file whose lock guards changes to `path`: its layout's layout.json when it lies in a layout
    folder (every change to a layout takes that one lock), else itself."""
    folder = layout_folder(path)
    return folder / MANIFEST if folder else path


def backups_for(path: Path) -> "files.Backups | None":
    """Where a run changing `path` keeps its backups: the layout's backups/<time>/ for a file of a layout,
    else None (beside the file)."""
    folder = layout_folder(path)
    return files.Backups(folder / BACKUPS, folder) if folder else None


def find_stores(folder: Path, skip: Iterable[str] = ()) -> dict[str, Path]:
    """The four stores of a folder (but the roles in `skip`): its layout.json's, else the files named
    by the convention (server.keystore.jks or .p12, ...); an error naming a role that is missing or
    ambiguous."""
    if (folder / MANIFEST).is_file():
        return Layout.open(folder).stores()
    if not folder.is_dir():
        raise JkstoolError("no such folder" if not folder.exists() else "is a file, not a folder",
                           "give the layout folder (init-pair's), or the four stores by name", path=str(folder))
    paths = {}
    for role in (r for r in ROLES if r not in skip):
        side, kind = role.split("-")
        found = [folder / f"{side}.{kind}.{ext}" for ext in ("jks", "p12")
                 if (folder / f"{side}.{kind}.{ext}").exists()]
        if len(found) != 1:
            names = (f"both {side}.{kind}.jks and {side}.{kind}.p12" if found
                     else f"neither {side}.{kind}.jks nor {side}.{kind}.p12")
            raise JkstoolError(f"the folder holds {names}", f"name the store with stores={{{role!r}: ...}}",
                               path=str(folder))
        paths[role] = found[0]
    return paths
