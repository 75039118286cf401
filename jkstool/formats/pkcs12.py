"""PKCS12 read and write, entry for entry the way Java's PKCS12 keystore does it.

cryptography's `load_pkcs12` keeps one key of a multi-key file and its
`serialize_key_and_certificates` writes one, so the SafeContents are built and
read here. What Java expects, and writes (keytool 17):

- keys in pkcs8ShroudedKeyBags and secret keys in secretBags, each with
  friendlyName = alias and localKeyId = "Time <creation millis>";
- certificates in one encrypted SafeContents: a key's leaf carries the key's
  friendlyName and localKeyId, trusted certificates carry Java's
  trusted-usage attribute (without it Java does not see them at all);
- an HMAC over the whole, keyed from the password by RFC 7292.

PKCS12 files do not record chains: Java pairs a key with the certificate of
the same localKeyId and links issuers from all certificates in the file, and
so does this reader (see `certs.build_chain`).
"""

from dataclasses import dataclass, replace
from datetime import datetime

from .. import der, limits
from ..errors import (
    JkstoolError,
    KeyPasswordError,
    PasswordError,
    damaged,
    key_not_read,
    wrong_key_password,
    wrong_password,
)
from ..model import Entry, Loaded, PrivateKeyEntry, Protection, SecretKeyEntry, Store, TrustedCertEntry
from . import _pbe as pbe
from ._javaattrs import JAVA_TRUSTED_USAGE, creation_date, key_ids
from ._opener import KeyOpener

DATA = "1.2.840.113549.1.7.1"
ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
KEY_BAG = "1.2.840.113549.1.12.10.1.1"
SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
CERT_BAG = "1.2.840.113549.1.12.10.1.3"
SECRET_BAG = "1.2.840.113549.1.12.10.1.5"
SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6"
X509_CERT = "1.2.840.113549.1.9.22.1"
FRIENDLY_NAME = "1.2.840.113549.1.9.20"
LOCAL_KEY_ID = "1.2.840.113549.1.9.21"
ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0"

# Java's names for the secret-key algorithms its PKCS12 keystore can store
# (it refuses the rest: "unrecognized algorithm name").
SECRET_KEY_OIDS = {
    "AES": "2.16.840.1.101.3.4.1",
    "DES": "1.3.14.3.2.7",
    "DESede": "1.3.14.3.2.17",
    "HmacSHA1": "1.2.840.113549.2.7",
    "HmacSHA224": "1.2.840.113549.2.8",
    "HmacSHA256": "1.2.840.113549.2.9",
    "HmacSHA384": "1.2.840.113549.2.10",
    "HmacSHA512": "1.2.840.113549.2.11",
    "HmacSHA512/224": "1.2.840.113549.2.12",
    "HmacSHA512/256": "1.2.840.113549.2.13",
    "HmacSHA3-224": "2.16.840.1.101.3.4.2.13",
    "HmacSHA3-256": "2.16.840.1.101.3.4.2.14",
    "HmacSHA3-384": "2.16.840.1.101.3.4.2.15",
    "HmacSHA3-512": "2.16.840.1.101.3.4.2.16",
    "PBKDF2WithHmacSHA1": "1.2.840.113549.1.5.12",
}
_SECRET_KEY_NAMES = {oid: name for name, oid in SECRET_KEY_OIDS.items()}
_MAX_NESTING = 8

PASSWORD_NEEDED = PasswordError(
    "the PKCS12 store's certificates are encrypted: a password is needed to read them",
    "give password=...")


# -- reading -------------------------------------------------------------------

# What each kind of bag gives: (alias, key id, pkcs8, own key password),
# (alias, algorithm, key, created, own key password) and (alias, key id, der, trusted).
_KeyBag = tuple[str | None, bytes | None, bytes | None, str | None]
_SecretBag = tuple[str | None, str | None, bytes | None, datetime | None, str | None]
_CertBag = tuple[str | None, bytes | None, bytes, bool]


