"""`jkstool compat`: which runtimes can load a store as it is, and what to convert it to."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, passwords
from .options import Json, PasswordFrom, PasswordMap, StorePass
from .stores import read_store


def compat_command(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="The store: JKS, JCEKS or PKCS12; in a Kubernetes "
                                          "Secret, SOURCE#SECRET/KEY (SOURCE a file, or - for stdin).",
                                          readable=False)],
    jdk: Annotated[str | None, typer.Option(
        metavar="RELEASE", help="Exit 1 unless this Java loads the store: 8 (before 8u301), 8u301, 11, 17, 21, "
                                "25 or 26 (for pre-deploy scripts).")] = None,
    declared_type: Annotated[str | None, typer.Option(
        metavar="TYPE", help="The type the application declares (javax.net.ssl.trustStoreType...), when it is "
                             "not the file name's.")] = None,
    storepass: StorePass = None,
    password_map: PasswordMap = None,
    password_from: PasswordFrom = None,
    json: Json = False,
) -> None:
    """Which runtimes can load a store as it is, and the conversion for those that cannot.

    Java 8 to 26, OpenSSL 1.1.1 to 3.4+, Go and Python's cryptography, judged by the store's real
    algorithms; for each runtime that cannot load it, the conversion that fixes it.

    \b
    Example:

    \b
        jkstool compat server.keystore.p12 --storepass env:STOREPASS
        jkstool compat truststore.p12 --jdk 8
    """
    from ..api.inspect import DECLARED_TYPES, JDKS, compat
    if jdk is not None and jdk not in JDKS:
        output.fail(f"--jdk {jdk}: give one of {', '.join(JDKS)}")
    if declared_type is not None and declared_type.upper() not in DECLARED_TYPES:
        output.fail(f"--declared-type {declared_type}: give JKS, PKCS12 or JCEKS, as the application declares it")
    mapped = passwords.from_map(password_map, store)  # the map first, as in expiry and verify-pair
    asks = password_from is None and "#" not in str(store) and mapped is None  # a Secret's comes with it
    password = mapped if mapped is not None else passwords.resolve(storepass, prompt=f"Password of {store}: "
                                                                    if asks else None)
    loaded = read_store(store, password, keys=False, password_from=password_from)
    report = compat(loaded, declared_type=declared_type, jdk=jdk, name=str(store))
    if report.type_mismatch and declared_type:  # the file name's own mismatch was said as the store was read
        output.warn(f"{store}: {report.type_mismatch}")
    protection = report.protection
    if json:
        output.print_json(report.to_dict(), "compat")
    else:
        if protection:
            output.info(f"{store}: PKCS12, integrity {protection.integrity or 'none'}, keys "
                        f"{', '.join(sorted(protection.keys)) or '-'}, certificates "
                        f"{', '.join(sorted(protection.certificates)) or '-'}")
        output.print_table([[v.runtime, "yes" if v.loads else "no", v.why or ""] for v in report.verdicts],
                           ["runtime", "loads", "why not"], flexible=(2,))
        output.info("judged from the store's algorithms by the table of docs/formats.md (no runtime was run)")
        for fix, runtimes in report.fixes().items():
            typer.echo("")
            output.block(f"for {', '.join(runtimes)}:")
            typer.echo(f"  {output.printable(fix)}")  # one line, never wrapped: it is pasted into a shell
    if jdk is not None:
        raise typer.Exit(0 if report.ok else 1)
