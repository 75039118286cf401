"""`jkstool convert`: the same entries in another format."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import (
    AllowWeakPassword,
    DestStorePass,
    DestStoreType,
    Force,
    Json,
    KeyPass,
    LockTimeout,
    StorePass,
    StoreType,
    WriteProfile,
)
from .stores import asking_with


def convert_command(
    source: Annotated[Path, typer.Argument(metavar="SOURCE",
        help="The store to read (JKS, JCEKS, PKCS12 or PEM), or a layout folder.", readable=False)],
    dest: Annotated[Path | None, typer.Argument(metavar="DEST",
        help="The file to write (none for a layout folder).", readable=False)] = None,
    store_type: DestStoreType = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    dest_storepass: DestStorePass = None,
    dest_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Protect the keys with this password instead of the store's (JSSE's default "
                                 "key manager then fails: name it in the application).")] = None,
    profile: WriteProfile = None,
    legacy: Annotated[bool, typer.Option(
        "--legacy", help="The same as --profile legacy: PKCS12 for Java 8 before 8u301.")] = False,
    no_encrypt_key: Annotated[bool, typer.Option(
        "--no-encrypt-key", help="PEM: write private keys unencrypted (the file is still 0600).")] = False,
    allow_weak_password: AllowWeakPassword = False,
    force: Force = False,
    lock_timeout: LockTimeout = 30,
    json: Json = False,
) -> None:
    """Convert a store to JKS, PKCS12 or PEM; every entry, alias, chain, key and date survives.

    Keys get the new store's password (as keytool gives PKCS12 keys and JSSE expects), unless
    --dest-keypass names another; a key whose password changes is named. Given a layout folder and
    --store-type, converts all its stores (added clients' too), updates layout.json and moves the old
    files into DIR/backups/<time>/.

    Example:

    \b
        jkstool convert server.keystore.jks server.keystore.p12 --storepass env:STOREPASS
        jkstool convert ./tls --store-type pkcs12
    """
    from .. import api
    from ..api.layouts import is_layout
    if is_layout(source):
        return _convert_layout(source, dest, store_type, storepass, lock_timeout, json)
    if dest is None:
        output.fail(f"{source}: give the file to write (DEST), or a layout folder to convert as a whole")
    target = api.store_type_for(dest, store_type.value if store_type else None)
    chosen = "legacy" if legacy else profile.value if profile else None
    if chosen and target != "pkcs12":
        output.fail(f"--profile {chosen} applies to PKCS12 only: give --store-type pkcs12 or a .p12 name")
    if no_encrypt_key and target != "pem":
        output.fail("--no-encrypt-key applies to PEM only (give --store-type pem or a .pem name)")
    password = passwords.resolve(storepass, prompt=f"Password of {source}: ")
    key_password = passwords.resolve(keypass, option="--keypass", env=passwords.KEYPASS_ENV)
    own = passwords.from_option(dest_keypass, "--dest-keypass") if dest_keypass is not None else None
    dest_password = _dest_password(dest_storepass, password, target, no_encrypt_key)
    with asking_with("--dest-storepass"):
        result = api.convert_store(
            source, dest, password=password, key_password=key_password, dest_password=dest_password,
            dest_key_password=own, store_type=target, profile=chosen, encrypt_keys=not no_encrypt_key,
            replace=force, allow_weak=allow_weak_password, lock_timeout=lock_timeout)
    for message in result.warnings:
        output.warn(f"{source}: {message}")
    if json:
        output.print_json({"source": str(source), "dest": str(dest), **result.to_dict()}, "convert")
    if result.rekeyed:
        keys = "the key of {} now has" if len(result.rekeyed) == 1 else "the keys of {} now have"
        output.info(f"{dest}: {keys.format(', '.join(repr(a) for a in result.rekeyed))} "
                    + ("the --dest-keypass password" if own and own != dest_password else "the store's password"))
    output.info(f"wrote {dest} ({result.dest_type}, {output.count(result.entries, 'entry')} from "
                f"{result.source_type} {source})" + (f"; the old file is kept as {result.backup}" if result.backup
                                                      else ""))


def _convert_layout(folder: Path, dest: Path | None, store_type: StoreType | None, storepass: str | None,
                    lock_timeout: float, json: bool) -> None:
    from ..api.layouts import convert_layout
    from .layoutcmds import layout_password, written
    if dest is not None or store_type is None or store_type.value not in ("jks", "pkcs12"):
        output.fail(f"{folder} is a layout: give only --store-type pkcs12 or jks (its stores are converted in place)")
    secret = layout_password(folder, storepass)
    with asking_with():
        result = convert_layout(folder, store_type.value, password=secret, lock_timeout=lock_timeout)
    if json:
        output.print_json({"folder": str(folder), "store_type": store_type.value, **result.to_dict()},
                          "convert-layout")
    written(result, json)
    output.info(f"the layout's stores are now {store_type.value}: deploy them")
    output.info("next: point the configuration at the new names (jkstool snippet prints it)")


def _dest_password(option: str | None, source_password: str | None, target: str, no_encrypt_key: bool) -> str | None:
    """--dest-storepass, else the source's password, else a prompt for a new one (a PEM file written with
    unencrypted keys needs none)."""
    if option is not None:
        return passwords.from_option(option, "--dest-storepass")
    if source_password is not None or (target == "pem" and no_encrypt_key):
        return source_password
    return passwords.resolve(None, option="--dest-storepass", prompt="Password of the new store: ")