class _Bags:
    """What the SafeBags hold, in file order, before keys meet their certificates."""

    def __init__(self, opener: KeyOpener):
        self.opener = opener
        self.keys: list[_KeyBag] = []
        self.secrets: list[_SecretBag] = []
        self.certs: list[_CertBag] = []
        self.order: list[tuple[str, int]] = []  # ("key"|"secret"|"cert", index): Java's entry order
        self.unnamed = 0
        self.skipped = 0
        self.plain_keys = 0
        self.count = 0
        self.key_schemes: set[str] = set()
        self.cert_schemes: set[str] = set()
        self.iterations = 0
        self.salt: int | None = None

    def saw(self, schemes: set[str], algorithm_id: bytes) -> None:
        """Note an encryption scheme met (compat judges runtimes by them)."""
        name, count, salt = pbe.scheme(algorithm_id)
        schemes.add(name)
        self.iterations = max(self.iterations, count)
        self.salted(salt)

    def salted(self, size: int | None) -> None:
        """Note a salt's length: the shortest is kept (Java refuses one under 8 bytes)."""
        if size is not None and (self.salt is None or size < self.salt):
            self.salt = size

    def unfriendly_name(self) -> str:
        """Java names an entry without friendlyName "1", "2"... in load order."""
        self.unnamed += 1
        return str(self.unnamed)


def load(data: bytes, password: str | None, opener: KeyOpener, check_mac: bool = True) -> Loaded:
    """Read a PKCS12 store; with no password, only if its certificates are not encrypted; its MAC checked
    unless `check_mac` is False."""
    try:
        version, auth_safe, *rest = der.fields(der.decode(data, der.SEQUENCE), der.INTEGER, der.SEQUENCE,
                                               optional=(der.SEQUENCE,))
        if der.to_int(version) != 3:
            raise JkstoolError(f"unsupported PKCS12 version {der.to_int(version)}")
        content_type, content = der.fields(auth_safe, der.OID, der.context(0))[:2]
        if der.to_oid(content_type) != DATA:
            raise JkstoolError("public-key protected PKCS12 files are not supported",
                               "export the store again with password protection")
        auth_data = der.decode(content, der.OCTET_STRING)
        verified = False
        if rest and password is not None and check_mac:
            _check_mac(rest[0], password, auth_data)
            verified = True
        bags = _Bags(opener)
        try:
            for _, info in der.items(der.decode(auth_data, der.SEQUENCE)):
                _read_content_info(info, password, bags)
        except KeyPasswordError as e:
            if verified or password is None:
                raise
            raise replace(e, fix="check password=...: without an integrity check, the store cannot tell a wrong "
                                 "store password from a key's own; or give the key's own with key_password=...") \
                from None
        integrity = _integrity(rest[0]) if rest else None
        if integrity not in (None, "pbmac1"):  # PBMAC1's MacData salt is ignored (RFC 9579)
            bags.salted(len(der.fields(rest[0], der.SEQUENCE, der.OCTET_STRING)[1]))
    except (der.DerError, IndexError):
        raise damaged("PKCS12") from None
    store, warnings, strays = _assemble(bags)
    if not rest and bags.keys:  # a truststore without one is a choice keytool offers (macAlgorithm NONE)
        warnings.append("the keystore has no integrity check (no MAC): a change to the file would go unnoticed "
                        "(Java reads it all the same)")
    protection = Protection(integrity, frozenset(bags.key_schemes), frozenset(bags.cert_schemes), bags.iterations,
                            bags.salt, password is None or password.isascii())
    return Loaded("PKCS12", store, verified, warnings, protection=protection, stray_certificates=strays)


def _integrity(mac_data: bytes) -> str:
    """The name of a MacData's algorithm: hmac-sha256 (the PKCS #12 KDF) ... or pbmac1."""
    digest_info = der.fields(mac_data, der.SEQUENCE)[0]
    algorithm = der.to_oid(der.fields(der.fields(digest_info, der.SEQUENCE)[0], der.OID)[0])
    if algorithm == pbe.PBMAC1:
        return "pbmac1"
    return f"hmac-{pbe.DIGESTS[algorithm]}" if algorithm in pbe.DIGESTS else pbe.KNOWN_UNSUPPORTED.get(algorithm,
                                                                                                       algorithm)


def _check_mac(mac_data: bytes, password: str, auth_data: bytes) -> None:
    digest_info, salt, *more = der.fields(mac_data, der.SEQUENCE, der.OCTET_STRING, optional=(der.INTEGER,))
    iterations = der.to_int(more[0]) if more else 1
    algorithm_id, expected = der.fields(digest_info, der.SEQUENCE, der.OCTET_STRING)
    algorithm = der.to_oid(der.fields(algorithm_id, der.OID)[0])
    if algorithm == pbe.PBMAC1:
        _check_pbmac1(algorithm_id, expected, password, auth_data, salt, iterations)
        return
    if algorithm not in pbe.DIGESTS:
        name = pbe.KNOWN_UNSUPPORTED.get(algorithm, algorithm)
        raise JkstoolError(f"unsupported PKCS12 integrity algorithm {name}",
                           "export the store again with an HMAC-SHA256 MAC")
    digest = pbe.DIGESTS[algorithm]
    try:
        candidates = [password, "\0"] if password == "" else [password]
        if not any(pbe.mac(digest, pw, salt, iterations, auth_data) == expected
                   for pw in candidates):
            raise wrong_password()
    except pbe.PbeError:
        raise damaged("PKCS12") from None


