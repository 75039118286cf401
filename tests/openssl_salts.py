"""PKCS12 files with short salts, written by OpenSSL's own PKCS #12 code: its library, through ctypes.

`openssl pkcs12` sets no salt length before OpenSSL 3.4+ (-saltlen, -macsaltlen), and this machine has
3.0; its library took one all along (PKCS12_SAFEBAG_create_pkcs8_encrypt, PKCS12_pack_p7encdata,
PKCS12_set_mac), and the file it writes is what the command writes, salts aside: certificates in an
encrypted SafeContents, the key in a pkcs8ShroudedKeyBag, both named and paired by localKeyId, an
HMAC-SHA256 MAC. Nothing here goes through jkstool.
"""

import ctypes
import ctypes.util

_LIB = ctypes.CDLL(ctypes.util.find_library("crypto"))
_P, _INT, _TEXT = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p


def _function(name, result, *arguments):
    function = getattr(_LIB, name)
    function.restype, function.argtypes = result, list(arguments)
    return function


_mem_bio = _function("BIO_new_mem_buf", _P, _TEXT, _INT)
_read_key = _function("PEM_read_bio_PrivateKey", _P, _P, _P, _P, _P)
_read_cert = _function("PEM_read_bio_X509", _P, _P, _P, _P, _P)
_pkcs8 = _function("EVP_PKEY2PKCS8", _P, _P)
_nid = _function("OBJ_txt2nid", _INT, _TEXT)
_key_bag = _function("PKCS12_SAFEBAG_create_pkcs8_encrypt", _P, _INT, _TEXT, _INT, _TEXT, _INT, _INT, _P)
_cert_bag = _function("PKCS12_SAFEBAG_create_cert", _P, _P)
_friendly_name = _function("PKCS12_add_friendlyname_asc", _INT, _P, _TEXT, _INT)
_local_key_id = _function("PKCS12_add_localkeyid", _INT, _P, _TEXT, _INT)
_new_stack = _function("OPENSSL_sk_new_null", _P)
_push = _function("OPENSSL_sk_push", _INT, _P, _P)
_clear_safe = _function("PKCS12_pack_p7data", _P, _P)
_encrypted_safe = _function("PKCS12_pack_p7encdata", _P, _INT, _TEXT, _INT, _TEXT, _INT, _INT, _P)
_new_pkcs12 = _function("PKCS12_init", _P, _INT)
_pack_safes = _function("PKCS12_pack_authsafes", _INT, _P, _P)
_set_mac = _function("PKCS12_set_mac", _INT, _P, _TEXT, _INT, _TEXT, _INT, _INT, _P)
_sha256 = _function("EVP_sha256", _P)
_to_der = _function("i2d_PKCS12", _INT, _P, ctypes.POINTER(_P))
_free = _function("CRYPTO_free", None, _P, _TEXT, _INT)
_free_pkcs12 = _function("PKCS12_free", None, _P)


def _stack(*items):
    stack = _new_stack()
    for item in items:
        _push(stack, item)
    return stack


def _pem(data: bytes, reader):
    found = reader(_mem_bio(data, len(data)), None, None, None)
    assert found, "OpenSSL could not read the PEM"
    return found


def pkcs12(key_pem: bytes, cert_pem: bytes, password: str, *, key_scheme="AES-256-CBC", key_salt=8,
           cert_scheme="AES-256-CBC", cert_salt=8, mac_salt=8, iterations=2048) -> bytes:
    """A PKCS12 file of one key and its certificate (alias "k"). A scheme is an OpenSSL name: a cipher
    ("AES-256-CBC": PBES2) or a PKCS #12 PBE ("PBE-SHA1-3DES"); each salt is its length in bytes."""
    secret = password.encode()

    def salt(size):
        return bytes(range(1, size + 1))
    key = _key_bag(_nid(key_scheme.encode()), secret, -1, salt(key_salt), key_salt, iterations,
                   _pkcs8(_pem(key_pem, _read_key)))
    cert = _cert_bag(_pem(cert_pem, _read_cert))
    for bag in (key, cert):
        assert bag and _friendly_name(bag, b"k", -1) and _local_key_id(bag, b"\x01\x02\x03\x04", 4)
    certs = _encrypted_safe(_nid(cert_scheme.encode()), secret, -1, salt(cert_salt), cert_salt, iterations,
                            _stack(cert))
    made = _new_pkcs12(_nid(b"pkcs7-data"))
    assert certs and made and _pack_safes(made, _stack(certs, _clear_safe(_stack(key)))) == 1
    assert _set_mac(made, secret, -1, salt(mac_salt), mac_salt, iterations, _sha256()) == 1
    out = _P()
    size = _to_der(made, ctypes.byref(out))
    try:
        return ctypes.string_at(out, size)
    finally:
        _free(out, None, 0)
        _free_pkcs12(made)
