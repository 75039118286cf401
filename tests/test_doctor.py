"""doctor: the stores as the application's configuration loads them, judged by the real runtime.

Each misconfiguration is written into a real configuration; doctor's verdict must be the one a real
JSSE client (the JVM flags), a real Tomcat 10 (server.xml) or a real JSSE handshake on the stores a
Spring Boot or Kafka configuration resolves to gives.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PASSWORD, run, shell_command
from servers import Tomcat, free_port, wait_for_port

ENV = {"JKSTOOL_STOREPASS": PASSWORD}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """Two pairs of different CAs: `tls` (the one configured) and `other`."""
    root = tmp_path_factory.mktemp("doctor")
    for name in ("tls", "other"):
        assert run("init-pair", root / name, env=ENV).exit_code == 0
    return root / "tls", root / "other"


def doctor(*args, env=ENV):
    result = run("doctor", *args, "--json", env=env)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    return result.exit_code, [(f["code"], f["severity"]) for e in report["endpoints"] for f in e["findings"]]


def codes(findings, severity=None):
    return {code for code, level in findings if severity is None or level == severity}


def explained(findings):
    """The errors the model explains a failure with; Java's own refusal (java-refused) stands beside them
    where the pair check ran."""
    return codes(findings, "error") - {"java-refused"}


# -- the snippets jkstool writes read back clean ------------------------------------------

@pytest.mark.parametrize("kind,name,side", [("spring-boot", "application.yml", "server"),
                                            ("tomcat", "server.xml", "server"),
                                            ("jvm", "flags.txt", "client"), ("jvm", "server-flags.txt", "server")])
def test_a_snippet_fed_back_reports_nothing(layouts, tmp_path, kind, name, side):
    tls, _ = layouts
    config = tmp_path / name
    config.write_text(run("snippet", kind, tls, "--side", side, env=ENV).stdout)
    config.chmod(0o600)
    extra = ["--side", side] if kind == "jvm" else []
    assert doctor(config, "--peer", tls, *extra) == (0, [])


# -- JVM flags, judged by a JSSE client ---------------------------------------------------

def _client_flags(tls, change=lambda line: line):
    text = run("snippet", "jvm", tls, "--side", "client", env=ENV).stdout
    return [change(line) for line in text.splitlines()]


CLIENT_CASES = {
    "as-written": lambda line: line,
    "no-truststore": lambda line: "" if "trustStore" in line else line,
    "truststore-declared-jceks": lambda line: line.replace("trustStoreType=PKCS12", "trustStoreType=JCEKS"),
    "keystore-password-wrong": lambda line: line.replace("keyStorePassword=${JKSTOOL_STOREPASS}",
                                                         "keyStorePassword=wrong-one"),
    "keystore-password-trailing-space": lambda line: line.replace("keyStorePassword=${JKSTOOL_STOREPASS}",
                                                                  'keyStorePassword="${JKSTOOL_STOREPASS} "'),
    "keystore-declared-jks": lambda line: line.replace("keyStoreType=PKCS12", "keyStoreType=JKS"),
    "tls-1.1-only": lambda line: line + "\n-Djdk.tls.client.protocols=TLSv1.1" if "keyStore=" in line else line,
}
# TLS 1.2 suites against the layout's EC server key: only ECDSA ones can work, and not a disabled one.
for name, suite in (("suite-rsa", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
                    ("suite-ecdsa", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
                    ("suite-3des", "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"), ("suite-tls13", "TLS_AES_128_GCM_SHA256")):
    protocols = "" if name == "suite-tls13" else "\n-Djdk.tls.client.protocols=TLSv1.2"
    CLIENT_CASES[name] = (lambda extra: lambda line: line + extra if "keyStore=" in line else line)(
        f"\n-Djdk.tls.client.cipherSuites={suite}{protocols}")


@pytest.fixture(scope="module")
def served(layouts):
    """jkstool serve on the `tls` pair's server side: a mutual-TLS endpoint."""
    tls, _ = layouts
    port = free_port()
    process = subprocess.Popen(["jkstool", "serve", "--keystore", tls / "server.keystore.p12", "--truststore",
                                tls / "server.truststore.p12", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**__import__("os").environ, **ENV})
    wait_for_port(port)
    yield port
    process.terminate()
    process.wait(10)


@pytest.mark.parametrize("case", CLIENT_CASES)
def test_jvm_flags_as_a_jsse_client_takes_them(layouts, served, tmp_path, default_client, case):
    tls, _ = layouts
    lines = "\n".join(_client_flags(tls, CLIENT_CASES[case])).splitlines()
    config = tmp_path / "flags.txt"
    config.write_text("\n".join(lines) + "\n")
    code, findings = doctor(config, "--peer", tls)
    ok, reply = default_client("localhost", served, _argv(lines))
    assert (code == 0) == ok, (case, findings, reply)
    expected = {"as-written": set(), "keystore-declared-jks": set(), "no-truststore": {"server-untrusted"},
                "truststore-declared-jceks": {"config-type-mismatch"},
                "keystore-password-wrong": {"config-password-wrong"},
                "keystore-password-trailing-space": {"config-password-wrong"}, "tls-1.1-only": {"config-protocols"},
                "suite-rsa": {"config-ciphers"}, "suite-ecdsa": set(), "suite-3des": {"config-ciphers"},
                "suite-tls13": set()}[case]
    assert explained(findings) == expected
    assert ("java-refused" in codes(findings)) == (expected == {"server-untrusted"})  # Java judged the pair
    assert ("config-trailing-whitespace" in codes(findings, "warning")) == case.endswith("trailing-space")


def _argv(lines: list[str]) -> list[str]:
    """The flags of a file's lines as a shell hands them to java: the password filled in, quotes taken off."""
    import shlex
    return [flag for line in lines if line and not line.startswith("#")
            for flag in shlex.split(line.replace("${JKSTOOL_STOREPASS}", PASSWORD))]


# -- Tomcat's server.xml, judged by Tomcat 10 ---------------------------------------------

def test_tomcat_lets_in_what_doctor_says_it_lets_in(layouts, tmp_path, tomcat_home, curl):
    """certificateVerification="optional": doctor warns that clients get in without a certificate, and Tomcat
    serves a client that sends none; a client of the configured CA is served too."""
    tls, _ = layouts
    port = free_port()
    connector = run("snippet", "tomcat", tls, "--port", str(port), env=ENV).stdout
    connector = connector.replace('certificateVerification="required"', 'certificateVerification="optional"')
    config = tmp_path / "server.xml"
    config.write_text(connector)
    config.chmod(0o600)
    code, findings = doctor(config, "--peer", tls)
    assert code == 0 and codes(findings) == {"config-client-auth"}
    with Tomcat(tomcat_home, tmp_path / "catalina", connector, port, ENV):
        command = shell_command(run("snippet", "curl", tls, "--port", str(port), env=ENV).stdout)
        with_cert = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert with_cert.returncode == 0 and "hello from tomcat" in with_cert.stdout, with_cert.stderr
        without = subprocess.run(re.sub(r"--cert \S+ --key \S+ ", "", command), shell=True, capture_output=True,
                                 text=True, timeout=30)
        assert without.returncode == 0 and "hello from tomcat" in without.stdout


