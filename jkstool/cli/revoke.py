"""`jkstool revoke`: add certificates to a CA's revocation list."""

from pathlib import Path
from typing import Annotated

import typer

from . import output
from .keys import issuer_from
from .options import Debug, Json, LockTimeout


def revoke_command(
    certificates: Annotated[list[Path], typer.Argument(help="The certificates to revoke (PEM or DER).")],
    ca_cert: Annotated[Path, typer.Option(help="The CA that issued them (PEM).")],
    ca_key: Annotated[Path, typer.Option(help="The CA's key (PEM).")],
    crl: Annotated[Path, typer.Option("--crl", help="The CRL file (created when missing, else extended).")],
    ca_keypass: Annotated[str | None, typer.Option(metavar="PASSWORD", help="Password of --ca-key.")] = None,
    crl_days: Annotated[int, typer.Option(min=1, help="Days until the CRL's nextUpdate.")] = 30,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
    debug: Debug = False,
):
    """Revoke certificates: add them to a CRL signed by their CA (CRL number incremented).

    Servers enforce revocation only when configured to load the CRL, and refuse every client once
    it is past its nextUpdate: publish a new one before then (run revoke again: certificates
    already on the list stay on it, and the CRL gets a new number and nextUpdate).

    Example:

        jkstool revoke old-partner.pem --ca-cert tls/ca/client-ca.pem --ca-key tls/ca/client-ca-key.pem \\
            --crl tls/client-ca.crl
    """
    from .. import files
    from ..errors import JkstoolError
    from ..formats import certfile
    from ..layout.manifest import lock_path
    from ..pki import certs
    from ..pki import crl as crls
    issuer = issuer_from(ca_cert, ca_key, ca_keypass)
    revoked = [cert for path in certificates for cert in certfile.read_certificates(path)]
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
        files.write_atomic(crl, data, 0)
    items = [(c, "revoked") for c in added] + [(c, "already revoked") for c in already]
    if json:
        output.print_json({"crl": str(crl), "revoked": [
            {"subject": certs.subject_of(certs.load(c)), "serial": format(certs.load(c).serial_number, "x"),
             "status": s} for c, s in items]})
    else:
        output.print_table([[s, certs.subject_of(certs.load(c)), format(certs.load(c).serial_number, "x")]
                            for c, s in items], ["status", "subject", "serial"])
    output.info(f"wrote {crl}, valid for {crl_days} days; servers enforce it only when configured to load it")