def _check_pbmac1(algorithm_id: bytes, expected: bytes, password: str, auth_data: bytes, mac_salt: bytes,
                  mac_iterations: int) -> None:
    """RFC 9579's integrity check. When it fails, a MAC that MacData's own (ignored) salt or iteration count
    would verify is named: the writer took the wrong fields, and the file is refused as the RFC asks."""
    parts = der.items(algorithm_id)
    if len(parts) < 2 or parts[1][0] != der.SEQUENCE:
        raise JkstoolError("the PKCS12 integrity check is PBMAC1 without its parameters, which RFC 9579 refuses",
                           "export the store again")
    try:
        params = pbe.Pbmac1.parse(parts[1][1])
        if params.digest(password, auth_data) == expected:
            return
    except pbe.PbeError as e:
        raise JkstoolError(f"the PKCS12 integrity check cannot be used: {e}", "export the store again") from None
    except pbe.UnsupportedPbe as e:
        raise JkstoolError(f"unsupported PKCS12 integrity algorithm: {e}",
                           "export the store again with PBMAC1 HMAC-SHA256 or an HMAC-SHA256 MAC") from None
    for field, variant in (("iteration count", replace(params, iterations=mac_iterations)),
                           ("salt", replace(params, salt=mac_salt))):
        if variant != params and variant.digest(password, auth_data) == expected:
            raise JkstoolError(f"the PBMAC1 integrity check was computed with MacData's {field}, which RFC 9579 "
                               "says is ignored: the file was written wrongly", "export the store again")
    raise wrong_password()


def _read_content_info(info: bytes, password: str | None, bags: _Bags) -> None:
    type_der, content = der.fields(info, der.OID, der.context(0))[:2]
    content_type = der.to_oid(type_der)
    if content_type == DATA:
        _read_safe_contents(der.decode(content, der.OCTET_STRING), bags, clear=True)
    elif content_type == ENCRYPTED_DATA:
        _, encrypted_info = der.fields(der.decode(content, der.SEQUENCE), der.INTEGER, der.SEQUENCE)
        _, algorithm_id, ciphertext = der.fields(encrypted_info, der.OID, der.SEQUENCE, None)
        bags.saw(bags.cert_schemes, algorithm_id)
        if password is None:
            raise PASSWORD_NEEDED
        try:
            plain = pbe.decrypt(algorithm_id, ciphertext, password)
        except pbe.PbeError:
            raise wrong_password() from None
        except pbe.UnsupportedPbe as e:
            raise _unsupported(e) from None
        _read_safe_contents(plain, bags)
    else:
        raise JkstoolError("public-key encrypted PKCS12 content is not supported",
                           "export the store again with password protection")


def _unsupported(e: pbe.UnsupportedPbe) -> JkstoolError:
    return JkstoolError(f"unsupported PKCS12 protection: {e}",
                        "export the store again with AES-256, keytool 17's default")


def _read_safe_contents(data: bytes, bags: _Bags, depth: int = 0, clear: bool = False) -> None:
    if depth > _MAX_NESTING:
        raise der.DerError("safe contents nested too deeply")
    safe_bags = der.items(der.decode(data, der.SEQUENCE))
    bags.count += len(safe_bags)
    if bags.count > limits.max_entries():
        raise limits.too_many("bags", "JKSTOOL_MAX_ENTRIES")
    for index, (_, bag) in enumerate(safe_bags):
        parts = der.items(bag)
        if len(parts) < 2 or parts[0][0] != der.OID or parts[1][0] != der.context(0):
            raise der.DerError("bad SafeBag")
        bag_id, value = der.to_oid(parts[0][1]), parts[1][1]
        alias, key_id, trusted = _attributes(parts[2][1] if len(parts) > 2 else b"")
        if bag_id == KEY_BAG:
            bags.plain_keys += 1  # Java's PKCS12KeyStore reads shrouded keys only, and ignores these
            bags.key_schemes.add("none")
        elif bag_id == SHROUDED_KEY_BAG:
            bags.saw(bags.key_schemes, der.fields(der.decode(value, der.SEQUENCE), der.SEQUENCE)[0])
            pkcs8, own = _decrypt_key(value, bags, alias)
            if key_id is None and not bags.keys:
                key_id = b"01"  # Java's allowance for one key without localKeyId
            bags.keys.append((alias, key_id, pkcs8, own))
            bags.order.append(("key", len(bags.keys) - 1))
        elif bag_id == CERT_BAG:
            if clear:
                bags.cert_schemes.add("none")
            cert = _certificate(value)
            if cert is None:
                bags.skipped += 1
                continue
            if key_id is None and len(bags.keys) == 1 and index == 0:
                key_id = b"01"
            bags.certs.append((alias, key_id, cert, trusted))
            if trusted:
                bags.order.append(("cert", len(bags.certs) - 1))
        elif bag_id == SECRET_BAG:
            _secret_key(value, alias, key_id, bags)
        elif bag_id == SAFE_CONTENTS_BAG:
            _read_safe_contents(der.encode(der.SEQUENCE, der.decode(value, der.SEQUENCE)),
                                bags, depth + 1, clear)
        else:
            bags.skipped += 1


