"""Configurations read into endpoints: Spring Boot, Tomcat's server.xml, JVM flags, Kafka properties.

Each reader keeps the file and line of every value, and the defaults of its runtime for what is
left out (Tomcat's keystore type JKS and password "changeit", Kafka's JKS, the JVM's default
store type and cacerts), since those decide what really gets loaded.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from .. import files, limits
from ..errors import JkstoolError
from ..properties import MalformedEscape, java_trim
from ..properties import load as load_properties
from .config import EITHER, Endpoint, Resolver, Setting, literal

if TYPE_CHECKING:
    import yaml


def kind_of(path: Path, text: str) -> str:
    """spring, tomcat, jvm or kafka, from the file's name and content."""
    name = path.name.lower()
    if name.endswith(".xml") or "<Connector" in text:
        return "tomcat"
    if name.startswith("application") and name.endswith((".properties", ".yml", ".yaml")):
        return "spring"
    if "ssl.keystore.location" in text or "ssl.truststore.location" in text or "security.protocol" in text:
        return "kafka"
    if "-Djavax.net.ssl." in text:
        return "jvm"
    if "server.ssl." in text or "spring.ssl.bundle" in text:
        return "spring"
    raise JkstoolError("not a configuration doctor reads (Spring Boot, Tomcat server.xml, JVM flags, Kafka)",
                       "give application.properties/yml, server.xml, a file of -D flags or Kafka properties",
                       path=str(path))


def read(path: Path, env: dict[str, str], profiles: list[str], classpath: Path | None,
         jvm_side: str = "client") -> list[Endpoint]:
    """The endpoints a configuration file sets up. JVM flags configure the side `jvm_side`, or with EITHER
    an endpoint that diagnose checks as the side its stores fit (the flags cannot say whether the
    application is a client or a server)."""
    data = _bytes(path)
    text = data.decode("utf-8", "replace")
    kind = kind_of(path, text)
    if kind == "tomcat":
        return tomcat(path, text, env)
    if kind == "spring":
        return spring(path, env, profiles, classpath)
    if kind == "kafka":
        return kafka(path, data, env)
    return [jvm(path, text, env, jvm_side)]


def _bytes(path: Path) -> bytes:
    return files.read_bytes(path, limits.CONFIG_FILE_BYTES, "a configuration file")


def _text(path: Path) -> str:
    """A file read as UTF-8 (YAML, server.xml, JVM flags; not a properties file: see _properties)."""
    return _bytes(path).decode("utf-8", "replace")


# -- properties and YAML files (Spring, Kafka) -----------------------------------------

def _properties(path: Path, data: bytes) -> dict[str, tuple[str, int]]:
    """A properties file as java.util.Properties.load reads it (Spring Boot and Kafka read theirs so), key ->
    (value, line). A malformed \\uXXXX escape makes Java throw, and the application does not start."""
    try:
        found = load_properties(data)
    except MalformedEscape as e:
        raise JkstoolError(f"line {e.line} has a malformed \\u escape: Java's Properties.load throws "
                           "'Malformed \\uxxxx encoding.', so the application does not start",
                           "write \\u and four hex digits; a backslash itself is \\\\", path=str(path)) from None
    return {_whole(key): (_whole(value), line) for key, (value, line) in found.items()}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole(text: str) -> str:
    """Escaped UTF-16 surrogates as Java holds them, a pair one character; but half of one U+FFFD (no file name
    or password holds it, and no file system or output can carry it)."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


_YAML_NODES, _YAML_DEPTH = limits.YAML_VALUES, limits.YAML_NESTING


def _yaml_documents(text: str) -> list[tuple[dict[str, tuple[str, int]], str | None]]:
    """Each YAML document's scalars as dotted keys with their lines (Spring flattens YAML so), and the
    profile it is for (spring.config.activate.on-profile, or the old spring.profiles), if any. Aliases
    are followed within a budget of nodes and depth: an alias bomb is refused, not expanded."""
    import yaml

    class Counted(yaml.Loader):
        """Counts the nodes as it composes them: a file of a million values is refused before all of them
        are in memory (a hundred times the file's size)."""
        composed = 0

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            self.composed += 1
            if self.composed > _YAML_NODES:
                raise ValueError(f"more than {_YAML_NODES:,} values")
            return super().compose_node(parent, index)
    try:
        nodes = list(yaml.compose_all(text, Loader=Counted))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ValueError(f"{getattr(e, 'problem', None) or e}" + (f", line {mark.line + 1}" if mark else "")) \
            from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    budget = [_YAML_NODES]

    def walk(node: yaml.Node, prefix: str, depth: int, found: dict[str, tuple[str, int]]) -> None:
        budget[0] -= 1
        if budget[0] < 0 or depth > _YAML_DEPTH:
            raise ValueError("too many values or too deeply nested (an alias bomb?)")
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):  # no Spring key is a list or map: and one written out
                    raise ValueError(f"a key that is not a name, line {key.start_mark.line + 1}")  # is a bomb
                walk(value, f"{prefix}.{key.value}" if prefix else str(key.value), depth + 1, found)
        elif isinstance(node, yaml.SequenceNode):
            items = []
            for item in node.value:
                budget[0] -= 1
                items.append(str(getattr(item, "value", "")) if isinstance(item, yaml.ScalarNode) else "")
            found[prefix] = (",".join(items), node.start_mark.line + 1)
        elif isinstance(node, yaml.ScalarNode):
            found[prefix] = (_as_spring_reads(node), node.start_mark.line + 1)
    documents: list[tuple[dict[str, tuple[str, int]], str | None]] = []
    for node in nodes:
        found: dict[str, tuple[str, int]] = {}
        walk(node, "", 0, found)
        found = {_whole(key): (_whole(value), line) for key, (value, line) in found.items()}  # "\\uD800" too
        profile = found.pop("spring.config.activate.on-profile", None) or found.pop("spring.profiles", None)
        documents.append((found, profile[0] if profile else None))
    return documents


