"""printcert, keytool's -printcert habit (issue: first contact): each certificate of a file (PEM, DER, PKCS#7) or
of the chain a server presents, in full. keytool decides the facts: every case is compared with what
`keytool -printcert` says of the same file or server (subject, issuer, serial, SHA-256), nothing hard-coded."""

import json
import re

import pytest
from helpers import FIXTURES, PASSWORD, run
from servers import free_port, s_server

SANS = ",".join(f"DNS:service-{n}.printcert.example.test" for n in range(12))
"""Alternative names enough to make list -v's line wider than 100 columns."""


@pytest.fixture(scope="module")
def made(tmp_path_factory, openssl, keytool):
    """Certificate files made by openssl (a root whose name has commas, a leaf with many alternative names; PEM,
    DER, a bundle, PKCS#7 from crl2pkcs7 in PEM and DER) and by keytool (-exportcert of the fixture stores)."""
    folder = tmp_path_factory.mktemp("printcert")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "30", "-subj", "/C=DE/O=Example, Inc./OU=Printing \"quoted\"/CN=Root",
            "-addext", "basicConstraints=critical,CA:true", "-keyout", folder / "root.key", "-out", folder / "root.pem")
    openssl("req", "-new", *ec, "-subj", "/O=Example, Inc./CN=localhost", "-keyout", folder / "leaf.key",
            "-out", folder / "leaf.csr")
    (folder / "leaf.ext").write_text(f"subjectAltName=DNS:localhost,{SANS}\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", folder / "leaf.csr", "-CA", folder / "root.pem", "-CAkey", folder / "root.key",
            "-CAcreateserial", "-days", "30", "-extfile", folder / "leaf.ext", "-out", folder / "leaf.pem")
    openssl("x509", "-in", folder / "leaf.pem", "-outform", "DER", "-out", folder / "leaf.der")
    (folder / "bundle.pem").write_bytes((folder / "leaf.pem").read_bytes() + (folder / "root.pem").read_bytes())
    openssl("crl2pkcs7", "-nocrl", "-certfile", folder / "bundle.pem", "-out", folder / "chain.p7b")
    openssl("crl2pkcs7", "-nocrl", "-certfile", folder / "bundle.pem", "-outform", "DER", "-out",
            folder / "chain-der.p7b")
    keytool("-exportcert", "-rfc", "-keystore", FIXTURES / "jdk17-keytool.jks", "-alias", "server", "-file",
            folder / "keytool-server.pem")
    listed = keytool("-list", "-keystore", FIXTURES / "serial-zero-roots.jks").stdout
    first = re.search(r"^([^,\n]+), [^\n]*trustedCertEntry", listed, re.M).group(1)
    keytool("-exportcert", "-keystore", FIXTURES / "serial-zero-roots.jks", "-alias", first, "-file",
            folder / "serial-zero.der")
    return folder


FILES = ["leaf.pem", "leaf.der", "bundle.pem", "chain.p7b", "chain-der.p7b", "keytool-server.pem",
         "serial-zero.der", "public-ca-bundle.pem"]


def where(made, name):
    return FIXTURES / name if (FIXTURES / name).exists() else made / name


# -- keytool's words ---------------------------------------------------------------------------------------------

KEYTOOL_KEYWORDS = {"EMAILADDRESS": "1.2.840.113549.1.9.1", "SERIALNUMBER": "2.5.4.5"}
"""keytool's names for attributes jkstool writes as object identifiers (as RFC 4514 has no keyword for them)."""


def keytool_name(text):
    """A name as keytool prints it (`CN=x, O="a, b"`): its (attribute, value) pairs, most specific first."""
    pairs = re.findall(r'(?:^|, )([A-Za-z][\w.]*)=("(?:[^"\\]|\\.)*"|[^,]*)', text)
    return [(KEYTOOL_KEYWORDS.get(key, key.removeprefix("OID.")),
             re.sub(r'\\(.)', r"\1", value[1:-1]) if value.startswith('"') else value) for key, value in pairs]


def jkstool_name(text):
    """A name as jkstool prints it (RFC 4514, `CN=x,O=a\\, b`): its (attribute, value) pairs."""
    return [(key, re.sub(r"\\(.)", r"\1", value)) for key, value in
            (part.split("=", 1) for part in re.split(r"(?<!\\),", text))]


def keytool_facts(output):
    """(subject, issuer, serial, sha256) of each certificate `keytool -printcert` printed."""
    facts = []
    for block in re.split(r"^(?=Owner: )", output, flags=re.M)[1:]:
        field = {key: value.strip() for key, value in re.findall(r"^\s*([\w ]+): (.*)$", block, re.M)}
        facts.append((keytool_name(field["Owner"]), keytool_name(field["Issuer"]), field["Serial number"],
                      field["SHA256"].replace(":", "").lower()))
    return facts


