"""A real mutual-TLS handshake between two sides' stores, on 127.0.0.1.

The ground truth for Java teams is JSSE itself: when a JVM is found
(JAVA_HOME, then PATH), a small Java program shipped with jkstool runs the
handshake with Java's default key and trust managers. It is compiled once and
cached, and one JVM serves every handshake of a run (verify-pair's verdict, a
fleet's pairs); the stores' passwords go to it on stdin, never on its command
line.
Without Java, Python's ssl (OpenSSL) runs it instead: a cross-check, not
JSSE. Python's server sends no list of acceptable client CAs, and under TLS
1.3 a rejected client certificate shows only at the first read, so a line of
data is exchanged after every handshake.
"""

import atexit
import base64
import hashlib
import itertools
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from concurrent import futures
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import JkstoolError
from ..model import ROLES
from . import jdk as jdks
from .checks import Outcome
from .findings import Finding, finding

if TYPE_CHECKING:
    from .checks import StoreInput

_SOURCE = Path(__file__).with_name("java") / "JkstoolHandshake.java"


def run(stores: "Mapping[str, StoreInput]", passwords: Mapping[str, str | None], hostname: str | None,
        engine: str | None, home: Path | None = None, java_security: Path | None = None) -> Outcome:
    """Handshake between the four stores (verify.StoreInput by role) with `engine`
    ("java", "openssl"), or with Java when one is found and OpenSSL otherwise: the JDK of `home` (under
    `java_security`), else the machine's."""
    home = home or jdks.home_on_machine()
    if engine == "java" and home is None:
        raise JkstoolError("no Java found for engine='java'",
                           "set JAVA_HOME, or put java on the PATH")
    if engine != "openssl" and home is not None:
        return java(home, {r: Path(stores[r].path) for r in ROLES}, passwords, hostname, java_security)
    return _openssl(stores, hostname)


# -- JSSE --------------------------------------------------------------------------------

def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jkstool" / "java"


# One request at a time on a small heap: the serial collector leaves the cores to the handshakes (measured:
# verify-pair --all over 1,000 layouts, 31.1 s with the default collector, 29.8 s with it).
_JVM_OPTIONS = ("-XX:+UseSerialGC",)
# A JVM that judges one pair spends most of its CPU compiling code it runs once: C1 alone starts it sooner
# (verify-pair with Java deciding: 0.93 s -> 0.54 s of CPU, 0.62 s -> 0.49 s). A fleet's JVM runs the same
# handshake thousands of times and needs C2 (150 pairs: 5.2 s with it, 11.1 s with C1 alone).
_ONE_PAIR_OPTIONS = ("-XX:TieredStopAtLevel=1",)


class _Workload:
    """Whether the JVMs started now will judge many pairs (see `many_pairs`)."""

    many = False


@contextmanager
def many_pairs() -> Iterator[None]:
    """JVMs started inside judge many pairs, one after another (a fleet): with the full JIT, which pays."""
    before, _Workload.many = _Workload.many, True
    try:
        yield
    finally:
        _Workload.many = before


def _compiled(home: Path) -> list[str]:
    """The command that runs the handshake program: classes compiled for Java 11 (cached, one build for every
    JDK), by this JDK's javac or the machine's (a runtime such as a jlink image has none, nor the compiler
    its source launcher needs), else source launch."""
    java = str(home / "bin" / "java")
    source = _SOURCE.read_bytes()
    folder = _cache_dir() / hashlib.sha256(source + b"--release 11").hexdigest()[:16]
    if (folder / "JkstoolHandshake.class").exists():
        return [java, *_JVM_OPTIONS, "-cp", str(folder), "JkstoolHandshake"]
    homes = [home, jdks.home_on_machine()]
    javac = next((h / "bin" / "javac" for h in homes if h is not None and (h / "bin" / "javac").exists()), None)
    if javac is not None:
        temp = Path(tempfile.mkdtemp(prefix=".build-", dir=_ensure(_cache_dir())))
        result = subprocess.run([str(javac), "--release", "11", "-d", str(temp), str(_SOURCE)], capture_output=True,
                                text=True)
        if result.returncode == 0:
            try:
                os.replace(temp, folder)
            except OSError:  # another run cached it first
                shutil.rmtree(temp, ignore_errors=True)
            return [java, *_JVM_OPTIONS, "-cp", str(folder), "JkstoolHandshake"]
        shutil.rmtree(temp, ignore_errors=True)
    return [java, *_JVM_OPTIONS, str(_SOURCE)]  # a JDK without javac next to java: Java 11+'s source launcher


