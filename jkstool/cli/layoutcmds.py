"""Commands on an init-pair layout: renew, add-client, rollover-ca, restore, k8s-secret."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output, passwords
from .options import Force, Json, LockTimeout, Side, Sides, StorePass
from .stores import asking_with

if TYPE_CHECKING:
    from ..api.layouts import Renewal, Request, Stage, Written

Folder = Annotated[Path, typer.Argument(metavar="DIR",
    file_okay=False, help="The layout folder (with its layout.json).", readable=False)]
CaKeypass = Annotated[str | None, typer.Option(
    metavar="PASSWORD", help="Password of the CA key (default: the store password).")]


def layout_password(folder: Path, storepass: str | None) -> str | None:
    """The password of a layout's stores from --storepass, JKSTOOL_STOREPASS, its storepass file or a prompt;
    None for a folder without a layout.json, which the API then refuses for what it is."""
    from ..api.layouts import is_layout
    if not is_layout(folder):
        return None
    return passwords.resolve(storepass, layout=folder, prompt=f"Password of the stores in {folder}: ")


_RELOAD = {  # a kind of file: what to reload once one is written, and how (said once for all the files of the kind)
    "store": ("reload the Java side that uses it",
              "to reload Tomcat: its manager's sslReload (jkstool snippet tomcat shows it); other Java: restart"),
    "pem": ("reload what reads it", "to reload nginx or Apache: nginx -s reload, apachectl -k graceful"),
    "crl": ("reload the servers that load it", None),
}


def written(result: "Written", json: bool = False) -> None:
    """Say what a change wrote and what to deploy or reload (stderr), and where its backups are: a line
    each, which fits 100 columns in a log too, where messages are not wrapped."""
    if json:
        return
    how: dict[str, str | None] = {}
    for path in result.files:
        kind = "crl" if path.name.endswith((".crl", "crls.pem")) else "pem" if path.parent.name == "pem" else \
            "store" if path.suffix in (".jks", ".p12") else None
        if kind:
            output.info(f"wrote {path}: {_RELOAD[kind][0]}")
            how[kind] = _RELOAD[kind][1]
    for said in filter(None, how.values()):
        output.info(said)
    if result.folder:
        kept_in(result.folder)


def kept_in(folder: Path) -> None:
    """Where a layout command kept the files it replaced: relative to the working folder when it is below it,
    as the layout's other files are named (an absolute path made the line too long to read in a log)."""
    shown = folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder
    output.info(f"kept the replaced files in {shown} (jkstool restore puts them back)")


def _problems(result: "Renewal | Stage") -> list[dict[str, Any]]:
    """The errors and warnings verify-pair finds in the layout a change would leave (JSON)."""
    return [f.to_dict() for f in result.report.findings if f.severity != "info"]


def _findings(result: "Renewal | Stage") -> None:
    from .verifypair import print_findings
    print_findings([f for f in result.report.findings if f.severity != "info"])


