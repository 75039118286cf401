"""`jkstool init-pair`: the four stores of a mutual-TLS pair, in one command."""

import os
import secrets
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Debug, Force, Json, StorePass

# The same as jkstool.pki.KEY_TYPES (a test keeps them equal), written out so that the
# command line starts without importing cryptography.
KeyType = Enum("KeyType", {k.replace("-", "_"): k for k in
                           ("ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519")}, type=str)


class LayoutStoreType(str, Enum):
    jks = "jks"
    pkcs12 = "pkcs12"


def _pem(help_text):
    return typer.Option(help=help_text, metavar="PEM")


def init_pair_command(
    out_dir: Annotated[Path, typer.Argument(help="The folder to write the layout into (created if missing).")],
    server_cn: Annotated[str, typer.Option(help="The server certificate's CN.")] = "localhost",
    san: Annotated[list[str] | None, typer.Option(
        "--san", help="A server SAN: DNS:name, IP:address, URI:uri or email:address (repeatable). "
                      "Default: DNS:localhost, IP:127.0.0.1 and IP:::1 for localhost, else DNS:<cn>.")] = None,
    client_cn: Annotated[str, typer.Option(help="The client certificate's CN.")] = "client",
    server_alias: Annotated[str, typer.Option(help="Alias of the server's key entry.")] = "server",
    client_alias: Annotated[str, typer.Option(help="Alias of the client's key entry.")] = "client",
    key_type: Annotated[KeyType, typer.Option(help="Key type of the CA(s) and both leaves.")] = KeyType.ec_p256,
    days: Annotated[int, typer.Option(min=1, help="Validity of the server and client certificates.")] = 397,
    ca_days: Annotated[int, typer.Option(min=1, help="Validity of a CA made here.")] = 3650,
    separate_cas: Annotated[bool, typer.Option(
        help="A server CA and a client CA, so each truststore holds only the other side's issuer.")] = False,
    ca_cert: Annotated[Path | None, _pem("Bring your own CA for both sides: the issuing CA first, "
                                         "then its issuers up to the root.")] = None,
    ca_key: Annotated[Path | None, _pem("The key of --ca-cert (encrypted or not).")] = None,
    server_ca_cert: Annotated[Path | None, _pem("Bring the CA that issues the server certificate.")] = None,
    server_ca_key: Annotated[Path | None, _pem("The key of --server-ca-cert.")] = None,
    client_ca_cert: Annotated[Path | None, _pem("Bring the CA that issues client certificates.")] = None,
    client_ca_key: Annotated[Path | None, _pem("The key of --client-ca-cert.")] = None,
    ca_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of a brought CA key, and of the CA key written to ca/ "
                                 "(default: the store password).")] = None,
    store_type: Annotated[LayoutStoreType, typer.Option(
        "--store-type", case_sensitive=False, help="jks (.jks files) or pkcs12 (.p12 files).")] = LayoutStoreType.jks,
    storepass: StorePass = None,
    force: Force = False,
    json: Json = False,
    debug: Debug = False,
):
    """Make the four stores of a mutual-TLS pair, their CA(s) in ca/, and layout.json.

    Without --storepass or JKSTOOL_STOREPASS, a strong random password is written to
    OUT_DIR/storepass (mode 0600); init-pair never prompts.

    Example:

        jkstool init-pair ./tls --server-cn api.example.com --separate-cas
    """
    from .. import layout
    from ..certs import issuer_of, subject_of
    spec = layout.PairSpec(
        store_type=store_type.value, key_type=key_type.value, server_cn=server_cn, client_cn=client_cn,
        sans=san or None, server_alias=server_alias, client_alias=client_alias, days=days,
        ca_days=ca_days, separate_cas=separate_cas)
    _check_choices(spec, ca_cert, ca_key, server_ca_cert, server_ca_key, client_ca_cert, client_ca_key)
    password = passwords.resolve(storepass)
    generated = password is None
    planned_paths = [*spec.planned_files().values(), *([layout.STOREPASS_FILE] if generated else [])]
    existing = [p for p in planned_paths if (out_dir / p).exists()]
    if existing and not force:
        output.fail(f"{out_dir / existing[0]}: the file already exists (give --force to replace the "
                    "layout; backups are kept)")
    if generated:
        password = secrets.token_urlsafe(24)
    ca_password = passwords.from_option(ca_keypass, "--ca-keypass") if ca_keypass is not None else None
    _bring_cas(spec, ca_password, ca_cert, ca_key, server_ca_cert, server_ca_key, client_ca_cert, client_ca_key)
    planned = layout.make_pair(spec, password, ca_password or password, generated)
    backups = layout.write(out_dir, planned, replace=force)

    if json:
        output.print_json({"files": [{"path": str(out_dir / f.path), "role": f.role} for f in planned]})
    else:
        rows = [[str(out_dir / f.path), f.role, f.alias or "",
                 subject_of(f.cert) if f.cert else "", issuer_of(f.cert) if f.cert else "",
                 f.cert.not_valid_after_utc.strftime("%Y-%m-%d") if f.cert else ""] for f in planned]
        output.print_table(rows, ["file", "role", "alias", "subject", "issuer", "expires"])
    for kept in backups:
        output.info(f"kept the replaced file as {kept}")
    if generated:
        output.info(f"generated a store password: it is in {out_dir / layout.STOREPASS_FILE} (mode 0600)")
    _next_steps(out_dir, spec, generated)


