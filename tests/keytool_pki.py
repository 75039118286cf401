"""Mutual-TLS layouts built with keytool alone, good and broken, for judging verify-pair.

verify-pair must agree with JSSE about stores it did not make, so these are
made the way a Java team would by hand: keytool -genkeypair, -certreq,
-gencert by a CA kept in its own keystore, and -importcert of the reply.
"""

from pathlib import Path

PASSWORD = "changeit"


class KeytoolPKI:
    def __init__(self, keytool, folder: Path):
        """`keytool(args, input)` runs keytool (the session's `keytool.call`)."""
        self.keytool, self.folder = keytool, folder
        self.cas = folder / "cas.p12"
        folder.mkdir(parents=True, exist_ok=True)

    def run(self, *args, keypass=PASSWORD, input=None):
        command = [*map(str, args), "-storepass", PASSWORD]
        if keypass is not None:
            command += ["-keypass", keypass]
        result = self.keytool(command, input or "")
        if result.returncode != 0:
            raise AssertionError(f"keytool {' '.join(map(str, args))}:\n{result.stdout}{result.stderr}")
        return result.stdout

    def root(self, alias: str) -> Path:
        """A self-signed root CA, kept in cas.p12; returns its PEM."""
        self.run("-genkeypair", "-keystore", self.cas, "-storetype", "pkcs12", "-alias", alias,
                 "-keyalg", "EC", "-groupname", "secp256r1", "-dname", f"CN={alias},O=keytool tests",
                 "-validity", 3650, "-ext", "bc:c=ca:true", "-ext", "ku:c=keyCertSign,cRLSign")
        return self.export(alias)

    def intermediate(self, alias: str, issuer: str) -> Path:
        """A CA signed by `issuer`, kept in cas.p12 with its chain."""
        self.run("-genkeypair", "-keystore", self.cas, "-storetype", "pkcs12", "-alias", alias,
                 "-keyalg", "EC", "-groupname", "secp256r1", "-dname", f"CN={alias},O=keytool tests",
                 "-validity", 3650)
        reply = self.sign(self.cas, alias, issuer, ["-ext", "bc:c=ca:true,pathlen:0",
                                                    "-ext", "ku:c=keyCertSign,cRLSign"])
        self.run("-importcert", "-noprompt", "-keystore", self.cas, "-alias", alias, "-file", reply)
        return self.export(alias)

    def export(self, alias: str) -> Path:
        path = self.folder / f"{alias}.pem"
        self.run("-exportcert", "-rfc", "-keystore", self.cas, "-alias", alias, "-file", path, keypass=None)
        return path

    def sign(self, keystore: Path, alias: str, issuer: str, options, keypass=PASSWORD) -> Path:
        csr = self.folder / f"{alias}.csr"
        reply = self.folder / f"{alias}.crt"
        self.run("-certreq", "-keystore", keystore, "-alias", alias, "-file", csr, keypass=keypass)
        self.run("-gencert", "-keystore", self.cas, "-alias", issuer, "-infile", csr, "-outfile", reply,
                 "-rfc", *options)
        return reply

    def key_entry(self, keystore: Path, alias: str, issuer: str, eku: str, ku: str = "digitalSignature",
                  san: str | None = None, keypass: str = PASSWORD, start: str | None = None,
                  validity: int = 365) -> None:
        """A key signed by `issuer`, with the reply (leaf and CA chain) installed."""
        self.run("-genkeypair", "-keystore", keystore, "-storetype", "jks", "-alias", alias,
                 "-keyalg", "EC", "-groupname", "secp256r1", "-dname", f"CN={alias},O=keytool tests",
                 keypass=keypass)
        options = ["-ext", f"eku={eku}", "-ext", f"ku:c={ku}", "-validity", validity]
        if san:
            options += ["-ext", f"san={san}"]
        if start:
            options += ["-startdate", start]
        reply = self.sign(keystore, alias, issuer, options, keypass=keypass)
        # The usual recipe: trust the CA in the keystore first, so keytool can link the reply.
        self.run("-importcert", "-noprompt", "-keystore", keystore, "-alias", f"{issuer}-for-{alias}",
                 "-file", self.folder / f"{issuer}.pem", keypass=None)
        self.run("-importcert", "-noprompt", "-keystore", keystore, "-alias", alias, "-file", reply,
                 keypass=keypass)

    def trust(self, truststore: Path, *aliases: str) -> None:
        for alias in aliases:
            self.run("-importcert", "-noprompt", "-keystore", truststore, "-storetype", "jks",
                     "-alias", alias, "-file", self.folder / f"{alias}.pem", keypass=None)
