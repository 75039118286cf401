"""Hostile files, each once found to hang jkstool or exhaust its memory, and a bounded way to run them.

Every case is a small generator of the file (scaled: 1 in the test suite, larger in a stress run)
and the command that reads it. `measure` runs the command in a subprocess and reports its exit
code, stderr, wall time and peak memory (the child's own maximum resident set, from wait4).

Run as a script for the stress sizes (docs/reliability.md):

    python tests/hostile.py --scale 6
"""

import argparse
import hashlib
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PASSWORD = "changeit"
MIB = 1 << 20


# -- DER, written out by hand: these files are what no library would write --------------------

def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _oid(dotted: str) -> bytes:
    first, second, *rest = map(int, dotted.split("."))
    out = bytearray([first * 40 + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _pfx(*content_infos: bytes) -> bytes:
    """A PKCS#12 PFX without a MAC (Java and jkstool read those) around the given ContentInfos."""
    data = _tlv(0x04, _seq(*content_infos))
    return _seq(_int(3), _seq(_oid("1.2.840.113549.1.7.1"), _tlv(0xA0, data)))


# -- the cases ----------------------------------------------------------------------------------

def asn1_nesting(scale: int) -> bytes:
    """40 levels of indefinite-length SEQUENCEs in a PKCS#12 (parse time once doubled per level), then
    50,000 levels more than any reader should follow."""
    depth = 40 if scale == 1 else 50_000 * scale
    nested = b"\x30\x80" * depth + b"\x00\x00" * depth
    return _pfx(_seq(_oid("1.2.840.113549.1.7.1"), _tlv(0xA0, _tlv(0x04, nested))))


def p12_many_blobs(scale: int, iterations: int = 5_000_000) -> bytes:
    """Encrypted SafeContents, each at Java's ceiling of 5,000,000 PBKDF2 iterations: one store that
    would take hours with the right password. (One key serves them all, so making it is quick; fewer
    `iterations` make the same file cheap to make for a test that lowers the store's budget to match.)"""
    salt, iv = b"s" * 16, b"i" * 16
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(PASSWORD.encode())
    padder = padding.PKCS7(128).padder()
    plain = padder.update(_seq()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(plain) + encryptor.finalize()
    pbes2 = _seq(_oid("1.2.840.113549.1.5.13"), _seq(
        _seq(_oid("1.2.840.113549.1.5.12"), _seq(_tlv(0x04, salt), _int(iterations),
                                                  _seq(_oid("1.2.840.113549.2.9"), b"\x05\x00"))),
        _seq(_oid("2.16.840.1.101.3.4.1.42"), _tlv(0x04, iv))))
    encrypted_data = _seq(_int(0), _seq(_oid("1.2.840.113549.1.7.1"), pbes2, _tlv(0x80, ciphertext)))
    blob = _seq(_oid("1.2.840.113549.1.7.6"), _tlv(0xA0, encrypted_data))
    return _pfx(*[blob] * (1000 * scale))


def _jceks(entries: bytes, count: int) -> bytes:
    body = b"\xce\xce\xce\xce" + struct.pack(">II", 2, count) + entries
    return body + hashlib.sha1(PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite" + body).digest()


def _entry_head(tag: int, alias: str) -> bytes:
    return struct.pack(">IH", tag, len(alias)) + alias.encode() + struct.pack(">q", 0)


def jceks_iterations(scale: int) -> bytes:
    """A JCEKS key protected with 2^31-1 iterations of PBEWithMD5AndTripleDES (~41 min to open;
    keytool refuses it at once)."""
    params = _seq(_tlv(0x04, b"saltsalt"), _int(2**31 - 1))
    epki = _seq(_seq(_oid("1.3.6.1.4.1.42.2.19.1"), params), _tlv(0x04, b"\0" * 32))
    entry = _entry_head(1, "key") + struct.pack(">I", len(epki)) + epki + struct.pack(">I", 0)
    return _jceks(entry, 1)


def jceks_short_array(scale: int) -> bytes:
    """A JCEKS secret-key entry whose serialized object is a 40 MB short[] (once 833 MiB to list)."""
    count = 20 * MIB * scale
    array = (b"\xac\xed\x00\x05\x75\x72" + struct.pack(">H", 2) + b"[S" + b"\0" * 8 + b"\x02\x00\x00\x78\x70"
             + struct.pack(">i", count) + b"\0" * (2 * count))
    return _jceks(_entry_head(3, "secret") + array, 1)


def pem_unterminated(scale: int) -> bytes:
    """One PEM block of short lines that never ends: 40 MB (once 1.2 GiB)."""
    return b"-----BEGIN CERTIFICATE-----\n" + b"AAAA\n" * (8 * MIB * scale)


def pem_tiny_blocks(scale: int) -> bytes:
    """A million empty PEM blocks (once 443 MiB); at most four million, to stay under the file size limit."""
    return b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" * (1_000_000 * min(scale, 4))


def yaml_alias_bomb(scale: int) -> bytes:
    """A Secret whose data value is lists of nine aliases of the list before, 8 + `scale` deep: 9**9 values
    once followed at scale 1, from a few hundred bytes."""
    levels = 8 + scale
    lines = ["apiVersion: v1", "kind: Secret", "metadata: {name: app-server}", 'a0: &a0 ["lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    lines.append(f"data: {{keystore.p12: *a{levels}}}")
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[int], bytes]
    file: str
    command: tuple[str, ...]
    """The jkstool command; FILE stands for the hostile file."""
    says: str
    """What the one error line must say."""
    password: bool = True
    """Whether the store password is given (JKSTOOL_STOREPASS); `list` reads certificates without one."""


CASES = [
    Case("asn1-nesting", asn1_nesting, "nested.p12", ("list", "FILE"), "error: FILE: "),
    Case("pkcs12-many-blobs", p12_many_blobs, "blobs.p12", ("list", "FILE"), "key-derivation iterations in all"),
    Case("jceks-iterations", jceks_iterations, "slow.jceks", ("convert", "FILE", "OUT.p12"),
         "2,147,483,647 key-derivation iterations"),
    Case("jceks-short-array", jceks_short_array, "array.jceks", ("list", "FILE"), "error: FILE: ", password=False),
    Case("pem-unterminated", pem_unterminated, "open.pem", ("list", "FILE"), "error: FILE: "),
    Case("pem-tiny-blocks", pem_tiny_blocks, "tiny.pem", ("list", "FILE"), "error: FILE: "),
    Case("secrets-alias-bomb", yaml_alias_bomb, "secrets.yaml", ("expiry", "FILE"), "an alias bomb?"),
]


# -- running a command within bounds --------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float


_WAITER = """
import json, os, subprocess, sys, threading, time
report, timeout, args = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
start = time.monotonic()
child = subprocess.Popen(args)
threading.Timer(timeout, child.kill).start()
_, status, usage = os.wait4(child.pid, 0)
with open(report, "w") as out:
    json.dump([os.waitstatus_to_exitcode(status), time.monotonic() - start, usage.ru_maxrss / 1024], out)
os._exit(0)  # without waiting for the timer
"""
"""Runs the command and reports on it from a small process of its own: a child's peak memory counts the
pages of the process it was forked from, so one forked from the test process would show the test's."""


def measure(args, env=None, timeout: float = 300, stdin=subprocess.DEVNULL) -> Outcome:
    """Run `python -m jkstool ARGS` with `env` added to this environment (a None value removes the
    variable): its exit code, output, wall time and peak resident memory."""
    import json
    import tempfile
    env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        result = subprocess.run([sys.executable, "-c", _WAITER, report, str(timeout), sys.executable, "-m",
                                 "jkstool", *map(str, args)], stdin=stdin, capture_output=True, env=env)
        code, seconds, peak = json.loads(report.read_text())
    return Outcome(code, result.stdout.decode(), result.stderr.decode(errors="replace"), seconds, peak)


def run_case(case: Case, folder: Path, scale: int, env=None, timeout: float = 300) -> tuple[Outcome, int]:
    """Make the case's file in `folder` and run its command: (outcome, the file's size)."""
    path = folder / case.file
    path.write_bytes(case.make(scale))
    args = [str(path) if a == "FILE" else str(folder / a) if a == "OUT.p12" else a for a in case.command]
    env = {"JKSTOOL_STOREPASS": PASSWORD if case.password else None, **(env or {})}
    return measure(args, env, timeout), path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=6, help="input size multiplier (the suite uses 1)")
    scale = parser.parse_args().scale
    import tempfile
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for case in CASES:
            outcome, size = run_case(case, Path(folder), scale)
            line = outcome.stderr.strip().replace(folder, "…")
            ok = outcome.code == 2 and outcome.stderr.count("\n") == 1
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {case.name:20} {size / MIB:8.1f} MiB in  {outcome.seconds:6.2f} s  "
                  f"{outcome.peak_mib:7.1f} MiB peak  exit {outcome.code}: {line[:100]}")
        for name, make, file in _configurations():
            path = Path(folder) / file
            path.write_bytes(make(scale))
            outcome = measure(["doctor", path])
            line = (outcome.stderr.strip() or outcome.stdout.strip().splitlines()[0]).replace(folder, "…")
            ok = outcome.code in (1, 2) and "Traceback" not in outcome.stderr and outcome.seconds < 10 * scale
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:20} {path.stat().st_size / MIB:8.1f} MiB in  "
                  f"{outcome.seconds:6.2f} s  {outcome.peak_mib:7.1f} MiB peak  exit {outcome.code}: {line[:100]}")
    return 1 if failed else 0


def _configurations() -> list[tuple[str, Callable[[int], bytes], str]]:
    """doctor's hostile configuration files (tests/test_hostile_doctor.py makes them): each ends in a verdict or
    one error line, in time linear in its size."""
    import test_hostile_doctor as made
    return [("doctor-doctypes", made.tomcat_doctypes, "server.xml"),
            ("doctor-protocols", made.tomcat_protocols, "server.xml"),
            ("doctor-nesting", made.tomcat_nesting, "server.xml"),
            ("doctor-backslashes", made.properties_backslashes, "application.properties"),
            ("doctor-continuations", made.properties_continuations, "application.properties"),
            ("doctor-expansion", made.properties_expansion, "application.properties")]


if __name__ == "__main__":
    sys.exit(main())
