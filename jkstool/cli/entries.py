"""keytool's small jobs on entries: copy, delete, rename, passwd. Each edits in place, atomically."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import (
    AllowWeakPassword,
    DestStorePass,
    DestStoreType,
    Json,
    KeyPass,
    LockTimeout,
    StorePass,
    WriteProfile,
)
from .stores import asking_with, passwords_for

Alias = Annotated[str, typer.Option("--alias", help="The entry.")]


def copy_command(
    source: Annotated[Path, typer.Argument(metavar="SOURCE", help="The store to copy from.", readable=False)],
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="The store to copy into (created if missing).",
    readable=False)],
    alias: Alias,
    dest_alias: Annotated[str | None, typer.Option(help="The alias in DEST (default: the same).")] = None,
    store_type: DestStoreType = None,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    dest_storepass: DestStorePass = None,
    allow_weak_password: AllowWeakPassword = False,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    json: Json = False,
) -> None:
    """Copy one entry into another store (keytool -importkeystore -srcalias).

    A copied key is protected with DEST's password there, as JSSE expects.

    Example:

    \b
        jkstool copy old.jks new.p12 --alias server --dest-storepass env:NEWPASS
    """
    from .. import api
    option = "--dest-storepass" if dest_storepass is not None else "--storepass"
    password, key_password = passwords_for(source, storepass, keypass)
    dest_password = passwords.resolve(dest_storepass, option=option, prompt=f"Password of {dest}: ") \
        if dest_storepass is not None else password
    name = dest_alias or alias
    with asking_with(option):
        copied = api.copy_entry(source, dest, alias, password=password, key_password=key_password,
                                dest_password=dest_password, dest_alias=name,
                                store_type=store_type.value if store_type else None,
                                profile=profile.value if profile else None, allow_weak=allow_weak_password,
                                lock_timeout=lock_timeout)
    if json:
        output.print_json({"source": str(source), "dest": str(dest), "alias": alias, "dest_alias": name,
                           "kind": copied.kind}, "copy")
    output.info(f"copied '{alias}' from {source} to {dest} as '{name}'")


def delete_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store.", readable=False)],
    alias: Alias,
    storepass: StorePass = None,
    keypass: KeyPass = None,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    json: Json = False,
) -> None:
    """Delete one entry (keytool -delete).

    Example:

    \b
        jkstool delete server.truststore.jks --alias old-partner-ca
    """
    from .. import api
    password, key_password = passwords_for(store, storepass, keypass)
    with asking_with():
        removed = api.delete_entry(store, alias, password=password, key_password=key_password,
                                   profile=profile.value if profile else None, lock_timeout=lock_timeout)
    if json:
        output.print_json({"store": str(store), "alias": alias, "kind": removed.kind}, "delete")
    output.info(f"deleted the {removed.kind} entry '{alias}' from {store}")


def rename_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store.", readable=False)],
    alias: Annotated[str, typer.Option("--alias", help="The entry's alias now.")],
    dest_alias: Annotated[str, typer.Option("--dest-alias", help="Its new alias.")],
    storepass: StorePass = None,
    keypass: KeyPass = None,
    lock_timeout: LockTimeout = 30,
    profile: WriteProfile = None,
    json: Json = False,
) -> None:
    """Give an entry another alias (keytool -changealias).

    Example:

    \b
        jkstool rename server.keystore.p12 --alias mykey --dest-alias server
    """
    from .. import api
    password, key_password = passwords_for(store, storepass, keypass)
    with asking_with():
        renamed = api.rename_entry(store, alias, dest_alias, password=password, key_password=key_password,
                                   profile=profile.value if profile else None, lock_timeout=lock_timeout)
    if json:
        output.print_json({"store": str(store), "alias": alias, "dest_alias": dest_alias, "kind": renamed.kind},
                          "rename")
    output.info(f"renamed '{alias}' to '{dest_alias}' in {store}")


def passwd_command(
    store: Annotated[Path, typer.Argument(
        metavar="STORE|DIR", help="The store, or a layout folder (its four stores and storepass file).",
        readable=False)],
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
    json: Json = False,
) -> None:
    """Change the store password, and the key passwords that equalled it; or one key's password.

    JSSE's default key manager opens keys with the store password, so keep them equal unless the
    application names a key password of its own. A layout's stores share one password: give the
    layout folder to change it for all four (and its storepass file), backed up as its commands are.

    Example:

    \b
        jkstool passwd server.keystore.p12 --storepass env:OLDPASS --new-storepass env:NEWPASS
        jkstool passwd ./tls --new-storepass env:NEWPASS
    """
    from .. import api
    if new_storepass is None and new_keypass is None:
        output.fail("give --new-storepass, or --alias with --new-keypass")
    if (alias is None) != (new_keypass is None):
        output.fail("--alias and --new-keypass go together")
    password, key_password = (passwords.resolve(storepass, layout=store), None) if store.is_dir() else \
        passwords_for(store, storepass, keypass)
    with asking_with():
        own = api.change_password(
            store, password=password, key_password=key_password,
            new_password=passwords.from_option(new_storepass, "--new-storepass") if new_storepass else None,
            alias=alias, new_key_password=passwords.from_option(new_keypass, "--new-keypass") if new_keypass else None,
            allow_weak=allow_weak_password, profile=profile.value if profile else None, lock_timeout=lock_timeout)
    if own:
        output.warn(f"'{alias}' now has a key password other than the store password: JSSE's default "
                    "key manager will fail with 'Cannot recover key' unless the application names it")
    changed = {name: said for name, said, given in (("store_password", "the store password", new_storepass),
                                                    ("key_password", f"the key password of '{alias}'", new_keypass))
               if given}
    if json:  # what changed, never a password
        output.print_json({"store": str(store), "changed": list(changed), "alias": alias,
                           "key_password_differs": own}, "passwd")
    output.info(f"{store}: changed {' and '.join(changed.values())}")
