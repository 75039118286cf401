"""What a configuration says about TLS, each value with the file and line it comes from.

Values may hold placeholders (`${VAR}`, `${VAR:default}`); `Resolver` fills them from the
environment (the process's own, and an env file as systemd's EnvironmentFile or a dotenv
file writes it). A placeholder nothing fills stays in `Setting.unresolved`: a finding, never
a crash.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import limits
from ..errors import JkstoolError

# Innermost placeholders first, so that a default may hold one: ${TRUST:${app.tls.dir}/trust.p12}.
_SYNTAX = {
    "spring": re.compile(r"\$\{([^${}:]+)(?::([^${}]*))?\}"),
    "shell": re.compile(r"\$\{([^${}:]+)(?::-?([^${}]*))?\}"),  # Tomcat's ${name:-default} too
    "kafka": re.compile(r"\$\{env:([^${}:]+)\}"),  # Kafka's EnvVarConfigProvider: nothing else is expanded
}


@dataclass(frozen=True)
class Setting:
    value: str
    where: str
    """FILE:LINE, or where else the value came from (an environment variable, a default)."""
    unresolved: tuple[str, ...] = ()
    """Placeholders nothing filled."""
    why: str = "which nothing sets"
    """Why they stay unfilled."""
    fix: str = ""
    """What fills them, where it is not the variable itself."""
    inline: bool = False
    """Written in the configuration file itself (not from a placeholder or the environment)."""
    key: str = ""
    """The setting's name as the configuration writes it (server.ssl.key-store-password, an XML attribute,
    -Djavax.net.ssl.keyStore, an environment variable)."""


@dataclass
class StoreConfig:
    location: Setting | None = None
    type: Setting | None = None
    password: Setting | None = None
    key_password: Setting | None = None
    alias: Setting | None = None
    key_file: Setting | None = None
    """A PEM bundle's private key, in a file of its own (the certificates are `location`)."""


EITHER = "either"
"""The side of an endpoint whose configuration cannot say whether it is a client or a server (JVM flags)."""


@dataclass
class Endpoint:
    """One TLS side as configured: its keystore, its truststore, and for a server whether it asks for a
    client certificate."""

    name: str
    side: str
    """"server" or "client"; or EITHER, when the configuration cannot say (see `sides`)."""
    source: str
    keystore: StoreConfig = field(default_factory=StoreConfig)
    truststore: StoreConfig = field(default_factory=StoreConfig)
    client_auth: Setting | None = None
    """need, want or none (a server's)."""
    client_auth_configured: bool = True
    """False where the configuration cannot say (JVM flags: the application's code asks or not)."""
    protocols: Setting | None = None
    """The TLS versions enabled, comma-separated (None: the JDK's defaults)."""
    ciphers: Setting | None = None
    """The cipher suites enabled, comma-separated (None: the JDK's defaults)."""
    crl: Setting | None = None
    """The CRL file a server checks client certificates against (Tomcat's certificateRevocationListFile)."""
    reload_on_update: Setting | None = None
    """A Spring Boot SSL bundle reloaded when its files change."""
    missing_bundle: Setting | None = None
    """A Spring Boot server.ssl.bundle naming a bundle that no spring.ssl.bundle.* defines."""
    hostname: Setting | None = None
    """The server name a client checks the server's certificate against (a Kafka client's first bootstrap
    server, with Kafka's default endpoint identification)."""
    old_attributes: Setting | None = None
    """A Tomcat connector configured by its old TLS attributes (keystoreFile...), which Tomcat 10.1 ignores."""
    defaults: dict[str, str] = field(default_factory=dict)
    """What the runtime uses for a setting left out: keystore-type, truststore-type, keystore-password..."""
    sides: "tuple[Endpoint, ...]" = ()
    """Of an EITHER endpoint: the configuration read as each side's (a client's, a server's), for diagnose
    to check as the side its stores fit."""


