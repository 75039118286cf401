"""pyjks 20.0.0's key protectors, vendored: `sun_crypto.py` and `util.py` as the wheel ships them.

jkstool reads and writes JKS and JCEKS keys through pyjks (Sun's JKS key protector and
PBEWithMD5AndTripleDES), but it cannot depend on pyjks from PyPI: pyjks requires `twofish`, which
has no wheel, so `pip install` needs a C compiler and Python's headers that a stock Debian or a slim
Python image lacks. Twofish serves only pyjks's BKS and UBER stores, which jkstool never reads.
These two modules use only the standard library (and pycryptodomex for Triple DES, a jkstool
dependency). `VENDORED` records where they come from; a test checks the files are unchanged.
"""