def test_every_word_tomcat_takes_for_certificate_verification_is_read(layouts, tmp_path, tomcat_home):
    """The words Tomcat's CertificateVerification.fromString compares (read from its own tomcat-coyote.jar)
    are doctor's: those that require a client certificate (true, yes, require, required) draw no
    config-client-auth warning, the others do."""
    import zipfile
    tls, _ = layouts
    with zipfile.ZipFile(tomcat_home / "lib" / "tomcat-coyote.jar") as jar:
        (tmp_path / "cv.class").write_bytes(jar.read("org/apache/tomcat/util/net/SSLHostConfig$CertificateVerification"
                                                      ".class"))
    javap = Path(os.environ.get("JAVA_HOME") or Path(shutil.which("java")).resolve().parents[1]) / "bin" / "javap"
    code = subprocess.run([javap, "-c", "-constants", tmp_path / "cv.class"], capture_output=True, text=True).stdout
    method = code.split("fromString(java.lang.String);", 1)[1].split("\n\n", 1)[0]
    words = re.findall(r"// String (\w+)", method)
    assert {"yes", "required", "optional", "none"} <= set(words)
    connector = run("snippet", "tomcat", tls, env=ENV).stdout
    config = tmp_path / "server.xml"
    for word in words:
        config.write_text(connector.replace('certificateVerification="required"', f'certificateVerification="{word}"'))
        config.chmod(0o600)
        _, findings = doctor(config, "--peer", tls)
        requires = words.index(word) < words.index("optional")  # fromString tests the REQUIRED words first
        assert ("config-client-auth" in codes(findings)) != requires, (word, findings)


# -- Spring Boot and Kafka, the stores they resolve to in a JSSE handshake ----------------

def test_spring_profiles_and_env_file_resolve_as_spring_does(layouts, tmp_path, handshake):
    """A prod profile overlay points the truststore at another CA's: doctor, and a JSSE handshake on the
    stores the properties resolve to, both fail with it and pass without it."""
    tls, other = layouts
    (tmp_path / "application.properties").write_text(
        f"server.ssl.key-store=file:{tls}/server.keystore.p12\n"
        "server.ssl.key-store-type=PKCS12\n"
        "server.ssl.key-store-password=${STOREPASS}\n"
        f"server.ssl.trust-store=file:{tls}/server.truststore.p12\n"
        "server.ssl.trust-store-password=${STOREPASS}\n"
        "server.ssl.trust-store-type=${TRUST_TYPE:PKCS12}\n"
        "server.ssl.client-auth=need\n")
    (tmp_path / "application-prod.yml").write_text(
        f"server:\n  ssl:\n    trust-store: file:{other}/server.truststore.p12\n")
    env_file = tmp_path / "myapp.env"
    env_file.write_text(f"# the service's EnvironmentFile\nSTOREPASS='{PASSWORD}'\n")
    config = tmp_path / "application.properties"
    for profile, truststore in (([], tls), (["--profile", "prod"], other)):
        code, findings = doctor(config, "--env", env_file, "--peer", tls, "--peer-storepass", "env:PEER", *profile,
                                env={"PEER": PASSWORD})
        ok, seen = handshake(tls / "server.keystore.p12", truststore / "server.truststore.p12",
                             tls / "client.keystore.p12", tls / "client.truststore.p12")
        assert (code == 0) == ok, (profile, findings, seen)
    assert codes(findings, "error") == {"client-cert-not-sent", "java-refused"}  # the server names another CA
    unset = doctor(config, "--peer", tls, "--peer-storepass", "env:PEER", env={"PEER": PASSWORD})
    assert unset[0] == 1 and codes(unset[1]) >= {"config-unresolved"}


def test_kafka_properties_with_kafkas_defaults(layouts, tmp_path, handshake):
    """A Kafka client: the store types default to JKS (a PKCS12 file still loads, keystore.type.compat),
    and the key password is ssl.key.password."""
    tls, _ = layouts
    config = tmp_path / "client.properties"
    lines = ["security.protocol=SSL", f"ssl.keystore.location={tls}/client.keystore.p12",
             f"ssl.keystore.password={PASSWORD}", f"ssl.truststore.location={tls}/client.truststore.p12",
             f"ssl.truststore.password={PASSWORD}"]
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    assert doctor(config, "--peer", tls) == (0, [])
    ok, seen = handshake(tls / "server.keystore.p12", tls / "server.truststore.p12", tls / "client.keystore.p12",
                         tls / "client.truststore.p12")
    assert ok, seen
    config.write_text("\n".join([*lines, "ssl.key.password=not-the-key-password"]) + "\n")
    config.chmod(0o644)
    code, findings = doctor(config, "--peer", tls)
    assert code == 1 and codes(findings, "error") == {"config-key-password"}
    assert "config-inline-password" in codes(findings, "warning")  # a password in a file all can read


def test_a_configuration_doctor_cannot_read_is_one_line(tmp_path):
    config = tmp_path / "server.xml"
    config.write_text("<Connector port='8443' SSLEnabled='true'>")
    result = run("doctor", config)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1 and str(config) in result.stderr
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello\n")
    result = run("doctor", unknown)
    assert result.exit_code == 2 and "not a configuration doctor reads" in result.stderr


def test_user_is_judged_as_the_system_judges_it(layouts, tmp_path):
    """--user: doctor's verdict on whether the service's user reads each store is the one `runuser -u USER --
    test -r FILE` gives (the stores are root's, 0600; a copy opened to the group nogroup is readable)."""
    import os
    import shutil
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    import tempfile
    tls, _ = layouts
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # under a folder every user may enter (pytest's is 0700)
    folder.chmod(0o755)
    for name in ("server.keystore.p12", "server.truststore.p12"):
        shutil.copy(tls / name, folder / name)
        (folder / name).chmod(0o600)
    os.chown(folder / "server.truststore.p12", 0, 65534)
    (folder / "server.truststore.p12").chmod(0o640)
    config = tmp_path / "application.properties"
    config.write_text(f"server.ssl.key-store={folder}/server.keystore.p12\nserver.ssl.key-store-password=${{P}}\n"
                      f"server.ssl.trust-store={folder}/server.truststore.p12\nserver.ssl.trust-store-password=${{P}}\n"
                      "server.ssl.key-store-type=PKCS12\nserver.ssl.trust-store-type=PKCS12\nserver.ssl.client-auth=need\n")
    try:
        result = run("doctor", config, "--user", "nobody", "--json", env={"P": PASSWORD})
        judged = [subprocess.run(["runuser", "-u", "nobody", "--", "test", "-r", folder / name]).returncode == 0
                  for name in ("server.keystore.p12", "server.truststore.p12")]
    finally:
        shutil.rmtree(folder)
    flagged = {f["store"] for e in json.loads(result.stdout)["endpoints"] for f in e["findings"]
               if f["code"] == "config-unreadable-by-user"}
    for readable, line in zip(judged, (1, 3), strict=True):
        assert (f"{config}:{line}" in flagged) == (not readable), (line, flagged)
    assert judged == [False, True]  # both branches were asked


def test_a_jks_bundle_with_reload_on_update(layouts, tmp_path):
    tls, _ = layouts
    config = tmp_path / "application.yml"
    config.write_text(f"""spring:
  ssl:
    bundle:
      jks:
        mtls:
          reload-on-update: true
          key:
            alias: server
          keystore:
            location: file:{tls}/server.keystore.p12
            password: ${{P}}
            type: PKCS12
          truststore:
            location: file:{tls}/server.truststore.p12
            password: ${{P}}
            type: PKCS12
server:
  ssl:
    bundle: mtls
    client-auth: need
""")
    code, findings = doctor(config, "--peer", tls, env={**ENV, "P": PASSWORD})
    assert code == 0 and findings == [("config-reload-on-update", "info")]
    config.write_text(config.read_text().replace("alias: server", "alias: nosuch"))
    code, findings = doctor(config, "--peer", tls, env={**ENV, "P": PASSWORD})
    assert code == 1 and codes(findings, "error") == {"config-alias-missing"}


