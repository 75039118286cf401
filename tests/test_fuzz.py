"""Hostile input: every reader, fed mutated real stores, ends in one clean error or a result.

Seeds are real files of each kind (keytool-made JKS, JCEKS and PKCS12, a PEM store, a DER
certificate, a CSR, a CRL), mutated by bit flips, truncation, inflated length fields and
spliced garbage. The run's size comes from JKSTOOL_FUZZ_EXAMPLES (CI's default is small;
set it to thousands for a longer run). Each crash found becomes a named fixture in
fixtures/fuzz/, checked below through the command line.
"""

import os
import signal
import struct
import subprocess
import sys
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives import serialization
from helpers import FIXTURES, FUZZ, PASSWORD, MiniCA, der, sample_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jkstool import formats
from jkstool.errors import JkstoolError
from jkstool.formats import certfile
from jkstool.pki import certs, crl
from jkstool.pki import issue as pki

EXAMPLES = int(os.environ.get("JKSTOOL_FUZZ_EXAMPLES", "400"))


def _seeds():
    ca = MiniCA()
    entry = ca.key_entry("leaf")
    key = serialization.load_der_private_key(entry.key, None)
    request = pki.request(key, certs.load(entry.chain[0]).subject, ["DNS:leaf.example.test"])
    issuer = pki.Issuer(ca.sub_key, ca.sub, (ca.root,))
    revocations, _, _ = crl.revoke(issuer, None, [entry.chain[0]], 30)
    return {
        **{p.name: p.read_bytes() for p in sorted(FIXTURES.glob("jdk*-keytool.*"))},
        "store.pem": formats.dump(sample_store(), "pem", PASSWORD),
        "certificate.der": der(ca.root),
        "request.csr": request.public_bytes(serialization.Encoding.PEM),
        "revocations.crl": revocations,
    }


SEEDS = _seeds()


def _readers(data: bytes):
    yield lambda: formats.load(data, PASSWORD)
    yield lambda: formats.load(data, None)
    yield lambda: formats.load(data, PASSWORD, strict=False)
    yield lambda: certfile.parse_certificates(data)
    yield lambda: pki.load_request(data)
    yield lambda: crl.load(data)


@contextmanager
def hang_guard(seconds: int = 20):
    """Fail a case that hangs (a generous bound, not a speed test)."""
    def alarm(signum, frame):
        raise AssertionError(f"a reader ran for more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "inflate", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "inflate":  # a length field, DER or JKS, claiming far more than there is
            data[at:at + 4] = draw(st.sampled_from([b"\x84\x7f\xff\xff", b"\x7f\xff\xff\xff",
                                                    struct.pack(">I", len(data) * 16), b"\x83\xff\xff"]))
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
    return name, bytes(data)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_readers_survive_mutated_input(case):
    name, data = case
    FUZZ["inputs"] += 1
    for reader in _readers(data):
        FUZZ["calls"] += 1
        with hang_guard():
            try:
                reader()
            except JkstoolError:
                pass


@pytest.mark.parametrize("path", sorted((FIXTURES / "fuzz").iterdir()), ids=lambda p: p.name)
def test_regression_fixtures_are_one_clean_line(path):
    for reader in _readers(path.read_bytes()):
        with hang_guard():
            try:
                reader()
            except JkstoolError:
                pass
    result = subprocess.run([sys.executable, "-m", "jkstool", "list", path], capture_output=True, text=True,
                            env={**os.environ, "JKSTOOL_STOREPASS": PASSWORD})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: ") and result.stderr.count("\n") == 1, result.stderr


def test_unterminated_pem_blocks_are_read_in_linear_time():
    """Regression: the first PEM reader was quadratic on BEGIN lines without an END (a 300 KB
    file took 10 s); the file is made here rather than committed."""
    with hang_guard(20):
        with pytest.raises(JkstoolError, match="no certificate or private key"):
            formats.load(b"-----BEGIN CERTIFICATE-----\nAAAA\n" * 200_000, None)


def test_limits_are_settable(monkeypatch):
    data = formats.dump(sample_store(()), "jks", PASSWORD)
    monkeypatch.setenv("JKSTOOL_MAX_ENTRIES", "1")
    with pytest.raises(JkstoolError, match="raise JKSTOOL_MAX_ENTRIES"):
        formats.load(data, PASSWORD)
    monkeypatch.setenv("JKSTOOL_MAX_ENTRIES", "2")
    assert len(formats.load(data, PASSWORD).store) == 2
