"""Every limit on what the readers accept, in one place, so hostile input cannot make them run away.

Each reader runs in time and memory linear in its input, within these
bounds; hitting one is an error (exit 2) that names the limit and the file.
The defaults are generous for real stores (the JDK's cacerts, a
50,000-certificate truststore); the first four can be raised through the
environment. docs/security.md lists them all.
"""

import os

from .errors import JkstoolError

ASN1_DEPTH = 64
"""Nesting of DER/BER values (PKCS#12, PKCS#8): real files nest under 10 deep."""
PBE_ITERATIONS = 5_000_000
"""Key-derivation iterations of one encrypted item (PKCS#12 key, certificates, MAC; a JCEKS key): Java's own
ceiling (PKCS12KeyStore and com.sun.crypto.provider.KeyProtector: MAX_ITERATION_COUNT)."""
PEM_BLOCK_CHARS = 1 << 20
"""Characters in one PEM block: a certificate or key is a few kilobytes."""
JAVA_ARRAY_ELEMENTS = 1024
"""Elements of a serialized Java array other than byte[] (JCEKS secret keys hold byte arrays only)."""
JAVA_NESTING = 32
"""Nesting of serialized Java objects (a JCEKS sealed key is three deep)."""
JAVA_OBJECTS = 10_000
"""Objects and classes in one serialized Java stream."""
PASSWORD_FILE_BYTES = 4096
"""A password file (--storepass file:PATH)."""


def _setting(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return max(1, int(value))
    except ValueError:
        raise JkstoolError(f"{name}={value!r} is not a number", f"set {name} to a whole number") from None


def max_file_bytes() -> int:
    """A store, PEM or certificate file (JKSTOOL_MAX_FILE_MB, 256 by default)."""
    return _setting("JKSTOOL_MAX_FILE_MB", 256) * 1024 * 1024


def max_entries() -> int:
    """Entries, bags or PEM blocks in one file (JKSTOOL_MAX_ENTRIES, 200,000 by default)."""
    return _setting("JKSTOOL_MAX_ENTRIES", 200_000)


def max_chain() -> int:
    """Certificates in one key entry's chain (JKSTOOL_MAX_CHAIN, 100 by default)."""
    return _setting("JKSTOOL_MAX_CHAIN", 100)


def max_kdf_iterations() -> int:
    """Key-derivation iterations spent on one store in all (JKSTOOL_MAX_KDF_ITERATIONS, 20 million by
    default: about 5 s; keytool's stores spend 10,000 per key): a file of many items each at
    PBE_ITERATIONS would otherwise run for hours."""
    return _setting("JKSTOOL_MAX_KDF_ITERATIONS", 20_000_000)


def too_many(what: str, variable: str) -> JkstoolError:
    return JkstoolError(f"the file holds more {what} than jkstool reads",
                        f"if the file is genuine, raise {variable}")


def exceeded(what: str) -> JkstoolError:
    """A fixed limit hit: the file is not what a keystore tool writes."""
    return JkstoolError(f"{what}: more than jkstool (and Java) reads", "check where the file comes from")


def raise_hint(what: str) -> str:
    """The fix of a size limit hit: which setting raises it."""
    if what == "the file":
        return "check that this is a keystore; if it is, raise JKSTOOL_MAX_FILE_MB"
    return "check the file"


K8S_VALUES = 1_000_000
"""Values (mappings, lists, scalars) in one input of Kubernetes objects, a YAML alias counted each time it is
followed: a List of thousands of Secrets holds far fewer; an alias bomb of a few hundred bytes, billions."""
K8S_NESTING = 64
"""Nesting of the values of one input of Kubernetes objects: a Secret, its managedFields included, nests
under 15 deep."""
K8S_ALIAS_CHARS = 16 << 20
"""Characters that following YAML aliases may add to those of an input of Kubernetes objects (kubectl writes
no aliases)."""