def test_tomcat_old_connector_attributes_and_catalina_base(layouts, tmp_path):
    """Tomcat's pre-8.5 attributes (Tomcat 9's, with the warning that 10.1 ignores them), a keystore under
    ${catalina.base}, and Tomcat's defaults: keystoreType JKS (a PKCS12 file loads all the same) and the
    password changeit."""
    import shutil
    tls, _ = layouts
    base = tmp_path / "catalina"
    (base / "conf").mkdir(parents=True)
    shutil.copy(tls / "server.keystore.p12", base / "conf" / "server.p12")
    config = base / "conf" / "server.xml"
    config.write_text(f"""<Server port="-1"><Service name="Catalina">
  <Connector port="8443" SSLEnabled="true" scheme="https" secure="true" clientAuth="true"
             keystoreFile="${{catalina.base}}/conf/server.p12" keystorePass="${{P}}"
             truststoreFile="{tls}/server.truststore.p12" truststorePass="${{P}}" truststoreType="PKCS12"/>
</Service></Server>""")
    config.chmod(0o600)
    old = [("config-tomcat-old-attributes", "warning")]
    assert doctor(config, "--peer", tls, env={**ENV, "P": PASSWORD}) == (0, old)
    written = config.read_text()
    config.write_text(written.replace(' keystorePass="${P}"', ""))  # Tomcat's default, changeit, is its password
    assert doctor(config, "--peer", tls, env={**ENV, "P": PASSWORD}) == (0, old)
    config.write_text(written.replace('keystorePass="${P}"', 'keystorePass="another"'))
    code, findings = doctor(config, "--peer", tls, env={**ENV, "P": PASSWORD})
    assert code == 1 and codes(findings, "error") == {"config-password-wrong"}


def test_tomcat_takes_the_environment_only_where_catalina_properties_says_so(layouts, tmp_path):
    """Tomcat's digester fills ${...} from the environment only when conf/catalina.properties sets its
    PROPERTY_SOURCE to EnvironmentPropertySource (the line the tomcat snippet asks for); without it the
    password stays "${...}" and Tomcat never opens its port."""
    tls, _ = layouts
    conf = tmp_path / "catalina" / "conf"
    conf.mkdir(parents=True)
    config = conf / "server.xml"
    config.write_text(run("snippet", "tomcat", tls, env=ENV).stdout)
    config.chmod(0o600)
    properties = conf / "catalina.properties"
    properties.write_text("tomcat.util.scan.StandardJarScanFilter.jarsToSkip=*.jar\n")
    result = run("doctor", config, "--peer", tls, "--json", env=ENV)
    found = [f for e in json.loads(result.stdout)["endpoints"] for f in e["findings"]]
    assert result.exit_code == 1 and {f["code"] for f in found} == {"config-unresolved"}, found
    assert all("org.apache.tomcat.util.digester.PROPERTY_SOURCE=" in f["fix"] for f in found)
    enable = re.search(r"org\.apache\.tomcat\.util\.digester\.PROPERTY_SOURCE=\S+", config.read_text()).group(0)
    properties.write_text(properties.read_text() + enable + "\n")
    assert doctor(config, "--peer", tls) == (0, [])
    properties.write_text(properties.read_text() + "common.loader=\\u00zz\n")  # Tomcat warns, and goes on
    assert doctor(config, "--peer", tls) == (0, [])


def test_a_pem_bundle_reads_as_its_stores(layouts, tmp_path):
    """spring.ssl.bundle.pem: the certificate chain and the key in files of their own, the truststore a PEM
    of CA certificates; doctor judges them as it judges the stores they came from, and a key of another
    certificate is found."""
    tls, other = layouts
    pem = tmp_path / "pem"
    pem.mkdir()
    for name, store in (("server", tls / "server.keystore.p12"), ("other", other / "server.keystore.p12")):
        assert run("export", store, "--chain", pem / f"{name}-chain.pem", "--key", pem / f"{name}-key.pem",
                   "--no-encrypt-key", env=ENV).exit_code == 0
    assert run("convert", tls / "server.truststore.p12", pem / "ca.pem", env=ENV).exit_code == 0
    config = tmp_path / "application.properties"

    def write(key: str) -> None:
        config.write_text("server.ssl.bundle=web\nserver.ssl.client-auth=need\n"
                          f"spring.ssl.bundle.pem.web.keystore.certificate=file:{pem}/server-chain.pem\n"
                          f"spring.ssl.bundle.pem.web.keystore.private-key=file:{pem}/{key}\n"
                          f"spring.ssl.bundle.pem.web.truststore.certificate=file:{pem}/ca.pem\n")
        config.chmod(0o600)
    write("server-key.pem")
    assert doctor(config, "--peer", tls) == doctor_of_stores(tls) == (0, [])
    write("other-key.pem")
    code, found = doctor(config, "--peer", tls)
    assert code == 1 and "key-cert-mismatch" in codes(found, "error")


def doctor_of_stores(tls):
    """The same side configured with the PKCS12 stores themselves."""
    import tempfile
    config = Path(tempfile.mkdtemp()) / "application.properties"
    config.write_text(f"server.ssl.key-store={tls}/server.keystore.p12\nserver.ssl.key-store-password=${{P}}\n"
                      "server.ssl.key-store-type=PKCS12\nserver.ssl.trust-store-type=PKCS12\n"
                      f"server.ssl.trust-store={tls}/server.truststore.p12\nserver.ssl.trust-store-password=${{P}}\n"
                      "server.ssl.client-auth=need\n")
    return doctor(config, "--peer", tls, env={**ENV, "P": PASSWORD})


@pytest.mark.parametrize("peer", ["tls", "other"])
def test_peer_truststore_alone_judged_by_a_handshake(layouts, tmp_path, handshake, peer):
    """--peer-truststore: the server's chain, as configured, against the partner's truststore only; a JSSE
    handshake with that truststore on the client side agrees."""
    tls, other = layouts
    truststore = {"tls": tls, "other": other}[peer] / "client.truststore.p12"
    config = tmp_path / "application.yml"
    config.write_text(run("snippet", "spring-boot", tls, "--side", "server", env=ENV).stdout)
    config.chmod(0o600)
    code, findings = doctor(config, "--peer-truststore", truststore)
    ok, seen = handshake(tls / "server.keystore.p12", tls / "server.truststore.p12", tls / "client.keystore.p12",
                         truststore)
    assert (code == 0) == ok, (findings, seen)
    assert codes(findings, "error") == (set() if ok else {"server-untrusted"})


@pytest.mark.parametrize("keystore_of", ["tls", "other"])
def test_peer_url_tries_the_client_as_configured(layouts, served, tmp_path, default_client, keystore_of):
    """--peer-url: a client's JVM flags tried against the live server; a JSSE client with the same flags
    agrees."""
    tls, other = layouts
    owner = {"tls": tls, "other": other}[keystore_of]
    lines = _client_flags(tls, lambda line: line.replace(f"{tls}/client.keystore.p12", f"{owner}/client.keystore.p12"))
    config = tmp_path / "flags.txt"
    config.write_text("\n".join(lines) + "\n")
    code, findings = doctor(config, "--peer-url", f"localhost:{served}")
    ok, reply = default_client("localhost", served, _argv(lines))
    assert (code == 0) == ok, (findings, reply)
    assert codes(findings, "error") == (set() if ok else {"config-peer-probe"})


