"""Hardening: each attack a security review made on jkstool, replayed (issue: no key leaks through the
file system, no lost writes, no input that hangs or eats memory).

Races run JKSTOOL_RACE_ROUNDS times (2 here; tests/stress.sh runs more), and hostile files at
scale 1 (tests/hostile.py runs them larger).
"""

import datetime
import os
import re
import secrets
import stat
import subprocess
import sys

import hostile
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers import PASSWORD, MiniCA, run

from jkstool import files
from jkstool.errors import JkstoolError

ENV = {"JKSTOOL_STOREPASS": PASSWORD}
ROUNDS = int(os.environ.get("JKSTOOL_RACE_ROUNDS", "2"))
ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A layout made once; each test takes a copy."""
    folder = tmp_path_factory.mktemp("pristine") / "tls"
    assert run("init-pair", folder, "--separate-cas", "--store-type", "jks", env=ENV).exit_code == 0
    return folder


@pytest.fixture
def layout(pristine, tmp_path):
    import shutil
    folder = tmp_path / "tls"
    shutil.copytree(pristine, folder)
    return folder


@pytest.fixture(scope="module")
def partner_ca(tmp_path_factory):
    path = tmp_path_factory.mktemp("partner") / "partner-ca.pem"
    path.write_bytes(MiniCA("Partner").root.public_bytes(serialization.Encoding.PEM))
    return path


def jkstool(*args, env=ENV):
    return subprocess.Popen([sys.executable, "-m", "jkstool", *map(str, args)], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def together(*commands):
    """Start the commands at once; their (exit code, stderr), in order."""
    processes = [jkstool(*c) for c in commands]
    return [(p.returncode, err) for p in processes for _, err in [p.communicate(timeout=120)]]


def aliases(keytool, store) -> set[str]:
    return set(re.findall(r"^Alias name: (.*)$", keytool("-list", "-v", "-keystore", store).stdout, re.M))


# -- the file system --------------------------------------------------------------------------------

def test_links_planted_at_the_backup_and_temporary_names_are_never_followed(layout, partner_ca, tmp_path,
                                                                             monkeypatch):
    """Regression: backups went to NAME.bak-<second>, so a link planted there made root write the key where
    the attacker chose. The names are now unguessable; here they are guessed (the random part is fixed)
    and every link is left alone."""
    monkeypatch.setattr(secrets, "token_hex", lambda n=None: "f00d" * 3)
    store = layout / "server.truststore.jks"
    before = store.read_bytes()
    stolen = tmp_path / "stolen"
    now = datetime.datetime.now(datetime.timezone.utc)
    stamps = [(now + datetime.timedelta(seconds=s)).strftime("%Y%m%dT%H%M%SZ") for s in range(3)]
    for name in os.listdir(layout):
        planted = [f".{name}.{os.getpid()}.f00df00df00d.tmp"]
        planted += [f"{name}.bak-{stamp}{tail}" for stamp in stamps for tail in ("", "-f00df00df00d")]
        for link in planted:
            (layout / link).symlink_to(stolen)
    result = run("import-ca", store, partner_ca, env=ENV)
    assert result.exit_code == 2 and "File exists" in result.stderr, result.stderr
    assert not stolen.exists() and store.read_bytes() == before


@pytest.mark.parametrize("command", ["import-ca", "passwd"])
def test_a_link_planted_at_the_lock_name_is_refused(layout, partner_ca, tmp_path, command):
    """Regression: the lock file was opened with O_CREAT, following a planted link."""
    store = layout / "client.keystore.jks" if command == "passwd" else tmp_path / "lone.truststore.jks"
    if command == "import-ca":
        assert run("import-ca", store, partner_ca, env=ENV).exit_code == 0
        lock = tmp_path / f".{store.name}.lock"
        args = ["import-ca", store, layout / "ca" / "client-ca.pem"]
    else:
        lock = layout / ".layout.json.lock"
        args = ["passwd", store, "--new-storepass", "env:NEW"]
    target = tmp_path / "planted"
    lock.symlink_to(target)
    result = run(*args, env={**ENV, "NEW": "another-password"})
    assert result.exit_code == 2 and "the lock file is a symbolic link" in result.stderr, result.stderr
    assert not target.exists() and lock.is_symlink()


@pytest.mark.skipif(not ROOT, reason="making a store another user's takes root (CI runs as root)")
@pytest.mark.parametrize("command", ["passwd", "import-ca"])
def test_a_store_owned_by_a_service_user_stays_theirs(layout, partner_ca, keytool, command):
    """Regression: `passwd` and `import-ca` run as root made a nobody:nogroup 0600 store root's."""
    import grp
    import pwd
    store = layout / ("server.keystore.jks" if command == "passwd" else "server.truststore.jks")
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    os.chown(store, nobody, nogroup)
    store.chmod(0o600)
    subprocess.run(["setfacl", "-m", "g:adm:r", store], check=True)  # an ACL: adm may read it too
    acl = _acl(store)
    new = "renewed-secret"
    if command == "passwd":  # a layout's stores change their password together
        result = run("passwd", layout, "--new-storepass", "env:NEW", env={**ENV, "NEW": new})
    else:
        result = run("import-ca", store, partner_ca, env=ENV)
    assert result.exit_code == 0, result.stderr
    info = store.stat()
    assert (info.st_uid, info.st_gid) == (nobody, nogroup) and _acl(store) == acl, _acl(store)
    assert stat.S_IMODE(info.st_mode) == 0o640  # 0600, and the ACL's mask in the group bits
    keytool("-list", "-keystore", store, password=new if command == "passwd" else PASSWORD)