@contextmanager
def _named_for_java(paths: Mapping[str, Path]) -> Iterator[dict[str, str]]:
    """Each store's absolute path (the JVM kept for the run may have been started elsewhere), as the JVM is
    told it in UTF-8: a name that is not UTF-8 (which Java cannot open) through a link of a private temp
    folder."""
    named = {role: str(Path(path).absolute()) for role, path in paths.items()}
    odd = [role for role, name in named.items() if _not_utf8(name)]
    if not odd:
        yield named
        return
    with tempfile.TemporaryDirectory(prefix="jkstool-names-") as folder:
        for role in odd:
            link = Path(folder) / role
            link.symlink_to(named[role])
            named[role] = str(link)
        yield named


def _not_utf8(name: str) -> bool:
    try:
        name.encode()
        return False
    except UnicodeEncodeError:
        return True


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def java(home: Path, paths: Mapping[str, Path], passwords: Mapping[str, str | None], hostname: str | None,
         java_security: Path | None = None) -> Outcome:
    """JSSE's handshake between the four stores (paths by role), in the JVM of `home` that jkstool keeps
    for it (with `java_security`, started with -Djava.security.properties=FILE): one JVM start serves
    every pair a run checks."""
    version = ".".join(map(str, jdks.release_of(home)))
    engine = f"JSSE (java {version})"
    key = (str(home.resolve()), str(java_security.resolve()) if java_security else "")
    with _named_for_java(paths) as named:
        fields = [*(named[r] for r in ROLES), *(passwords.get(r) or "" for r in ROLES), hostname or ""]
        try:
            try:
                line = _jvm(key, home, java_security).ask(fields)
            except OSError:  # a JVM that ended (killed, out of memory) is no verdict on this pair: a new one judges
                line = _jvm(key, home, java_security).ask(fields)
        except OSError as e:
            return Outcome(False, engine, f"client: not started | server: Java did not answer ({e})")
    if line.startswith("OK "):
        return Outcome(True, engine, line[3:])
    return Outcome(False, engine, line.removeprefix("FAILED "))


ANSWER_SECONDS = 120
"""How long a request may wait for its answer: a handshake's own timeouts end it within 30 s."""
_ANSWER = re.compile(r"JKSTOOL (\d+) (.*)")


class _Jvm:
    """JkstoolHandshake in a JVM of its own, a request a line: started once, answering requests side by side
    (a fleet's threads share it), closed when jkstool exits."""

    def __init__(self, command: list[str]):
        self.lock = threading.Lock()
        self.waiting: dict[int, Future[str]] = {}
        self.numbers = itertools.count()
        self.ended: OSError | None = None
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        threading.Thread(target=self._answer, daemon=True).start()

    def ask(self, fields: list[str]) -> str:
        request = " ".join(base64.b64encode(f.encode()).decode() for f in fields)
        answer: Future[str] = Future()
        assert self.process.stdin is not None
        with self.lock:
            if self.ended:
                raise self.ended
            number = next(self.numbers)
            self.waiting[number] = answer
            self.process.stdin.write(f"{number} {request}\n")
            self.process.stdin.flush()
        try:
            return answer.result(ANSWER_SECONDS)
        except futures.TimeoutError:  # a JVM that stopped answering is ended; the next request starts another
            self.process.kill()
            raise OSError(f"no answer within {ANSWER_SECONDS} s") from None

    def _answer(self) -> None:
        """Hand each answer to the request of its number, passing over anything else the JVM prints (the GC
        log of a JAVA_TOOL_OPTIONS, say); when the JVM ends, fail whatever still waits."""
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                found = _ANSWER.match(line)
                if found:
                    with self.lock:
                        waiting = self.waiting.pop(int(found[1]), None)
                    if waiting is not None:
                        waiting.set_result(found[2])
        finally:
            ended = OSError(f"the JVM ended (exit code {self.process.wait()})")
            with self.lock:
                self.ended = ended
                for answer in self.waiting.values():
                    answer.set_exception(ended)
                self.waiting.clear()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


_JVMS: dict[tuple[str, str, bool], _Jvm] = {}


_STARTING = threading.Lock()