def _attributes(data: bytes) -> tuple[str | None, bytes | None, bool]:
    alias = key_id = None
    trusted = False
    for _, attribute in der.items(data):
        id_der, values_der = der.fields(attribute, der.OID, der.SET)
        attr_id, values = der.to_oid(id_der), der.items(values_der)
        if not values:
            continue
        if attr_id == FRIENDLY_NAME and values[0][0] == der.BMP_STRING:
            alias = values[0][1].decode("utf-16-be", "replace")
        elif attr_id == LOCAL_KEY_ID:
            key_id = values[0][1]
        elif attr_id == JAVA_TRUSTED_USAGE:
            trusted = True
    return alias, key_id, trusted


def _decrypt_key(epki: bytes, bags: _Bags, alias: str | None) -> tuple[bytes | None, str | None]:
    """(the PKCS#8 in `epki`, its own password); (None, None) when keys are not read."""
    def decrypt(password: str) -> bytes:
        try:
            return pbe.decrypt_pkcs8(epki, password)
        except pbe.PbeError:
            raise wrong_key_password(alias) from None
        except pbe.UnsupportedPbe as e:
            raise _unsupported(e).at(alias=alias) from None
    opened: tuple[bytes | None, str | None] = bags.opener.open(decrypt, (alias or "").lower())
    return opened


def _certificate(value: bytes) -> bytes | None:
    cert_id, cert_value = der.fields(der.decode(value, der.SEQUENCE), der.OID, der.context(0))[:2]
    if der.to_oid(cert_id) != X509_CERT:
        return None
    return der.decode(cert_value, der.OCTET_STRING)


def _secret_key(value: bytes, alias: str | None, key_id: bytes | None, bags: _Bags) -> None:
    type_id, inner = der.fields(der.decode(value, der.SEQUENCE), der.OID, der.context(0))[:2]
    if der.to_oid(type_id) != SHROUDED_KEY_BAG:
        bags.skipped += 1
        return
    algorithm = key = None
    plain, own = _decrypt_key(der.decode(inner, der.OCTET_STRING), bags, alias)
    if plain is not None:
        _, algorithm_id, key = der.fields(der.decode(plain, der.SEQUENCE),
                                          der.INTEGER, der.SEQUENCE, der.OCTET_STRING)[:3]
        oid = der.to_oid(der.fields(algorithm_id, der.OID)[0])
        algorithm = _SECRET_KEY_NAMES.get(oid, oid)
    bags.secrets.append((alias, algorithm, key, creation_date(key_id or b"00"), own))
    bags.order.append(("secret", len(bags.secrets) - 1))


