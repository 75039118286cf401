"""Certificates as commands show them: parsed once, their facts named as `list` and reports name them.

These are the core's own functions (jkstool.pki), given here so that a caller —
the command line first — needs no other door.
"""

from ..pki.certs import facts, issuer_of, load, sha256, subject_of
from ..pki.inventory import describe_certificate, iso

__all__ = ["load", "facts", "subject_of", "issuer_of", "sha256", "describe_certificate", "iso"]
