"""Keys, certificates and stores made with openssl and keytool alone, for judging verify-pair against JSSE.

Certificates come from `openssl req`/`openssl ca` with the extensions each case needs (any key type, any
digest, validity in the past, name constraints, critical extensions nobody knows...); keystores from
`openssl pkcs12 -export` (JKS through `keytool -importkeystore`), truststores from `keytool -importcert`.
Nothing here goes through jkstool.
"""

import secrets
import subprocess
from pathlib import Path

PASSWORD = "changeit"
KEYS = {
    "ec": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "brainpool": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1"],
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa1024": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    "rsa512": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512"],
    "rsapss": ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ed25519": ["-algorithm", "ED25519"],
}
CA = "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n" \
     "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
SERVER = "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,keyEncipherment\n" \
         "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\nsubjectKeyIdentifier=hash\n" \
         "authorityKeyIdentifier=keyid\n"
CLIENT = "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n" \
         "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"


class OpenSSLPKI:
    def __init__(self, openssl, keytool, folder: Path):
        """`openssl(*args)` and `keytool(args, input)` run the tools (the session's fixtures)."""
        self.openssl, self.keytool, self.folder = openssl, keytool, folder
        folder.mkdir(parents=True, exist_ok=True)
        self._dsa_params: Path | None = None

    def path(self, name: str) -> Path:
        return self.folder / name

    def key(self, name: str, kind: str = "ec") -> Path:
        path = self.path(f"{name}.key")
        if kind == "dsa":
            self.openssl("genpkey", "-paramfile", self.dsa_params(), "-out", path)
        else:
            self.openssl("genpkey", *KEYS[kind], "-out", path)
        return path

    def dsa_params(self) -> Path:
        if self._dsa_params is None:
            self._dsa_params = self.path("dsa.params")
            self.openssl("genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:2048",
                         "-out", self._dsa_params)
        return self._dsa_params

    def cert(self, name: str, key: Path, issuer: str | None = None, extensions: str | None = CA,
             digest: str = "sha256", start: str | None = None, end: str | None = None, days: int = 365,
             subject: str | None = None, pss: bool = False) -> Path:
        """A certificate for `key`, signed by `issuer` (a name given to cert() before; self-signed without
        one). `start`/`end` as YYYYMMDDHHMMSSZ; `extensions` None makes a version 1 certificate."""
        cert, csr = self.path(f"{name}.pem"), self.path(f"{name}.csr")
        self.openssl("req", "-new", "-key", key, "-subj", subject or f"/CN={name}/O=openssl tests", "-out", csr,
                     "-config", self._config(""))
        signer_key = self.path(f"{issuer}.key") if issuer else key
        command = ["x509", "-req", "-in", csr, "-out", cert, "-set_serial", str(secrets.randbits(63)),
                   "-days", str(days)]
        command += ["-CA", self.path(f"{issuer}.pem"), "-CAkey", signer_key] if issuer else ["-signkey", key]
        if digest:
            command.append(f"-{digest}")
        if pss:
            command += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
        if extensions is not None:
            command += ["-extfile", self._config(extensions), "-extensions", "ext"]
        self.openssl(*command)
        if start or end:
            self._redate(cert, key, issuer, start, end, extensions, digest)
        return cert

    def _redate(self, cert: Path, key: Path, issuer: str | None, start, end, extensions, digest) -> None:
        """openssl x509 cannot backdate: `openssl ca` can, with a throwaway database."""
        base = self.path(f"ca-{secrets.token_hex(4)}")
        base.mkdir()
        (base / "index.txt").write_text("")
        config = base / "ca.cnf"
        config.write_text(f"[ca]\ndefault_ca=d\n[d]\ndatabase={base}/index.txt\nnew_certs_dir={base}\n"
                          f"serial={base}/serial\npolicy=p\ndefault_md={digest or 'sha256'}\n"
                          "unique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\n"
                          f"organizationName=optional\n[ext]\n{extensions or ''}\n")
        (base / "serial").write_text(f"{secrets.randbits(63):X}".rjust(16, "0") + "\n")
        csr = cert.with_suffix(".csr")
        signer = ["-keyfile", self.path(f"{issuer}.key"), "-cert", self.path(f"{issuer}.pem")] if issuer \
            else ["-selfsign", "-keyfile", key]
        dates = (["-startdate", start] if start else []) + (["-enddate", end] if end else ["-days", "365"])
        self.openssl("ca", "-batch", "-config", config, "-in", csr, "-out", cert, "-notext", *signer, *dates,
                     *(["-extensions", "ext"] if extensions else []))

    def _config(self, extensions: str) -> Path:
        path = self.path(f"ext-{secrets.token_hex(4)}.cnf")
        path.write_text(f"[req]\ndistinguished_name=dn\n[dn]\n[ext]\n{extensions}\n")
        return path

    def keystore(self, path: Path, key: Path, chain: list[Path], alias: str = "mykey") -> Path:
        """A keystore holding `key` with `chain` (leaf first), as PKCS12 (.p12) or, for .jks, JKS."""
        p12 = path if path.suffix == ".p12" else path.with_suffix(".tmp.p12")
        extra = self.path(f"chain-{secrets.token_hex(4)}.pem")
        extra.write_bytes(b"".join(c.read_bytes() for c in chain[1:]))
        self.openssl("pkcs12", "-export", "-inkey", key, "-in", chain[0], *(["-certfile", extra] if chain[1:] else []),
                     "-name", alias, "-passout", f"pass:{PASSWORD}", "-out", p12)
        if p12 != path:
            self.run_keytool("-importkeystore", "-srckeystore", p12, "-srcstoretype", "PKCS12",
                             "-srcstorepass", PASSWORD, "-destkeystore", path, "-deststoretype", "JKS",
                             "-deststorepass", PASSWORD, "-noprompt")
        return path

    def add_key(self, keystore: Path, key: Path, chain: list[Path], alias: str) -> None:
        """Another key entry in an existing keystore (keytool -importkeystore of a one-entry PKCS12)."""
        single = self.keystore(self.path(f"{alias}-{secrets.token_hex(4)}.p12"), key, chain, alias)
        self.run_keytool("-importkeystore", "-srckeystore", single, "-srcstoretype", "PKCS12",
                         "-srcstorepass", PASSWORD, "-destkeystore", keystore, "-deststorepass", PASSWORD,
                         "-noprompt")

    def truststore(self, path: Path, *certs: Path) -> Path:
        for cert in certs:
            self.run_keytool("-importcert", "-noprompt", "-keystore", path, "-storepass", PASSWORD,
                             "-alias", cert.stem.lower(), "-file", cert,
                             *(["-storetype", "JKS"] if path.suffix == ".jks" else []))
        return path

    def run_keytool(self, *args) -> str:
        result = self.keytool([str(a) for a in args])
        if result.returncode != 0:
            raise AssertionError(f"keytool {' '.join(map(str, args))}:\n{result.stdout}{result.stderr}")
        return result.stdout


def run_openssl(path: str):
    def run(*args):
        result = subprocess.run([path, *map(str, args)], capture_output=True)
        if result.returncode != 0:
            raise AssertionError(f"openssl {' '.join(map(str, args))}:\n{result.stderr.decode()}")
        return result
    return run