def jkstool_facts(*args):
    result = run("printcert", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return [(jkstool_name(c["subject"]), jkstool_name(c["issuer"]), c["serial"], c["sha256"])
            for c in json.loads(result.stdout)["certificates"]]


@pytest.mark.parametrize("name", FILES)
def test_printcert_of_a_file_says_what_keytool_says(made, keytool, name):
    path = where(made, name)
    said = keytool.call(["-printcert", "-file", str(path)])
    assert said.returncode == 0, said.stdout + said.stderr
    expected = keytool_facts(said.stdout)
    assert expected and jkstool_facts(path) == expected


def test_printcert_sslserver_shows_the_chain_keytool_sees(made, openssl, keytool):
    with s_server(openssl, "-rev", "-cert", made / "leaf.pem", "-cert_chain", made / "root.pem", "-key",
                  made / "leaf.key") as port:
        ours = jkstool_facts("--sslserver", f"127.0.0.1:{port}")
        text = run("printcert", "--sslserver", f"127.0.0.1:{port}")
        said = keytool.call(["-printcert", "-sslserver", f"127.0.0.1:{port}"])  # last: its JVM keeps the socket
    assert said.returncode == 0, said.stdout + said.stderr
    assert ours == keytool_facts(said.stdout) and len(ours) == 2
    assert text.exit_code == 0 and text.stderr == f"127.0.0.1:{port}: 2 certificates\n"


# -- the text -------------------------------------------------------------------------------------------------------

def test_printcert_prints_each_certificate_as_list_v_does_in_100_columns(made, keytool):
    result = run("printcert", made / "bundle.pem")
    assert result.exit_code == 0 and result.stderr == f"{made / 'bundle.pem'}: 2 certificates\n"
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("Certificate [")] == ["Certificate [1]:", "Certificate [2]:"]
    prints = [facts[3] for facts in keytool_facts(keytool.call(["-printcert", "-file", str(made / "bundle.pem")])
                                                  .stdout)]
    assert [line.split(": ")[1] for line in lines if line.startswith("  SHA-256: ")] == prints
    for label in ("Subject", "Issuer", "Key", "Serial", "Not before", "Not after", "Signature", "Subject alt names",
                  "Extended key usage", "Key usage", "Basic constraints", "Subject key id", "Authority key id"):
        assert sum(line.startswith(f"  {label}: ") for line in lines) == 2, label
    assert not [line for line in lines if len(line) > 100]
    names = result.stdout.split("  Subject alt names: ")[1].split("\n  Extended key usage")[0]
    assert len(names.splitlines()) > 1 and names.split() == [f"{name}," for name in
                                                             f"DNS:localhost,{SANS}".split(",")[:-1]] + \
        [SANS.split(",")[-1]]  # wrapped, every name whole


def test_printcert_json_has_stable_keys(made):
    result = run("printcert", made / "leaf.der", "--json")
    data = json.loads(result.stdout)
    assert data["source"] == str(made / "leaf.der")
    (cert,) = data["certificates"]
    assert set(cert) == {"subject", "issuer", "serial", "not_before", "not_after", "sha256", "key_algorithm",
                         "key_size", "signature_algorithm", "subject_alt_names", "extended_key_usage", "key_usage",
                         "basic_constraints", "subject_key_id", "authority_key_id"}
    assert cert["extended_key_usage"] == ["serverAuth"] and cert["key_algorithm"] == "EC"


# -- errors: one line, exit 2 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    ([], "give a certificate file, or --sslserver HOST:PORT: one of them"),
    (["FILE", "--sslserver", "x:1"], "give a certificate file, or --sslserver HOST:PORT: one of them"),
    (["--sslserver", "nowhere"], "'nowhere': give HOST:PORT, such as api.example.com:443"),
    (["STORE"], "STORE: this is a JKS store, not a certificate file (see its certificates with jkstool list STORE "
                "-v)"),
    (["NOTES"], "NOTES: neither a PEM bundle, a DER certificate nor a PKCS#7 bundle (give certificates in PEM, DER "
                "or PKCS#7)"),
])
def test_printcert_errors_are_one_line(made, args, says):
    (made / "notes.txt").write_text("not a certificate\n")
    paths = {"FILE": made / "leaf.pem", "STORE": FIXTURES / "jdk17-keytool.jks", "NOTES": made / "notes.txt"}
    result = run("printcert", *[paths.get(a, a) for a in args])
    for name, path in paths.items():
        says = says.replace(f"{name}:", f"{path}:")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: {says}\n"


@pytest.mark.parametrize("body", ["MIIB", "AAAA"])
def test_printcert_refuses_what_keytool_fails_to_parse(tmp_path, keytool, body):
    broken = tmp_path / "broken.pem"
    broken.write_text(f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
    said = keytool.call(["-printcert", "-file", broken], "")
    assert said.returncode != 0 and "Failed to parse input" in said.stdout + said.stderr
    result = run("printcert", broken)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: {broken}: certificate 1 of the file is not a certificate: its DER does not " \
        "parse (export it again)\n"


def test_printcert_of_a_server_that_is_not_there_is_one_line():
    port = free_port()
    result = run("printcert", "--sslserver", f"127.0.0.1:{port}")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: 127.0.0.1:{port}: no certificate: cannot connect to 127.0.0.1:{port}: " \
        "Connection refused (check the host and port)\n"


def test_printcert_help_has_an_example():
    text = run("printcert", "--help").stdout
    assert "jkstool printcert --sslserver api.example.com:443" in text and PASSWORD not in text