def _assemble(bags: _Bags) -> tuple[Store, list[str], list[bytes]]:
    """Entries as Java's PKCS12KeyStore.engineLoad makes them; what it warns of; the certificates no entry holds."""
    from ..pki.certs import Pool, build_chain
    entries: dict[str, Entry] = {}
    used: set[bytes] = set()
    pool = [cert for _, _, cert, _ in bags.certs]
    issuers = Pool(pool if bags.keys else [])  # only keys need chains: without keys, nothing is parsed
    entry: Entry
    for kind, index in bags.order:
        if kind == "key":
            alias, key_id, pkcs8, own = bags.keys[index]
            if key_id is None:
                continue  # Java drops a key it cannot pair with a certificate
            leaf = _matching_cert(bags.certs, alias, key_id)
            chain = build_chain(leaf, issuers) if leaf else ()
            used.update(chain)
            alias = bags.unfriendly_name() if alias is None else alias  # Java: only a missing friendlyName
            entry = PrivateKeyEntry(alias.lower(), pkcs8, chain, creation_date(key_id), own)
        elif kind == "secret":
            alias, algorithm, key, created, own = bags.secrets[index]
            alias = bags.unfriendly_name() if alias is None else alias
            entry = SecretKeyEntry(alias.lower(), algorithm, key, created, own)
        else:
            alias, _, cert, _ = bags.certs[index]
            used.add(cert)
            entry = TrustedCertEntry((bags.unfriendly_name() if alias is None else alias).lower(), cert)
        entries[entry.alias] = entry  # like Java's map, a repeated alias replaces
    warnings = []
    strays = [cert for cert in pool if cert not in used]  # `used` is a set: linear
    if strays:
        warnings.append(f"{len(strays)} certificate(s) in the file are neither trusted entries nor part "
                        "of a key's chain, so Java ignores them (import them as trusted "
                        "certificates to use them)")
    if bags.plain_keys:
        warnings.append(f"{bags.plain_keys} unencrypted private key(s) (PKCS#12 KeyBags, as `openssl pkcs12 "
                        "-keypbe NONE` writes them) were not read: Java ignores them; export the store again "
                        "with its keys encrypted")
    if bags.skipped:
        warnings.append(f"{bags.skipped} bag(s) of a kind Java does not read were skipped")
    return Store(entries.values()), warnings, strays


def _matching_cert(certs: list[_CertBag], alias: str | None, key_id: bytes) -> bytes | None:
    """Java's findMatchedCertificate: same localKeyId (and alias, if one matches)."""
    by_id: bytes | None = None
    by_alias: bytes | None = None
    for cert_alias, cert_key_id, cert, trusted in certs:
        if trusted:
            continue
        same_alias = alias is not None and cert_alias is not None and cert_alias.lower() == alias.lower()
        if cert_key_id == key_id:
            if same_alias:
                return cert
            by_id = by_id or cert
        elif same_alias:
            by_alias = cert
    return by_id or by_alias


# -- writing -------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    """How jkstool protects a PKCS12 file it writes (docs/formats.md shows each, from this table)."""

    keys: str
    certificates: str
    """The encryption of the certificate bags; "none": in the clear."""
    integrity: str | None
    """"hmac-sha256"/"hmac-sha1" (keyed by the PKCS #12 KDF), "pbmac1" (RFC 9579) or None: no MAC."""
    use: str


PROFILES = {
    "java9": Profile("aes-256-cbc", "aes-256-cbc", "hmac-sha256",
                     "the default: what keytool 17 writes (Java 8u301+, 11+, OpenSSL 1.1.1+)"),
    "modern": Profile("aes-256-cbc", "aes-256-cbc", "pbmac1",
                      "PBMAC1 integrity, RFC 9579 (JDK 26+, OpenSSL 3.4+, the next PKCS12 generation)"),
    "legacy": Profile("pbe-sha1-3des", "pbe-sha1-3des", "hmac-sha1",
                      "Java's keystore.pkcs12.legacy, for Java 8 before 8u301 and other old readers"),
    "none-truststore": Profile("aes-256-cbc", "none", None,
                               "a password-less truststore: certificates in the clear, no MAC "
                               "(Java 8u301+/11.0.12+, OpenSSL)"),
}


def profile_of(protection: Protection | None) -> str | None:
    """The write profile a file read matches, if one does (a rewrite keeps it)."""
    if protection is None:
        return None
    for name, profile in PROFILES.items():
        if protection.integrity == profile.integrity and protection.certificates <= {profile.certificates} \
                and protection.keys <= {profile.keys}:
            return name
    return None


