"""The options every command shares, declared once (see docs/conventions.md)."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import output

PASSWORD_HELP = "pass:TEXT, env:NAME, file:PATH (first line), stdin, or a bare value"


class StoreType(str, Enum):
    jks = "jks"
    pkcs12 = "pkcs12"
    pem = "pem"


class LayoutStoreType(str, Enum):
    jks = "jks"
    pkcs12 = "pkcs12"


class KeyType(str, Enum):
    """The same as jkstool.pki.issue.KEY_TYPES (a test keeps them equal), written out so that the
    command line starts without importing cryptography."""

    ec_p256 = "ec-p256"
    ec_p384 = "ec-p384"
    rsa_2048 = "rsa-2048"
    rsa_3072 = "rsa-3072"
    rsa_4096 = "rsa-4096"
    ed25519 = "ed25519"


class Side(str, Enum):
    server = "server"
    client = "client"


class Sides(str, Enum):
    server = "server"
    client = "client"
    both = "both"


class StoreProfile(str, Enum):
    """The PKCS12 write profiles of jkstool.formats.pkcs12.PROFILES."""

    java9 = "java9"
    modern = "modern"
    legacy = "legacy"
    none_truststore = "none-truststore"


WriteProfile = Annotated[StoreProfile | None, typer.Option(
    "--profile", help="How a PKCS12 store is protected: java9 (keytool 17's, the default), modern (PBMAC1, "
                      "JDK 26+), legacy (Java 8 before 8u301), none-truststore (certificates only, no password); "
                      "an existing store keeps its own. See docs/formats.md.")]


class Profile(str, Enum):
    """The certificate profiles of jkstool.pki.issue.PROFILES."""

    server = "server"
    client = "client"
    ca = "ca"


StorePass = Annotated[str | None, typer.Option(
    "--storepass", metavar="PASSWORD",
    help=f"Password of the store being read or changed: {PASSWORD_HELP}. "
         "Default: $JKSTOOL_STOREPASS, else a prompt on a terminal.")]
KeyPass = Annotated[str | None, typer.Option(
    "--keypass", metavar="PASSWORD",
    help="Password of the store's key entries, if it differs from the store password "
         "($JKSTOOL_KEYPASS).")]
DestStorePass = Annotated[str | None, typer.Option(
    "--dest-storepass", metavar="PASSWORD",
    help="Password of the store being written (default: the source's password).")]
DestStoreType = Annotated[StoreType | None, typer.Option(
    "--store-type", case_sensitive=False,
    help="Type of the file to create (default: from its extension .jks, .p12/.pfx, .pem; else pkcs12).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON (stable snake_case keys).")]
JavaSecurity = Annotated[Path | None, typer.Option(
    help="A java.security override, as -Djava.security.properties=FILE gives the application.", readable=False)]


class Format(str, Enum):
    table = "table"
    json = "json"
    prometheus = "prometheus"
    junit = "junit"


ReportFormat = Annotated[Format, typer.Option(
    "--format",
    help="table (the default), json (as --json), prometheus (the text format of node_exporter's textfile "
         "collector) or junit (XML for CI).")]


class PairFormat(str, Enum):
    """verify-pair's formats: expiry's, and a page for people."""

    table = "table"
    json = "json"
    prometheus = "prometheus"
    junit = "junit"
    html = "html"


PairReportFormat = Annotated[PairFormat, typer.Option(
    "--format",
    help="table (the default), json (as --json), prometheus (the text format of node_exporter's textfile "
         "collector), junit (XML for CI) or html (one self-contained page: a table of the pairs that sorts "
         "and filters, and each pair's picture).")]
PasswordMap = Annotated[Path | None, typer.Option(
    "--password-map", metavar="FILE",
    help="Passwords for many stores: lines 'GLOB SOURCE' (SOURCE env:NAME, file:PATH or pass:TEXT), the first "
         "GLOB that matches a store's path giving its password, before its layout's storepass file and "
         "--storepass.", readable=False)]
PasswordFrom = Annotated[str | None, typer.Option(
    "--password-from", metavar="SECRET/KEY",
    help="Kubernetes input: the key of a Secret in it that holds the stores' password (default: the "
         "passwordSecretRef of a cert-manager Certificate given too, else --storepass).")]
ReportOutput = Annotated[Path | None, typer.Option(
    "--output", metavar="FILE", help="Write the report to FILE, replaced atomically, instead of stdout.",
    readable=False)]
Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Show more detail.")]
Wide = Annotated[bool, typer.Option("--wide", help="Show whole values (names, fingerprints), however wide.")]
Force = Annotated[bool, typer.Option(
    "--force", help="Replace an existing destination file (a backup is kept beside it).")]
Debug = Annotated[bool, typer.Option(
    "--debug", callback=output.enable_debug, is_eager=True,
    help="Show a traceback when something fails.")]
Cacerts = Annotated[bool, typer.Option(
    "--cacerts", help="The JDK's cacerts (JAVA_HOME's, else that of the java on the PATH) as the store, with its "
                      "default password unless --storepass or JKSTOOL_STOREPASS gives one (keytool -cacerts).")]
Quiet = Annotated[bool, typer.Option(
    "--quiet", "-q", callback=output.enable_quiet, is_eager=True,
    help="Say no warnings or notes on stderr: only the data, and errors.")]
AllowWeakPassword = Annotated[bool, typer.Option(
    "--allow-weak-password", help="Accept an empty password, or one under 6 characters, for what is written.")]
LockTimeout = Annotated[float, typer.Option(
    "--lock-timeout", min=0, metavar="SECONDS",
    help="How long to wait for another jkstool that is changing the same file.")]
