"""What a configuration says about TLS, each value with the file and line it comes from.

Values may hold placeholders (`${VAR}`, `${VAR:default}`); `Resolver` fills them from the
environment (the process's own, and an env file as systemd's EnvironmentFile or a dotenv
file writes it). A placeholder nothing fills stays in `Setting.unresolved`: a finding, never
a crash.
"""

import os
import re
from dataclasses import dataclass, field

from ..errors import JkstoolError

_PLACEHOLDER = re.compile(r"\$\{([^}:]+)(?::-?([^}]*))?\}")


@dataclass(frozen=True)
class Setting:
    value: str
    where: str
    """FILE:LINE, or where else the value came from (an environment variable, a default)."""
    unresolved: tuple[str, ...] = ()
    """Placeholders nothing filled."""
    inline: bool = False
    """Written in the configuration file itself (not from a placeholder or the environment)."""


@dataclass
class StoreConfig:
    location: Setting | None = None
    type: Setting | None = None
    password: Setting | None = None
    key_password: Setting | None = None
    alias: Setting | None = None
    key_file: Setting | None = None
    """A PEM bundle's private key, in a file of its own (the certificates are `location`)."""


@dataclass
class Endpoint:
    """One TLS side as configured: its keystore, its truststore, and for a server whether it asks for a
    client certificate."""

    name: str
    side: str
    """"server" or "client"."""
    source: str
    keystore: StoreConfig = field(default_factory=StoreConfig)
    truststore: StoreConfig = field(default_factory=StoreConfig)
    client_auth: Setting | None = None
    """need, want or none (a server's)."""
    client_auth_configured: bool = True
    """False where the configuration cannot say (JVM flags: the application's code asks or not)."""
    protocols: Setting | None = None
    """The TLS versions enabled, comma-separated (None: the JDK's defaults)."""
    reload_on_update: Setting | None = None
    """A Spring Boot SSL bundle reloaded when its files change."""
    defaults: dict[str, str] = field(default_factory=dict)
    """What the runtime uses for a setting left out: keystore-type, truststore-type, keystore-password..."""


class Resolver:
    """Placeholders filled from `env` (variables), then `properties` (other settings of the same file)."""

    def __init__(self, env: dict[str, str], properties: dict[str, str] | None = None):
        self.env, self.properties = env, properties or {}

    def setting(self, raw: str, where: str) -> Setting:
        missing = []

        def fill(match: re.Match) -> str:
            name, default = match.group(1).strip(), match.group(2)
            name = name.removeprefix("env:")  # Kafka's EnvVarConfigProvider
            for source in (self.env, self.properties):
                if name in source:
                    return str(source[name])
            if default is not None:
                return str(default)
            missing.append(name)
            return str(match.group(0))
        value = _PLACEHOLDER.sub(fill, raw)
        return Setting(value, where, tuple(missing), inline=not _PLACEHOLDER.search(raw))


def read_env_file(path) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile and dotenv files write them ('export ', quotes, #)."""
    from .. import files, limits
    values = {}
    text = files.read_bytes(path, limits.PASSWORD_FILE_BYTES * 64, "an env file").decode("utf-8", "replace")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key.strip()):
            raise JkstoolError(f"{path}: a line that is not KEY=VALUE", "write one KEY=VALUE a line")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def environment(env_file=None) -> dict[str, str]:
    """The process's environment, an env file's values over it."""
    values = dict(os.environ)
    if env_file is not None:
        values.update(read_env_file(env_file))
    return values
