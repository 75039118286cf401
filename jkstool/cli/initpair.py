"""`jkstool init-pair`: the four stores of a mutual-TLS pair, in one command."""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output, passwords
from .options import (
    AllowWeakPassword,
    Force,
    Json,
    KeyType,
    LayoutStoreType,
    LockTimeout,
    StorePass,
    WriteProfile,
)

if TYPE_CHECKING:
    from ..api import Layout


def _pem(help_text: str) -> Any:
    return typer.Option(help=help_text, metavar="PEM", readable=False)


def init_pair_command(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT_DIR",
        help="The folder to write the layout into (created if missing).", readable=False)],
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
    separate_cas: Annotated[bool, typer.Option("--separate-cas",
        help="A server CA and a client CA, so each truststore holds only the other side's issuer.")] = False,
    ca_cert: Annotated[Path | None, _pem("Bring your own CA for both sides: the issuing CA first, "
                                         "then its issuers up to the root.")] = None,
    ca_key: Annotated[Path | None, _pem("The key of --ca-cert (encrypted or not).")] = None,
    server_ca_cert: Annotated[Path | None, _pem("Bring the CA that issues the server certificate.")] = None,
    server_ca_key: Annotated[Path | None, _pem("The key of --server-ca-cert.")] = None,
    client_ca_cert: Annotated[Path | None, _pem("Bring the CA that issues client certificates.")] = None,
    client_ca_key: Annotated[Path | None, _pem("The key of --client-ca-cert.")] = None,
    ca_crl: Annotated[list[Path] | None, typer.Option(
        metavar="FILE", help="With a brought CA: the CRL of a CA above it (its root's), for servers that check "
        "revocation (repeatable; see revoke --ca-crl).", readable=False)] = None,
    ca_keypass: Annotated[str | None, typer.Option(
        metavar="PASSWORD", help="Password of a brought CA key, and of the CA key written to ca/ "
                                 "(default: the store password).")] = None,
    store_type: Annotated[LayoutStoreType, typer.Option(
        "--store-type", case_sensitive=False,
        help="pkcs12 (.p12 files, Java's default since 9) or jks (.jks files).")] = LayoutStoreType.pkcs12,
    profile: WriteProfile = None,
    k8s_secret: Annotated[str | None, typer.Option(
        "--k8s-secret", metavar="NAME",
        help="Also write OUT_DIR/NAME.k8s.json (0600): Kubernetes Secrets NAME-server, NAME-client and "
             "NAME-keystore-password, as jkstool k8s-secret writes them.")] = None,
    storepass: StorePass = None,
    allow_weak_password: AllowWeakPassword = False,
    force: Force = False,
    lock_timeout: LockTimeout = 30,
    json: Json = False,
) -> None:
    """Make the four stores of a mutual-TLS pair, their CA(s) in ca/, and layout.json.

    Without --storepass or JKSTOOL_STOREPASS, a strong random password is written to
    OUT_DIR/storepass (mode 0600); init-pair never prompts.

    Example:

    \b
        jkstool init-pair ./tls --server-cn api.example.com --separate-cas
    """
    from .. import api
    from ..api.layouts import check_k8s_name
    _check_pairs(ca_cert, ca_key, server_ca_cert, server_ca_key, client_ca_cert, client_ca_key)
    if k8s_secret is not None:
        check_k8s_name(k8s_secret)  # before any work
    password = passwords.resolve(storepass)
    ca_password = passwords.from_option(ca_keypass, "--ca-keypass") if ca_keypass is not None else None
    layout = api.init_pair(
        out_dir, password=password, store_type=store_type.value, key_type=key_type.value, server_cn=server_cn,
        sans=san or None, client_cn=client_cn, server_alias=server_alias, client_alias=client_alias,
        days=days, ca_days=ca_days, separate_cas=separate_cas, ca=_pair(ca_cert, ca_key),
        server_ca=_pair(server_ca_cert, server_ca_key), client_ca=_pair(client_ca_cert, client_ca_key),
        ca_password=ca_password, replace=force, lock_timeout=lock_timeout, ca_crls=ca_crl or [],
        profile=profile.value if profile else None, allow_weak=allow_weak_password)
    written = layout.files()
    if json:
        output.print_json({"files": [{"path": str(path), "role": role} for role, path in written.items()]},
                          "init-pair")
    else:
        output.print_table(_summary(layout, password),
                           ["file", "role", "alias", "subject", "issuer", "expires"], flexible=(3, 4))
    if layout.backups:  # in their folders, as in the layout (ca/...): the backup is the folder they share
        from .layoutcmds import kept_in
        kept_in(Path(os.path.commonpath([path.parent for path in layout.backups])))
    if layout.password_file:
        output.info(f"generated a store password: it is in {layout.password_file} (mode 0600)")
    if profile is not None and profile.value == "modern":
        output.warn("the stores are PKCS12 with PBMAC1 integrity (--profile modern): JDK 26+ and OpenSSL 3.4+ "
                    "load them, Java 8 to 25 do not (jkstool compat STORE)")
    if k8s_secret is not None:
        from .layoutcmds import write_k8s_secrets
        write_k8s_secrets(out_dir, k8s_secret, None, password, out_dir / f"{k8s_secret}.k8s.json", force)
    _next_steps(layout)


def _pair(cert: Path | None, key: Path | None) -> tuple[Path, Path] | None:
    return (cert, key) if cert is not None and key is not None else None


def _check_pairs(*paths: Path | None) -> None:
    """A CA's certificate and key go together: contradictory choices fail before any work is done."""
    options = ("--ca-cert", "--ca-key", "--server-ca-cert", "--server-ca-key", "--client-ca-cert", "--client-ca-key")
    for n in range(0, len(options), 2):
        if (paths[n] is None) != (paths[n + 1] is None):
            output.fail(f"{options[n]} and {options[n + 1]} go together: give both, or neither")


def _summary(layout: "Layout", password: str | None) -> list[list[str]]:
    """A row per file: the certificate each store or CA file holds."""
    from ..api import certificates
    from ..api.layouts import layout_files
    rows = []
    for item in layout_files(layout, password=password):
        cert = certificates.facts(item.certificate) if item.certificate else None
        rows.append([str(item.path), item.role, item.alias, cert.subject if cert else "", cert.issuer if cert else "",
                     f"{cert.not_after:%Y-%m-%d}" if cert else ""])
    return rows


def _next_steps(layout: "Layout") -> None:
    stores = {role: path.name for role, path in layout.stores().items()}
    password = f" --storepass file:{layout.password_file}" if layout.password_file else ""
    keys = list(dict.fromkeys(str(layout.path(c.key)) for c in layout.manifest.cas.records()))
    for line in ("next steps:",
                 f"  server: deploy {stores['server-keystore']} and {stores['server-truststore']} "
                 "(require client certificates)",
                 f"  client: deploy {stores['client-keystore']} and {stores['client-truststore']}",
                 f"  keep {' and '.join(keys)} private: {'they sign' if len(keys) > 1 else 'it signs'} new "
                 "certificates",
                 f"  look inside: jkstool list {layout.store_path('server-keystore')}{password}"):
        output.info(line)  # a line each: a message's own newlines are escaped, as untrusted text's are
