"""The model against Java on path-validation cases nobody here wrote: a sample of x509-limbo (BetterTLS's
cases among them) and all of NIST PKITS, judged by the JDK on this machine and by JDK 25
(tests/java/TrustCases.java calls the JDK's own default trust manager). Java's answer is the truth; the
cases' own expected results are not used. The whole corpus: `python tests/x509_cases.py limbo.json`."""

import hashlib
import re
from pathlib import Path

import pytest
import x509_cases
from helpers import FIXTURES

from jkstool.mtls import jdk as jdks

SAMPLE = FIXTURES / "x509-limbo" / "sample.json.gz"
# Where the model and Java part, and why (docs/model.md, "Known limits"); any other disagreement fails.
KNOWN = {
    "pkits::ValidDSAParameterInheritanceTest5EE":
        "a DSA key that inherits its parameters from its issuer: cryptography cannot read the certificate",
}


@pytest.fixture(scope="module")
def corpus():
    vectors = Path(pytest.importorskip("cryptography_vectors").__file__).parent / "x509" / "PKITS_data" / "certs"
    return [*x509_cases.sample(SAMPLE), *x509_cases.pkits(vectors)]


def test_the_sample_is_the_one_the_readme_records():
    recorded = re.search(r"sha256 `([0-9a-f]{64})`", (SAMPLE.parent / "README.md").read_text()).group(1)
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == recorded


def _agreement(corpus, java_command, classes, jdk):
    java = x509_cases.JavaJudge(java_command, classes)
    try:
        answers = [java(case) for case in corpus[:50]]
        tally = x509_cases.compare(corpus, java, jdk)
    finally:
        java.close()
    # The judge itself: it refuses some and accepts some (a harness that always answers one way is broken).
    assert "OK" in answers and any(a.startswith("FAILED") for a in answers)
    return tally


def test_the_model_agrees_with_the_jdk_on_this_machine(corpus, java_classes):
    tally = _agreement(corpus, *java_classes, jdks.find())
    _assert_agrees(tally)


def test_the_model_agrees_with_jdk_25(corpus, java_classes, java_25, jdk25_home):
    tally = _agreement(corpus, java_25, java_classes[1], jdks.find(str(jdk25_home)))
    _assert_agrees(tally)


def _assert_agrees(tally):
    unexplained = [d for d in tally.disagreed if d[0] not in KNOWN]
    assert not unexplained, "\n".join(f"{case}: Java {truth}; model {ours}" for case, truth, ours in unexplained)
    assert tally.total > 800 and tally.agreed / tally.total >= 0.99
