"""What verify-pair reports: one table of finding codes, and the findings made from it.

Each code has one definition here — its severity, its cause, the JSSE
message it explains and the usual fix — and docs/findings.md is checked
against this table (tests/test_docs.py). The codes are an interface:
scripts match on them, so a code keeps its meaning for good.
"""

from dataclasses import dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    cause: str
    java: str
    """What JSSE says when this happens ("" when it says nothing)."""
    fix: str


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    store: str
    alias: str | None
    message: str
    fix: str

    def to_dict(self) -> dict[str, str | None]:
        """The finding as --json prints it: its six fields, by name."""
        return {"severity": self.severity, "code": self.code, "store": self.store, "alias": self.alias,
                "message": self.message, "fix": self.fix}


_TABLE = [
    # The key entries and what the key manager presents.
    Rule("no-key-entry", ERROR, "the keystore holds no private-key entry, so that side has no certificate to present",
         "server: No available authentication scheme; client: sends no certificate",
         "import the key with its chain (`jkstool convert`, `keytool -importkeystore`)"),
    Rule("several-key-entries", WARNING,
         "several private-key entries: JSSE's default key manager (SunX509) presents the first of the key types "
         "EC, EdDSA, RSA, RSASSA-PSS that it holds (a client: whose chain names an issuer the server accepts), "
         "and among entries of one type the first in Java's HashMap order of their aliases; the finding names it",
         "", "keep one key entry per keystore, or configure the alias (Spring Boot `server.ssl.key-alias`)"),
    Rule("key-password-differs", ERROR,
         "a key entry does not open with the store password: JSSE's default key manager opens every key of the "
         "keystore with it, and fails for the whole keystore",
         "UnrecoverableKeyException: Cannot recover key (JKS) / Get Key failed (PKCS12)",
         "`keytool -keypasswd -keystore K -alias A` to the store password"),
    Rule("no-certificate", ERROR, "a key entry without a certificate", "",
         "install the certificate issued for the key"),
    Rule("key-cert-mismatch", ERROR,
         "the private key does not belong to the first certificate of its chain (a CA reply for another key)",
         "", "install the certificate issued for this key, or the matching key"),
    Rule("key-type-unusable", ERROR,
         "the key presented cannot sign a TLS 1.3 handshake: DSA keys and EC keys on curves other than "
         "secp256r1/384r1/521r1 (brainpool) have no TLS 1.3 signature scheme. A server fails; a client key of "
         "that kind is never sent",
         "server: No available authentication scheme / No supported CertificateVerify signature algorithm for EC "
         " key; a client's key: Empty client certificate chain",
         "issue a new key and certificate: EC P-256/P-384, RSA (2048+) or Ed25519"),
    Rule("ca-names-too-long", WARNING,
         "the server truststore's CA names exceed what a TLS 1.3 certificate request carries (65,535 bytes): JSSE "
         "sends no list of acceptable issuers, and a client presents its first usable key, whoever issued it", "",
         "keep in the server truststore only the CAs that issue client certificates"),
    Rule("chain-order", WARNING,
         "a certificate of the chain is not issued by the next one: out of order, or a foreign certificate in it. "
         "Java builds its path from the certificates sent, in any order, and ignores the rest (the trust check "
         "decides); other TLS stacks may not",
         "", "import the chain again, leaf first, each certificate followed by its issuer"),
    # Trust: the path from what a side sends to the other side's truststore.
    Rule("server-untrusted", ERROR,
         "the server's chain does not lead to a certificate in the client truststore: its CA is not trusted there, "
         "or the server keystore lacks an intermediate",
         "client: PKIX path building failed: ... unable to find valid certification path to requested target (a CA "
         "of the issuer's name trusted, not the one that signed: PKIX path validation failed: ... Path does not "
         "chain with any of the trust anchors); server: Received fatal alert: certificate_unknown",
         "`jkstool import-ca client.truststore.p12 server-ca.pem`, or add the intermediate to the server "
         "keystore's chain"),
    Rule("client-untrusted", ERROR,
         "the client's chain does not lead to a certificate in the server truststore",
         "server: a PKIX message, such as PKIX path validation failed: ... Path does not chain with any of the trust "
         "anchors; client: Received fatal alert: certificate_unknown (a JSSE server sends it whatever the reason)",
         "`jkstool import-ca server.truststore.p12 client-ca.pem`, or complete the client keystore's chain"),
    Rule("client-cert-not-sent", ERROR,
         "the client's key manager finds no key entry whose chain names an issuer the server accepts (the subjects "
         "of the server truststore), or none of a TLS 1.3 key type, so a JSSE client sends no certificate at all",
         "server: Empty client certificate chain; client: Received fatal alert: certificate_required (TLS 1.3) or "
         "handshake_failure (TLS 1.2) from JDK 17.0.19, 21.0.10 and 23; bad_certificate before them (17.0.15)",
         "trust the client's CA in the server truststore"),
    Rule("signature-invalid", ERROR,
         "a certificate's signature does not verify with its issuer's key: a CA regenerated under the same name, "
         "or a damaged certificate",
         "PKIX path validation failed: ... signature check failed (or: unable to find valid certification path)",
         "trust the CA that really signed it, or have it issued again"),
    Rule("cert-expired", ERROR,
         "a certificate on a path expired, now or on `--at` (trust anchors are not date-checked)",
         "PKIX path validation failed: ... validity check failed; the other side: Received fatal alert: "
         "certificate_unknown from a server, certificate_expired from a client (TLS 1.2, and TLS 1.3 in JDK 25; "
         "17.0.15 sends certificate_unknown over TLS 1.3)", "renew it"),
    Rule("cert-not-yet-valid", ERROR, "a certificate's validity starts later (a clock ahead where it was issued)",
         "PKIX path validation failed: ... validity check failed; the other side: Received fatal alert: "
         "certificate_unknown from a server, bad_certificate from a client (TLS 1.2, and TLS 1.3 in JDK 25; 17.0.15 "
         "sends certificate_unknown over TLS 1.3)", "fix the clocks, or wait"),
    Rule("cert-expiring", WARNING, "a certificate on a path expires within `--warn-days` (30)", "",
         "renew it before then"),
    Rule("anchor-expired", WARNING,
         "the trust anchor expired: JSSE does not check an anchor's dates and still accepts the path, but OpenSSL, "
         "Go and browsers refuse it", "", "trust the CA's renewed certificate"),
    Rule("anchor-not-ca", ERROR,
         "the trusted certificate that anchors the path is not a CA (no basicConstraints CA:true, e.g. a plain "
         "`keytool -genkeypair` certificate) or its key usage lacks keyCertSign",
         "TrustAnchor with subject \"...\" is not a CA certificate / does not have keyCertSign bit set",
         "make the CA with basicConstraints CA:true (`keytool -ext bc:c`), or trust the peer's own certificate"),
    Rule("pinned-peer", INFO,
         "the peer's own certificate is in the truststore: JSSE accepts it as it is, without checking its dates, "
         "key usage or extended key usage", "", ""),
    Rule("ca-not-ca", ERROR, "a certificate that issues others on the path has no basicConstraints CA:true",
         "basic constraints check failed: this is not a CA certificate", "issue from a real CA certificate"),
    Rule("ca-key-usage", ERROR, "a CA on the path has a key usage without keyCertSign",
         "CA key usage check failed: keyCertSign bit is not set", "reissue the CA with keyCertSign"),
    Rule("path-length", ERROR, "a CA's pathLen allows fewer CAs below it than the chain has",
         "basic constraints check failed: pathLenConstraint violated", "issue from a CA whose path length allows it"),
    Rule("name-constraints", ERROR,
         "a CA on the path carries name constraints that a certificate below it violates (its subject, SANs or CN)",
         "name constraints check failed", "issue the certificate within the CA's permitted names"),
    Rule("cert-policy", ERROR,
         "a CA on the path requires an explicit policy (policyConstraints, inhibitAnyPolicy, inhibitPolicyMapping) "
         "that the certificates below it do not carry, or maps a policy to or from anyPolicy",
         "non-null policy tree required and policy tree is null",
         "issue the certificates with a policy the CA accepts, or the CA without that constraint"),
    Rule("critical-extension", ERROR,
         "a certificate on the path has a critical extension Java does not recognise (trust anchors excepted)",
         "unrecognized critical extension(s)", "reissue it without that extension marked critical"),
    Rule("cert-unparseable", ERROR,
         "a certificate of the chain sent cannot be parsed (a version other than 1-3, broken DER): Java refuses "
         "the whole Certificate message", "Failed to parse server certificates / Failed to parse client certificates",
         "reissue the certificate"),
    Rule("chain-too-long", ERROR, "the chain sent is longer than JSSE accepts",
         "The certificate chain length (N) exceeds the maximum allowed length (M)", "send a shorter chain"),
    Rule("cert-revoked", ERROR,
         "with `--crl`: a certificate on a path is listed as revoked by its CA's CRL; a server that loads the CRL "
         "refuses it", "", "issue a new certificate and deploy it"),
    Rule("crl-missing", ERROR,
         "with CRLs: a certificate on the client's path has no CRL of its issuer among them; a server that checks "
         "revocation with them (Tomcat, nginx: every level of the path) refuses every client",
         "Could not determine revocation status / unable to get certificate CRL",
         "give the issuer's CRL too, where the server loads the others"),
    Rule("crl-stale", WARNING,
         "with `--crl`: the CRL is past its nextUpdate; a server that checks it refuses every client until a new "
         "one is published", "", "publish a new CRL (`jkstool revoke DIR` signs a layout's CRLs anew)"),
    Rule("crl-expiring", WARNING, "with `--crl`: the CRL's nextUpdate is less than 3 days away", "",
         "publish a new CRL before then (`jkstool revoke DIR`)"),
    Rule("crl-not-enforced", INFO,
         "with `--crl`: servers enforce revocation only when configured to load the CRL (Tomcat "
         "`certificateRevocationListFile`, nginx `ssl_crl`, JSSE with revocation checking on)", "",
         "configure the servers to load it"),
    # What the end-entity certificate is allowed to do.
    Rule("server-eku", ERROR, "the server certificate's extended key usage lacks serverAuth",
         "Extended key usage does not permit use for TLS server authentication", "reissue it with EKU serverAuth"),
    Rule("client-eku", ERROR, "the client certificate's extended key usage lacks clientAuth",
         "Extended key usage does not permit use for TLS client authentication", "reissue it with EKU clientAuth"),
    Rule("netscape-cert-type", ERROR,
         "the leaf carries a Netscape certificate type that does not allow SSL server (client) use; JSSE's "
         "EndEntityChecker still reads that old extension",
         "Netscape cert type does not permit use for SSL server (client)",
         "issue it without the extension, or with the SSL server (client) type"),
    Rule("key-usage", ERROR, "a leaf's key usage lacks digitalSignature, which every TLS 1.3 handshake needs",
         "KeyUsage does not allow digital signatures", "reissue with key usage digitalSignature"),
    Rule("key-encipherment", WARNING,
         "an RSA server certificate without keyEncipherment cannot serve TLS 1.2 RSA key exchange (off by default)",
         "KeyUsage does not allow key encipherment", "add keyEncipherment when you reissue it"),
    # Algorithms, as the target JDK constrains them.
    Rule("weak-key", ERROR,
         "a key the target JDK refuses (jdk.certpath.disabledAlgorithms: RSA or DSA under 1024 bits, EC under 224)",
         "Algorithm constraints check failed on keysize limits", "reissue with a stronger key"),
    Rule("short-key", WARNING, "an RSA or DSA key under 2048 bits: accepted, but weak", "",
         "reissue with RSA 2048+ or EC"),
    Rule("weak-signature", ERROR,
         "a signature the target JDK refuses on a certificate: MD2 or MD5 (jdk.certpath.disabledAlgorithms), or an "
         "algorithm TLS 1.3 offers no certificate scheme for (DSA, SHA-224)",
         "Algorithm constraints check failed on signature algorithm / on disabled algorithm",
         "have it signed again with SHA-256 (RSA or ECDSA) or Ed25519"),
    Rule("legacy-signature", WARNING,
         "a SHA-1 signature: the target JDK accepts it under a private CA, but it is weak (and refused for chains "
         "to the JDK's own public roots)", "", "have it signed again with SHA-256"),
    # Host names, with --hostname.
    Rule("hostname-mismatch", ERROR,
         "with `--hostname`: the server certificate does not cover the name as Java's HTTPS check reads it: DNS "
         "SANs when there are any, else the CN; an IP address only against IP SANs",
         "No subject alternative DNS name matching NAME found / No subject alternative names matching IP address "
         "NAME found / No name matching NAME found", "reissue with `--san DNS:NAME` (or `IP:`)"),
    Rule("hostname-no-san", WARNING,
         "with `--hostname`: the name matches the certificate's CN only (it has no DNS SAN): Java accepts it, "
         "curl, browsers, Go and Python do not", "", "reissue with `--san DNS:NAME`"),
    # The stores themselves.
    Rule("truststore-empty", ERROR, "the truststore trusts nothing",
         "the trustAnchors parameter must be non-empty", "`jkstool import-ca` the peer's CA"),
    Rule("truststore-has-keys", WARNING,
         "the truststore also holds key entries (their certificates are trusted, as Java trusts them), so keys "
         "get deployed where they should not be", "", "move the keys to the keystore"),
    Rule("store-unreadable", ERROR,
         "the target JDK cannot load a store as it is protected: PBMAC1 integrity (RFC 9579) before JDK 26, "
         "PBES2 or HMAC-SHA256 in Java 8 before 8u301 (`jkstool compat` shows every runtime)",
         "Integrity check failed: java.security.NoSuchAlgorithmException: Algorithm HmacPBE... not available",
         "convert it with the write profile the finding names"),
    Rule("jks-format", INFO, "stores in JKS, which only Java reads; PKCS12 is Java's default since Java 9", "",
         "`jkstool convert` when convenient"),
    # Java's own verdict, where the target JDK is on the machine.
    Rule("java-accepted", WARNING,
         "the target JDK's own handshake passed where jkstool's rules expected an error: Java's verdict "
         "stands, and the findings it did not confirm are warnings (they may be wrong)", "",
         "nothing for Java; please report the case, with `jkstool verify-pair DIR --json`"),
    Rule("java-refused", ERROR,
         "the target JDK's own handshake failed; the message is Java's (what each side saw); when no other "
         "finding explains it, jkstool's explanation is incomplete", "",
         "see the other findings and docs/troubleshooting.md for Java's message"),
    # With --handshake.
    Rule("handshake-ok", INFO,
         "with `--handshake`: a real handshake succeeded (JSSE when Java was found, else an OpenSSL cross-check)",
         "", ""),
    Rule("handshake-failed", ERROR, "with `--handshake`: the real handshake failed; the message carries what "
         "each side saw", "", "see the other findings and docs/troubleshooting.md"),
    # doctor: the stores as the application's configuration loads them.
    Rule("config-no-keystore", ERROR,
         "doctor: the configuration names no keystore, so that side has no certificate to present",
         "server: No available authentication scheme; client: sends no certificate",
         "configure the keystore (Spring Boot `server.ssl.key-store`, Tomcat `certificateKeystoreFile`, "
         "`-Djavax.net.ssl.keyStore`, Kafka `ssl.keystore.location`)"),
    Rule("config-tomcat-old-attributes", WARNING,
         "doctor: a Tomcat connector configured by its old TLS attributes (`keystoreFile`, `clientAuth`...), "
         "which Tomcat 10.1 removed", "failed to set property [keystoreFile]; No SSLHostConfig element was found",
         "move them into `<SSLHostConfig>` and `<Certificate>` (`jkstool snippet tomcat` writes them)"),
    Rule("config-unresolved", ERROR,
         "doctor: a setting uses a placeholder (`${VAR}`) that neither the environment, `--env FILE` nor the "
         "configuration sets",
         "",
         "set the variable where the service starts (its unit's Environment=, the env file)"),
    Rule("config-store-missing", ERROR,
         "doctor: the store the configuration names cannot be read: no such file, not a store, or damaged",
         "java.io.FileNotFoundException / Invalid keystore format",
         "point the setting at the store, or deploy it"),
    Rule("config-type-mismatch", ERROR,
         "doctor: the declared store type differs from the file's, beyond what keystore.type.compat lets JKS and "
         "PKCS12 do",
         "java.io.IOException: Invalid keystore format",
         "declare the file's type, or convert the file (`jkstool convert`)"),
    Rule("config-password-wrong", ERROR,
         "doctor: the store does not open with the password configured (or the runtime's default when none is)",
         "Keystore was tampered with, or password was incorrect / keystore password was incorrect",
         "configure the store's password"),
    Rule("config-key-password", ERROR,
         "doctor: a key does not open with the one password the key manager uses (the key password, else the store "
         "password)",
         "UnrecoverableKeyException: Cannot recover key / Get Key failed",
         "configure the key password, or give every key the store's password (`jkstool passwd --alias A "
         "--new-keypass`)"),
    Rule("config-alias-missing", ERROR,
         "doctor: the key alias configured is not a key entry of the keystore",
         "Alias name [...] does not identify a key entry",
         "configure an alias the keystore holds (`jkstool list`)"),
    Rule("config-default-truststore", WARNING,
         "doctor: no truststore is configured, so the JDK's cacerts decides: public CAs, not a private CA",
         "PKIX path building failed: ... unable to find valid certification path to requested target",
         "configure the truststore that holds the peer's CA"),
    Rule("config-client-auth", WARNING,
         "doctor: a server that does not require client certificates (client-auth want or none), so clients get "
         "in without one; or one that requires them with no truststore configured, so cacerts decides",
         "",
         'require them: Spring Boot `server.ssl.client-auth: need`, Tomcat `certificateVerification="required"`, '
         "Kafka `ssl.client.auth=required`; and configure the truststore of the clients' CA"),
    Rule("config-inline-password", WARNING,
         "doctor: a store password is written in a configuration file that every local user can read",
         "",
         "take it from the environment (`${STOREPASS}`), or `chmod 640` the file"),
    Rule("config-protocols", ERROR,
         "doctor: the TLS versions configured leave none a JSSE peer speaks (TLSv1.2, TLSv1.3), once "
         "jdk.tls.disabledAlgorithms has taken the old ones away",
         "javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is disabled or cipher suites are "
         "inappropriate)",
         "enable TLSv1.2 and TLSv1.3 (Spring Boot `server.ssl.enabled-protocols`, Tomcat `protocols`, Kafka "
         "`ssl.enabled.protocols`)"),
    Rule("config-ciphers", ERROR,
         "doctor: none of the cipher suites configured is one the target JDK enables with the TLS versions "
         "configured (and, for TLS 1.2, with the server key's algorithm)",
         "javax.net.ssl.SSLHandshakeException: no cipher suites in common / No appropriate protocol",
         "add TLS_AES_128_GCM_SHA256 (TLS 1.3) and an ECDHE suite of the server key's kind (ECDSA or RSA), or "
         "leave the suites to the JDK"),
    Rule("config-reload-on-update", INFO,
         "doctor: a Spring Boot SSL bundle with reload-on-update: Spring reloads it on the first change it sees",
         "",
         "replace its files by an atomic rename (jkstool writes so; `cp` over the file does not)"),
    Rule("config-trailing-whitespace", WARNING,
         "doctor: a store setting's value ends in whitespace, which the runtime keeps (Spring Boot's .properties, "
         "Tomcat, a quoted -D value; Kafka trims it): Java opens the store with it",
         "",
         "remove the whitespace at the end of the value"),
    Rule("config-peer-probe", ERROR,
         "doctor `--peer-url`: a live probe of the server with the client's stores as configured found a "
         "problem (the handshake, the trust, the server's refusal after it)",
         "",
         "see the message, and `jkstool probe HOST:PORT` with the same stores"),
    Rule("config-unreadable-by-user", ERROR,
         "doctor: with `--user`: the store is not readable by the user the service runs as",
         "java.io.FileNotFoundException: ... (Permission denied)",
         "`chown` or `chmod` the store (and its folders) for that user"),
]
RULES = {rule.code: rule for rule in _TABLE}


def finding(code: str, store: str, alias: str | None, message: str, fix: str | None = None) -> Finding:
    """A finding of `code`, its severity from the table; `fix` defaults to the table's."""
    rule = RULES[code]
    return Finding(rule.severity, code, store, alias, message, rule.fix if fix is None else fix)