def dump(store: Store, password: str, profile: str = "java9") -> bytes:
    """Write a PKCS12 store with a write profile: keytool 17's by default."""
    shape = PROFILES[profile]
    if shape.integrity is None and store.holds_keys():
        raise JkstoolError(f"the {profile} profile writes certificates only (no password protects the file), "
                           "and the store holds keys", "write keys with profile='java9' or 'modern'")
    ids = key_ids(store)
    key_bags, cert_bags = [], []
    for entry in store:
        alias = entry.alias.lower()
        if isinstance(entry, PrivateKeyEntry):
            if entry.key is None:
                raise key_not_read(entry.alias)
            epki = pbe.encrypt_pkcs8(entry.key, entry.key_password or password, shape.keys)
            key_bags.append(_bag(SHROUDED_KEY_BAG, epki, _name(alias), _key_id(ids[alias])))
            for position, cert in enumerate(entry.chain):
                attributes = ([_name(alias), _key_id(ids[alias])] if position == 0
                              else [_name(_subject(cert))])
                cert_bags.append(_cert_bag(cert, attributes))
        elif isinstance(entry, SecretKeyEntry):
            key_bags.append(_bag(SECRET_BAG, _secret_bag(entry, password, shape.keys),
                                 _name(alias), _key_id(ids[alias])))
        else:
            trusted = der.sequence(der.oid(JAVA_TRUSTED_USAGE),
                                   der.set_of(der.oid(ANY_EXTENDED_KEY_USAGE)))
            cert_bags.append(_cert_bag(entry.cert, [_name(alias), trusted]))
    contents = []
    if key_bags:
        contents.append(_data(der.sequence(*key_bags)))
    if cert_bags and shape.certificates == "none":
        contents.append(_data(der.sequence(*cert_bags)))
    elif cert_bags:
        algorithm_id, ciphertext = pbe.encrypt(der.sequence(*cert_bags), password, shape.certificates)
        encrypted = der.sequence(der.integer(0), der.sequence(
            der.oid(DATA), algorithm_id, der.encode(der.context(0, constructed=False), ciphertext)))
        contents.append(der.sequence(der.oid(ENCRYPTED_DATA), der.explicit(0, encrypted)))
    auth_data = der.sequence(*contents)
    mac = [] if shape.integrity is None else [_mac_data(auth_data, password, shape.integrity)]
    return der.sequence(der.integer(3), _data(auth_data), *mac)


def _data(content: bytes) -> bytes:
    """A ContentInfo of type data."""
    return der.sequence(der.oid(DATA), der.explicit(0, der.octets(content)))


def _bag(bag_id: str, value: bytes, *attributes: bytes) -> bytes:
    return der.sequence(der.oid(bag_id), der.explicit(0, value), der.set_of(*attributes))


def _cert_bag(cert: bytes, attributes: list[bytes]) -> bytes:
    value = der.sequence(der.oid(X509_CERT), der.explicit(0, der.octets(cert)))
    return _bag(CERT_BAG, value, *attributes)


def _name(text: str) -> bytes:
    return der.sequence(der.oid(FRIENDLY_NAME), der.set_of(der.bmp_string(text)))


def _key_id(value: bytes) -> bytes:
    return der.sequence(der.oid(LOCAL_KEY_ID), der.set_of(der.octets(value)))


def _subject(cert: bytes) -> str:
    from ..pki.certs import facts
    return facts(cert).subject


def _secret_bag(entry: SecretKeyEntry, password: str, scheme: str) -> bytes:
    if entry.key is None:
        raise key_not_read(entry.alias)
    oid = SECRET_KEY_OIDS.get(entry.algorithm) if entry.algorithm is not None else None
    if oid is None:
        raise JkstoolError(f"a PKCS12 store cannot hold a {entry.algorithm} secret key "
                           "(Java names no object identifier for it)",
                           "keep it in its JCEKS store", alias=entry.alias)
    plain = der.sequence(der.integer(0), der.sequence(der.oid(oid), der.null()), der.octets(entry.key))
    epki = pbe.encrypt_pkcs8(plain, entry.key_password or password, scheme)
    return der.sequence(der.oid(SHROUDED_KEY_BAG), der.explicit(0, der.octets(epki)))


def _mac_data(auth_data: bytes, password: str, integrity: str) -> bytes:
    """MacData: PBMAC1 (RFC 9579; its MacData salt and iterations repeat its own, which readers ignore), or
    an HMAC keyed by the PKCS #12 KDF."""
    if integrity == "pbmac1":
        params = pbe.Pbmac1.new()
        return der.sequence(der.sequence(params.algorithm(), der.octets(params.digest(password, auth_data))),
                            der.octets(params.salt), der.integer(params.iterations))
    digest = integrity.removeprefix("hmac-")
    iterations = pbe.LEGACY_MAC_ITERATIONS if digest == "sha1" else pbe.ITERATIONS
    salt = pbe.new_salt()
    value = pbe.mac(digest, password, salt, iterations, auth_data)
    digest_info = der.sequence(der.sequence(der.oid(pbe.DIGEST_OIDS[digest]), der.null()),
                               der.octets(value))
    return der.sequence(digest_info, der.octets(salt), der.integer(iterations))