def renew_command(
    folder: Folder,
    side: Annotated[Side, typer.Option(help="Whose certificate to renew.")],
    keep_key: Annotated[bool, typer.Option("--keep-key", help="Keep the current key (default: a new one).")] = False,
    days: Annotated[int | None, typer.Option(
        min=1, help="Validity, remembered for later renewals (default: the last one given, else 397).")] = None,
    cn: Annotated[str | None, typer.Option("--cn", help="A new subject CN (default: the current one).")] = None,
    san: Annotated[list[str] | None, typer.Option(
        help="Subject alternative names, replacing the current ones (repeatable: DNS:, IP:, URI:, email:).")] = None,
    client: Annotated[str | None, typer.Option(
        metavar="CN", help="With --side client: a client added later (add-client --cn CN) instead.")] = None,
    ca_cert: Annotated[Path | None, typer.Option(help="The CA, when it is not in the layout's ca/.",
    readable=False)] = None,
    ca_key: Annotated[Path | None, typer.Option(help="The CA's key, with --ca-cert.", readable=False)] = None,
    ca_keypass: CaKeypass = None,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
) -> None:
    """Replace a side's certificate before it expires, in one step.

    Issues a new certificate from the layout's CA with the same subject, SANs and profile (or the --cn and
    --san given), installs it, refreshes the PEM files and CRL bundle the layout exported, and keeps all
    of it only if the layout then passes verify-pair; the replaced files go to DIR/backups/<time>/.
    Without the CA's key it writes a request for the CA instead.

    Example:

    \b
        jkstool renew ./tls --side server --san DNS:api.example.com --days 90
        jkstool renew ./tls --side client --client partner-b
    """
    from ..api.layouts import Request, renew
    if (ca_cert is None) != (ca_key is None):
        output.fail("--ca-cert and --ca-key go together: give both, or neither")
    secret, ca_secret = layout_password(folder, storepass), passwords.ca_keypass(ca_keypass)
    with asking_with():
        renewal = renew(folder, side.value, password=secret, ca_password=ca_secret, keep_key=keep_key, days=days,
                        ca=(ca_cert, ca_key) if ca_cert and ca_key else None, cn=cn, sans=san or None,
                        added=client, lock_timeout=lock_timeout)
    if isinstance(renewal, Request):
        _request_steps(renewal)
        return
    data = renewal.to_dict()
    if json:
        output.print_json({**data, "findings": _problems(renewal)}, "renew")
    else:
        output.print_table([[name, data[name]["serial"], data[name]["not_after"]] for name in ("old", "new")],
                           ["", "serial", "not after"])
    if not renewal.report.ok:
        if not json:  # else the JSON holds them
            _findings(renewal)
        output.info("the renewed layout would not pass verify-pair: nothing was changed")
        raise typer.Exit(1)
    written(renewal.written, json)


def _request_steps(request: "Request") -> None:
    """What to do with a request written because the CA's key is not at hand."""
    side = request.side
    steps = [f"no key for {side}'s CA at {request.ca_key}: wrote the request {request.request}",
             "  1. have the CA sign it (jkstool sign, or your CA's portal)"]
    if request.pending:
        steps += [f"  2. jkstool import-reply {request.pending} REPLY --alias {request.alias}",
                  f"  3. jkstool convert {request.pending} {request.keystore} --force"]
    else:
        steps += [f"  2. jkstool import-reply {request.keystore} REPLY --alias {request.alias}"]
    for step in steps:
        output.info(step)


def add_client_command(
    folder: Folder,
    cn: Annotated[str, typer.Option("--cn", help="The new client's name (its certificate's CN).")],
    ca_keypass: CaKeypass = None,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
) -> None:
    """Issue one more client (a new partner) from the layout's client CA.

    Writes client-NAME.keystore and client-NAME.truststore beside the layout's stores, and changes the
    server truststore only when it does not trust the client CA yet.

    Example:

    \b
        jkstool add-client ./tls --cn partner-b
    """
    from ..api import certificates
    from ..api.layouts import add_client
    secret, ca_secret = layout_password(folder, storepass), passwords.ca_keypass(ca_keypass)
    with asking_with():
        client = add_client(folder, cn, password=secret, ca_password=ca_secret, lock_timeout=lock_timeout)
    leaf = certificates.facts(client.leaf)
    if json:
        output.print_json(client.to_dict(), "add-client")
    else:
        output.print_table([[str(client.keystore), "client-keystore", client.alias, leaf.subject, leaf.issuer],
                            [str(client.truststore), "client-truststore", "", "", ""]],
                           ["file", "role", "alias", "subject", "issuer"], flexible=(3, 4))
    output.info(f"{client.server_truststore} " + (  # the CA's name is the table's issuer
        "now trusts the client's CA: deploy it to the server" if client.server_trust_added else
        "already trusts the client's CA: the server needs no change"))
    written(client.written, json)


_STAGES = {  # a stage: what it did, what to deploy now, the option of the stage after it
    "trust": ("stage 1 done: the new CA is trusted beside the old", "the truststores", "--reissue"),
    "reissue": ("stage 2 done: the leaves are from the new CA", "the keystores", "--finish"),
    "finish": ("stage 3 done: the old CA is no longer trusted", "the truststores", None),
}