def test_tomcat_starts_the_connectors_doctor_passes_and_not_the_one_it_fails(layouts, tmp_path, tomcat_home):
    """Two connectors in one server.xml, one declaring its truststore JCEKS: doctor fails that one alone, and
    Tomcat 10 serves on the other port and never opens its port (it comes first: Tomcat initialises the
    connectors in order, so once the second port answers the first has failed for good)."""
    import socket
    tls, _ = layouts
    good, bad = free_port(), free_port()
    first = run("snippet", "tomcat", tls, "--port", str(good), env=ENV).stdout
    second = run("snippet", "tomcat", tls, "--port", str(bad), env=ENV).stdout.replace(
        'truststoreType="PKCS12"', 'truststoreType="JCEKS"')
    connectors = second + "\n" + first
    config = tmp_path / "server.xml"
    config.write_text(connectors)
    config.chmod(0o600)
    result = run("doctor", config, "--peer", tls, "--json", env=ENV)
    verdicts = {e["name"]: {f["code"] for f in e["findings"] if f["severity"] == "error"}
                for e in json.loads(result.stdout)["endpoints"]}
    assert verdicts == {f"Tomcat Connector port {good}": set(),
                        f"Tomcat Connector port {bad}": {"config-type-mismatch"}}
    with Tomcat(tomcat_home, tmp_path / "catalina", connectors, good, ENV):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", bad), timeout=5).close()


# -- configurations as their runtimes read them (found by a new user's trial) ------------------

def _spring_server(tls, extra: str = "", password: str = "${P}") -> str:
    return (f"server.ssl.key-store={tls}/server.keystore.p12\nserver.ssl.key-store-type=PKCS12\n"
            f"server.ssl.key-store-password={password}\nserver.ssl.trust-store={tls}/server.truststore.p12\n"
            f"server.ssl.trust-store-type=PKCS12\nserver.ssl.trust-store-password={password}\n"
            f"server.ssl.client-auth=need\n{extra}")


def test_yaml_documents_for_a_profile_count_only_when_it_is_active(layouts, tmp_path):
    tls, _ = layouts
    config = tmp_path / "application.yml"
    config.write_text(run("snippet", "spring-boot", tls, "--side", "server", env=ENV).stdout
                      + "---\nspring:\n  config:\n    activate:\n      on-profile: dev\nserver:\n  ssl:\n"
                        "    trust-store: file:/nonexistent/dev-truststore.p12\n")
    config.chmod(0o600)
    assert doctor(config, "--peer", tls) == (0, [])
    code, found = doctor(config, "--peer", tls, "--profile", "dev")
    assert code == 1 and codes(found, "error") == {"config-store-missing"}
    code, found = doctor(config, "--peer", tls, env={**ENV, "SPRING_PROFILES_ACTIVE": "dev"})
    assert code == 1 and codes(found, "error") == {"config-store-missing"}


def test_placeholders_in_placeholders_and_properties_escapes(layouts, tmp_path):
    """Spring resolves ${app.dir} inside a default and a property holding a placeholder; Java's Properties
    reads \\\\ and \\\\uXXXX escapes. The store opens with what they resolve to."""
    tls, _ = layouts
    config = tmp_path / "application.properties"
    config.write_text(f"app.tls.password=${{TLS_PW}}\napp.tls.dir={tls}\n"
                      "server.ssl.key-store=${app.tls.dir}/server.keystore.p12\nserver.ssl.key-store-type=PKCS12\n"
                      "server.ssl.key-store-password=${app.tls.password}\n"
                      "server.ssl.trust-store=${TRUST:${app.tls.dir}/server.truststore.p12}\n"
                      "server.ssl.trust-store-type=PKC\\u005312\nserver.ssl.trust-store-password=ch\\ange\\it\n"
                      "server.ssl.client-auth=need\n")
    config.chmod(0o600)
    assert doctor(config, "--peer", tls, env={**ENV, "TLS_PW": PASSWORD}) == (0, [])
    code, found = doctor(config, "--peer", tls)
    assert code == 1 and codes(found, "error") == {"config-unresolved"}


def test_kafka_expands_env_provider_references_only(layouts, tmp_path):
    tls, _ = layouts
    config = tmp_path / "client.properties"
    body = (f"ssl.keystore.location={tls}/client.keystore.p12\nssl.keystore.password=PASSWORD\n"
            f"ssl.truststore.location={tls}/client.truststore.p12\nssl.truststore.password=PASSWORD\n")
    config.write_text("config.providers=env\n" + body.replace("PASSWORD", "${env:STOREPASS}"))
    config.chmod(0o600)  # a provider without its class is not made: the reference stays as written
    code, found = doctor(config, "--peer", tls, env={**ENV, "STOREPASS": PASSWORD})
    assert code == 1 and "config-unresolved" in codes(found, "error"), found
    config.write_text("config.providers=env\nconfig.providers.env.class=org.apache.kafka.common.config.provider."
                      "EnvVarConfigProvider\n" + body.replace("PASSWORD", "${env:STOREPASS}"))
    assert doctor(config, "--peer", tls, env={**ENV, "STOREPASS": PASSWORD}) == (0, [])
    config.write_text(body.replace("PASSWORD", "${STOREPASS}"))  # Kafka leaves it as it is
    code, found = doctor(config, "--peer", tls, env={**ENV, "STOREPASS": PASSWORD})
    assert code == 1 and codes(found, "error") == {"config-password-wrong"}
    config.write_text(body.replace("PASSWORD", PASSWORD))
    config.chmod(0o644)  # the password written in a file all can read: the fix is Kafka's way, which works
    result = run("doctor", config, "--peer", tls, "--json", env=ENV)
    (fix,) = {f["fix"] for e in json.loads(result.stdout)["endpoints"] for f in e["findings"]
              if f["code"] == "config-inline-password"}
    assert "${env:STOREPASS}" in fix and "config.providers=env" in fix
    provider = re.search(r"`(config\.providers\.env\.class=[\w.]+)`", fix)[1]
    config.write_text(f"config.providers=env\n{provider}\n" + body.replace("PASSWORD", "${env:STOREPASS}"))
    assert doctor(config, "--peer", tls, env={**ENV, "STOREPASS": PASSWORD}) == (0, [])


def test_systemd_environment_lines_are_not_expanded(layouts, tmp_path):
    tls, _ = layouts
    unit = tmp_path / "batch.service"
    unit.write_text(f'[Service]\nEnvironment="JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore={tls}/client.truststore.p12 '
                    '-Djavax.net.ssl.trustStorePassword=${JKSTOOL_STOREPASS}"\nExecStart=/usr/bin/java -jar app.jar\n')
    result = run("doctor", unit, "--json", env=ENV)
    messages = [f["message"] for e in json.loads(result.stdout)["endpoints"] for f in e["findings"]
                if f["code"] == "config-unresolved"]
    assert result.exit_code == 1 and "systemd does not expand" in messages[0]


