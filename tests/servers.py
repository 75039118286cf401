"""Real servers on 127.0.0.1, configured by jkstool's snippets: nginx, Apache httpd and Tomcat 10 from
Debian's packages. Each is a context manager that starts the server in a folder of its own, waits for
its port, and stops it."""

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


class _Server:
    port_wait = 30

    def __init__(self, command, port: int, env=None):
        self.command, self.port, self.env = command, port, env

    def __enter__(self):
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, self.port_wait)
        except AssertionError:
            self.process.kill()
            raise AssertionError(f"{self.command[0]} did not start: {self.process.communicate()[0].decode()}") from None
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


class Nginx(_Server):
    def __init__(self, binary, folder: Path, server_block: str, port: int):
        folder.mkdir(parents=True, exist_ok=True)
        conf = folder / "nginx.conf"
        temps = "".join(f"    {kind}_temp_path {folder}/{kind};\n" for kind in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf.write_text(f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nworker_processes 1;\n"
                        f"events {{ }}\nhttp {{\n    access_log off;\n{temps}{server_block}\n}}\n")
        super().__init__([binary, "-c", conf], port)

    def reload(self) -> None:
        """`nginx -s reload`, as the snippet says: the master rereads its files, new workers serve."""
        subprocess.run([*self.command, "-s", "reload"], check=True, capture_output=True, timeout=30)


class Apache(_Server):
    MODULES = Path("/usr/lib/apache2/modules")
    DOCUMENTS = Path("/var/www/html")
    """Debian's default site (its workers run as nobody, who cannot read the tests' private folders)."""

    def __init__(self, binary, folder: Path, virtual_host: str, port: int):
        folder.mkdir(parents=True, exist_ok=True)
        conf = folder / "httpd.conf"
        modules = "".join(f"LoadModule {name}_module {self.MODULES}/mod_{name}.so\n"
                          for name in ("mpm_event", "ssl", "socache_shmcb", "authz_core", "dir"))
        conf.write_text(f"{modules}ServerName localhost\nPidFile {folder}/httpd.pid\nErrorLog {folder}/error.log\n"
                        f"DefaultRuntimeDir {folder}\nUser nobody\nGroup nogroup\n"
                        f"DocumentRoot {self.DOCUMENTS}\n<Directory {self.DOCUMENTS}>\n    AllowOverride None\n"
                        f"    Require all granted\n</Directory>\n{virtual_host}\n")
        super().__init__([binary, "-f", conf, "-DFOREGROUND"], port)

    def reload(self) -> None:
        """A graceful restart (apachectl -k graceful, as the snippet says): the listener stays open."""
        subprocess.run([*self.command[:3], "-k", "graceful"], check=True, capture_output=True, timeout=30)


class Tomcat(_Server):
    port_wait = 60
    MANAGER = Path("/usr/share/tomcat10-admin/manager")
    RELOADER = ("reloader", "reloader-password")
    """The manager-script user of a Tomcat started with its manager (test-only credentials)."""

    def __init__(self, home: Path, folder: Path, connector: str, port: int, env: dict, manager: int | None = None):
        """With `manager` (a port), Tomcat's manager application also runs, on plain HTTP at 127.0.0.1:`manager`."""
        self.manager = manager
        for name in ("conf", "logs", "temp", "work", "webapps/ROOT"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        conf = home / "conf" if (home / "conf" / "web.xml").exists() else Path("/etc/tomcat10")
        shutil.copy(conf / "web.xml", folder / "conf" / "web.xml")
        (folder / "webapps" / "ROOT" / "index.html").write_text("hello from tomcat\n")
        enable = re.search(r"org\.apache\.tomcat\.util\.digester\.PROPERTY_SOURCE=\S+", connector).group(0)
        skip = "tomcat.util.scan.StandardJarScanFilter.jarsToSkip=*.jar"  # no jar scanning: a faster start
        (folder / "conf" / "catalina.properties").write_text((conf / "catalina.properties").read_text()
                                                             + f"\n{enable}\n{skip}\n")
        users = realm = application = ""
        if manager:
            (folder / "conf" / "tomcat-users.xml").write_text(
                f'<tomcat-users><user username="{self.RELOADER[0]}" password="{self.RELOADER[1]}" '
                'roles="manager-script"/></tomcat-users>\n')
            users = ('  <GlobalNamingResources><Resource name="UserDatabase" auth="Container" '
                     'type="org.apache.catalina.UserDatabase" pathname="conf/tomcat-users.xml" '
                     'factory="org.apache.catalina.users.MemoryUserDatabaseFactory"/></GlobalNamingResources>\n')
            connector += f'\n    <Connector port="{manager}" address="127.0.0.1" protocol="HTTP/1.1"/>'
            realm = '<Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase"/>'
            application = f'<Context path="/manager" docBase="{self.MANAGER}" privileged="true"/>'
        (folder / "conf" / "server.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
{users}  <Service name="Catalina">
{connector}
    <Engine name="Catalina" defaultHost="localhost">{realm}
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false">{application}</Host>
    </Engine>
  </Service>
</Server>
""")
        env = {**os.environ, **env, "CATALINA_HOME": str(home), "CATALINA_BASE": str(folder),
               "CATALINA_TMPDIR": str(folder / "temp"), "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -Xshare:auto"}
        super().__init__([home / "bin" / "catalina.sh", "run"], port, env)

    def __enter__(self):
        super().__enter__()
        if self.manager:
            wait_for_port(self.manager, self.port_wait)
        return self

    def reload(self) -> None:
        """The manager's sslReload, as the snippet says: every TLS host's stores reread in place."""
        assert self.manager, "started without its manager"
        answer = subprocess.run(["curl", "-sS", "-u", ":".join(self.RELOADER),
                                 f"http://127.0.0.1:{self.manager}/manager/text/sslReload"],
                                capture_output=True, text=True, timeout=30)
        assert answer.stdout.startswith("OK"), answer.stdout + answer.stderr


def served_serial(port: int) -> str:
    """The serial number (hex) of the certificate the server on `port` presents, as openssl sees it."""
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost"],
                            input="", capture_output=True, text=True, timeout=30)
    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", result.stdout, re.S)
    assert pem, result.stdout + result.stderr
    text = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem.group(0), capture_output=True,
                          text=True, check=True).stdout
    return text.strip().split("=", 1)[1].lower().lstrip("0")


@contextmanager
def s_server(openssl, *args, close_after_handshake=False):
    """openssl s_server on 127.0.0.1 with `args`: its port. With `close_after_handshake`, it is told (`q` on its
    input) to close each connection as soon as its handshake is done, without a word: no alert, no answer."""
    port = free_port()
    server = subprocess.Popen([openssl.path, "s_server", "-accept", f"127.0.0.1:{port}", *map(str, args)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def watch():  # reads all it says (a full pipe would stall it), and closes after each handshake if asked
        for line in server.stdout:
            if close_after_handshake and line.startswith("CIPHER is"):
                server.stdin.write("q\n")
                server.stdin.flush()
    threading.Thread(target=watch, daemon=True).start()
    try:
        wait_for_port(port)
        yield port
    finally:
        server.kill()
        server.wait()