def _as_spring_reads(node: "yaml.ScalarNode") -> str:
    """A plain scalar as Spring's String property holds it: SnakeYAML types it by YAML 1.1's rules (the
    resolvers PyYAML shares), so 01234567 is the octal number 342391, and yes the boolean true."""
    import yaml
    constructor = yaml.constructor.SafeConstructor()
    if node.tag == "tag:yaml.org,2002:int":
        return str(constructor.construct_yaml_int(node))
    if node.tag == "tag:yaml.org,2002:bool":
        return "true" if constructor.construct_yaml_bool(node) else "false"
    if node.tag == "tag:yaml.org,2002:null":
        return ""
    return str(node.value)


# -- Spring Boot -----------------------------------------------------------------------

_SPRING = {  # as Spring's documentation names them (the environment's legacy form keeps their dashes) -> our field
    "server.ssl.key-store": ("keystore", "location"), "server.ssl.key-store-type": ("keystore", "type"),
    "server.ssl.key-store-password": ("keystore", "password"), "server.ssl.key-password": ("keystore", "key_password"),
    "server.ssl.key-alias": ("keystore", "alias"), "server.ssl.trust-store": ("truststore", "location"),
    "server.ssl.trust-store-type": ("truststore", "type"),
    "server.ssl.trust-store-password": ("truststore", "password"),
}