def _acl(path) -> str:
    return subprocess.run(["getfacl", "-cp", path], capture_output=True, text=True, check=True).stdout


def test_an_unencrypted_key_never_lands_in_a_file_others_can_read(layout, tmp_path):
    """Regression: `export --no-encrypt-key --force` over a 0644 file kept 0644 for the clear key."""
    key = tmp_path / "k.pem"
    key.write_text("old\n")
    key.chmod(0o644)
    result = run("export", layout / "client.keystore.jks", "--key", key, "--no-encrypt-key", "--force", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert b"BEGIN PRIVATE KEY" in key.read_bytes() and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_link_at_the_destination_is_replaced_not_followed(layout, tmp_path):
    target = tmp_path / "elsewhere.pem"
    target.write_text("untouched\n")
    key = tmp_path / "k.pem"
    key.symlink_to(target)
    result = run("export", layout / "client.keystore.jks", "--key", key, "--no-encrypt-key", "--force", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert target.read_text() == "untouched\n" and not key.is_symlink()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


# -- races: both runs used to exit 0 with one's work lost ---------------------------------------------

@pytest.mark.parametrize("round", range(ROUNDS))
def test_rollover_and_import_ca_on_one_layout_both_land(layout, partner_ca, keytool, round):
    truststore = layout / "server.truststore.jks"
    before = aliases(keytool, truststore)
    results = together(["rollover-ca", layout, "--side", "client"], ["import-ca", truststore, partner_ca])
    assert [code for code, _ in results] == [0, 0], results
    after = aliases(keytool, truststore)
    assert before < after and len(after) == len(before) + 2, (before, after)  # the new client CA and the partner


@pytest.mark.parametrize("round", range(ROUNDS))
def test_two_revokes_on_one_crl_both_land(layout, tmp_path, openssl, round):
    ca_cert, ca_key = layout / "ca" / "client-ca.pem", layout / "ca" / "client-ca-key.pem"
    issuer = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    signer = serialization.load_pem_private_key(ca_key.read_bytes(), PASSWORD.encode())
    leaves = [_leaf(issuer, signer, tmp_path / f"leaf{n}.pem") for n in range(2)]
    crl = tmp_path / "client-ca.crl"
    results = together(*[["revoke", leaf, "--ca-cert", ca_cert, "--ca-key", ca_key, "--crl", crl,
                          "--ca-keypass", "env:JKSTOOL_STOREPASS"]
                         for leaf, _ in leaves])
    assert [code for code, _ in results] == [0, 0], results
    text = openssl("crl", "-in", crl, "-inform", "DER" if not crl.read_bytes().startswith(b"-----") else "PEM",
                   "-noout", "-text").stdout.decode()
    listed = {int(s, 16) for s in re.findall(r"Serial Number: ([0-9A-F]+)", text)}
    assert listed == {serial for _, serial in leaves}, text


def _leaf(issuer, signer, path):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, path.stem)]))
            .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30)).sign(signer, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, cert.serial_number


@pytest.mark.parametrize("round", range(ROUNDS))
def test_two_init_pairs_into_one_folder_one_wins_whole(tmp_path, handshake, round):
    folder = tmp_path / "tls"
    results = together(["init-pair", folder], ["init-pair", folder, "--store-type", "pkcs12"])
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert loser.count("\n") == 1 and str(folder) in loser, loser
    assert run("verify-pair", folder, env=ENV).exit_code == 0
    ok, seen = handshake(folder, store_type="pkcs12" if (folder / "server.keystore.p12").exists() else "jks")
    assert ok, seen


# -- passwords ------------------------------------------------------------------------------------

def test_an_empty_password_from_the_environment_writes_nothing(tmp_path):
    """Regression: `JKSTOOL_STOREPASS= jkstool init-pair` (a missing CI secret) wrote an unencrypted CA key
    and stores protected by ""."""
    result = run("init-pair", tmp_path / "tls", env={"JKSTOOL_STOREPASS": ""})
    assert result.exit_code == 2 and "JKSTOOL_STOREPASS" in result.stderr and "empty" in result.stderr, result.stderr
    assert not (tmp_path / "tls").exists()


def test_the_ca_key_is_encrypted_as_strongly_as_keytools_stores(pristine, openssl):
    """PBES2 with AES-256 and at least keytool's 10,000 PBKDF2 iterations (was 2048)."""
    text = openssl("asn1parse", "-in", pristine / "ca" / "client-ca-key.pem").stdout.decode()
    assert "PBES2" in text and "aes-256-cbc" in text and "PBKDF2" in text
    iterations = [int(v, 16) for v in re.findall(r"INTEGER\s+:([0-9A-F]+)", text)]
    assert max(iterations) >= 10_000, text


# -- hostile input: one line, exit 2, in bounded time and memory ------------------------------------

@pytest.mark.parametrize("case", hostile.CASES, ids=lambda c: c.name)
def test_hostile_files_end_in_one_line_within_bounds(case, tmp_path):
    env = {"JKSTOOL_MAX_KDF_ITERATIONS": "1"} if case.name == "pkcs12-many-blobs" else None  # refused at once
    outcome, size = hostile.run_case(case, tmp_path, scale=1, env=env, timeout=60)
    path = str(tmp_path / case.file)
    assert outcome.code == 2 and outcome.stdout == "", outcome
    assert outcome.stderr.count("\n") == 1 and case.says.replace("FILE", path) in outcome.stderr, outcome.stderr
    assert outcome.seconds < 30  # what used to take minutes to hours
    assert outcome.peak_mib < 64 + 2 * size / hostile.MIB, outcome  # once 10 to 30 times the file's size


def test_a_huge_password_file_is_refused_unread(pristine, tmp_path):
    """Regression: --storepass file: naming a 2 GB file read it all (MemoryError)."""
    big = tmp_path / "password"
    with open(big, "wb") as out:
        out.truncate(2 << 30)  # sparse: 2 GiB that take no disk
    outcome = hostile.measure(["list", pristine / "server.truststore.jks", "--storepass", f"file:{big}"])
    assert outcome.code == 2 and outcome.peak_mib < 100, outcome
    assert outcome.stderr.startswith(f"error: {big}: ") and outcome.stderr.count("\n") == 1, outcome.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "fifo"])
