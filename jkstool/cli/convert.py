"""`jkstool convert`: the same entries in another format."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import (
    AllowWeakPassword,
    Debug,
    DestStorePass,
    DestStoreType,
    Force,
    KeyPass,
    LockTimeout,
    StorePass,
    WriteProfile,
)
from .stores import read_store


def convert_command(
    source: Annotated[Path, typer.Argument(metavar="SOURCE",
        help="The store to read (JKS, JCEKS, PKCS12 or PEM), or a layout folder.")],
    dest: Annotated[Path | None, typer.Argument(metavar="DEST",
        help="The file to write (none for a layout folder).")] = None,
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
    debug: Debug = False,
):
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
    from .. import api, files, formats
    from ..errors import file_exists
    from ..layout.manifest import MANIFEST, lock_path
    if (source / MANIFEST).is_file():
        return _convert_layout(source, dest, store_type, storepass, lock_timeout)
    if dest is None:
        output.fail(f"{source}: give the file to write (DEST), or a layout folder to convert as a whole")
    target = formats.type_for_path(dest, store_type.value if store_type else None)
    chosen = "legacy" if legacy else profile.value if profile else None
    if chosen and target != "pkcs12":
        output.fail(f"--profile {chosen} applies to PKCS12 only: give --store-type pkcs12 or a .p12 name")
    if no_encrypt_key and target != "pem":
        output.fail("--no-encrypt-key applies to PEM only (give --store-type pem or a .pem name)")
    if dest.exists() and not force:
        raise file_exists(dest)
    password = passwords.resolve(storepass, prompt=f"Password of {source}: ")
    key_password = passwords.resolve(keypass, option="--keypass", env=passwords.KEYPASS_ENV)
    loaded = read_store(source, password, key_password)
    _check_keys_read(loaded.store, source)
    dest_password = _dest_password(dest_storepass, password, target, loaded.store, no_encrypt_key)
    own = passwords.from_option(dest_keypass, "--dest-keypass") if dest_keypass is not None else None
    for new in (dest_password if target != "pem" or not no_encrypt_key else None, own):
        passwords.strong(new, allow_weak_password)
    store, changed = loaded.store.with_key_password(None if own == dest_password else own)
    with files.locked(lock_path(dest), lock_timeout):
        backup = api.write_store(dest, store, dest_password, store_type=target, profile=chosen,
                                 encrypt_keys=not no_encrypt_key, backup=True)
    if changed:
        keys = "the key of {} now has" if len(changed) == 1 else "the keys of {} now have"
        output.info(f"{dest}: {keys.format(', '.join(repr(a) for a in changed))} "
                    + ("the --dest-keypass password" if own and own != dest_password else "the store's password"))
    kind = formats.WRITE_TYPES[target]
    output.info(f"wrote {dest} ({kind}, {output.count(len(loaded.store), 'entry')} from {loaded.type} {source})"
                + (f"; the old file is kept as {backup}" if backup else ""))


def _convert_layout(folder: Path, dest, store_type, storepass, lock_timeout: float) -> None:
    from .layoutcmds import layout_lock, open_layout, written
    if dest is not None or store_type is None or store_type.value not in ("jks", "pkcs12"):
        output.fail(f"{folder} is a layout: give only --store-type pkcs12 or jks (its stores are converted in place)")
    from ..layout import lifecycle
    with layout_lock(folder, lock_timeout):
        layout, password = open_layout(folder, storepass)
        result = lifecycle.convert(layout, password, store_type.value)
    written(result)
    output.info(f"the layout's stores are now {store_type.value}: deploy them, and point the configuration at "
                "the new names (jkstool snippet prints it)")


def _check_keys_read(store, source) -> None:
    from ..errors import JkstoolError
    for entry in store:
        if entry.kind != "trusted-cert" and entry.key is None:
            raise JkstoolError("the key is encrypted and no password was given",
                               "give --storepass, or --keypass", path=str(source), alias=entry.alias)


def _dest_password(option, source_password, target, store, no_encrypt_key):
    if option is not None:
        return passwords.from_option(option, "--dest-storepass")
    if source_password is not None:
        return source_password
    needs = target != "pem" or (not no_encrypt_key and store.holds_keys())
    if not needs:
        return None
    password = passwords.resolve(None, option="--dest-storepass", prompt="Password of the new store: ")
    return passwords.require(password, "the new store", option="--dest-storepass")
