"""Looking at a store without changing it: what it holds (`inventory`, what `jkstool list` shows), which
runtimes load it as it is (`compat`), and what it would lend a truststore (`trusted_in`).

Each reads the store without its keys (a JKS, or a PKCS12 whose certificates
are not encrypted, opens without a password, unverified), or takes one
already read (a `Loaded`: from a Kubernetes Secret, say).
"""

from pathlib import Path

from ..formats import compat as judging
from ..formats.compat import DECLARED_TYPES, JDKS, CompatReport, Refusal, Verdict
from ..model import Loaded
from ..mtls.jdk import CACERTS_PASSWORD, cacerts
from ..pki.inventory import Inventory, Listed, days_left
from .stores import read_store

__all__ = ["inventory", "Inventory", "Listed", "days_left", "compat", "CompatReport", "Verdict", "Refusal", "JDKS",
           "DECLARED_TYPES", "trusted_in", "cacerts", "CACERTS_PASSWORD"]

StrPath = str | Path


def _loaded(store: StrPath | Loaded, password: str | None) -> Loaded:
    return store if isinstance(store, Loaded) else read_store(store, password, keys=False)


def inventory(store: StrPath | Loaded, *, password: str | None = None, details: bool = False) -> Inventory:
    """What a store holds, entry by entry, as `jkstool list` shows it.

    Iterating gives one `Listed` an entry: its alias, kind, key and its first
    certificate's facts (`leaf`), each worked out only when read, so that a
    table of 10,000 certificates costs what it shows. `to_dict()` is
    `list --json`; with `details`, each certificate's extensions too
    (`list -v`). `verified` says whether a password checked the store's
    integrity; `java_refuses`, which Java releases (8u301 on) refuse the
    store as it is, and why (`compat`'s rules: a `Refusal` each).

    >>> listed = inventory("fixtures/jdk17-keytool.jks", password="changeit")
    >>> listed.type, listed.verified, [(item.alias, item.kind) for item in listed][:2]
    ('JKS', True, [('client', 'private-key'), ('ca', 'trusted-cert')])
    >>> sorted(listed.to_dict()["entries"][0]["certificates"][0])
    ['issuer', 'key_algorithm', 'key_size', 'not_after', 'not_before', 'serial', 'sha256', 'subject']
    >>> inventory("fixtures/jdk17-keytool.p12", password="changeit").java_refuses
    []
    """
    loaded = _loaded(store, password)
    return Inventory.of(loaded, details, judging.java_refusals(loaded))


def compat(store: StrPath | Loaded, *, password: str | None = None, declared_type: str | None = None,
           jdk: str | None = None, name: str | None = None) -> CompatReport:
    """Which runtimes load a store as it is — Java 8 to 26, OpenSSL, Go, Python's cryptography — judged
    by its real algorithms (docs/formats.md's table; no runtime is run), and for each that cannot, the
    command that converts it.

    `declared_type` is the type the application declares (KeyStore.getInstance,
    javax.net.ssl.trustStoreType) when it is not the file name's. With `jdk`
    (a key of `JDKS`: "8", "8u301", "11", "17"...), the report's `ok` says
    whether that Java loads it. `name` is how the fixes name the store (default:
    its path; for a `Loaded`, STORE).

    >>> report = compat("fixtures/jdk17-keytool.p12", password="changeit", jdk="8")
    >>> report.ok, report.verdict("17").loads, list(report.fixes())
    (False, True, ['jkstool convert fixtures/jdk17-keytool.p12 OUT.p12 --profile legacy'])
    """
    judging.validate(declared_type, jdk)
    path = name or ("STORE" if isinstance(store, Loaded) else str(store))
    return judging.report(_loaded(store, password), path, declared_type, jdk)


def trusted_in(store: StrPath | Loaded, password: str | None = None) -> list[bytes]:
    """The certificates a store would lend a truststore (`import-ca --from-store`), DER: its trusted
    certificates, and the top of each key entry's chain (the CA that issued it, or itself).

    >>> len(trusted_in("fixtures/jdk17-keytool.jks", "changeit")) >= 2
    True
    """
    from ..pki.trust import certificates_of_store
    return certificates_of_store(_loaded(store, password).store)