def _check_choices(spec, ca_cert, ca_key, server_ca_cert, server_ca_key, client_ca_cert, client_ca_key):
    """Contradictory choices fail before any work is done."""
    pairs = {"--ca-cert": (ca_cert, ca_key, "--ca-key"),
             "--server-ca-cert": (server_ca_cert, server_ca_key, "--server-ca-key"),
             "--client-ca-cert": (client_ca_cert, client_ca_key, "--client-ca-key")}
    for cert_option, (cert, key, key_option) in pairs.items():
        if (cert is None) != (key is None):
            output.fail(f"{cert_option} and {key_option} go together: give both, or neither")
    if ca_cert and spec.separate_cas:
        output.fail("--separate-cas makes two CAs, --ca-cert brings one for both sides: choose one "
                    "(bring two with --server-ca-cert and --client-ca-cert)")
    if ca_cert and (server_ca_cert or client_ca_cert):
        output.fail("--ca-cert brings one CA for both sides: do not combine it with "
                    "--server-ca-cert or --client-ca-cert")


def _bring_cas(spec, ca_password, ca_cert, ca_key, server_ca_cert, server_ca_key, client_ca_cert,
               client_ca_key):
    from .. import files, pki
    from ..errors import JkstoolError
    from ..layout import BroughtCA

    def bring(cert_path, key_path):
        if cert_path is None:
            return None
        try:
            issuer = pki.load_issuer(files.read_bytes(cert_path), files.read_bytes(key_path), ca_password)
        except JkstoolError as e:
            raise e.at(path=cert_path) from None
        return BroughtCA(issuer, os.path.abspath(cert_path), os.path.abspath(key_path))

    spec.shared_ca = bring(ca_cert, ca_key)
    spec.server_ca = bring(server_ca_cert, server_ca_key)
    spec.client_ca = bring(client_ca_cert, client_ca_key)


def _next_steps(out_dir: Path, spec, generated: bool) -> None:
    names = spec.planned_files()
    password = f" --storepass file:{out_dir / 'storepass'}" if generated else ""
    output.info(
        "next steps:\n"
        f"  server: deploy {names['server-keystore']} and {names['server-truststore']} "
        "(require client certificates)\n"
        f"  client: deploy {names['client-keystore']} and {names['client-truststore']}\n"
        f"  keep {out_dir / 'ca'} private: it signs new certificates\n"
        f"  look inside: jkstool list {out_dir / names['server-keystore']}{password}")