def _canonical(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def _spring_sources(path: Path) -> list[Path]:
    """The files Spring reads beside `path`, the later winning: application.yaml, .yml and .properties of
    one folder are all read (`path`'s own name alone, when it is not application.*)."""
    if path.stem != "application":
        return [path]
    return [found for suffix in (".yaml", ".yml", ".properties")
            if (found := path.parent / f"application{suffix}").is_file() or found == path]


def spring(path: Path, env: dict[str, str], profiles: list[str], classpath: Path | None) -> list[Endpoint]:
    """application.properties/yml with its profile overlays (application-NAME.*, as Spring orders them),
    the classic server.ssl.* properties or an SSL bundle; environment variables override by relaxed
    binding (SERVER_SSL_KEYSTOREPASSWORD), as they do in Spring. The profiles: --profile, else
    SPRING_PROFILES_ACTIVE, else spring.profiles.active."""
    sources = _spring_sources(path)
    base = {key: value for source in sources for key, value in _spring_file(source, []).items()}
    named = profiles or [p for p in env.get("SPRING_PROFILES_ACTIVE", "").split(",") if p.strip()] or \
        base.get("spring.profiles.active", ("", ""))[0].split(",")
    active = [p.strip() for p in named if p.strip()]
    merged = {key: value for source in sources for key, value in _spring_file(source, active).items()} \
        if active else dict(base)  # YAML's documents may be for a profile
    for profile in active:
        for suffix in (".yaml", ".yml", ".properties"):  # .properties wins over .yml, as in Spring
            overlay = path.parent / f"application-{profile}{suffix}"
            if overlay.is_file():
                merged.update(_spring_file(overlay, active))
    values = {key: value for key, (value, _) in merged.items()}
    resolver = Resolver(env, values)
    relaxed = {_canonical(k): k for k in merged}

    def get(key: str) -> Setting | None:
        # relaxed binding, as SystemEnvironmentPropertyMapper maps a name: SERVER_SSL_KEYSTOREPASSWORD, then
        # its legacy form SERVER_SSL_KEY_STORE_PASSWORD; the environment wins over the files
        upper = key.replace(".", "_").upper()
        for variable in (upper.replace("-", ""), upper.replace("-", "_")):
            if variable in env:
                return Setting(env[variable], f"environment {variable}", key=variable)
        found = relaxed.get(_canonical(key))
        if found is None:
            return None
        value, where = merged[found]
        return resolver.setting(value, where, found)
    name = f"Spring Boot server ({path.name}" + (f", profiles {','.join(active)})" if active else ")")
    endpoint = Endpoint(name, "server", str(path), defaults={"keystore-type": "JKS", "truststore-type": "JKS"})
    bundle = get("server.ssl.bundle")
    if bundle is not None:
        _spring_bundle(endpoint, bundle, get, relaxed)
    else:
        for key, (role, attribute) in _SPRING.items():
            setattr(getattr(endpoint, role), attribute, get(key))
    endpoint.client_auth = get("server.ssl.client-auth")
    endpoint.protocols = get("server.ssl.enabled-protocols")
    endpoint.ciphers = get("server.ssl.ciphers")
    for config in (endpoint.keystore, endpoint.truststore):
        for attribute in ("location", "key_file"):
            if getattr(config, attribute) is not None:
                setattr(config, attribute, _spring_location(getattr(config, attribute), classpath or path.parent))
    return [endpoint]


def _spring_bundle(endpoint: Endpoint, bundle: Setting, get: Callable[[str], Setting | None],
                   relaxed: dict[str, str]) -> None:
    """spring.ssl.bundle.jks.NAME.{keystore,truststore}.{location,password,type}, or .pem.NAME's
    keystore.{certificate,private-key,private-key-password} and truststore.certificate; key.alias,
    key.password, reload-on-update. A name no bundle has is what Spring refuses to start with."""
    name = bundle.value
    pem = any(key.startswith(_canonical(f"spring.ssl.bundle.pem.{name}.")) for key in relaxed)
    if not pem and not any(key.startswith(_canonical(f"spring.ssl.bundle.jks.{name}.")) for key in relaxed):
        endpoint.missing_bundle = bundle
    prefix = f"spring.ssl.bundle.{'pem' if pem else 'jks'}.{name}"
    for store in ("keystore", "truststore"):
        config = getattr(endpoint, store)
        if pem:
            config.location = get(f"{prefix}.{store}.certificate")
            config.type = Setting("PEM", f"{prefix} (a PEM bundle)")
            config.key_file = get(f"{prefix}.{store}.private-key") if store == "keystore" else None
            config.password = get(f"{prefix}.{store}.private-key-password")
        else:
            config.location, config.password, config.type = (get(f"{prefix}.{store}.{attribute}")
                                                              for attribute in ("location", "password", "type"))
    endpoint.keystore.alias = get(f"{prefix}.key.alias")
    endpoint.keystore.key_password = get(f"{prefix}.key.password") or endpoint.keystore.password
    endpoint.reload_on_update = get(f"{prefix}.reload-on-update")
    endpoint.name += f", {'PEM' if pem else 'JKS'} bundle {name}"


def _spring_file(path: Path, active: list[str]) -> dict[str, tuple[str, str]]:
    """A Spring configuration file's values with their FILE:LINE; of a YAML file, the documents for no
    profile and then those for an active one."""
    if path.suffix not in (".yml", ".yaml"):
        return {key: (value, f"{path}:{line}") for key, (value, line) in _properties(path, _bytes(path)).items()}
    try:
        documents = _yaml_documents(_text(path))
    except ValueError as e:
        raise JkstoolError(f"not valid YAML ({e})", "fix the file", path=str(path)) from None
    merged: dict[str, tuple[str, str]] = {}
    for found, profile in sorted(documents, key=lambda d: d[1] is not None):  # stable: file order kept
        if profile is None or any(_profile_matches(p, active) for p in profile.split(",")):
            merged.update({key: (value, f"{path}:{line}") for key, (value, line) in found.items()})
    return merged


def _profile_matches(expression: str, active: list[str]) -> bool:
    """Whether a profile expression of spring.config.activate.on-profile holds for the active profiles:
    a name, !, & and | and parentheses, as Spring's Profiles.of reads them (a malformed one holds for none)."""
    tokens = re.findall(r"[()&|!]|[^()&|!\s]+", expression)
    position = [0]

    def peek() -> str | None:
        return tokens[position[0]] if position[0] < len(tokens) else None

    def take() -> str | None:
        token = peek()
        position[0] += 1
        return token

    def either() -> bool:
        held = both()
        while peek() == "|":
            take()
            held = both() or held
        return held

    def both() -> bool:
        held = single()
        while peek() == "&":
            take()
            held = single() and held
        return held

    def single() -> bool:
        token = take()
        if token == "!":
            return not single()
        if token == "(":
            held = either()
            if take() != ")":
                raise ValueError
            return held
        if token is None or token in ")&|":
            raise ValueError
        return token in active
    try:
        held = either()
        return held and peek() is None
    except ValueError:
        return False


def _spring_location(setting: Setting, classpath: Path) -> Setting:
    """classpath: against --classpath (default: the configuration's folder), file: as a path."""
    value = setting.value
    if value.startswith("classpath:"):
        value = str(classpath / value.removeprefix("classpath:").lstrip("/"))
    elif value.startswith("file:"):
        value = value.removeprefix("file:")
    return replace(setting, value=value)


# -- Kafka -----------------------------------------------------------------------------

def kafka(path: Path, data: bytes, env: dict[str, str]) -> list[Endpoint]:
    """A Kafka client's or broker's ssl.* properties (a broker: one with ssl.client.auth or listeners); a
    broker's listener.name.NAME.ssl.* settings make an endpoint per listener, over the plain ones. Kafka
    expands ${env:NAME} only (its EnvVarConfigProvider), and its store types default to JKS."""
    found = _properties(path, data)
    resolver = Resolver(env if _env_provider(found) else {}, syntax="kafka",
                        why="which Kafka fills only with its EnvVarConfigProvider configured",
                        fix=f"config.providers=env and config.providers.env.class={_ENV_PROVIDER}")
    listeners = sorted({m.group(1) for key in found if (m := re.match(r"listener\.name\.([^.]+)\.ssl\.", key))}
                       | _tls_listeners(found))
    if len(listeners) > limits.CONFIG_ENDPOINTS:
        raise _too_many_endpoints("listener.name.NAME.ssl.* listeners", path)
    side = "server" if listeners or "ssl.client.auth" in found or "listeners" in found else "client"
    return [_kafka_endpoint(path, found, resolver, side, listener) for listener in listeners or [None]]


def _tls_listeners(found: dict[str, tuple[str, int]]) -> set[str]:
    """The broker's listeners (listeners=NAME://HOST:PORT,...) that speak TLS, by listener.security.protocol.map
    or by their own name (SSL, SASL_SSL): each takes the plain ssl.* settings its listener.name.NAME.ssl.* do
    not override, lower-cased as Kafka prefixes them."""
    names = [m.group(1) for m in re.finditer(r"([A-Za-z0-9_]+)://", found.get("listeners", ("", 0))[0])]
    mapped = dict(pair.split(":", 1) for pair in found.get("listener.security.protocol.map", ("", 0))[0]
                  .replace(" ", "").split(",") if ":" in pair)
    return {name.lower() for name in names if mapped.get(name, name).upper() in ("SSL", "SASL_SSL")}


_ENV_PROVIDER = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"


def _env_provider(found: dict[str, tuple[str, int]]) -> bool:
    """Whether Kafka fills ${env:NAME}: the provider env named in config.providers, with its class (a provider
    without one is not made, and its references stay as written)."""
    named = [name.strip() for name in found.get("config.providers", ("", 0))[0].split(",")]
    return "env" in named and found.get("config.providers.env.class", ("", 0))[0].strip() == _ENV_PROVIDER


def _kafka_endpoint(path: Path, found: dict[str, tuple[str, int]], resolver: Resolver, side: str,
                    listener: str | None) -> Endpoint:
    def get(key: str) -> Setting | None:
        """The value as Kafka takes it: its ConfigDef trims every STRING, PASSWORD and LIST value (Java's
        String.trim), once the config providers have filled it in."""
        for name in ([f"listener.name.{listener}.{key}"] if listener else []) + [key]:
            if name in found:
                value, line = found[name]
                setting = resolver.setting(value, f"{path}:{line}", name)
                return replace(setting, value=java_trim(setting.value))
        return None
    role = "broker" if side == "server" else "client"
    endpoint = Endpoint(f"Kafka {role} ({path.name}{f', listener {listener}' if listener else ''})", side,
                        str(path), defaults={"keystore-type": "JKS", "truststore-type": "JKS"})
    for store in ("keystore", "truststore"):
        config = getattr(endpoint, store)
        config.location, config.type, config.password = (get(f"ssl.{store}.{attribute}")
                                                          for attribute in ("location", "type", "password"))
    endpoint.keystore.key_password = get("ssl.key.password")
    endpoint.protocols = get("ssl.enabled.protocols")
    endpoint.ciphers = get("ssl.cipher.suites")
    auth = get("ssl.client.auth")
    if auth is not None:
        mapped = {"required": "need", "requested": "want"}.get(auth.value.lower(), auth.value.lower())
        endpoint.client_auth = replace(auth, value=mapped)
    identification = get("ssl.endpoint.identification.algorithm")  # https unless set empty, since Kafka 2.0
    servers = get("bootstrap.servers")
    if side == "client" and servers is not None and (identification is None or identification.value):
        first = servers.value.split(",")[0].strip()
        host = first[1:first.index("]")] if first.startswith("[") and "]" in first else first.rsplit(":", 1)[0]
        endpoint.hostname = replace(servers, value=host)
    return endpoint


# -- JVM flags -------------------------------------------------------------------------

_FLAG = re.compile(r"-D(javax\.net\.ssl\.\w+|jdk\.tls\.\w+\.(?:protocols|cipherSuites))=(\"[^\"]*\"|'[^']*'|[^\s\"']*)")
_JVM = {"keyStore": ("keystore", "location"), "keyStoreType": ("keystore", "type"),
        "keyStorePassword": ("keystore", "password"), "trustStore": ("truststore", "location"),
        "trustStoreType": ("truststore", "type"), "trustStorePassword": ("truststore", "password")}


def _lines(text: str) -> Iterator[str]:
    """The text's lines, as str.splitlines() gives them, a megabyte of text at a time (a list of all the lines
    of a file of short ones is many times its size)."""
    start = 0
    while start < len(text):
        cut = text.find("\n", start + (1 << 20))
        end = len(text) if cut < 0 else cut + 1
        yield from text[start:end].splitlines()
        start = end


def jvm(path: Path, text: str, env: dict[str, str], side: str = "client") -> Endpoint:
    """-Djavax.net.ssl.* flags anywhere in a file (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, a systemd unit's
    Environment=, a java @argfile), and -Djdk.tls.client.protocols (or server); shell references ($VAR,
    ${VAR}) are filled from the environment. The JVM's key manager uses the keystore password for the keys
    too. A -D value is the JVM's as written: no escape in it is read (the launcher takes it verbatim).

    The flags do not say whether the JVM is a client or a server: with side EITHER, the endpoint holds them
    read as each side's, for diagnose to check as the side the stores fit."""
    if side == EITHER:
        sides = tuple(jvm(path, text, env, one) for one in ("client", "server"))
        return replace(sides[0], side=EITHER, protocols=None, ciphers=None, sides=sides)
    endpoint = Endpoint(f"JVM flags ({path.name})", side, str(path), client_auth_configured=False,
                        defaults={"keystore-type": "PKCS12", "truststore-type": "PKCS12"})
    lines = list(_lines(text))
    unit = any(line.strip() == "[Service]" for line in lines)  # a systemd unit
    unit_env, superseded = _unit_environment(lines) if unit else ({}, set())
    resolver = Resolver({**env, **unit_env}, syntax="shell")  # systemd fills ExecStart= from Environment=
    comments = ("#", ";") if unit else ("#",)
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith(comments) or number in superseded:
            continue
        assignment = line.lstrip().startswith("Environment")  # systemd expands no variable in Environment=
        for name, value in _FLAG.findall(line):
            value = value.strip("\"'")
            value = re.sub(r"\$([A-Za-z_]\w*)", r"${\1}", value) if "${" not in value else value
            setting = literal(value, f"{path}:{number}", "which systemd does not expand in Environment=", f"-D{name}") \
                if assignment else resolver.setting(value, f"{path}:{number}", f"-D{name}")
            if name == f"jdk.tls.{side}.protocols":
                endpoint.protocols = setting
            elif name == f"jdk.tls.{side}.cipherSuites":
                endpoint.ciphers = setting
            elif name.removeprefix("javax.net.ssl.") in _JVM:
                store, attribute = _JVM[name.removeprefix("javax.net.ssl.")]
                setattr(getattr(endpoint, store), attribute, setting)
    return endpoint


def _unit_environment(lines: list[str]) -> tuple[dict[str, str], set[int]]:
    """A systemd unit's Environment= variables, the last assignment of each winning (as systemd takes them),
    and the numbers of the lines whose every assignment a later line replaces."""
    import shlex
    assigned: dict[str, tuple[str, int]] = {}
    names_of: dict[int, list[str]] = {}
    for number, line in enumerate(lines, 1):
        key, _, value = line.strip().partition("=")
        if key.strip() != "Environment":
            continue
        try:
            words = shlex.split(value)
        except ValueError:
            continue
        pairs = [word.split("=", 1) for word in words if "=" in word]
        names_of[number] = [name for name, _ in pairs]
        assigned.update({name: (text, number) for name, text in pairs})
    superseded = {number for number, names in names_of.items()
                  if names and all(assigned[name][1] > number for name in names)}
    return {name: text for name, (text, _) in assigned.items()}, superseded


# -- Tomcat ----------------------------------------------------------------------------

class _Element(TypedDict):
    """An XML element: its tag name, attributes, the line its start tag begins on, the line of each
    attribute, and its children (those tomcat reads)."""

    name: str
    attrs: dict[str, str]
    line: int
    lines: dict[str, int]
    children: list["_Element"]


def tomcat(path: Path, text: str, env: dict[str, str], catalina_base: Path | None = None) -> list[Endpoint]:
    """Each TLS <Connector> of a server.xml (or a fragment of one): SSLHostConfig and Certificate, or the
    connector's old attributes. ${...} is filled from the environment (Tomcat's EnvironmentPropertySource)
    and ${catalina.base}; relative files are under catalina.base. Tomcat's defaults: keystore type JKS,
    password "changeit", certificateVerification none."""
    folder = path.resolve().parent
    base = catalina_base or (folder.parent if folder.name == "conf" else folder)
    resolver = _tomcat_resolver(folder / "catalina.properties", env, base)
    endpoints = []
    for connector in _connectors(text, path):
        hosts: list[_Element | None] = [c for c in connector["children"] if c["name"] == "SSLHostConfig"] or [None]
        for host in hosts:  # each SSLHostConfig (SNI) and each of its Certificates (RSA, EC) is one Tomcat loads
            certificates: list[_Element | None] = \
                [c for c in host["children"] if c["name"] == "Certificate"] if host else []
            for certificate in certificates or [None]:
                endpoints.append(_tomcat_endpoint(path, connector, host, certificate, resolver, base,
                                                  len(hosts) > 1, len(certificates) > 1))
                if len(endpoints) > limits.CONFIG_ENDPOINTS:
                    raise _too_many_endpoints("SSLHostConfig and Certificate elements", path)
    if not endpoints:
        raise JkstoolError("no <Connector SSLEnabled=\"true\"> in it", "give the server.xml of the TLS connector",
                           path=str(path))
    return endpoints


def _tomcat_endpoint(path: Path, connector: _Element, host: _Element | None, certificate: _Element | None,
                     resolver: Resolver, base: Path, named_host: bool, named_certificate: bool) -> Endpoint:
    """One TLS endpoint of a connector: an SSLHostConfig's Certificate, or the connector's old attributes."""
    def get(element: _Element | None, attribute: str) -> Setting | None:
        if element is None or attribute not in element["attrs"]:
            return None
        line = element["lines"].get(attribute, element["line"])
        return resolver.setting(element["attrs"][attribute], f"{path}:{line}", attribute)
    old = connector
    name = f"Tomcat Connector port {connector['attrs'].get('port', '?')}"
    if host is not None and named_host:
        name += f", SSLHostConfig {host['attrs'].get('hostName', '_default_')}"
    if certificate is not None and named_certificate:
        name += f", Certificate {certificate['attrs'].get('type', 'UNDEFINED')}"
    endpoint = Endpoint(name, "server", str(path), defaults={"keystore-type": "JKS", "truststore-type": "JKS",
                                                             "keystore-password": "changeit"})
    keystore, truststore = endpoint.keystore, endpoint.truststore
    keystore.location = get(certificate, "certificateKeystoreFile") or get(old, "keystoreFile")
    keystore.type = get(certificate, "certificateKeystoreType") or get(old, "keystoreType")
    keystore.password = get(certificate, "certificateKeystorePassword") or get(old, "keystorePass")
    keystore.alias = get(certificate, "certificateKeyAlias") or get(old, "keyAlias")
    keystore.key_password = get(certificate, "certificateKeyPassword") or get(old, "keyPass")
    truststore.location = get(host, "truststoreFile") or get(old, "truststoreFile")
    truststore.type = get(host, "truststoreType") or get(old, "truststoreType")
    truststore.password = get(host, "truststorePassword") or get(old, "truststorePass")
    protocols = get(host, "protocols") or get(old, "sslEnabledProtocols")
    endpoint.protocols = replace(protocols, value=",".join(tomcat_protocols(protocols.value))) if protocols else None
    endpoint.ciphers = get(host, "ciphers") or get(old, "ciphers")
    endpoint.crl = get(host, "certificateRevocationListFile") or get(old, "crlFile")
    verification = get(host, "certificateVerification") or get(old, "clientAuth")
    if verification is not None:
        mapped = _TOMCAT_VERIFICATION.get(verification.value.lower(), verification.value.lower())
        endpoint.client_auth = replace(verification, value=mapped)
    if host is None:
        endpoint.old_attributes = next((get(old, name) for name in _OLD_ATTRIBUTES if name in old["attrs"]), None)
    for store in (keystore, truststore):
        if store.location is not None and not Path(store.location.value).is_absolute():
            store.location = replace(store.location, value=str(base / store.location.value))
    if endpoint.crl is not None and not Path(endpoint.crl.value).is_absolute():
        endpoint.crl = replace(endpoint.crl, value=str(base / endpoint.crl.value))
    return endpoint


_OLD_ATTRIBUTES = ("keystoreFile", "keystorePass", "keystoreType", "keyAlias", "keyPass", "truststoreFile",
                   "truststorePass", "truststoreType", "clientAuth", "sslEnabledProtocols")
"""A connector's TLS attributes of Tomcat 9 and before, which Tomcat 10.1 removed (SSLHostConfig took them)."""

_PROPERTY_SOURCE = "org.apache.tomcat.util.digester.PROPERTY_SOURCE"
_ENVIRONMENT_SOURCE = "org.apache.tomcat.util.digester.EnvironmentPropertySource"


_TOMCAT_VERIFICATION = {"true": "need", "yes": "need", "require": "need", "required": "need", "optional": "want",
                        "want": "want", "optionalnoca": "want", "optional_no_ca": "want", "false": "none", "no": "none",
                        "none": "none"}
"""certificateVerification (clientAuth) as Tomcat 10.1's CertificateVerification.fromString reads it, in any
case (its constant strings, read from tomcat-coyote.jar)."""


def _tomcat_resolver(properties: Path, env: dict[str, str], base: Path) -> Resolver:
    """How Tomcat's digester fills ${...}: from system properties (catalina.properties' among them) and
    catalina.base, and from the environment only when catalina.properties names EnvironmentPropertySource
    as its PROPERTY_SOURCE. Without a catalina.properties beside server.xml, the environment is taken:
    what the file that decides says cannot be read."""
    known = {"catalina.base": str(base), "catalina.home": str(base)}
    if not properties.is_file():
        return Resolver({**env, **known}, syntax="shell")
    settings = _catalina_properties(properties)
    if settings.get(_PROPERTY_SOURCE) == _ENVIRONMENT_SOURCE:
        return Resolver({**env, **settings, **known}, syntax="shell")
    return Resolver({**settings, **known}, syntax="shell",
                    why=f"which Tomcat takes from the environment only when {properties} names the environment "
                        "as its property source (it does not: Tomcat uses the text as it is, and a password "
                        "fails with 'keystore password was incorrect')",
                    fix=f"add the line {_PROPERTY_SOURCE}={_ENVIRONMENT_SOURCE} to {properties}")


def _catalina_properties(path: Path) -> dict[str, str]:
    """catalina.properties as Tomcat loads it (Properties.load): on a malformed \\u escape Tomcat logs a
    warning and goes on with the properties read before it."""
    try:
        found = load_properties(_bytes(path))
    except MalformedEscape as e:
        found = e.partial
    return {key: value for key, (value, _) in found.items()}


_ALL = ["SSLv2Hello", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]


def tomcat_protocols(value: str) -> list[str]:
    """Tomcat's protocols attribute: names separated by commas or spaces, or a +/- list from "all" (or from
    nothing): "all-TLSv1-TLSv1.1", "+TLSv1.2+TLSv1.3", "TLSv1.2,TLSv1.3"."""
    chosen: dict[str, None] = {}  # in order; a list searched for each name was quadratic in a long attribute
    for token in re.findall(r"[+-]?[A-Za-z0-9.]+", value):
        sign, name = (token[0], token[1:]) if token[0] in "+-" else ("", token)
        for protocol in _ALL if name.lower() == "all" else [name]:
            if sign == "-":
                chosen.pop(protocol, None)
            else:
                chosen.setdefault(protocol)
    return list(chosen)


_READ = {"SSLHostConfig": "Connector", "Certificate": "SSLHostConfig"}
"""The elements read within a TLS Connector, each a child of the one named."""
_PROLOG = re.compile(r"\s*(?:<\?|<!--|<!DOCTYPE\b)")
_DOCTYPE_STOP = re.compile(r"[\[>\"']")


def _connectors(text: str, path: Path) -> list[_Element]:
    """The <Connector SSLEnabled="true"> elements of an XML document or fragment, with their SSLHostConfig
    children and theirs Certificate children, in the order of their depth (then the file's).

    Parsed with expat in one pass, in time and memory linear in the text, and only the elements read are
    kept: what follows the prolog is parsed as the content of an element of its own, so that a snippet of a
    <Connector> reads too (see _as_fragment: no DTD is read)."""
    from xml.parsers import expat
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")  # expat's line ends
    declaration = re.match(r"\s*<\?xml[^>]*\?>", text)  # str given: expat reads UTF-8, whatever it declares
    if declaration:
        text = "\n" * declaration.group(0).count("\n") + text[declaration.end():]
    data = _as_fragment(text, path).encode("utf-8")
    parser = expat.ParserCreate()
    found: list[tuple[int, _Element]] = []
    stack: list[_Element | None] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) > limits.XML_DEPTH:  # the element of the fragment's own is not counted
            raise JkstoolError(f"its elements nest more than {limits.XML_DEPTH} deep (line "
                               f"{parser.CurrentLineNumber}): more than a real server.xml",
                               "check where the file comes from", path=str(path))
        parent = stack[-1] if stack else None
        if name == "Connector" and attrs.get("SSLEnabled", "").lower() == "true" \
                or parent is not None and _READ.get(name) == parent["name"]:
            if name == "Connector" and len(found) == limits.CONFIG_ENDPOINTS:
                raise _too_many_endpoints("<Connector SSLEnabled=\"true\">", path)
            line = parser.CurrentLineNumber
            element: _Element = {"name": name, "attrs": attrs, "line": line,
                                 "lines": _attribute_lines(data, parser.CurrentByteIndex, line), "children": []}
            if name == "Connector":
                found.append((len(stack), element))
            elif parent is not None:
                parent["children"].append(element)
            stack.append(element)
        else:
            stack.append(None)

    def end(name: str) -> None:
        stack.pop()

    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise JkstoolError(f"not well-formed XML ({expat.ErrorString(e.code)}, line {e.lineno})", "fix the file",
                           path=str(path)) from None
    return [element for _, element in sorted(found, key=lambda f: f[0])]  # stable: the file's order kept


