"""Keys and certificates for mutual TLS: a CA, and server and client leaves.

The profiles are what Java and browsers expect. CA: basicConstraints CA:true
(critical), keyCertSign and cRLSign. Server: its SANs (modern clients ignore
the CN), EKU serverAuth, digitalSignature (+ keyEncipherment for RSA key
exchange). Client: EKU clientAuth, digitalSignature. Every certificate has
subject and authority key identifiers and a random positive serial of at
most 20 bytes (RFC 5280).
"""

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes, PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..errors import JkstoolError
from . import certs
from .certs import PARSE_ERRORS

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey \
    | dsa.DSAPrivateKey
"""The keys that can sign a certificate."""
SIGNING_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey,
                dsa.DSAPrivateKey)
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey \
    | dsa.DSAPublicKey
"""The public halves of PrivateKey: the keys a signature by an issuer is checked with."""
VERIFYING_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey,
                  dsa.DSAPublicKey)
KEY_TYPES = ("ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519")
PROFILES = ("ca", "server", "client")
BACKDATE = datetime.timedelta(hours=1)  # tolerate a peer whose clock is a little behind


def new_key(key_type: str) -> PrivateKey:
    """A fresh private key of one of KEY_TYPES, from the OS's randomness."""
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type in KEY_TYPES and key_type.startswith("rsa-"):  # a size of KEY_TYPES only (layout.json is input)
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[4:]))
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise JkstoolError(f"unknown key type {key_type!r}", f"use one of {', '.join(KEY_TYPES)}")


def signature_hash(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | None:
    """The hash to sign with: none for Ed25519, SHA-384 for large EC keys, else SHA-256."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


def parse_san(text: str) -> x509.GeneralName:
    """`DNS:name`, `IP:address`, `URI:uri` or `email:address`."""
    kind, _, value = text.partition(":")
    kind = kind.strip().lower()
    if not value:
        raise JkstoolError(f"sans=... {text!r} has no value",
                           "write it as DNS:name, IP:address, URI:uri or email:address")
    if kind == "dns":
        return x509.DNSName(value)
    if kind == "ip":
        try:
            return x509.IPAddress(ipaddress.ip_address(value))
        except ValueError:
            raise JkstoolError(f"sans=... {text!r} is not an IP address") from None
    if kind == "uri":
        return x509.UniformResourceIdentifier(value)
    if kind == "email":
        return x509.RFC822Name(value)
    raise JkstoolError(f"sans=... {text!r} has an unknown type",
                       "write it as DNS:name, IP:address, URI:uri or email:address")


_SAN_TYPES = (x509.DNSName, x509.IPAddress, x509.UniformResourceIdentifier, x509.RFC822Name)


def san_text(name: x509.GeneralName) -> str:
    prefix = {x509.DNSName: "DNS", x509.IPAddress: "IP", x509.UniformResourceIdentifier: "URI",
              x509.RFC822Name: "email"}[type(name)]
    return f"{prefix}:{name.value}"


def default_sans(cn: str) -> list[str]:
    """What a server called `cn` is dialled by: localhost gets its loopback addresses too."""
    if cn == "localhost":
        return ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    try:
        return [f"IP:{ipaddress.ip_address(cn)}"]
    except ValueError:
        return [f"DNS:{cn}"]


@dataclass
class Issuer:
    """A CA that can sign: its key, its certificate, and the chain above it (to the root)."""

    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @classmethod
    def of(cls, key: PrivateKey, chain: list[x509.Certificate]) -> "Issuer":
        """A CA someone brings: `chain` is its certificate, then its issuers; `key` must be its own."""
        if not certs.public_key_matches(key, der(chain[0])):
            raise JkstoolError("the CA key does not belong to the first certificate of the CA file",
                               "give the issuing CA first, and its own key")
        return cls(key, chain[0], tuple(chain[1:]))

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The issuing CA, then its issuers up to the root."""
        return (self.cert, *self.chain)

    @property
    def root(self) -> x509.Certificate:
        return self.certificates[-1]


def _name(cn: str, organization: str | None = None) -> x509.Name:
    try:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    except ValueError:  # RFC 5280's bounds, counted in UTF-8 bytes by cryptography
        if not cn:
            raise JkstoolError("the CN is empty", "give a CN") from None
        raise JkstoolError(f"the CN {cn!r} is {len(cn.encode())} bytes in UTF-8, more than the 64 a certificate "
                           "is written with", "give a shorter CN") from None
    if organization:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def issuer_public_key(cert: x509.Certificate) -> PublicKey:
    """The key of an issuer's certificate, refused when it is of a kind that cannot sign (X25519, ...):
    cryptography checks signatures and builds key identifiers with signing keys only."""
    key = cert.public_key()
    if not isinstance(key, VERIFYING_KEYS):
        raise JkstoolError(f"the key of {certs.subject_of(cert)} is a {type(key).__name__}, which cannot sign "
                           "certificates or CRLs", "give a CA whose key is RSA, EC, Ed25519, Ed448 or DSA")
    return key


def _ski(cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key(cert))


def days_after(now: datetime.datetime, days: int) -> datetime.datetime:
    """The end of a validity of `days` from `now`: at least a day, and no later than X.509's last date."""
    try:
        if days >= 1:
            return now + datetime.timedelta(days=days)
    except OverflowError:
        raise JkstoolError(f"a validity of {days} days ends after 9999-12-31, the last date X.509 writes",
                           "give fewer days") from None
    raise JkstoolError(f"a validity of {days} days is none", "give one day or more")


def new_ca(cn: str, key_type: str, days: int, organization: str | None = "jkstool") -> Issuer:
    """A self-signed root CA."""
    key = new_key(key_type)
    now = datetime.datetime.now(datetime.timezone.utc)
    name = _name(cn, organization)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(days_after(now, days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                           critical=False)
            .sign(key, signature_hash(key)))
    return Issuer(key, cert)


def _key_usage(signature: bool = False, encipherment: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signature, content_commitment=False,
                         key_encipherment=encipherment, data_encipherment=False,
                         key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
                         encipher_only=False, decipher_only=False)


def issue(issuer: Issuer, public_key: CertificatePublicKeyTypes, subject: str | x509.Name, profile: str, days: int,
          sans: Sequence[str] = ()) -> x509.Certificate:
    """A certificate for `public_key` with `profile`'s extensions, capped at the issuer's expiry.

    `subject` is a CN, or a whole name (a CSR's)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    not_after = min(days_after(now, days), issuer.cert.not_valid_after_utc)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject) if isinstance(subject, str) else subject)
               .issuer_name(issuer.cert.subject)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - BACKDATE)
               .not_valid_after(not_after)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(_ski(issuer.cert), critical=False))
    if profile == "ca":
        builder = (builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(_key_usage(cert_sign=True), critical=True))
    else:
        rsa_key = isinstance(public_key, rsa.RSAPublicKey)
        eku = ExtendedKeyUsageOID.SERVER_AUTH if profile == "server" else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(_key_usage(signature=True, encipherment=rsa_key and profile == "server"),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([eku]), critical=False))
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([parse_san(s) for s in sans]), critical=False)
    return builder.sign(issuer.key, signature_hash(issuer.key))


def self_signed(key: PrivateKey, cn: str, days: int, sans: Sequence[str] = ()) -> x509.Certificate:
    """A placeholder certificate for a new key, as keytool -genkeypair makes: self-signed,
    to be replaced by a CA's reply."""
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(cn)).issuer_name(_name(cn))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - BACKDATE)
               .not_valid_after(days_after(now, days))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([parse_san(s) for s in sans]), critical=False)
    return builder.sign(key, signature_hash(key))