def _jvm(key: tuple[str, str], home: Path, java_security: Path | None) -> _Jvm:
    many = _Workload.many
    slot = (key[0], key[1], many)
    with _STARTING:  # the threads of a fleet ask at once, and share one JVM
        running = _JVMS.get(slot)
        if running is None or running.ended or running.process.poll() is not None:
            running = _JVMS[slot] = _started(home, java_security, many)
        return running


def _started(home: Path, java_security: Path | None, many: bool) -> _Jvm:
    if not _JVMS:
        atexit.register(_close_all)
    command = _compiled(home)
    command[1:1] = [*([] if many else _ONE_PAIR_OPTIONS),
                    *([f"-Djava.security.properties={java_security}"] if java_security is not None else [])]
    return _Jvm(command)


def _close_all() -> None:
    while _JVMS:
        _JVMS.popitem()[1].close()


# -- OpenSSL (Python's ssl) --------------------------------------------------------------------

def _openssl(stores: "Mapping[str, StoreInput]", hostname: str | None) -> Outcome:
    """The same handshake with Python's ssl: stores become PEM files in a private temp folder,
    keys encrypted with a one-time password."""
    import secrets

    from ..formats import pem
    from ..model import Store, TrustedCertEntry
    engine = f"{ssl.OPENSSL_VERSION} (Python ssl)"
    once = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="jkstool-handshake-") as folder:
        paths = {}
        for role in ROLES:
            store = stores[role].loaded.store
            if role.endswith("truststore"):
                store = Store(e for e in store if isinstance(e, TrustedCertEntry))
            else:
                store = Store([next(e for e in store if e.kind == "private-key")])
            paths[role] = Path(folder) / f"{role}.pem"
            paths[role].write_bytes(pem.dump(store, once))
        try:
            server = _context(ssl.PROTOCOL_TLS_SERVER, paths["server-keystore"], paths["server-truststore"], once)
            server.verify_mode = ssl.CERT_REQUIRED
            client = _context(ssl.PROTOCOL_TLS_CLIENT, paths["client-keystore"], paths["client-truststore"], once)
            client.check_hostname = bool(hostname)
        except (ssl.SSLError, OSError, StopIteration) as e:
            return Outcome(False, engine, f"client: not started | server: {e}")
        return _exchange(server, client, hostname, engine)


def _context(protocol: ssl._SSLMethod, keystore: Path, truststore: Path, password: str) -> ssl.SSLContext:
    context = ssl.SSLContext(protocol)
    context.load_cert_chain(keystore, password=password)
    context.load_verify_locations(truststore)
    return context


def _exchange(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str | None, engine: str) -> Outcome:
    listener = socket.create_server(("127.0.0.1", 0))
    seen: dict[str, str] = {}

    def serve() -> None:
        try:
            connection, _ = listener.accept()
            connection.settimeout(10)
            with server.wrap_socket(connection, server_side=True) as tls:
                line = tls.recv(100)
                tls.sendall(b"pong " + line)
            seen["server"] = "ok"
        except (OSError, ssl.SSLError) as e:
            seen["server"] = f"{type(e).__name__}: {e}"

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection(listener.getsockname(), timeout=10) as raw, \
                client.wrap_socket(raw, server_hostname=hostname or "localhost") as tls:
            cipher = tls.cipher()
            established = f"{tls.version()} {cipher[0] if cipher else ''}"
            tls.sendall(b"ping\n")
            answer = tls.recv(100)
            seen["client"] = "ok" if answer == b"pong ping\n" else "the server closed the connection"
    except (OSError, ssl.SSLError) as e:
        seen["client"] = f"{type(e).__name__}: {e}"
    thread.join(15)
    listener.close()
    if seen.get("client") == "ok" and seen.get("server") == "ok":
        return Outcome(True, engine, established)
    return Outcome(False, engine, f"client: {seen.get('client')} | server: {seen.get('server', 'no answer')}")


def outcome_finding(outcome: Outcome, server_keystore: Path | str) -> Finding:
    """verify-pair's finding for a handshake that was run."""
    if outcome.ok:
        return finding("handshake-ok", str(server_keystore), None,
                       f"a real handshake with {outcome.engine} succeeded: {outcome.detail}")
    note = "" if outcome.engine.startswith("JSSE") else (
        " (an OpenSSL cross-check, not JSSE: no Java was found or it was not chosen)")
    return finding("handshake-failed", str(server_keystore), None,
                   f"a real handshake with {outcome.engine} failed{note}: {outcome.detail}",
                   "see the other findings; docs/troubleshooting.md maps each Java message to its cause")
