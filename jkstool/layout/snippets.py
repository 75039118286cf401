"""Configuration for a layout, with its real paths and store types, and never a password inline.

Each format gets its own indirection for the password: Spring's ${...}
placeholders, Tomcat's property substitution from the environment, the
environment for JVM flags (which the process list would otherwise show), and
unencrypted 0600 PEM keys for the servers that cannot ask for one.
"""

from pathlib import Path

from .. import files, formats
from ..errors import JkstoolError
from ..files import Secrecy
from ..pki import certs
from . import derived
from .derived import Item
from .manifest import JAVA_TYPES, Layout

PASSWORD_VARIABLE = "JKSTOOL_STOREPASS"
DEFAULT_SIDE = {"curl": "client"}


def _crls(layout: Layout) -> str | None:
    """The CRL bundle's path, when the layout revokes (jkstool revoke DIR)."""
    return str(layout.path(derived.CRL_BUNDLE).resolve()) if derived.crl_paths(layout) else None


LEAF_ONLY = "com.sun.security.onlyCheckRevocationOfEECert=true"
"""The security property that makes Java's revocation checker (Tomcat's, with a CRL file) check the
client's certificate alone."""


def _missing_crls(layout: Layout) -> str | None:
    """What the layout lacks for a server that checks every level of the client's path, in words (None:
    nothing): the CRL of the CA above a brought one, when it was not given."""
    gaps = derived.crl_gaps(layout)
    if not gaps:
        return None
    return "; ".join(f"{issuer} (the issuer of {subject})" for issuer, subject in gaps)


def _leaf_only_text(layout: Layout) -> str:
    """How Tomcat can check the client's certificate alone, or why it cannot (inside an XML comment: no
    two hyphens in a row)."""
    ca = layout.manifest.cas.client.subject
    if not _leaf_only_works(layout):
        return (f". Java cannot check the client's certificate alone here: {ca} has no\n"
                "     key usage cRLSign, so Java verifies its CRL through the CA's own path, every level of it")
    return ("; or have Java check the client's\n"
            "     certificate only: start Tomcat with -Djava.security.properties=FILE (CATALINA_OPTS in\n"
            f"     bin/setenv.sh), FILE holding the line\n       {LEAF_ONLY}\n"
            "     (verify-pair's java-security option then checks as Tomcat does)")


def _leaf_only_works(layout: Layout) -> bool:
    """Whether Java can check the client's certificate alone: its CA's key usage names cRLSign."""
    from ..formats import certfile
    from ..pki import crl
    record = layout.manifest.cas.client
    return crl.signs_crls_for_java(certs.load(certfile.parse_certificates(
        files.read_bytes(layout.path(record.cert)))[0]))


def _stores(layout: Layout, side: str) -> tuple[str, str, str]:
    return (str(layout.store_path(f"{side}-keystore").resolve()),
            str(layout.store_path(f"{side}-truststore").resolve()),
            JAVA_TYPES[layout.store_type])


def spring_boot(layout: Layout, side: str, port: int, bind: str | None) -> str:
    keystore, truststore, kind = _stores(layout, side)
    alias = layout.manifest.leaf(side).alias
    head = (f"# Spring Boot (application.yml): the {side} side of {layout.folder.resolve()}.\n"
            f"# The password comes from the environment: export {PASSWORD_VARIABLE}=... before starting;\n"
            "# never write it here.\n")
    if side == "server":
        head += ("# server.ssl reads the stores once, at start. To reload them when jkstool changes them\n"
                 "# (Spring Boot 3.2+), give them as an SSL bundle with reload-on-update: true (the client\n"
                 "# side's snippet shows the bundle's form) and set server.ssl.bundle to its name.\n")
        crls = _crls(layout)
        if crls:
            head += ("# Revocation: server.ssl has no CRL setting. With embedded Tomcat, set the connector's\n"
                     "# SSLHostConfig certificateRevocationListFile to " + crls + "\n"
                     "# in a WebServerFactoryCustomizer<TomcatServletWebServerFactory>.\n")
            missing = _missing_crls(layout)
            if missing:
                head += ("# Tomcat then checks every level, and the layout has no CRL from\n"
                         f"#   {missing}\n# Give it (jkstool revoke DIR --ca-crl FILE)"
                         + (f", or start the JVM with\n# -Djava.security.properties=FILE, FILE holding {LEAF_ONLY}\n"
                            if _leaf_only_works(layout) else
                            ": Java cannot check the client's certificate alone here, as its CA's\n"
                            "# key usage lacks cRLSign.\n"))
        address = f"\n  address: {bind}" if bind else ""
        return head + f"""server:
  port: {port}{address}
  ssl:
    enabled: true
    client-auth: need
    key-store: file:{keystore}
    key-store-type: {kind}
    key-store-password: ${{{PASSWORD_VARIABLE}}}
    key-alias: {alias}
    trust-store: file:{truststore}
    trust-store-type: {kind}
    trust-store-password: ${{{PASSWORD_VARIABLE}}}
"""
    return head + f"""# A client-side SSL bundle (Spring Boot 3.1+): use it with
#   RestClient.builder().apply(clientBuilder -> ...) via ssl bundle "partner", or
#   spring.http.client.ssl.bundle / WebClient's ssl bundle support.
spring:
  ssl:
    bundle:
      jks:
        partner:
          key:
            alias: {alias}
          keystore:
            location: file:{keystore}
            password: ${{{PASSWORD_VARIABLE}}}
            type: {kind}
          truststore:
            location: file:{truststore}
            password: ${{{PASSWORD_VARIABLE}}}
            type: {kind}
"""


