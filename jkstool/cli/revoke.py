"""`jkstool revoke`: add certificates to a CA's revocation list."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output, passwords
from .options import Json, LockTimeout, StorePass
from .stores import asking_with

if TYPE_CHECKING:
    from ..api.layouts import Revocation, Revocations


def revoke_command(
    targets: Annotated[list[Path], typer.Argument(
        metavar="[DIR] CERTIFICATES...", help="A layout folder, then the certificates to revoke (PEM or DER); "
        "or the certificates alone, with --ca-cert, --ca-key and --crl.", readable=False)],
    alias: Annotated[list[str] | None, typer.Option(
        help="With a layout: revoke the certificate of this key entry (repeatable).")] = None,
    ca_cert: Annotated[Path | None, typer.Option(help="The CA that issued them (PEM); not with a layout.",
    readable=False)] = None,
    ca_key: Annotated[Path | None, typer.Option(help="The CA's key (PEM); not with a layout.", readable=False)] = None,
    crl: Annotated[Path | None, typer.Option("--crl", help="The CRL file (created when missing, else extended); "
                                                           "not with a layout.", readable=False)] = None,
    ca_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of the CA key (with a layout, default: the store password).")] = None,
    crl_days: Annotated[int, typer.Option(min=1, help="Days until the CRL's nextUpdate.")] = 30,
    ca_crl: Annotated[list[Path] | None, typer.Option(
        metavar="FILE", help="With a layout under a brought CA: the CRL of a CA above it (its root's), kept "
        "and bundled for the servers (repeatable; a newer one replaces it).", readable=False)] = None,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
) -> None:
    """Revoke certificates: add them to a CRL signed by their CA (CRL number incremented).

    With a layout folder, the layout's CA that issued each certificate signs, and the CRLs live in
    DIR/ca/ (one per CA, all of them in ca/crls.pem for servers); verify-pair DIR, serve and the
    snippets use them. Servers enforce revocation only when configured to load the CRL, and refuse
    every client once it is past its nextUpdate: publish a new one before then (revoke DIR alone signs
    every CRL of the layout anew, with a new number and nextUpdate; certificates on them stay on them).

    Example:

    \b
        jkstool revoke ./tls --alias partner-b
        jkstool revoke ./tls                     # the CRLs signed anew, before their nextUpdate
        jkstool revoke ./tls --ca-crl company-root.crl
        jkstool revoke old-partner.pem --ca-cert ca.pem --ca-key ca-key.pem --crl partner-ca.crl
    """
    from ..api.layouts import is_layout, revoke, revoke_with
    from .layoutcmds import layout_password
    result: Revocation | Revocations
    if targets and is_layout(targets[0]):
        folder, certificates = targets[0], targets[1:]
        if ca_cert or ca_key or crl:
            output.fail(f"{folder} is a layout: its CAs and CRLs are used; leave out --ca-cert, --ca-key and --crl")
        secret = layout_password(folder, storepass)
        with asking_with():
            result = revoke(folder, certificates=certificates, aliases=alias or [], password=secret,
                            ca_password=passwords.ca_keypass(ca_keypass), crl_days=crl_days, ca_crls=ca_crl or [],
                            lock_timeout=lock_timeout)
        crls = result.crls
    else:
        if alias or ca_crl:
            output.fail("--alias and --ca-crl need a layout folder first: jkstool revoke DIR --alias ALIAS")
        if not (ca_cert and ca_key and crl):
            output.fail("give a layout folder first, or --ca-cert, --ca-key and --crl")
        result = revoke_with((ca_cert, ca_key), crl, targets, ca_password=passwords.ca_keypass(ca_keypass),
                             crl_days=crl_days, lock_timeout=lock_timeout)
        crls = [crl]
    _report(result.to_dict(), json)
    for path in crls:
        output.info(f"wrote {path}, valid for {output.count(crl_days, 'day')}")
    output.info("servers enforce a CRL only when configured to load it")


def _report(data: dict[str, Any], json: bool) -> None:
    if json:
        output.print_json(data, "revoke")
    else:
        output.print_table([[item["status"], item["subject"], item["serial"], item["crl"]] for item in data["revoked"]],
                           ["status", "subject", "serial", "crl"], flexible=(1, 3))
