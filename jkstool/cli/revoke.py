"""`jkstool revoke`: add certificates to a CA's revocation list."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .keys import issuer_from
from .options import Json, LockTimeout, StorePass


def revoke_command(
    targets: Annotated[list[Path], typer.Argument(
        metavar="[DIR] CERTIFICATES...", help="A layout folder, then the certificates to revoke (PEM or DER); "
        "or the certificates alone, with --ca-cert, --ca-key and --crl.")],
    alias: Annotated[list[str] | None, typer.Option(
        help="With a layout: revoke the certificate of this key entry (repeatable).")] = None,
    ca_cert: Annotated[Path | None, typer.Option(help="The CA that issued them (PEM); not with a layout.")] = None,
    ca_key: Annotated[Path | None, typer.Option(help="The CA's key (PEM); not with a layout.")] = None,
    crl: Annotated[Path | None, typer.Option("--crl", help="The CRL file (created when missing, else extended); "
                                                           "not with a layout.")] = None,
    ca_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of the CA key (with a layout, default: the store password).")] = None,
    crl_days: Annotated[int, typer.Option(min=1, help="Days until the CRL's nextUpdate.")] = 30,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
):
    """Revoke certificates: add them to a CRL signed by their CA (CRL number incremented).

    With a layout folder, the layout's CA that issued each certificate signs, and the CRLs live in
    DIR/ca/ (one per CA, all of them in ca/crls.pem for servers); verify-pair DIR, serve and the
    snippets use them. Servers enforce revocation only when configured to load the CRL, and refuse
    every client once it is past its nextUpdate: publish a new one before then (run revoke again:
    certificates already on the list stay on it, and the CRL gets a new number and nextUpdate).

    Example:

    \b
        jkstool revoke ./tls --alias partner-b
        jkstool revoke old-partner.pem --ca-cert ca.pem --ca-key ca-key.pem --crl partner-ca.crl
    """
    from ..formats import certfile
    from ..layout.manifest import MANIFEST
    if targets and (targets[0] / MANIFEST).is_file():
        folder, certificates = targets[0], targets[1:]
        if ca_cert or ca_key or crl:
            output.fail(f"{folder} is a layout: its CAs and CRLs are used; leave out --ca-cert, --ca-key and --crl")
        if not certificates and not alias:
            output.fail("name what to revoke: certificate files, or --alias ALIAS")
        revoked = [cert for path in certificates for cert in certfile.read_certificates(path)]
        results, files = _in_layout(folder, alias or [], revoked, ca_keypass, storepass, crl_days, lock_timeout)
    else:
        if alias:
            output.fail("--alias needs a layout folder first: jkstool revoke DIR --alias ALIAS")
        if not (ca_cert and ca_key and crl):
            output.fail("give a layout folder first, or --ca-cert, --ca-key and --crl")
        revoked = [cert for path in targets for cert in certfile.read_certificates(path)]
        results, files = [_standalone(revoked, ca_cert, ca_key, crl, ca_keypass, crl_days, lock_timeout)], [crl]
    _report(results, json)
    for path in files:
        output.info(f"wrote {path}, valid for {crl_days} days; servers enforce it only when configured to load it")


def _in_layout(folder, aliases, revoked, ca_keypass, storepass, crl_days, lock_timeout):
    from ..layout import lifecycle
    from .layoutcmds import layout_lock, open_layout
    with layout_lock(folder, lock_timeout):
        layout, password = open_layout(folder, storepass)
        revoked = revoked + [lifecycle.leaf_of(layout, password, a) for a in aliases]
        ca_password = passwords.from_option(ca_keypass, "--ca-keypass") if ca_keypass else None
        results, written = lifecycle.revoke(layout, password, ca_password, revoked, crl_days)
    return results, [p for p in written.files if p.name.endswith((".crl", ".pem")) and p.parent.name == "ca"]


def _standalone(revoked, ca_cert, ca_key, crl, ca_keypass, crl_days, lock_timeout):
    from .. import files
    from ..errors import JkstoolError
    from ..layout.lifecycle import Revocation
    from ..layout.manifest import lock_path
    from ..pki import crl as crls
    issuer = issuer_from(ca_cert, ca_key, ca_keypass)
    with files.locked(lock_path(crl), lock_timeout):  # two revocations at once must both land
        existing = None
        if crl.exists():
            try:
                existing = crls.load(files.read_bytes(crl))
            except JkstoolError as e:
                raise e.at(path=crl) from None
        try:
            data, added, already = crls.revoke(issuer, existing, revoked, crl_days)
        except JkstoolError as e:
            raise e.at(path=crl) from None
        files.write_atomic(crl, data, files.Secrecy.PUBLIC)
    return Revocation(crl, added, already)


def _report(results, json: bool) -> None:
    from ..pki import certs
    items = [(r.crl, c, "revoked") for r in results for c in r.added]
    items += [(r.crl, c, "already revoked") for r in results for c in r.already]
    if json:
        output.print_json({"crl": str(results[0].crl) if len(results) == 1 else None, "revoked": [
            {"subject": certs.subject_of(certs.load(c)), "serial": format(certs.load(c).serial_number, "x"),
             "status": s, "crl": str(crl)} for crl, c, s in items]})
    else:
        output.print_table([[s, certs.subject_of(certs.load(c)), format(certs.load(c).serial_number, "x"), str(crl)]
                            for crl, c, s in items], ["status", "subject", "serial", "crl"], flexible=(1, 3))