def rollover_ca_command(
    folder: Folder,
    side: Annotated[Sides | None, typer.Option(
        help="Whose CA to replace, in a layout made with --separate-cas (default: both).")] = None,
    reissue: Annotated[bool, typer.Option("--reissue", help="Stage 2: reissue the leaves from the new CA.")] = False,
    finish: Annotated[bool, typer.Option("--finish", help="Stage 3: remove the old CA from the truststores.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Say which stage the layout is in; change nothing.")] = False,
    keep_key: Annotated[bool, typer.Option("--keep-key", help="With --reissue: keep the leaves' keys.")] = False,
    ca_cert: Annotated[Path | None, typer.Option(
        help="A CA brought to init-pair: its successor (the CA first, then its issuers up to the root).",
        readable=False)] = None,
    ca_key: Annotated[Path | None, typer.Option(help="The successor's key, with --ca-cert.", readable=False)] = None,
    ca_crl: Annotated[list[Path] | None, typer.Option(
        "--ca-crl", metavar="FILE",
        help="With --ca-cert under a new root: that root's CRL, which servers checking revocation need "
             "(repeatable).", readable=False)] = None,
    ca_keypass: CaKeypass = None,
    storepass: StorePass = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
) -> None:
    """Replace a CA without downtime, in three stages; deploy everything after each before the next.

    1. (no flag) trust: a new CA, trusted beside the old one; no certificate changes.
    2. --reissue: the leaves reissued from the new CA, with their recorded validity.
    3. --finish: the old CA leaves the truststores.
    Each stage's stores work with the previous stage's, in any mix; a stage run out of order is refused.

    Example:

    \b
        jkstool rollover-ca ./tls            # deploy the truststores, then:
        jkstool rollover-ca ./tls --reissue  # deploy the keystores, then:
        jkstool rollover-ca ./tls --finish   # deploy the truststores
        jkstool rollover-ca ./tls --ca-cert next-intermediate.pem --ca-key next-intermediate-key.pem
    """
    from ..api.layouts import rollover_ca, rollover_status
    if sum((reissue, finish, status)) > 1:
        output.fail("choose one of --reissue, --finish and --status")
    if (side is not None or ca_cert or ca_key or ca_crl) and (reissue or finish or status):
        output.fail("--side, --ca-cert, --ca-key and --ca-crl choose the CA to replace when a rollover starts: "
                    "leave them out (a CRL later: jkstool revoke DIR --ca-crl FILE)")
    if (ca_cert is None) != (ca_key is None):
        output.fail("--ca-cert and --ca-key go together: give both, or neither")
    if status:
        _status(folder, rollover_status(folder, lock_timeout=lock_timeout), json)
        return
    secret = layout_password(folder, storepass)
    ca_secret = None if finish else passwords.ca_keypass(ca_keypass)
    sides = None if side is None else (["server", "client"] if side is Sides.both else [side.value])
    with asking_with():
        stage = rollover_ca(folder, "finish" if finish else "reissue" if reissue else "trust", sides=sides,
                            password=secret, ca_password=ca_secret, keep_key=keep_key,
                            ca=(ca_cert, ca_key) if ca_cert and ca_key else None, ca_crls=ca_crl or [],
                            lock_timeout=lock_timeout)
    if json:
        output.print_json({**stage.to_dict(), "findings": _problems(stage)}, "rollover-ca")
    if not stage.report.ok:
        if not json:  # else the JSON holds them
            _findings(stage)
        output.info("the layout would not pass verify-pair after this stage: nothing was changed")
        raise typer.Exit(1)
    written(stage.written, json)
    for path in stage.left_revoked:
        output.warn(f"{path}: not reissued: revoked, or from a retired CA")
    if stage.left_revoked:  # worded to fit a log's 100 columns
        output.info("the old CA's trust in it ends at --finish; to reissue one: renew --side client --client CN")
    done, deploy, after = _STAGES[stage.name]
    output.info(done)
    output.info(f"next: deploy {deploy} everywhere" + (f", then jkstool rollover-ca {folder} {after}" if after else ""))


