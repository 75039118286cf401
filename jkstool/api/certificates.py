"""Certificates as commands show them: parsed once, their facts named as `list` and reports name them.

These are the core's own functions (jkstool.pki), given here so that a caller —
the command line first — needs no other door.
"""

from pathlib import Path

from ..errors import JkstoolError
from ..pki.certs import UNREADABLE, facts, issuer_of, load, sha256, subject_of
from ..pki.inventory import describe_certificate, iso

__all__ = ["load", "facts", "subject_of", "issuer_of", "sha256", "describe_certificate", "iso", "read_certificates"]


def read_certificates(path: str | Path) -> list[bytes]:
    """The certificates (DER) of a file as `keytool -printcert -file` takes it: a PEM bundle, a DER
    certificate, or a PKCS#7 bundle, PEM or DER (a .p7b, openssl crl2pkcs7's output); errors name it. A
    keystore given instead is said so, with where its certificates are shown."""
    from ..formats import certfile
    from .stores import _kind
    kind = _kind(Path(path))
    if kind in ("JKS", "JCEKS", "PKCS12"):
        raise JkstoolError(f"this is a {kind} store, not a certificate file", "see its certificates with "
                           "jkstool list STORE -v", path=str(path))
    found = certfile.read_certificates(path)
    for number, data in enumerate(found, 1):  # keytool: "Failed to parse input"
        if facts(data).parse_warning == UNREADABLE:
            raise JkstoolError(f"certificate {number} of the file is not a certificate: its DER does not parse",
                               "export it again", path=str(path))
    return found