def _as_fragment(text: str, path: Path) -> str:
    """The text with its content (what follows the prolog) inside an element of its own, so that a fragment
    of several elements, or of text around them, is one document; a DOCTYPE goes (its lines kept). One scan
    that never looks back. A DTD's internal subset is refused: none of its entities is expanded (a billion
    laughs), and no external DTD is read."""
    kept, start, position = [], 0, 0
    while (match := _PROLOG.match(text, position)) is not None:
        opening = match.group(0).lstrip()
        if opening == "<?":
            close = text.find("?>", match.end())
            position = close + 2 if close >= 0 else len(text)
        elif opening == "<!--":
            close = text.find("-->", match.end())
            position = close + 3 if close >= 0 else len(text)
        else:  # <!DOCTYPE: up to its >, past quoted ids
            doctype, position = match.end() - len(opening), match.end()
            while (stop := _DOCTYPE_STOP.search(text, position)) is not None and stop.group(0) in "\"'":
                close = text.find(stop.group(0), stop.end())
                position = close + 1 if close >= 0 else len(text)
            if stop is None:  # never closed: left for expat to say so
                position = len(text)
                break
            if stop.group(0) == "[":
                raise _dtd_refused(path)
            position = stop.end()
            kept += [text[start:doctype], "\n" * text.count("\n", doctype, position)]
            start = position
    kept += [text[start:position], "<fragment>", text[position:], "</fragment>"]
    return "".join(kept)