def test_a_systemd_unit_as_systemd_takes_it(layouts, tmp_path):
    """systemd.exec: of two Environment= assignments of one variable the last wins (the TLS flags it replaced
    reach no JVM), ExecStart= is filled from Environment=, and a line starting with ';' is a comment."""
    tls, _ = layouts
    flags = (f"-Djavax.net.ssl.keyStore={tls}/client.keystore.p12 -Djavax.net.ssl.keyStorePassword=${{KS_PASS}} "
             f"-Djavax.net.ssl.trustStore={tls}/client.truststore.p12 -Djavax.net.ssl.trustStorePassword=$KS_PASS")
    units = {
        "replaced": f'[Service]\nEnvironment="JAVA_TOOL_OPTIONS={flags.replace("${KS_PASS}", PASSWORD)}"\n'
                    'Environment="JAVA_TOOL_OPTIONS=-Xmx512m"\nExecStart=/usr/bin/java -jar app.jar\n',
        "filled": f"[Service]\nEnvironment=KS_PASS={PASSWORD}\nExecStart=/usr/bin/java {flags} -jar app.jar\n",
        "commented": f"[Service]\nEnvironment=KS_PASS={PASSWORD}\nExecStart=/usr/bin/java {flags} -jar app.jar\n"
                     ";Environment=KS_PASS=not-the-password\n",
        "no-environment": "[Service]\nExecStart=/usr/bin/java "
                          f"{flags.replace('${KS_PASS}', PASSWORD).replace('$KS_PASS', PASSWORD)} -jar app.jar\n"
                          ";ExecStart=/usr/bin/java -Djavax.net.ssl.keyStorePassword=not-the-password\n",
    }
    verdicts = {}
    for name, text in units.items():
        unit = tmp_path / f"{name}.service"
        unit.write_text(text)
        unit.chmod(0o600)
        verdicts[name] = doctor(unit, "--side", "client", "--peer", tls, "--peer-storepass", f"pass:{PASSWORD}", env={})
    assert verdicts["filled"] == verdicts["commented"] == verdicts["no-environment"] == (0, []), verdicts
    assert verdicts["replaced"][0] == 1 and "config-no-keystore" in codes(verdicts["replaced"][1], "error")


def test_every_ssl_host_config_and_certificate_tomcat_loads_is_checked(layouts, tmp_path):
    """Tomcat loads every Certificate of an SSLHostConfig (one per key type) and every SSLHostConfig of a
    connector (one per SNI host name): a wrong password on the second Certificate stops the connector, and a
    second host that only wants client certificates lets clients in; each is named."""
    tls, _ = layouts
    certificate = (f'<Certificate certificateKeystoreFile="{tls}/server.keystore.p12" certificateKeystoreType="PKCS12" '
                   f'certificateKeystorePassword="{PASSWORD}" type="EC"/>')
    host = (f'<SSLHostConfig hostName="HOST" certificateVerification="VERIFY" truststoreType="PKCS12" '
            f'truststoreFile="{tls}/server.truststore.p12" truststorePassword="{PASSWORD}">'
            'CERTIFICATES</SSLHostConfig>')
    connector = '<Server><Service><Connector port="8443" SSLEnabled="true">HOSTS</Connector></Service></Server>'
    config = tmp_path / "server.xml"
    second = certificate.replace(f'"{PASSWORD}" type="EC"', '"WRONG" type="RSA"')
    config.write_text(connector.replace("HOSTS", host.replace("CERTIFICATES", certificate + second)
                                        .replace("HOST", "_default_").replace("VERIFY", "required")))
    config.chmod(0o600)
    result = run("doctor", config, "--peer", tls, "--json", env=ENV)
    found = {e["name"]: [f["code"] for f in e["findings"]] for e in json.loads(result.stdout)["endpoints"]}
    assert result.exit_code == 1 and found == {"Tomcat Connector port 8443, Certificate EC": [],
                                               "Tomcat Connector port 8443, Certificate RSA": ["config-password-wrong"]}
    hosts = [host.replace("CERTIFICATES", certificate).replace("HOST", name).replace("VERIFY", verify)
             for name, verify in (("other.example.com", "required"), ("localhost", "optional"))]
    config.write_text(connector.replace("HOSTS", "".join(hosts)))
    result = run("doctor", config, "--peer", tls, "--json", env=ENV)
    found = {e["name"]: [f["code"] for f in e["findings"]] for e in json.loads(result.stdout)["endpoints"]}
    assert found == {"Tomcat Connector port 8443, SSLHostConfig other.example.com": [],
                     "Tomcat Connector port 8443, SSLHostConfig localhost": ["config-client-auth"]}, found


def test_a_connector_by_tomcat_9s_attributes_is_said_to_be_one_tomcat_10_1_ignores(layouts, tmp_path, tomcat_home):
    """keystoreFile, clientAuth... on the Connector: the installed Tomcat's protocol class has no setter for
    them (so the digester fails to set them, and no TLS port opens); doctor warns, naming the attribute."""
    import zipfile
    tls, _ = layouts
    with zipfile.ZipFile(tomcat_home / "lib" / "tomcat-coyote.jar") as jar:
        (tmp_path / "p.class").write_bytes(jar.read("org/apache/coyote/http11/AbstractHttp11Protocol.class"))
    javap = Path(os.environ.get("JAVA_HOME") or Path(shutil.which("java")).resolve().parents[1]) / "bin" / "javap"
    methods = subprocess.run([javap, tmp_path / "p.class"], capture_output=True, text=True).stdout
    assert "addSslHostConfig" in methods
    removed = "setKeystoreFile" not in methods
    config = tmp_path / "server.xml"
    config.write_text(f'<Server><Service><Connector port="8443" SSLEnabled="true" '
                      f'keystoreFile="{tls}/server.keystore.p12" keystorePass="{PASSWORD}" keystoreType="PKCS12" '
                      f'truststoreFile="{tls}/server.truststore.p12" truststorePass="{PASSWORD}" '
                      'truststoreType="PKCS12" clientAuth="true"/></Service></Server>')
    config.chmod(0o600)
    code, findings = doctor(config, "--peer", tls)
    assert code == 0 and ("config-tomcat-old-attributes", "warning") in findings and removed


def test_tomcat_xml_as_tomcat_reads_it(layouts, tmp_path):
    """A BOM and a DOCTYPE, a relative path from inside conf/, the +/- protocols syntax, and lines that are
    the attributes' own."""
    import os
    tls, _ = layouts
    conf = tmp_path / "base" / "conf"
    conf.mkdir(parents=True)
    snippet = run("snippet", "tomcat", tls, env=ENV).stdout.replace(
        "<SSLHostConfig ", '<SSLHostConfig protocols="all-TLSv1-TLSv1.1"\n                 ')
    config = conf / "server.xml"
    config.write_text('\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Server>\n' + snippet)
    config.chmod(0o600)
    os.chdir(conf)
    try:
        assert doctor("server.xml", "--peer", tls) == (0, [])
        config.write_text(config.read_text().replace("all-TLSv1-TLSv1.1", "+TLSv1.1-TLSv1.2"))
        result = run("doctor", "server.xml", "--peer", tls, "--json", env=ENV)
    finally:
        os.chdir(tmp_path)
    (finding,) = [f for e in json.loads(result.stdout)["endpoints"] for f in e["findings"]]
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "protocols=" in text)
    assert finding["code"] == "config-protocols" and finding["store"] == f"server.xml:{line}"