def request(key: PrivateKey, subject: x509.Name, sans: Sequence[str] = ()) -> x509.CertificateSigningRequest:
    """A PKCS#10 request for `key`, as keytool -certreq makes, with the SANs asked for."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([parse_san(s) for s in sans]), critical=False)
    return builder.sign(key, signature_hash(key))


def sans_of(item: x509.Certificate | x509.CertificateSigningRequest) -> list[str]:
    """The SANs a certificate carries, or a request asks for, as DNS:/IP:/URI:/email: text."""
    try:
        names = item.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [san_text(n) for n in names if type(n) in _SAN_TYPES]


def sign_request(issuer: Issuer, csr: x509.CertificateSigningRequest, profile: str, days: int,
                 sans: list[str] | None = None) -> x509.Certificate:
    """The CA side of a request (keytool -gencert): the profile, not the request, decides the
    extensions; the SANs come from the request unless `sans` replaces them."""
    if profile not in PROFILES:
        raise JkstoolError(f"unknown profile {profile!r}", f"use one of {', '.join(PROFILES)}")
    try:
        valid = csr.is_signature_valid
    except ValueError:  # a public key cryptography cannot load ("Invalid key")
        valid = False
    if not valid:
        raise JkstoolError("the request's signature does not verify: it is damaged or forged",
                           "ask for the request again")
    return issue(issuer, csr.public_key(), csr.subject, profile, days,
                 sans_of(csr) if sans is None else sans)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pkcs8(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def load_ca_chain(data: bytes) -> list[x509.Certificate]:
    """A CA certificate file: the issuing CA first, then its issuers (PEM)."""
    try:
        chain = x509.load_pem_x509_certificates(data)
    except PARSE_ERRORS:
        raise JkstoolError("no PEM certificate in the CA certificate file",
                           "give the issuing CA's certificate, then its issuers, in PEM") from None
    constraints = certs.extension(chain[0], x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        raise JkstoolError("the CA certificate is not a CA (no basicConstraints CA:true)",
                           "give a CA certificate; Java refuses leaves signed by a non-CA")
    return chain


def load_private_key(data: bytes, password: str | None, given_as: str = "ca_password=...") -> PrivateKey:
    """A CA's PEM private key, encrypted or not; `given_as` is how the caller's API takes its password. A key
    in the clear is read whatever password comes with it (a layout offers its store password by default)."""
    secret = password.encode() if password else None
    try:
        try:
            key = serialization.load_pem_private_key(data, secret)
        except TypeError:
            if secret is None:
                raise JkstoolError("the CA key is encrypted", f"give its password with {given_as}") from None
            key = serialization.load_pem_private_key(data, None)
    except ValueError:
        raise JkstoolError(f"the CA key cannot be read: wrong {given_as}, or not a PEM private key",
                           f"check {given_as} and the file") from None
    return signing_key(key)


def signing_key(key: PrivateKeyTypes) -> PrivateKey:
    """`key`, refused when it is of a kind that cannot sign (X25519, X448, DH, ML-KEM)."""
    if not isinstance(key, SIGNING_KEYS):
        raise JkstoolError(f"a {type(key).__name__} cannot sign", "use an RSA, EC, Ed25519, Ed448 or DSA key")
    return key


def load_pkcs8(pkcs8: bytes) -> PrivateKey:
    """A key entry's PKCS#8 DER as a key that signs (certificates, requests, TLS handshakes)."""
    return signing_key(serialization.load_der_private_key(pkcs8, None))


def load_request(data: bytes) -> x509.CertificateSigningRequest:
    """A PKCS#10 request, PEM or DER."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except PARSE_ERRORS:
        raise JkstoolError("not a PKCS#10 certificate request", "give the .csr file") from None
