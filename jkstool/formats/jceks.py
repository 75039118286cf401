"""JCEKS, the SunJCE keystore: read only (Java itself has preferred PKCS12 since Java 9).

Besides key entries and trusted certificates, a JCEKS store holds secret keys
as serialized `javax.crypto.SealedObject`s. They are read by jkstool's own
bounded reader (_javaser), never by a general Java deserializer, and
decrypted with Sun's PBEWithMD5AndTripleDES (pyjks's implementation).
"""

from typing import Any

from .. import der
from ..errors import JkstoolError, damaged, wrong_key_password
from ..model import Loaded
from . import _javaser as javaser
from . import _keystore
from . import _pbe as pbe
from ._opener import KeyOpener

MAGIC = b"\xce\xce\xce\xce"
_SEALED = "com.sun.crypto.provider.SealedObjectForKeyProtector"


def load(data: bytes, password: str | None, opener: KeyOpener) -> Loaded:
    """Read a JCEKS store; with no password, its certificates only, unverified."""
    return _keystore.load(data, password, opener, "JCEKS", _SealedObjects())


class _SealedObjects(_keystore.SecretKeys):
    def read(self, reader: _keystore.Reader, kind: str) -> Any:
        """A serialized SealedObject, read as data (see _javaser). Java's JceKeyStore takes nothing but its
        own com.sun.crypto.provider.SealedObjectForKeyProtector here (its DeserializationChecker)."""
        try:
            sealed, reader.pos = javaser.read(reader.data, reader.pos)
        except javaser.JavaSerializationError:
            raise damaged(kind) from None
        if not (isinstance(sealed, javaser.JavaObject) and sealed.classes[:1] == [_SEALED]
                and isinstance(sealed.get("encryptedContent"), bytes)):
            raise JkstoolError("a secret key is not in Java's own sealed form (keytool: Invalid secret key format)",
                               "export it again from a Java keystore")
        return sealed

    def open(self, sealed: Any, password: str) -> tuple[str, bytes]:
        """Decrypt a SealedObject (Sun's PBEWithMD5AndTripleDES) and read the key inside: a
        SecretKeySpec, or the KeyRep that SunJCE's own key classes serialize as."""
        from ._pyjks import sun_crypto
        from ._pyjks.util import BadPaddingException
        if sealed.get("sealAlg") != "PBEWithMD5AndTripleDES" or not isinstance(sealed.get("encodedParams"), bytes):
            raise JkstoolError(f"unsupported secret key protection {sealed.get('sealAlg')!r}")
        try:
            salt, count = der.fields(der.decode(sealed["encodedParams"], der.SEQUENCE),
                                     der.OCTET_STRING, der.INTEGER)[:2]
            plain = sun_crypto.jce_pbe_decrypt(sealed["encryptedContent"], password, salt,
                                               pbe.spend(der.to_int(count)))
            key, _ = javaser.read(plain)
        except (BadPaddingException, ValueError):  # DerError and JavaSerializationError are ValueErrors
            raise wrong_key_password() from None
        if isinstance(key, javaser.JavaObject) and "javax.crypto.spec.SecretKeySpec" in key.classes:
            algorithm, value = key.get("algorithm"), key.get("key")
        elif (isinstance(key, javaser.JavaObject) and "java.security.KeyRep" in key.classes
              and key.get("format") == "RAW"):
            algorithm, value = key.get("algorithm"), key.get("encoded")
        else:
            raise JkstoolError("unsupported secret key encoding")
        if not isinstance(algorithm, str) or not isinstance(value, bytes):
            raise JkstoolError("unsupported secret key encoding")
        return algorithm, value
