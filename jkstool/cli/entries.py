"""keytool's small jobs on entries: copy, delete, rename, passwd. Each edits in place, atomically."""

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import (
    AllowWeakPassword,
    Debug,
    DestStorePass,
    DestStoreType,
    KeyPass,
    LockTimeout,
    StorePass,
    WriteProfile,
)
from .stores import editing, open_store

Alias = Annotated[str, typer.Option("--alias", help="The entry.")]


def copy_command(
    source: Annotated[Path, typer.Argument(metavar="SOURCE", help="The store to copy from.")],
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="The store to copy into (created if missing).")],
    alias: Alias,
    dest_alias: Annotated[str | None, typer.Option(help="The alias in DEST (default: the same).")] = None,
    store_type: DestStoreType = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    dest_storepass: DestStorePass = None,
    allow_weak_password: AllowWeakPassword = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    debug: Debug = False,
):
    """Copy one entry into another store (keytool -importkeystore -srcalias).

    A copied key is protected with DEST's password there, as JSSE expects.

    Example:

    \b
        jkstool copy old.jks new.p12 --alias server --dest-storepass env:NEWPASS
    """
    from ..model import TrustedCertEntry
    opened = open_store(source, storepass, keypass)
    entry = opened.entry(alias)
    name = dest_alias or alias
    if not isinstance(entry, TrustedCertEntry):
        entry = replace(entry, key_password=None)
    with editing(dest, dest_storepass if dest_storepass is not None else storepass, create=True,
                 store_type=store_type.value if store_type else None, lock_timeout=lock_timeout,
                 allow_weak=allow_weak_password,
                 option="--dest-storepass" if dest_storepass is not None else "--storepass",
                 profile=profile.value if profile else None) as target:
        target.claim(name)
        target.store.add(replace(entry, alias=name))
        target.save()
    output.info(f"copied '{alias}' from {source} to {dest} as '{name}'")


def delete_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store.")],
    alias: Alias,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    debug: Debug = False,
):
    """Delete one entry (keytool -delete).

    Example:

    \b
        jkstool delete server.truststore.jks --alias old-partner-ca
    """
    with editing(store, storepass, keypass, lock_timeout=lock_timeout,
                 profile=profile.value if profile else None) as opened:
        removed = opened.remove(alias)
        opened.save()
    output.info(f"deleted the {removed.kind} entry '{alias}' from {store}")


def rename_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store.")],
    alias: Annotated[str, typer.Option("--alias", help="The entry's alias now.")],
    dest_alias: Annotated[str, typer.Option("--dest-alias", help="Its new alias.")],
    storepass: StorePass = None,
    keypass: KeyPass = None,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    debug: Debug = False,
):
    """Give an entry another alias (keytool -changealias).

    Example:

    \b
        jkstool rename server.keystore.p12 --alias mykey --dest-alias server
    """
    with editing(store, storepass, keypass, lock_timeout=lock_timeout,
                 profile=profile.value if profile else None) as opened:
        if dest_alias.lower() != alias.lower():
            opened.claim(dest_alias)
        entry = opened.remove(alias)
        opened.store.add(replace(entry, alias=dest_alias))
        opened.save()
    output.info(f"renamed '{alias}' to '{dest_alias}' in {store}")


def passwd_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store.")],
    new_storepass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="The new store password (keys that had the old one follow it).")] = None,
    alias: Annotated[str | None, typer.Option("--alias", help="With --new-keypass: the key entry.")] = None,
    new_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="A new password for --alias's key alone.")] = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    allow_weak_password: AllowWeakPassword = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    debug: Debug = False,
):
    """Change the store password, and the key passwords that equalled it; or one key's password.

    JSSE's default key manager opens keys with the store password, so keep them equal unless the
    application names a key password of its own.

    Example:

    \b
        jkstool passwd server.keystore.p12 --storepass env:OLDPASS --new-storepass env:NEWPASS
    """
    from ..errors import JkstoolError
    if new_storepass is None and new_keypass is None:
        output.fail("give --new-storepass, or --alias with --new-keypass")
    if (alias is None) != (new_keypass is None):
        output.fail("--alias and --new-keypass go together")
    with editing(store, storepass, keypass, lock_timeout=lock_timeout,
                 profile=profile.value if profile else None) as opened:
        if opened.type == "pem" and new_keypass is not None:
            output.fail(f"{store}: a PEM file has no separate key passwords; use --new-storepass")
        if new_storepass is not None:
            opened.password = passwords.from_option(new_storepass, "--new-storepass")
            passwords.strong(opened.password, allow_weak_password)
        if alias is not None and new_keypass is not None:
            if alias not in opened.store or opened.store[alias].kind == "trusted-cert":
                raise JkstoolError("no key entry has this alias", path=str(store), alias=alias)
            own = passwords.from_option(new_keypass, "--new-keypass")
            passwords.strong(own, allow_weak_password)
            opened.store.put(replace(opened.store[alias], key_password=None if own == opened.password else own))
            if own != opened.password:
                output.warn(f"'{alias}' now has a key password other than the store password: JSSE's default "
                            "key manager will fail with 'Cannot recover key' unless the application names it")
        opened.save()
    changed = [*(["the store password"] if new_storepass else []),
               *([f"the key password of '{alias}'"] if alias and new_keypass else [])]
    output.info(f"{store}: changed {' and '.join(changed)}")