def test_a_device_or_fifo_is_refused_by_its_type(tmp_path, device):
    """Regression: /dev/zero has size 0 by stat, so the size limit let it be read until memory ran out."""
    if device == "fifo":
        device = tmp_path / "fifo"
        os.mkfifo(device)
    outcome = hostile.measure(["list", device], env=ENV, timeout=30)
    assert outcome.code == 2 and "is not a regular file" in outcome.stderr and outcome.seconds < 10, outcome


def test_a_file_is_read_whole_up_to_the_limit_and_refused_past_it(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert files.read_bytes(path, limit=100) == b"x" * 100
    with pytest.raises(JkstoolError, match="larger than"):
        files.read_bytes(path, limit=99)
    assert files.read_bytes("/proc/self/status", limit=1 << 20).startswith(b"Name:")  # st_size 0: read anyway


# -- the password prompt ------------------------------------------------------------------------------

def on_a_terminal(args, keys: bytes) -> tuple[int, str]:
    """Run jkstool on a pseudo-terminal, type `keys` at its prompt: (exit code, all it wrote)."""
    import pty
    import select
    env = {k: v for k, v in os.environ.items() if k != "JKSTOOL_STOREPASS"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: jkstool, with the terminal as its own
        os.execve(sys.executable, [sys.executable, "-m", "jkstool", *map(str, args)], env)
    seen, typed = b"", False
    while select.select([fd], [], [], 30)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not typed and seen.rstrip().endswith(b":"):
            os.write(fd, keys)
            typed = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_the_prompt_offers_to_skip_the_integrity_check_only_where_that_reads_the_store(pristine, tmp_path, keytool):
    jks = pristine / "server.truststore.jks"
    code, text = on_a_terminal(["list", jks], b"\n")
    assert code == 0 and "(Enter to skip the integrity check)" in text and "client" in text.lower(), text
    p12 = tmp_path / "truststore.p12"  # keytool's PKCS12: its certificates are encrypted
    keytool("-importkeystore", "-srckeystore", jks, "-srcstorepass", PASSWORD, "-destkeystore", p12,
            "-deststoretype", "PKCS12", "-deststorepass", PASSWORD)
    code, text = on_a_terminal(["list", p12], PASSWORD.encode() + b"\n")
    assert code == 0 and f"Password of {p12}:" in text and "integrity check" not in text, text


def test_ctrl_d_at_the_prompt_is_a_clean_exit_2(pristine):
    """Regression: Ctrl-D at the prompt was 'unexpected EOFError'."""
    code, text = on_a_terminal(["list", pristine / "server.keystore.jks"], b"\x04")
    assert code == 2 and "no password given" in text and "Traceback" not in text, text


# -- a certificate no parser takes, in every command ---------------------------------------------------

@pytest.fixture(scope="module")
def version_4_files(tmp_path_factory):
    """A CA certificate re-signed as version 4 (cryptography raises InvalidVersion), as PEM and in a JKS."""
    import base64

    from helpers import CREATED, certificate, version_4

    from jkstool import formats
    from jkstool.model import Store, TrustedCertEntry
    folder = tmp_path_factory.mktemp("v4")
    key = ec.generate_private_key(ec.SECP256R1())
    data = version_4(certificate(key, "Version 4 CA", ca=True), key)
    pem = folder / "v4.pem"
    pem.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(data) + b"-----END CERTIFICATE-----\n")
    store = folder / "v4.jks"
    formats.write_store(store, Store([TrustedCertEntry("v4", data, CREATED)]), "jks", PASSWORD)
    return pem, store


def test_java_refuses_the_version_4_certificate(version_4_files, keytool):
    result = keytool("-list", "-keystore", version_4_files[1], check=False)
    assert result.returncode != 0, result.stdout


@pytest.mark.parametrize("command", ["list", "expiry", "import-ca", "verify-pair"])
def test_every_command_names_a_certificate_no_parser_takes(version_4_files, pristine, tmp_path, command):
    """Regression: cryptography's InvalidVersion escaped as 'unexpected InvalidVersion', or as an error
    that named no file."""
    pem, store = version_4_files
    args = {"list": [store], "expiry": [store], "import-ca": [tmp_path / "t.jks", pem],
            "verify-pair": ["--server-keystore", pristine / "server.keystore.jks", "--server-truststore", store,
                            "--client-keystore", pristine / "client.keystore.jks",
                            "--client-truststore", pristine / "client.truststore.jks"]}[command]
    result = run(command, *args, env=ENV)
    assert "unexpected" not in result.stderr and result.stderr.count("\n") <= 2, result.stderr
    if command in ("list", "expiry"):  # shown from its DER, with a warning
        assert result.exit_code == 0 and "Version 4 CA" in result.stdout, result.stderr
        assert command == "expiry" or "certificate 1: cannot be parsed" in result.stderr
    else:
        where = f"{pem}: " if command == "import-ca" else f"{store}: alias 'v4': "
        assert result.exit_code == 2 and result.stderr.startswith(f"error: {where}"), result.stderr
        assert "3 is not a valid X509 version" in result.stderr