def _too_many_endpoints(what: str, path: Path) -> JkstoolError:
    return JkstoolError(f"it sets up more than {limits.CONFIG_ENDPOINTS} TLS endpoints ({what}): more than a real "
                        "configuration", "check where the file comes from", path=str(path))


def _dtd_refused(path: Path) -> JkstoolError:
    return JkstoolError("it declares a DTD (<!DOCTYPE ... [...]>), whose entities jkstool does not expand",
                        "remove the DTD: Tomcat's server.xml needs none", path=str(path))


def _attribute_lines(data: bytes, offset: int, line: int) -> dict[str, int]:
    """The line of each attribute of the start tag at `offset` (expat gives the tag's first line only)."""
    lines = {}
    tag = _TAG.match(data, offset)
    position = tag.end() if tag else offset
    while (attribute := _ATTRIBUTE.match(data, position)) is not None:
        line += data.count(b"\n", position, attribute.start(1))
        lines[attribute.group(1).decode("utf-8", "replace")] = line
        line += data.count(b"\n", attribute.start(1), attribute.end())
        position = attribute.end()
    return lines


_TAG = re.compile(rb"<[^\s/>]*")
_ATTRIBUTE = re.compile(rb"\s*([^\s=/>]+)\s*=\s*(?:\"[^\"]*\"|'[^']*')")