class Resolver:
    """Placeholders filled from `env` (variables), then `properties` (other settings of the same file), in the
    placeholder syntax of the application: spring, shell (Tomcat, JVM flags) or kafka.

    What they fill in is counted, for all the settings of a resolver together: past limits.PLACEHOLDER_CHARS
    it is an error, where the placeholder is (a property made of ten references to itself grows tenfold a
    round)."""

    def __init__(self, env: dict[str, str], properties: dict[str, str] | None = None, syntax: str = "spring",
                 why: str = Setting.why, fix: str = ""):
        self.env, self.properties, self.pattern = env, properties or {}, _SYNTAX[syntax]
        self.why, self.fix = why, fix
        self.budget = limits.PLACEHOLDER_CHARS
        """The characters placeholders may still fill in."""

    def setting(self, raw: str, where: str, key: str = "") -> Setting:
        """The value of the setting `key`, written `raw` at `where`, its placeholders filled."""
        value = raw

        def fill(match: re.Match[str]) -> str:
            filled = self._fill(match)
            if filled == match.group(0):
                return filled
            self.budget -= len(filled)
            if self.budget < 0:
                raise JkstoolError(f"its placeholders fill in more than {limits.PLACEHOLDER_CHARS:,} characters "
                                   "(a value that expands itself?)", "check where the file comes from", path=where)
            return filled
        for _ in range(limits.PLACEHOLDER_ROUNDS):  # placeholders whose values hold more; a cycle stops here
            filled = self.pattern.sub(fill, value)
            if filled == value:
                break
            value = filled
        missing = tuple(dict.fromkeys(m.group(1).strip() for m in self.pattern.finditer(value)))
        return Setting(value, where, missing, self.why, self.fix, inline=not self.pattern.search(raw), key=key)

    def _fill(self, match: re.Match[str]) -> str:
        name = match.group(1).strip()
        for source in (self.env, self.properties):
            if name in source:
                return str(source[name])
        default = match.group(2) if (match.lastindex or 0) >= 2 else None
        return str(default) if default is not None else str(match.group(0))


def literal(raw: str, where: str, why: str, key: str = "") -> Setting:
    """A value no one expands (a systemd Environment= line): a placeholder in it stays as it is."""
    missing = tuple(m.group(1) for m in _SYNTAX["shell"].finditer(raw))
    return Setting(raw, where, missing, why=why, key=key) if missing else Setting(raw, where, inline=True, key=key)


def read_env_file(path: Path | str) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile and dotenv files write them: 'export ', quotes, # lines
    and # comments after a value."""
    from .. import files, limits
    values = {}
    text = files.read_bytes(path, limits.ENV_FILE_BYTES, "an env file").decode("utf-8", "replace")
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key.strip()):
            raise JkstoolError(f"line {number} is not KEY=VALUE", "write one KEY=VALUE a line", path=str(path))
        value = value.strip()
        quoted = re.fullmatch(r"""(['"])(.*?)\1(\s+#.*)?""", value)
        values[key.strip()] = quoted.group(2) if quoted else _uncommented(value)
    return values


def _uncommented(value: str) -> str:
    """The value before its first blank-led # (and the blanks before it). In one pass: a regex for the blanks
    and the # went back over each run of blanks from each of its characters, quadratic in a long run."""
    comment = re.search(r"\s#", value)
    return value[:comment.start()].rstrip() if comment else value


_JVM_OPTIONS = ("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS", "JAVA_OPTS", "CATALINA_OPTS")
"""Where a service's environment gives its JVM options (the launcher's, the agent's, Tomcat's scripts')."""


def security_override(env: dict[str, str]) -> str | None:
    """The java.security override (-Djava.security.properties=FILE) the environment's JVM options give: the last
    one given wins, as on a java command line, and only a file that is there (Java passes over one it cannot
    load; a relative or $VARIABLE path is the service's to resolve, not doctor's). The replacing form (==FILE)
    is read as an override too."""
    found = [m.group(1).strip("\"'") for name in _JVM_OPTIONS
             for m in re.finditer(r"-Djava\.security\.properties==?(\"[^\"]*\"|'[^']*'|\S+)", env.get(name, ""))]
    chosen = found[-1].removeprefix("file:") if found else None
    return chosen if chosen and Path(chosen).is_absolute() and Path(chosen).is_file() else None


def environment(env_file: Path | str | None = None) -> dict[str, str]:
    """The process's environment, an env file's values over it."""
    values = dict(os.environ)
    if env_file is not None:
        values.update(read_env_file(env_file))
    return values
