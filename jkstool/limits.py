"""Every limit on what the readers accept, in one place, so hostile input cannot make them run away.

Each reader runs in time and memory linear in its input, within these
bounds; hitting one is an error (exit 2) that names the limit and the file
(a path search that spends its budget ends instead, no path found, and the
finding says so).
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
PATH_CANDIDATES = 5_000
"""Candidate issuers one path search tries (anchors checked, intermediates followed): a real chain needs a few,
x509-limbo's chain of 100 same-named CAs 100; but CAs of one name that can each issue another make every order
of them a path (a leaf and nine such CAs: about a million, minutes). The search then ends: no path found."""
PATH_SIGNATURES = 10_000
"""Signatures one path search verifies, each pair of certificate and issuer once: a real chain needs a few, a
chain of 100 same-named CAs (a test case of x509-limbo) 5,050; about a second of verifying."""
PLACEHOLDER_CHARS = 1 << 20
"""Characters that ${...} placeholders fill into the values of one configuration (doctor), in all: a real
one fills in a few hundred; a property made of references to itself grows tenfold a round."""
PLACEHOLDER_ROUNDS = 16
"""Rounds of filling placeholders whose values hold more (doctor): a cycle stops here, left unfilled."""
CONFIG_ENDPOINTS = 256
"""TLS endpoints one configuration sets up (doctor: Tomcat connectors, Kafka listeners), each checked with its
stores: a real one has a few."""
XML_DEPTH = 64
"""Nesting of elements in an XML configuration (doctor: Tomcat's server.xml nests 6 deep)."""
CONFIG_FILE_BYTES = 16 << 20
"""A configuration file doctor reads (properties, YAML, server.xml, JVM flags): a real one is a few kilobytes."""
ENV_FILE_BYTES = 256 << 10
"""An env file (doctor --env): a service's environment is a few kilobytes."""
YAML_VALUES = 100_000
"""Values of one YAML configuration (doctor), aliases counted each time they are followed: an alias bomb is not
a configuration."""
YAML_NESTING = 64
"""Nesting of one YAML configuration (doctor)."""
SERVE_BACKLOG = 128
"""Connections serve's listen queue holds, and the clients it serves at once: as many as the queue holds, so
the connections ahead of a client in it (idle ones from a port scan) cannot keep every worker busy."""
SERVE_VISIT_SECONDS = 10
"""How long one client of serve may take for its handshake and request line, from the moment it is accepted."""
