"""Commands on an init-pair layout: renew, add-client, rollover-ca."""

from pathlib import Path
from typing import Annotated, Any

import typer

from . import output, passwords
from .keys import issuer_from
from .options import Debug, Json, LockTimeout, Side, Sides, StorePass

Folder = Annotated[Path, typer.Argument(help="The layout folder (with its layout.json).")]
CaKeypass = Annotated[str | None, typer.Option(
    metavar="PASSWORD", help="Password of the CA key (default: the store password).")]


def _open(folder: Path, storepass):
    from ..layout.manifest import Layout
    layout = Layout.open(folder)
    password = passwords.resolve(storepass, layout=folder, prompt=f"Password of the stores in {folder}: ")
    return layout, passwords.require(password, f"the layout {folder}")


def _locked(folder: Path, timeout: float):
    """The layout's lock: one lifecycle step at a time."""
    from .. import files
    from ..layout.manifest import MANIFEST
    return files.locked(folder / MANIFEST, timeout)


def _ca_password(ca_keypass):
    return passwords.from_option(ca_keypass, "--ca-keypass") if ca_keypass else None


def _findings(report) -> None:
    output.print_table([[f.severity, f.code, f.store, f.alias or "", f.message] for f in report.findings
                        if f.severity != "info"], ["severity", "code", "store", "alias", "message"])


def renew_command(
    folder: Folder,
    side: Annotated[Side, typer.Option(help="Whose certificate to renew.")],
    keep_key: Annotated[bool, typer.Option(help="Keep the current key (default: a new one).")] = False,
    days: Annotated[int | None, typer.Option(min=1, help="Validity (default: as init-pair made it).")] = None,
    ca_cert: Annotated[Path | None, typer.Option(help="The CA, when it is not in the layout's ca/.")] = None,
    ca_key: Annotated[Path | None, typer.Option(help="The CA's key, with --ca-cert.")] = None,
    ca_keypass: CaKeypass = None,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    debug: Debug = False,
):
    """Replace a side's certificate before it expires, in one step.

    Backs up the keystore (a timestamped, byte-exact copy beside it), issues a new certificate from the
    layout's CA with the same subject, SANs and profile, installs it, and keeps it only if the layout
    then passes verify-pair. Without the CA's key it writes a request for the CA instead.

    Example:

        jkstool renew ./tls --side server
    """
    from ..layout import lifecycle
    from ..pki.certs import facts
    if (ca_cert is None) != (ca_key is None):
        output.fail("--ca-cert and --ca-key go together: give both, or neither")
    issuer = issuer_from(ca_cert, ca_key, ca_keypass) if ca_cert and ca_key else None
    with _locked(folder, lock_timeout):
        layout, password = _open(folder, storepass)
        renewal = lifecycle.renew(layout, side.value, password, _ca_password(ca_keypass), keep_key, days, issuer)
    if isinstance(renewal, lifecycle.Request):
        _request_steps(layout, side.value, renewal)
        return
    old, new = facts(renewal.old), facts(renewal.new)
    data: dict[str, Any] = {"side": side.value, "ok": renewal.report.ok,
            "old": {"serial": old.serial, "not_after": old.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "new": {"serial": new.serial, "not_after": new.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "backups": [str(p) for p in renewal.backups]}
    if json:
        output.print_json(data)
    else:
        output.print_table([["old", old.serial, data["old"]["not_after"]],
                            ["new", new.serial, data["new"]["not_after"]]], ["", "serial", "not after"])
    if not renewal.report.ok:
        _findings(renewal.report)
        output.info("the renewed layout would not pass verify-pair: nothing was changed")
        raise typer.Exit(1)
    output.info(f"renewed the {side.value} certificate; the old keystore is kept as "
                + ", ".join(str(p) for p in renewal.backups))


def _request_steps(layout, side: str, request) -> None:
    """What to do with a request written because the CA's key is not at hand."""
    alias, keystore = layout.manifest.leaf(side).alias, layout.store_path(f"{side}-keystore")
    steps = [f"no key for {side}'s CA at {layout.ca(side).key}: wrote the request {request.request}",
             "  1. have the CA sign it (jkstool sign, or your CA's portal)"]
    if request.pending:
        steps += [f"  2. jkstool import-reply {request.pending} REPLY --alias {alias}",
                  f"  3. jkstool convert {request.pending} {keystore} --force"]
    else:
        steps += [f"  2. jkstool import-reply {keystore} REPLY --alias {alias}"]
    for step in steps:
        output.info(step)


def add_client_command(
    folder: Folder,
    cn: Annotated[str, typer.Option("--cn", help="The new client's name (its certificate's CN).")],
    ca_keypass: CaKeypass = None,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    debug: Debug = False,
):
    """Issue one more client (a new partner) from the layout's client CA.

    Writes client-NAME.keystore and client-NAME.truststore beside the layout's stores.

    Example:

        jkstool add-client ./tls --cn partner-b
    """
    from ..layout import lifecycle
    from ..pki.certs import facts
    with _locked(folder, lock_timeout):
        layout, password = _open(folder, storepass)
        client = lifecycle.add_client(layout, cn, password, _ca_password(ca_keypass))
    leaf = facts(client.leaf)
    if json:
        output.print_json({"files": [{"path": str(client.keystore), "role": "client-keystore"},
                                     {"path": str(client.truststore), "role": "client-truststore"}],
                           "server_truststore_changed": client.server_trust_added})
    else:
        output.print_table([[str(client.keystore), "client-keystore", client.alias, leaf.subject, leaf.issuer],
                            [str(client.truststore), "client-truststore", "", "", ""]],
                           ["file", "role", "alias", "subject", "issuer"])
    server_truststore = layout.store_path("server-truststore")
    output.info(f"the server truststore ({server_truststore}) " + (
        f"now trusts {leaf.issuer}: deploy it to the server" if client.server_trust_added else
        f"already trusts {leaf.issuer}: the server needs no change"))


def rollover_ca_command(
    folder: Folder,
    side: Annotated[Sides, typer.Option(help="Whose CA to replace.")] = Sides.both,
    finish: Annotated[bool, typer.Option(
        help="Remove the old CA, once every side runs certificates from the new one.")] = False,
    ca_keypass: CaKeypass = None,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    debug: Debug = False,
):
    """Replace a CA without downtime: overlap first, then --finish.

    Step 1 adds a new CA to the truststores that trust the old one and reissues the leaves from it;
    old and new certificates are both trusted while you deploy. Step 2 (--finish) removes the old CA.

    Example:

        jkstool rollover-ca ./tls --side client        # then deploy, then:
        jkstool rollover-ca ./tls --finish
    """
    from ..layout import lifecycle
    with _locked(folder, lock_timeout):
        layout, password = _open(folder, storepass)
        if finish:
            report, backups = lifecycle.finish_rollover(layout, password)
        else:
            sides = ["server", "client"] if side is Sides.both else [side.value]
            report, backups = lifecycle.start_rollover(layout, sides, password, _ca_password(ca_keypass))
    if finish:
        step = "finished: the old CA is no longer trusted"
    else:
        step = ("started: the new CA is trusted beside the old one and the leaves are reissued from it; "
                f"deploy the stores, then run: jkstool rollover-ca {folder} --finish")
    if json:
        output.print_json({"ok": report.ok, "finished": finish, "backups": [str(p) for p in backups]})
    if not report.ok:
        _findings(report)
        output.info("the layout would not pass verify-pair after this step: nothing was changed")
        raise typer.Exit(1)
    output.info(f"rollover {step}")
