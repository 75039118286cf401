"""Shared test helpers: a tiny PKI, the fixture files, and the CLI runner."""

import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from jkstool.cli import app
from jkstool.model import PrivateKeyEntry, SecretKeyEntry, Store, TrustedCertEntry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PASSWORD = "changeit"
CREATED = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
KEY_TYPES = ("rsa", "ec", "ed25519")
FUZZ = {"inputs": 0, "calls": 0}  # what test_fuzz tried, reported at the end of the run (conftest)


def new_key(kind: str):
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def _sign_hash(key):
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def certificate(subject_key, cn, issuer=None, issuer_key=None, ca=False, days=365, eku=None,
                start_days=0, usage=None):
    """A certificate for `subject_key`, signed by `issuer_key` (self-signed without one),
    valid from `start_days` from now (negative: in the past) for `days` days; `usage`: its key usage
    extension (none by default, as openssl's CA profile writes none)."""
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=start_days)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_key = issuer_key or subject_key
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer.subject if issuer else name)
               .public_key(subject_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                              critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]),
                                        critical=False)
    return builder.sign(issuer_key, _sign_hash(issuer_key))


def version_4(cert, issuer_key) -> bytes:
    """`cert` (DER) re-signed as X.509 version 4, which OpenSSL reads and Java refuses ("Invalid version")."""
    from cryptography.hazmat.primitives.asymmetric import ec as _ec

    from jkstool import der as asn1
    tbs, algorithm, _ = asn1.items(asn1.decode(der(cert), asn1.SEQUENCE))
    fields = asn1.items(tbs[1])
    assert fields[0][0] == asn1.context(0)
    tbs_der = asn1.sequence(asn1.explicit(0, asn1.integer(3)), *(asn1.encode(t, v) for t, v in fields[1:]))
    signature = issuer_key.sign(tbs_der, _ec.ECDSA(hashes.SHA256()))
    return asn1.sequence(tbs_der, asn1.encode(*algorithm), asn1.encode(0x03, b"\0" + signature))


def der(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pkcs8(key) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class MiniCA:
    """A root CA and an intermediate, issuing leaves of any key type."""

    def __init__(self, name="Test"):
        self.root_key = new_key("ec")
        self.root = certificate(self.root_key, f"{name} Root CA", ca=True)
        self.sub_key = new_key("ec")
        self.sub = certificate(self.sub_key, f"{name} Issuing CA", self.root, self.root_key, ca=True)

    def key_entry(self, alias, kind="ec", created=CREATED, eku=ExtendedKeyUsageOID.SERVER_AUTH):
        key = new_key(kind)
        leaf = certificate(key, f"{alias}.example.test", self.sub, self.sub_key, eku=[eku])
        return PrivateKeyEntry(alias, pkcs8(key), (der(leaf), der(self.sub), der(self.root)), created)

    def trusted(self, alias="root", created=None):
        return TrustedCertEntry(alias, der(self.root), created)


def sample_store(key_types=KEY_TYPES, secret=False, ca=None) -> Store:
    """Several key entries (one per key type), two trusted entries, maybe a secret key."""
    ca = ca or MiniCA()
    other = MiniCA("Partner")
    entries = [ca.key_entry(f"key-{kind}", kind, CREATED + datetime.timedelta(seconds=n))
               for n, kind in enumerate(key_types)]
    entries += [ca.trusted("root"), TrustedCertEntry("partner", der(other.root))]
    if secret:
        entries.append(SecretKeyEntry("secret", "AES", os.urandom(16), CREATED))
    return Store(entries)


def private_copy(name: str, folder: Path) -> Path:
    """A fixture store copied with mode 0600, as a store holding keys should be (git keeps 0644)."""
    target = folder / name
    target.write_bytes((FIXTURES / name).read_bytes())
    target.chmod(0o600)
    return target


def run(*args, env=None):
    """Run jkstool in-process; returns the Result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def shell_command(snippet: str) -> str:
    """The command of a snippet: its comment lines dropped, its continued lines joined."""
    lines = [line for line in snippet.splitlines() if not line.startswith("#")]
    return " ".join(" ".join(lines).replace("\\ ", " ").split())