def tomcat(layout: Layout, side: str, port: int, bind: str | None) -> str:
    keystore, truststore, kind = _stores(layout, "server")
    alias = layout.manifest.server.alias
    crls = _crls(layout)
    revocation = f'\n                 certificateRevocationListFile="{crls}"' if crls else ""
    missing = _missing_crls(layout)
    leaf_only = "" if not missing else f"""<!-- Revocation: Tomcat checks every certificate of a client's path against
     that file, and the layout has no CRL from
       {missing}
     so with it alone, Tomcat refuses every client. Give that CRL (the ca-crl option of
     jkstool revoke DIR) and run this snippet again{_leaf_only_text(layout)}. -->
"""
    return leaf_only + f"""<!-- Tomcat (server.xml): a mutual-TLS Connector for {layout.folder.resolve()}.
     The password comes from the environment through Tomcat's property substitution:
     add this line to conf/catalina.properties, and export {PASSWORD_VARIABLE}=... before starting:
org.apache.tomcat.util.digester.PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource
-->
<Connector port="{port}"{f' address="{bind}"' if bind else ""} protocol="org.apache.coyote.http11.Http11NioProtocol"
           SSLEnabled="true" maxThreads="150">
  <SSLHostConfig certificateVerification="required"
                 truststoreFile="{truststore}"
                 truststoreType="{kind}"
                 truststorePassword="${{{PASSWORD_VARIABLE}}}"{revocation}>
    <Certificate certificateKeystoreFile="{keystore}"
                 certificateKeystoreType="{kind}"
                 certificateKeystorePassword="${{{PASSWORD_VARIABLE}}}"
                 certificateKeyAlias="{alias}"/>
  </SSLHostConfig>
</Connector>
<!-- After jkstool changes the stores (renew, rollover-ca, revoke, import-ca ...), reload them in
     place, without a restart: open connections finish, new ones get the new stores. With Tomcat's
     manager application (Debian: tomcat10-admin) and a user with the manager-script role:
       curl -u USER http://127.0.0.1:8080/manager/text/sslReload
     or through JMX: the operation reloadSslHostConfigs of this Connector's
     Catalina:type=ThreadPool MBean. -->
"""


def jvm(layout: Layout, side: str, port: int, bind: str | None) -> str:
    properties = layout.system_properties(side, f"${{{PASSWORD_VARIABLE}}}")
    return f"""# JVM system properties for the {side} side of {layout.folder.resolve()}, one per line.
# ${{{PASSWORD_VARIABLE}}} is an environment reference: let the shell fill it in.
# -D values on a command line are visible to every local user (ps), and the java launcher
# prints JDK_JAVA_OPTIONS to stderr ("NOTE: Picked up JDK_JAVA_OPTIONS: ..."), into the
# service's log. Give them in an argument file only the service's user can read:
#   (umask 077; grep -v '^#' this-file | envsubst > app-tls.args)
#   java @app-tls.args -jar app.jar
# The JVM reads these stores once, at start: restart it after jkstool changes them.
""" + "".join(f"-D{name}={value}\n" for name, value in properties.items())


def nginx(layout: Layout, side: str, port: int, bind: str | None, pem: dict[str, Item]) -> str:
    server_name = layout.manifest.server.subject.removeprefix("CN=").split(",")[0]
    crls = _crls(layout)
    missing = _missing_crls(layout)
    revocation = f"\n    ssl_crl                 {crls};" if crls and not missing else ""
    off = "" if not missing else (
        "# Revocation is off: nginx checks a CRL for every certificate of a client's path (ssl_crl),\n"
        "# not for the client's alone, and the layout has no CRL from\n"
        f"#   {missing}\n"
        f"# so with ssl_crl {crls} it would refuse every client.\n"
        "# Give that CRL (jkstool revoke DIR --ca-crl FILE) and run this snippet again.\n")
    return off + f"""# nginx: the server side of {layout.folder.resolve()} (inside http {{ }}).
# The key is unencrypted, mode 0600: nginx reads it as root at start and cannot ask for a
# password (the alternative: an encrypted key and ssl_password_file).
# After jkstool changes the files (renew, rollover-ca, revoke ...): nginx -s reload
# (new workers take them; open connections finish on the old ones).
server {{
    listen {_at(bind, port)} ssl;
    server_name {server_name};
    ssl_certificate         {pem['chain'][0]};
    ssl_certificate_key     {pem['key'][0]};
    ssl_client_certificate  {pem['cas'][0]};
    ssl_verify_client       on;
    ssl_verify_depth        3;{revocation}
    ssl_protocols           TLSv1.2 TLSv1.3;
    location / {{
        return 200 "hello $ssl_client_s_dn\\n";
    }}
}}
"""


