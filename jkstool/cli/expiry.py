"""`jkstool expiry`: the pre-deploy gate on certificate expiry."""

from pathlib import Path
from typing import Annotated, Any

import typer

from . import output, passwords
from .options import Debug, Json, StorePass


def expiry_command(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH",
        help="Stores, PEM or DER files, and folders (searched recursively).")],
    within: Annotated[int, typer.Option(min=0, help="Fail (exit 1) when a certificate expires within DAYS.",
                                        metavar="DAYS")] = 30,
    storepass: StorePass = None,
    json: Json = False,
    debug: Debug = False,
):
    """Every certificate, soonest to expire first; exit 1 when one expires within --within days.

    Exit 0 when none does, 1 when one does (or already has), 2 when a store cannot be read (the
    others are still listed). JKS stores list without a password; PKCS12 ones need theirs.

    Example:

    \b
        jkstool expiry /etc/myapp/tls --within 21 --storepass env:STOREPASS
    """
    from .. import api
    from ..fleet.expiry import days_left
    from ..pki.certs import facts, sha256
    password = passwords.resolve(storepass)
    with output.Progress("scanning files", quiet=json) as progress:
        result = api.expiry(paths, password=password, progress=progress)
    by_print: dict[str, dict[str, Any]] = {}  # one row per certificate, with every place that holds it
    for item in result.found:
        fingerprint = sha256(item.cert)
        row = by_print.setdefault(fingerprint, {
            "path": item.path, "alias": item.alias, "kind": item.kind, "subject": facts(item.cert).subject,
            "not_after": item.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), "days_left": days_left(item.not_after),
            "sha256": fingerprint, "locations": []})
        row["locations"].append({"path": item.path, "alias": item.alias})
    rows = list(by_print.values())
    due = [r for r in rows if r["days_left"] < within]
    if json:
        output.print_json({"within_days": within, "certificates": rows,
                           "errors": [{"path": p, "error": e} for p, e in result.errors]})
    elif rows:
        output.print_table([[r["days_left"], r["not_after"][:10], r["subject"], _places(r["locations"])]
                            for r in rows], ["days left", "not after", "subject", "where (file: alias)"],
                           flexible=(2, 3))
    for path, error in result.errors:
        output.line(f"error: {path}: {error}", err=True)
    output.info(f"{output.count(len(rows), 'certificate')} in {output.count(result.files, 'file')}; "
                f"{len(due)} {'expires' if len(due) == 1 else 'expire'} within {output.count(within, 'day')}"
                + (f"; {output.count(len(result.errors), 'file')} could not be read" if result.errors else ""))
    raise typer.Exit(2 if result.errors else 1 if due else 0)


def _places(locations: list[dict]) -> str:
    first = locations[0]
    text = f"{first['path']}: {first['alias']}" if first["alias"] else first["path"]
    return text + (f" (+{len(locations) - 1} more)" if len(locations) > 1 else "")