def test_a_yaml_alias_bomb_is_refused_within_bounds(tmp_path):
    import resource
    def bomb(name: str, opening: str, closing: str, item: str) -> Path:
        levels = [f"a0: &a0 {opening}" + ",".join(item.format(k=k, v='"x"') for k in range(10)) + closing]
        levels += [f"a{n}: &a{n} {opening}" + ",".join(item.format(k=k, v=f"*a{n - 1}") for k in range(10))
                   + closing for n in range(1, 9)]
        path = tmp_path / name
        path.write_text("\n".join(levels) + "\nserver:\n  ssl:\n    enabled-protocols: *a8\n")
        return path
    mappings = bomb("application.yml", "{", "}", "k{k}: {v}")  # walked, 10^9 values: the budget stops it
    sequences = bomb("application-seq.yml", "[", "]", "{v}")  # a list is one value: nothing to expand
    deep = tmp_path / "application-deep.yml"
    deep.write_text("a: " + "[" * 2000 + "]" * 2000 + "\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    for config, code in ((mappings, 2), (sequences, 1), (deep, 2)):
        result = subprocess.run([sys.executable, "-m", "jkstool", "doctor", config], capture_output=True, text=True,
                                timeout=60, preexec_fn=limit)
        assert result.returncode == code and "unexpected" not in result.stderr, result.stderr
        if code == 2:
            assert str(config) in result.stderr and len(result.stderr.splitlines()) == 1


def test_env_files_overlays_bundles_and_kafka_listeners(layouts, tmp_path):
    tls, _ = layouts
    env_file = tmp_path / "app.env"
    env_file.write_text(f'P={PASSWORD} # the store password\nQ="{PASSWORD}" # quoted\n')
    config = tmp_path / "application.properties"
    config.write_text(_spring_server(tls, password="${P}").replace("trust-store-password=${P}",
                                                                     "trust-store-password=${Q}"))
    config.chmod(0o600)
    assert doctor(config, "--peer", tls, "--peer-storepass", "env:PEER", "--env", env_file,
                  env={"PEER": PASSWORD}) == (0, [])
    env_file.write_text("P=1\nnot a line\n")
    bad = run("doctor", config, "--env", env_file)
    assert bad.exit_code == 2 and "line 2 is not KEY=VALUE" in bad.stderr
    # application-prod.properties wins over application-prod.yml, as in Spring
    (tmp_path / "application-prod.yml").write_text("server:\n  ssl:\n    client-auth: none\n")
    (tmp_path / "application-prod.properties").write_text("server.ssl.client-auth=need\n")
    assert doctor(config, "--peer", tls, "--profile", "prod", env={**ENV, "P": PASSWORD, "Q": PASSWORD}) == (0, [])
    config.write_text(_spring_server(tls) + "server.ssl.bundle=webb\n")
    code, found = doctor(config, "--peer", tls, env={**ENV, "P": PASSWORD})
    assert code == 1 and found == [("config-no-keystore", "error")]  # Spring fails to start: no such bundle
    kafka = tmp_path / "server.properties"
    kafka.write_text("listeners=SSL://:9093\nlistener.name.ssl.ssl.client.auth=REQUIRED\n"
                     f"listener.name.ssl.ssl.keystore.location={tls}/server.keystore.p12\n"
                     f"listener.name.ssl.ssl.keystore.password={PASSWORD}\n"
                     f"listener.name.ssl.ssl.truststore.location={tls}/server.truststore.p12\n"
                     f"listener.name.ssl.ssl.truststore.password={PASSWORD}\n")
    kafka.chmod(0o600)
    result = run("doctor", kafka, "--peer", tls, "--json", env=ENV)
    (endpoint,) = json.loads(result.stdout)["endpoints"]
    assert result.exit_code == 0 and endpoint["name"] == "Kafka broker (server.properties, listener ssl)"
    assert endpoint["findings"] == []
    # a TLS listener without overrides of its own takes the plain ssl.* settings (here a stale password)
    kafka.write_text("listeners=INTERNAL://:9093,EXTERNAL://:9094,PLAIN://:9092\n"
                     "listener.security.protocol.map=INTERNAL:SSL,EXTERNAL:SSL,PLAIN:PLAINTEXT\n"
                     f"ssl.keystore.location={tls}/server.keystore.p12\nssl.keystore.password=stale\n"
                     f"ssl.truststore.location={tls}/server.truststore.p12\nssl.truststore.password={PASSWORD}\n"
                     f"ssl.client.auth=required\nlistener.name.internal.ssl.keystore.password={PASSWORD}\n")
    result = run("doctor", kafka, "--peer", tls, "--json", env=ENV)
    found = {e["name"]: [f["code"] for f in e["findings"]] for e in json.loads(result.stdout)["endpoints"]}
    assert result.exit_code == 1 and found == {
        "Kafka broker (server.properties, listener external)": ["config-password-wrong"],
        "Kafka broker (server.properties, listener internal)": []}, found


def _issued_keystore(tls: Path, path: Path, usages: list | None, days: tuple[int, int] = (-1, 365)) -> Path:
    """A PKCS12 keystore at `path` of a key certified by the `tls` layout's CA, valid from days[0] to days[1]
    from now, with the extended key usages `usages` (None: no such extension)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from jkstool import formats
    from jkstool.model import PrivateKeyEntry, Store
    ca_cert = x509.load_pem_x509_certificate((tls / "ca" / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((tls / "ca" / "ca-key.pem").read_bytes(), PASSWORD.encode())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app")]))
               .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days[0]))
               .not_valid_after(now + datetime.timedelta(days=days[1])))
    if usages is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    formats.write_store(path, Store([PrivateKeyEntry("app", pkcs8, (
        cert.public_bytes(serialization.Encoding.DER), ca_cert.public_bytes(serialization.Encoding.DER)))]),
        "pkcs12", PASSWORD)
    return path


def test_a_keystore_path_left_on_last_years_file(layouts, served, tmp_path, default_client):
    """The flags still name last year's client keystore, whose certificate has expired: doctor says so, and
    the server refuses the JSSE client that loads it."""
    from cryptography.x509.oid import ExtendedKeyUsageOID
    tls, _ = layouts
    old = _issued_keystore(tls, tmp_path / "client-2025.p12", [ExtendedKeyUsageOID.CLIENT_AUTH], (-400, -35))
    lines = _client_flags(tls, lambda line: line.replace(f"{tls}/client.keystore.p12", str(old)))
    config = tmp_path / "flags.txt"
    config.write_text("\n".join(lines) + "\n")
    code, findings = doctor(config, "--peer", tls)
    ok, reply = default_client("localhost", served, _argv(lines))
    assert code == 1 and not ok, reply
    assert codes(findings, "error") == {"cert-expired", "java-refused"}


def test_java_decides_the_pair_where_it_is_handed_the_stores_as_jsse_takes_them(layouts, tmp_path, monkeypatch):
    """With the peer's stores the target JDK's own handshake decides, as verify-pair's: a rule of the model
    Java does not confirm becomes a warning. A key picked by alias leaves the model deciding, and says why."""
    from jkstool import api
    from jkstool.doctor import diagnose
    from jkstool.mtls import checks
    tls, _ = layouts
    config = tmp_path / "application.properties"
    config.write_text(f"server.ssl.key-store={tls}/server.keystore.p12\nserver.ssl.key-store-password=${{PASS}}\n"
                      f"server.ssl.trust-store={tls}/server.truststore.p12\n"
                      "server.ssl.trust-store-password=${PASS}\nserver.ssl.client-auth=need\n")
    monkeypatch.setenv("PASS", PASSWORD)
    real = diagnose.verify

    def wrong(*args, **kwargs):
        report = real(*args, **kwargs)
        report.findings.append(checks.finding("ca-not-ca", "somewhere", None, "a rule that is wrong"))
        return report
    monkeypatch.setattr(diagnose, "verify", wrong)
    (judged,) = api.doctor([config], peer=tls, peer_password=PASSWORD).diagnoses
    assert judged.ok and judged.decided_by.startswith("JSSE (java "), judged.findings
    found = {f.code: f.severity for f in judged.findings}
    assert found["ca-not-ca"] == "warning" and found["java-accepted"] == "warning"
    config.write_text(config.read_text() + "server.ssl.key-alias=server\n")
    (picked,) = api.doctor([config], peer=tls, peer_password=PASSWORD).diagnoses
    assert picked.decided_by == ("jkstool's model (the configuration picks the key by alias, which the default key "
                                 "manager does not)")
    assert not picked.ok


# -- values as each runtime reads them: trailing whitespace, malformed escapes --------------------

def _store_with_password(tls: Path, folder: Path, password: str) -> tuple[Path, Path]:
    """Copies of the layout's server stores whose password is `password`, changed by jkstool passwd."""
    import shutil
    copies = []
    for name in ("server.keystore.p12", "server.truststore.p12"):
        copy = folder / name
        shutil.copy(tls / name, copy)
        assert run("passwd", copy, "--new-storepass", f"pass:{password}", env=ENV).exit_code == 0
        copies.append(copy)
    return copies[0], copies[1]


def test_spring_keeps_a_passwords_trailing_space_and_doctor_says_so(layouts, tmp_path, java_inventory):
    """Spring Boot keeps the trailing whitespace of a .properties value (as java.util.Properties does): a
    password written with a space after it is that password, space and all. doctor opens the stores with it,
    as Java does, and warns, naming the file, line and key."""
    tls, _ = layouts
    config = tmp_path / "application.properties"
    config.write_text(_spring_server(tls, password=f"{PASSWORD} "))
    config.chmod(0o600)
    result = run("doctor", config, "--peer", tls, "--json", env=ENV)
    found = [f for e in json.loads(result.stdout)["endpoints"] for f in e["findings"]]
    assert result.exit_code == 1 and {f["code"] for f in found if f["severity"] == "error"} == {"config-password-wrong"}
    spaces = [f for f in found if f["code"] == "config-trailing-whitespace"]
    assert [f["store"] for f in spaces] == [f"{config}:3", f"{config}:6"] and all(f["severity"] == "warning"
                                                                               for f in spaces)
    assert "server.ssl.key-store-password ends in whitespace" in spaces[0]["message"]
    assert PASSWORD not in result.stdout  # no password is ever printed
    keystore = str(tls / "server.keystore.p12")
    assert java_inventory(keystore, password=f"{PASSWORD} ")[keystore][""][0] == "unreadable"  # Java agrees
    # stores whose password really ends in a space open with it: a warning, no error
    spaced, _ = _store_with_password(tls, tmp_path, f"{PASSWORD} ")
    config.write_text(_spring_server(tls, password=f"{PASSWORD} ").replace(str(tls), str(tmp_path)))
    code, found = doctor(config, "--peer", tls)
    assert code == 0 and set(found) == {("config-trailing-whitespace", "warning")}
    assert java_inventory(str(spaced), password=f"{PASSWORD} ")[str(spaced)]["server"][2] == "key-ok"


def test_yaml_trims_plain_values_and_keeps_quoted_ones(layouts, tmp_path):
    tls, _ = layouts
    config = tmp_path / "application.yml"
    snippet = run("snippet", "spring-boot", tls, "--side", "server", env=ENV).stdout
    config.write_text(snippet.replace("${JKSTOOL_STOREPASS}", f"{PASSWORD}   "))  # a plain scalar: YAML trims it
    config.chmod(0o600)
    assert doctor(config, "--peer", tls) == (0, [])
    config.write_text(snippet.replace("${JKSTOOL_STOREPASS}", f'"{PASSWORD} "'))
    code, found = doctor(config, "--peer", tls)
    assert code == 1 and codes(found, "error") == {"config-password-wrong"}
    assert "config-trailing-whitespace" in codes(found, "warning")


def test_kafka_trims_its_values_as_its_configdef_does(layouts, tmp_path, handshake):
    """Kafka's ConfigDef trims every string and password value: the same trailing spaces are nothing there."""
    tls, _ = layouts
    config = tmp_path / "client.properties"
    config.write_text(f"ssl.keystore.location={tls}/client.keystore.p12  \nssl.keystore.password={PASSWORD} \t\n"
                      f"ssl.truststore.location={tls}/client.truststore.p12\nssl.truststore.password={PASSWORD} \n"
                      "ssl.keystore.type=PKCS12 \n")
    config.chmod(0o600)
    assert doctor(config, "--peer", tls) == (0, [])
    ok, seen = handshake(tls)
    assert ok, seen


@pytest.mark.parametrize("name", ["application.properties", "client.properties"])
def test_a_malformed_unicode_escape_is_an_error_naming_the_file_and_line(tmp_path, name):
    """Java's Properties.load throws on \\u without four hex digits, and Spring Boot and Kafka do not
    start: doctor cannot read the file either (exit 2), and says where."""
    config = tmp_path / name
    config.write_text("ssl.keystore.location=/x/ks.p12\nserver.ssl.key-store=/x/ks.p12\n"
                      "ssl.keystore.password=\\u00zz\n")
    result = run("doctor", config)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {config}: line 3 has a malformed \\u escape"), result.stderr


# -- JVM flags: the side their stores fit ------------------------------------------------------

def test_jvm_flags_without_side_are_checked_as_the_side_their_keystore_is_for(layouts, tmp_path):
    """A server's flags say nothing of the side: checked as a client (the old guess) they failed with the
    server certificate's EKU. The keystore's certificate is for servers only: they are a server's, and say
    so; --side still forces a side."""
    tls, _ = layouts
    for side in ("server", "client"):
        flags = tmp_path / f"{side}-flags.txt"
        flags.write_text(run("snippet", "jvm", tls, "--side", side, env=ENV).stdout)
        flags.chmod(0o600)
        result = run("doctor", flags, "--peer", tls, "--json", env=ENV)
        (endpoint,) = json.loads(result.stdout)["endpoints"]
        assert result.exit_code == 0 and endpoint["side"] == side and endpoint["findings"] == [], result.output
        assert f"checked as a {side}, the only side the certificate of its keystore is for" in result.stderr
    code, found = doctor(flags, "--peer", tls, "--side", "server")  # the client's flags, forced to serve
    assert code == 1 and "server-eku" in codes(found, "error")


def test_jvm_flags_of_a_keystore_for_both_sides_report_what_fails_as_both(layouts, tmp_path):
    """A key certificate without an extended key usage fits either side: the flags are checked as both, and
    only an error of both is reported (a client protocol flag is a client's alone)."""
    tls, _ = layouts
    keystore = _issued_keystore(tls, tmp_path / "app.p12", None)
    lines = _client_flags(tls, lambda line: line.replace(f"{tls}/client.keystore.p12", str(keystore)))
    flags = tmp_path / "flags.txt"
    flags.write_text("\n".join([*lines, "-Djdk.tls.client.protocols=TLSv1.1"]) + "\n")
    flags.chmod(0o600)
    result = run("doctor", flags, "--json", env=ENV)
    assert result.exit_code == 0 and json.loads(result.stdout)["endpoints"][0]["side"] == "either"
    assert "checked as a client and as a server (the certificate of its keystore fits both)" in result.stderr
    assert doctor(flags, "--side", "client")[1] == [("config-protocols", "error")]
    flags.write_text(flags.read_text().replace("trustStorePassword=", "trustStorePassword=x"))
    assert doctor(flags) == (1, [("config-password-wrong", "error")])


def test_an_expired_keystore_certificate_fails_without_a_peer_as_java_fails_it(tmp_path, handshake):
    """No peer given: doctor still finds the keystore's chain expired, which a JSSE peer refuses."""
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from helpers import certificate, der, new_key, pkcs8

    from jkstool import formats
    from jkstool.model import PrivateKeyEntry, Store, TrustedCertEntry
    root_key, server_key, client_key = new_key("ec"), new_key("ec"), new_key("ec")
    root = certificate(root_key, "Doctor Root", ca=True)
    server = certificate(server_key, "localhost", root, root_key, start_days=-10, days=5,
                         eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    client = certificate(client_key, "client", root, root_key, eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    stores = {"server.keystore": Store([PrivateKeyEntry("server", pkcs8(server_key), (der(server), der(root)))]),
              "client.keystore": Store([PrivateKeyEntry("client", pkcs8(client_key), (der(client), der(root)))]),
              "truststore": Store([TrustedCertEntry("root", der(root))])}
    for name, store in stores.items():
        formats.write_store(tmp_path / f"{name}.p12", store, "pkcs12", PASSWORD)
    config = tmp_path / "application.properties"
    config.write_text(f"server.ssl.key-store={tmp_path}/server.keystore.p12\nserver.ssl.key-store-password={PASSWORD}\n"
                      f"server.ssl.trust-store={tmp_path}/truststore.p12\nserver.ssl.trust-store-password={PASSWORD}\n"
                      "server.ssl.client-auth=need\n")
    config.chmod(0o600)
    code, findings = doctor(config)
    assert code == 1 and codes(findings, "error") == {"cert-expired"}, findings
    code, findings = doctor(config, "--peer-truststore", tmp_path / "truststore.p12", "--peer-storepass",
                            f"pass:{PASSWORD}")  # the partner's truststore holds the CA: the dates break it
    assert code == 1 and codes(findings, "error") == {"cert-expired"}, findings
    done, seen = handshake(tmp_path / "server.keystore.p12", tmp_path / "truststore.p12",
                           tmp_path / "client.keystore.p12", tmp_path / "truststore.p12", password=PASSWORD)
    assert not done, seen


@pytest.mark.parametrize("variable", ["SERVER_SSL_KEYSTOREPASSWORD", "SERVER_SSL_KEY_STORE_PASSWORD"])
def test_spring_takes_a_store_password_from_the_environment_in_both_forms(layouts, tmp_path, variable):
    """Spring's SystemEnvironmentPropertyMapper maps server.ssl.key-store-password to SERVER_SSL_KEYSTOREPASSWORD
    and to its legacy form, SERVER_SSL_KEY_STORE_PASSWORD: either overrides the file's stale password."""
    tls, _ = layouts
    config = tmp_path / "application.properties"
    config.write_text(_spring_server(tls, password=PASSWORD).replace(f"key-store-password={PASSWORD}",
                                                                     "key-store-password=stale"))
    config.chmod(0o600)
    assert doctor(config, "--peer", tls)[0] == 1
    assert doctor(config, "--peer", tls, env={**ENV, variable: PASSWORD}) == (0, [])


def test_spring_yaml_values_are_typed_as_snakeyaml_types_them(tmp_path):
    """Spring reads application.yml with SnakeYAML, by YAML 1.1's rules: an unquoted 01234567 is the octal
    number 342391, and that is the password Spring gives the keystore; quoted, it is the text."""
    from jkstool import api
    tls = api.init_pair(tmp_path / "tls", password="342391").folder
    config = tmp_path / "application.yml"
    for written, ok in (("01234567", True), ('"01234567"', False), ("342391", True)):
        config.write_text(f"server:\n  ssl:\n    key-store: {tls}/server.keystore.p12\n"
                          f"    key-store-password: {written}\n    trust-store: {tls}/server.truststore.p12\n"
                          "    trust-store-password: 342391\n    client-auth: need\n")
        config.chmod(0o600)
        verdict = doctor(config, "--peer", tls, env={"JKSTOOL_STOREPASS": "342391"})
        assert verdict == ((0, []) if ok else (1, [("config-password-wrong", "error")])), (written, verdict)


def test_spring_reads_the_properties_beside_the_yaml_and_they_win(layouts, tmp_path):
    """application.yml and application.properties in one folder are both read, the .properties winning: a
    stale password there is the one Spring uses, whichever file doctor was given."""
    tls, _ = layouts
    yml, properties = tmp_path / "application.yml", tmp_path / "application.properties"
    yml.write_text(f"server:\n  ssl:\n    key-store: {tls}/server.keystore.p12\n    key-store-password: {PASSWORD}\n"
                   f"    trust-store: {tls}/server.truststore.p12\n    trust-store-password: {PASSWORD}\n"
                   "    client-auth: need\n")
    yml.chmod(0o600)
    assert doctor(yml, "--peer", tls) == (0, [])
    properties.write_text("server.ssl.key-store-password=stale\n")
    properties.chmod(0o600)
    for given in (yml, properties):
        assert doctor(given, "--peer", tls) == (1, [("config-password-wrong", "error")]), given


def test_spring_profile_expressions_choose_the_documents_spring_chooses(layouts, tmp_path):
    """spring.config.activate.on-profile takes expressions (!, &, |, parentheses), as Profiles.of reads them:
    "!local" applies unless local is active."""
    tls, _ = layouts
    yml = tmp_path / "application.yml"
    yml.write_text(f"server:\n  ssl:\n    key-store: {tls}/server.keystore.p12\n    key-store-password: stale\n"
                   f"    trust-store: {tls}/server.truststore.p12\n    trust-store-password: {PASSWORD}\n"
                   "    client-auth: need\n---\nspring:\n  config:\n    activate:\n      on-profile: \"!local\"\n"
                   f"server:\n  ssl:\n    key-store-password: {PASSWORD}\n---\nspring.config.activate.on-profile: "
                   "\"(prod | dev) & !eu\"\nserver.ssl.key-store-password: stale-too\n")
    yml.chmod(0o600)
    assert doctor(yml, "--peer", tls) == (0, [])
    assert doctor(yml, "--peer", tls, "--profile", "local")[0] == 1
    assert doctor(yml, "--peer", tls, "--profile", "dev")[0] == 1
    assert doctor(yml, "--peer", tls, "--profile", "dev", "--profile", "eu") == (0, [])


def test_a_kafka_client_checks_the_broker_name_it_dials(layouts, tmp_path):
    """Kafka clients check the broker's certificate against the bootstrap server's name (endpoint
    identification https, Kafka's default since 2.0) unless ssl.endpoint.identification.algorithm is empty:
    JSSE, told that name, decides."""
    tls, _ = layouts
    config = tmp_path / "client.properties"
    stores = (f"security.protocol=SSL\nssl.keystore.location={tls}/client.keystore.p12\nssl.keystore.type=PKCS12\n"
              f"ssl.keystore.password={PASSWORD}\nssl.truststore.location={tls}/client.truststore.p12\n"
              f"ssl.truststore.type=PKCS12\nssl.truststore.password={PASSWORD}\n")
    verdicts = {}
    for name, extra in (("other", "bootstrap.servers=kafka1.example.com:9093\n"),
                        ("unchecked", "bootstrap.servers=kafka1.example.com:9093\n"
                                      "ssl.endpoint.identification.algorithm=\n"),
                        ("local", "bootstrap.servers=localhost:9093,kafka1.example.com:9093\n")):
        config.write_text(stores + extra)
        config.chmod(0o600)
        result = run("doctor", config, "--peer", tls, "--json", env=ENV)
        (endpoint,) = json.loads(result.stdout)["endpoints"]
        verdicts[name] = (result.exit_code, [f["code"] for f in endpoint["findings"] if f["severity"] == "error"],
                          endpoint["decided_by"].startswith("JSSE"))
    assert verdicts["unchecked"] == (0, [], True) and verdicts["local"] == (0, [], True)
    assert verdicts["other"][0] == 1 and verdicts["other"][1] and verdicts["other"][2], verdicts