def apache(layout: Layout, side: str, port: int, bind: str | None, pem: dict[str, Item]) -> str:
    crls = _crls(layout)
    missing = _missing_crls(layout)
    revocation = f"\n    SSLCARevocationFile     {crls}\n    SSLCARevocationCheck    {'leaf' if missing else 'chain'}" \
        if crls else ""
    leaf_only = "" if not missing else (
        "# Revocation of the client's certificate only (SSLCARevocationCheck leaf): the layout has no CRL\n"
        f"# from\n#   {missing}\n# which 'chain' would need. Give it (jkstool revoke DIR --ca-crl FILE)\n"
        "# and run this snippet again to check the whole chain.\n")
    return leaf_only + f"""# Apache httpd (mod_ssl): the server side of {layout.folder.resolve()}.
# The key is unencrypted, mode 0600: httpd reads it as root at start (or use SSLPassPhraseDialog).
# After jkstool changes the files (renew, rollover-ca, revoke ...): apachectl -k graceful
# (open connections finish on the old ones).
Listen {_at(bind, port)}
<VirtualHost {_at(bind or "*", port)}>
    SSLEngine on
    SSLCertificateFile      {pem['chain'][0]}
    SSLCertificateKeyFile   {pem['key'][0]}
    SSLCACertificateFile    {pem['cas'][0]}
    SSLVerifyClient         require
    SSLVerifyDepth          3{revocation}
    SSLProtocol             -all +TLSv1.2 +TLSv1.3
</VirtualHost>
"""


def curl(layout: Layout, side: str, port: int, bind: str | None, pem: dict[str, Item]) -> str:
    host = layout.manifest.server.subject.removeprefix("CN=").split(",")[0]
    resolve = f"     --resolve {host}:{port}:{_at(bind)} \\\n" if bind else ""
    hint = "" if bind else (f"# Where {host} does not resolve to the server, add --resolve {host}:{port}:ADDRESS\n"
                            "# (the name must stay: it is the one the server's certificate carries).\n")
    return f"""# curl as the client of {layout.folder.resolve()}. The key is unencrypted, mode 0600
# (curl's --pass would put a password on the command line, where ps shows it).
{hint}curl --cert {pem['chain'][0]} \\
     --key {pem['key'][0]} \\
     --cacert {pem['cas'][0]} \\
{resolve}     https://{host}:{port}/
"""


def _at(address: str | None, port: int | None = None) -> str:
    """An address as servers and curl write it (an IPv6 one in brackets), with its port."""
    written = f"[{address}]" if address and ":" in address else address or ""
    return f"{written}:{port}" if written and port is not None else written or str(port)


JAVA_FORMATS = {"spring-boot": spring_boot, "tomcat": tomcat, "jvm": jvm}
PEM_FORMATS = {"nginx": nginx, "apache": apache, "curl": curl}


def snippet(layout: Layout, fmt: str, side: str, port: int, password: str | None,
            bind: str | None = None) -> tuple[str, list[tuple[Path, bytes, Secrecy]]]:
    """(the configuration text, the PEM files it needs as write_all items); the PEM formats need the
    stores' password, and are recorded in the manifest so that later changes refresh their files. A server
    listens on `bind` (an IP address) alone, where given; curl dials it."""
    if fmt in JAVA_FORMATS:
        return JAVA_FORMATS[fmt](layout, side, port, bind), []
    if password is None:
        raise JkstoolError(f"the {fmt} snippet needs the stores' password, to export PEM files",
                           "give password=...", path=str(layout.folder))
    keystore = formats.read_store(layout.store_path(f"{side}-keystore"), password).store
    truststore = formats.read_store(layout.store_path(f"{side}-truststore"), password).store
    pem = derived.pem_files(layout, side, keystore, truststore)
    if side not in layout.manifest.exports:
        layout.manifest.exports.append(side)
    return PEM_FORMATS[fmt](layout, side, port, bind, pem), [*pem.values(), layout.manifest_item()]
