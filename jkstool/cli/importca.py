"""`jkstool import-ca`: trust CA certificates, idempotently."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import AllowWeakPassword, DestStoreType, Json, LockTimeout, StorePass, WriteProfile
from .stores import asking_with, passwords_for, read_store


def import_ca_command(
    truststore: Annotated[Path, typer.Argument(metavar="TRUSTSTORE",
        help="The truststore to add to (created if missing).", readable=False)],
    certificates: Annotated[list[Path], typer.Argument(metavar="CERT",
        help="PEM bundles or DER certificates (stores, with --from-store).", show_default=False, readable=False)],
    alias: Annotated[str | None, typer.Option(help="The alias, when importing one certificate.")] = None,
    from_store: Annotated[bool, typer.Option("--from-store",
        help="Read CERTIFICATES as stores: their trusted certificates and the tops of their "
             "key entries' chains.")] = False,
    src_storepass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of the --from-store stores (default: none; PKCS12 "
                                 "stores usually need it).")] = None,
    allow_leaf: Annotated[bool, typer.Option("--allow-leaf",
        help="Trust a certificate that is not a CA (pinning a peer's own certificate).")] = False,
    allow_expired: Annotated[bool, typer.Option("--allow-expired", help="Trust an expired certificate.")] = False,
    store_type: DestStoreType = None,
    storepass: StorePass = None,
    allow_weak_password: AllowWeakPassword = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    json: Json = False,
) -> None:
    """Add CA certificates to a truststore; ones already there are reported, not added again.

    Example:

    \b
        jkstool import-ca server.truststore.jks partner-ca.pem --storepass env:STOREPASS
    """
    from .. import api
    sources = [(str(path), cert) for path in certificates for cert in _trusted_in(path, src_storepass)] \
        if from_store else certificates
    password, _ = passwords_for(truststore, storepass, None)
    with output.Progress("importing", quiet=json) as progress, asking_with():
        result = api.import_ca(truststore, sources, password=password, alias=alias, allow_leaf=allow_leaf,
                               allow_expired=allow_expired, store_type=store_type.value if store_type else None,
                               lock_timeout=lock_timeout, progress=progress,
                               profile=profile.value if profile else None, allow_weak=allow_weak_password,
                               skipped=lambda data, reason: output.warn(f"skipped {_subject(data)}: {reason}"))
    if json:
        output.print_json(result.to_dict(), "import-ca")
    else:
        rows = ([["added", e.alias, _subject(e.cert), _sha256(e.cert)] for e in result.added]
                + [["already trusted", e.alias, _subject(e.cert), _sha256(e.cert)] for e in result.present]
                + [["skipped", "", _subject(d), r] for d, r in result.skipped])
        output.print_table(rows, ["status", "alias", "subject", "sha256 / reason"], flexible=(1, 2, 3))
    verb = f"added {len(result.added)}" if result.added else "added nothing, the file is unchanged"
    output.info(f"{truststore}: {verb}; {len(result.present)} already trusted, "
                f"{len(result.skipped)} skipped")


def _subject(data: bytes) -> str:
    from ..api.certificates import load, subject_of
    return subject_of(load(data))


def _sha256(data: bytes) -> str:
    from ..api.certificates import sha256
    return sha256(data)


def _trusted_in(path: Path, src_storepass: str | None) -> list[bytes]:
    """The trusted certificates of a store given with --from-store, and the tops of its chains."""
    from ..api.inspect import trusted_in
    password = passwords.from_option(src_storepass, "--src-storepass") if src_storepass else None
    return trusted_in(read_store(path, password, keys=False))