def _status(folder: Path, state: dict[str, Any], json: bool) -> None:
    if json:
        output.print_json(state, "rollover-ca-status")
        return
    stage = state["stage"]
    brought = state.get("needs") == "ca"
    output.line(f"rollover: {'none under way' if stage is None else f'stage {stage} done'}; next: {state['next']}"
                + (" (the CA was brought, so is its successor)" if brought else ""))
    if brought:
        output.line(f"  run: jkstool rollover-ca {folder} --ca-cert NEXT-CA.pem --ca-key NEXT-CA-KEY.pem")
    elif stage is not None:
        output.line(f"  run: jkstool rollover-ca {folder} --{state['next']}")
    for ca in state["cas"]:
        output.line(f"  {'+'.join(ca['sides'])}: new CA {ca['new']}")


def restore_command(
    folder: Folder,
    when: Annotated[str | None, typer.Option("--from", metavar="TIME",
                                             help="The backup to restore (a folder name in DIR/backups/).")] = None,
    json: Json = False,
    lock_timeout: LockTimeout = 30,
) -> None:
    """Put back the files a layout command replaced: the newest backup, or the one --from names.

    The current files are backed up first (so a restore can be undone the same way), and files the
    restored run created are moved into that backup.

    Example:

    \b
        jkstool restore ./tls --from 20261127T101500Z
    """
    from ..api.layouts import restore
    chosen, result = restore(folder, when=when, lock_timeout=lock_timeout)
    if json:
        output.print_json({"restored": chosen.name, **result.to_dict()}, "restore")
        return
    output.info(f"restored the backup {chosen.name}")
    written(result)


def k8s_secret_command(
    folder: Folder,
    name: Annotated[str | None, typer.Option(
        metavar="NAME", help="The Secrets' name prefix: NAME-server, NAME-client, NAME-keystore-password "
                             "(default: the folder's name).")] = None,
    namespace: Annotated[str | None, typer.Option(metavar="NS", help="The namespace to put in each Secret.")] = None,
    report_output: Annotated[Path | None, typer.Option(
        "--output", metavar="FILE", help="Write the manifests to FILE (0600) instead of stdout.",
        readable=False)] = None,
    force: Force = False,
    storepass: StorePass = None,
) -> None:
    """Kubernetes Secrets for a layout, named as cert-manager names its keystores.

    One per side with its stores, tls.crt, tls.key and ca.crt, and the store password in a Secret of
    its own. The CA key is never in them. They go to --output FILE (0600) or a pipe, never to a terminal.

    \b
    Example:

    \b
        jkstool k8s-secret ./tls --name payments --namespace prod --output secrets.json
    """
    secret = layout_password(folder, storepass)
    write_k8s_secrets(folder, name, namespace, secret, report_output, force)


def write_k8s_secrets(folder: Path, name: str | None, namespace: str | None, password: str | None,
                      path: Path | None, force: bool = False) -> None:
    """The layout's Secrets as JSON (which kubectl apply -f reads), into a pipe or a 0600 file (inside the
    layout: one that its later changes refresh)."""
    from ..api.layouts import k8s_json, k8s_secrets
    if path is None and sys.stdout.isatty():  # keys and the password, never onto a screen or its scrollback
        output.fail("the Secrets hold private keys and the store password: give --output FILE (0600), or pipe "
                    "them: jkstool k8s-secret DIR | kubectl apply -f -")
    with asking_with():
        document = k8s_secrets(folder, name=name, namespace=namespace, password=password, output=path,
                               replace=force)
    if path is None:
        typer.echo(k8s_json(document).decode(), nl=False)
        return
    inside = path.resolve().is_relative_to(folder.resolve())
    output.info(f"wrote {path}: kubectl apply -f {path}" + (" (the layout's changes refresh it)" if inside else ""))
