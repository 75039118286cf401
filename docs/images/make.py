#!/usr/bin/env python3
"""Make the pictures of docs/graph.md and README.md again, from real layouts, shot by headless Chromium.

    python docs/images/make.py          # jkstool importable (its venv), chromium on the PATH

Three pairs under one root, as verify-pair meets them: `payments` (good), `orders` (its client truststore
lacks the server's CA: server-untrusted) and `billing` (its server keystore still sends an expired copy of
the company's intermediate: cert-expired). Each is drawn with `jkstool graph` (SVG, the JDK on the machine
deciding where there is one), and the three with `verify-pair ROOT --all --format html`; Chromium shoots
each at its own size. Writes graph-good.png, graph-untrusted.png, graph-expired-intermediate.png and
fleet-report.png here, each under 150 KB.
"""

import dataclasses
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import jkstool
from jkstool import api

HERE = Path(__file__).resolve().parent
PASSWORD = "changeit"
LIMIT = 150_000


def company_ca(folder: Path) -> tuple[Path, Path, bytes]:
    """A company root and intermediate (chain file, key file) and an expired copy of the intermediate
    (same name and key), DER."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(key, name, issuer, issuer_key, start, days):
        subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name),
                             x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Example Corp")])
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now + datetime.timedelta(days=start))
                .not_valid_after(now + datetime.timedelta(days=start + days))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                               critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                               critical=False)
                .sign(issuer_key, hashes.SHA256()))
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = issue(root_key, "Example Corp Root CA", None, root_key, -1, 3650)
    intermediate = issue(key, "Example Corp Issuing CA 2", root.subject, root_key, -1, 730)
    expired = issue(key, "Example Corp Issuing CA 2", root.subject, root_key, -400, 365)
    folder.mkdir(parents=True)
    chain, key_file = folder / "chain.pem", folder / "key.pem"
    chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (intermediate, root)))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return chain, key_file, expired.public_bytes(serialization.Encoding.DER)


def pairs(work: Path) -> Path:
    root = work / "services"
    jkstool.init_pair(root / "payments", password=PASSWORD, server_cn="payments.example.com",
                      sans=["DNS:payments.example.com"], client_cn="checkout")
    orders = jkstool.init_pair(root / "orders", password=PASSWORD, server_cn="orders.example.com",
                               sans=["DNS:orders.example.com"], client_cn="warehouse")
    other = jkstool.init_pair(work / "elsewhere", password=PASSWORD)
    shutil.copyfile(other.store_path("client-truststore"), orders.store_path("client-truststore"))
    chain, key, expired = company_ca(work / "company")
    billing = jkstool.init_pair(root / "billing", password=PASSWORD, server_cn="billing.example.com",
                                sans=["DNS:billing.example.com"], client_cn="invoicing", ca=(chain, key))
    with api.edit_store(billing.store_path("server-keystore"), PASSWORD) as edit:
        entry = edit.key_entry("server")
        edit.store.put(dataclasses.replace(entry, chain=(entry.chain[0], expired, *entry.chain[2:])))
    return root


def shoot(chromium: str, page: Path, png: Path, width: int, height: int) -> None:
    subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--force-device-scale-factor=1", f"--window-size={width},{height}", f"--screenshot={png}",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    size = png.stat().st_size
    print(f"{png.name}: {width}x{height}, {size:,} bytes")
    if size > LIMIT:
        sys.exit(f"{png.name} is over {LIMIT:,} bytes: shoot a smaller window")


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        sys.exit("needs chromium on the PATH (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        os.chdir(work)  # the findings name the stores as a user's relative paths do
        root = pairs(Path("."))
        for name, image in (("payments", "graph-good"), ("orders", "graph-untrusted"),
                            ("billing", "graph-expired-intermediate")):
            report = api.verify_pair(root / name, password=PASSWORD, first_break=True)
            svg = api.graph(report, name).svg()
            page = work / f"{image}.svg"
            page.write_text(svg)
            height = int(ElementTree.fromstring(svg).get("height"))
            shoot(chromium, page.resolve(), HERE / f"{image}.png", 1180, height)
        fleet = api.verify_fleet(root, password=PASSWORD)
        page = work / "report.html"
        page.write_text(api.fleet_report_html(fleet, title="Mutual-TLS pairs under /etc/tls/services"))
        shoot(chromium, page.resolve(), HERE / "fleet-report.png", 1240, 680)


if __name__ == "__main__":
    main()
