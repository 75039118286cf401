"""X.509 for mutual TLS, on bytes and cryptography objects: no files, no store formats.

`certs` reads certificates as Java reports them and links chains as Java's
PKCS12 keystore does; `issue` makes keys, CAs, leaves and requests with the
profiles Java expects; `chains` installs a CA's reply on a key entry; `crl`
keeps revocation lists; `trust` decides which certificates a truststore may
take; `inventory` describes a store as plain data.

May import: cryptography, `jkstool.der`, `jkstool.model`, `jkstool.limits`, `jkstool.errors`.
"""
