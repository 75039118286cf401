"""Configurations read into endpoints: Spring Boot, Tomcat's server.xml, JVM flags, Kafka properties.

Each reader keeps the file and line of every value, and the defaults of its runtime for what is
left out (Tomcat's keystore type JKS and password "changeit", Kafka's JKS, the JVM's default
store type and cacerts), since those decide what really gets loaded.
"""

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypedDict

from .. import files
from ..errors import JkstoolError
from .config import Endpoint, Resolver, Setting, literal


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
    """The endpoints a configuration file sets up; JVM flags configure the side `jvm_side` (the flags
    cannot say whether the application is a client or a server)."""
    text = _text(path)
    kind = kind_of(path, text)
    if kind == "tomcat":
        return tomcat(path, text, env)
    if kind == "spring":
        return spring(path, env, profiles, classpath)
    if kind == "kafka":
        return kafka(path, text, env)
    return [jvm(path, text, env, jvm_side)]


def _text(path: Path) -> str:
    return files.read_bytes(path, 16 * 1024 * 1024, "a configuration file").decode("utf-8", "replace")


# -- properties files (Spring, Kafka) --------------------------------------------------

def properties(text: str) -> dict[str, tuple[str, int]]:
    """java.util.Properties: key=value, key: value or key value; # and ! comments; backslash continuations.
    Returns key -> (value, line)."""
    found: dict[str, tuple[str, int]] = {}
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        start, line = number + 1, lines[number].lstrip()
        while line.endswith("\\") and not line.endswith("\\\\") and number + 1 < len(lines):
            number += 1
            line = line[:-1] + lines[number].lstrip()
        number += 1
        if not line or line[0] in "#!":
            continue
        match = re.match(r"((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)", line)
        key, value = (match.group(1), match.group(2)) if match else (line, "")
        found[_unescape(key)] = (_unescape(value.strip()), start)
    return found


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    """java.util.Properties' escapes: \\t \\n \\r \\f, \\uXXXX, and a backslash before any other character."""
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        return str(_ESCAPES.get(code[0], code[0]))
    return re.sub(r"\\(u[0-9A-Fa-f]{4}|.)", one, text)


_YAML_NODES, _YAML_DEPTH = 100_000, 64  # a configuration is far smaller; an alias bomb is not


def _yaml_documents(text: str) -> list[tuple[dict[str, tuple[str, int]], str | None]]:
    """Each YAML document's scalars as dotted keys with their lines (Spring flattens YAML so), and the
    profile it is for (spring.config.activate.on-profile, or the old spring.profiles), if any. Aliases
    are followed within a budget of nodes and depth: an alias bomb is refused, not expanded."""
    import yaml
    try:
        nodes = list(yaml.compose_all(text))
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
                walk(value, f"{prefix}.{key.value}" if prefix else str(key.value), depth + 1, found)
        elif isinstance(node, yaml.SequenceNode):
            items = []
            for item in node.value:
                budget[0] -= 1
                items.append(str(getattr(item, "value", "")) if isinstance(item, yaml.ScalarNode) else "")
            found[prefix] = (",".join(items), node.start_mark.line + 1)
        elif isinstance(node, yaml.ScalarNode):
            found[prefix] = (str(node.value), node.start_mark.line + 1)
    documents: list[tuple[dict[str, tuple[str, int]], str | None]] = []
    for node in nodes:
        found: dict[str, tuple[str, int]] = {}
        walk(node, "", 0, found)
        profile = found.pop("spring.config.activate.on-profile", None) or found.pop("spring.profiles", None)
        documents.append((found, profile[0] if profile else None))
    return documents


# -- Spring Boot -----------------------------------------------------------------------

_SPRING = {  # canonical (lower case, no - or _) -> our field
    "server.ssl.keystore": ("keystore", "location"), "server.ssl.keystoretype": ("keystore", "type"),
    "server.ssl.keystorepassword": ("keystore", "password"), "server.ssl.keypassword": ("keystore", "key_password"),
    "server.ssl.keyalias": ("keystore", "alias"), "server.ssl.truststore": ("truststore", "location"),
    "server.ssl.truststoretype": ("truststore", "type"), "server.ssl.truststorepassword": ("truststore", "password"),
}


def _canonical(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def spring(path: Path, env: dict[str, str], profiles: list[str], classpath: Path | None) -> list[Endpoint]:
    """application.properties/yml with its profile overlays (application-NAME.*, as Spring orders them),
    the classic server.ssl.* properties or an SSL bundle; environment variables override by relaxed
    binding (SERVER_SSL_KEYSTOREPASSWORD), as they do in Spring. The profiles: --profile, else
    SPRING_PROFILES_ACTIVE, else spring.profiles.active."""
    base = _spring_file(path, [])
    named = profiles or [p for p in env.get("SPRING_PROFILES_ACTIVE", "").split(",") if p.strip()] or \
        base.get("spring.profiles.active", ("", ""))[0].split(",")
    active = [p.strip() for p in named if p.strip()]
    merged = _spring_file(path, active)
    for profile in active:
        for suffix in (".yaml", ".yml", ".properties"):  # .properties wins over .yml, as in Spring
            overlay = path.parent / f"application-{profile}{suffix}"
            if overlay.is_file():
                merged.update(_spring_file(overlay, active))
    values = {key: value for key, (value, _) in merged.items()}
    resolver = Resolver(env, values)
    relaxed = {_canonical(k): k for k in merged}

    def get(key: str) -> Setting | None:
        variable = re.sub(r"[.\-]", lambda m: "_" if m.group(0) == "." else "", key).upper()
        if variable in env:  # relaxed binding: the environment wins over the files
            return Setting(env[variable], f"environment {variable}")
        found = relaxed.get(_canonical(key))
        if found is None:
            return None
        value, where = merged[found]
        return resolver.setting(value, where)
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
    text = _text(path)
    if path.suffix not in (".yml", ".yaml"):
        return {key: (value, f"{path}:{line}") for key, (value, line) in properties(text).items()}
    try:
        documents = _yaml_documents(text)
    except ValueError as e:
        raise JkstoolError(f"not valid YAML ({e})", "fix the file", path=str(path)) from None
    merged: dict[str, tuple[str, str]] = {}
    for found, profile in sorted(documents, key=lambda d: d[1] is not None):  # stable: file order kept
        if profile is None or any(p.strip() in active for p in profile.split(",")):
            merged.update({key: (value, f"{path}:{line}") for key, (value, line) in found.items()})
    return merged


def _spring_location(setting: Setting, classpath: Path) -> Setting:
    """classpath: against --classpath (default: the configuration's folder), file: as a path."""
    value = setting.value
    if value.startswith("classpath:"):
        value = str(classpath / value.removeprefix("classpath:").lstrip("/"))
    elif value.startswith("file:"):
        value = value.removeprefix("file:")
    return replace(setting, value=value)


# -- Kafka -----------------------------------------------------------------------------

def kafka(path: Path, text: str, env: dict[str, str]) -> list[Endpoint]:
    """A Kafka client's or broker's ssl.* properties (a broker: one with ssl.client.auth or listeners); a
    broker's listener.name.NAME.ssl.* settings make an endpoint per listener, over the plain ones. Kafka
    expands ${env:NAME} only (its EnvVarConfigProvider), and its store types default to JKS."""
    found = properties(text)
    resolver = Resolver(env, syntax="kafka")
    listeners = sorted({m.group(1) for key in found if (m := re.match(r"listener\.name\.([^.]+)\.ssl\.", key))})
    side = "server" if listeners or "ssl.client.auth" in found or "listeners" in found else "client"
    return [_kafka_endpoint(path, found, resolver, side, listener) for listener in listeners or [None]]


def _kafka_endpoint(path: Path, found: dict[str, tuple[str, int]], resolver: Resolver, side: str,
                    listener: str | None) -> Endpoint:
    def get(key: str) -> Setting | None:
        for name in ([f"listener.name.{listener}.{key}"] if listener else []) + [key]:
            if name in found:
                value, line = found[name]
                return resolver.setting(value, f"{path}:{line}")
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
    return endpoint


# -- JVM flags -------------------------------------------------------------------------

_FLAG = re.compile(r"-D(javax\.net\.ssl\.\w+|jdk\.tls\.\w+\.(?:protocols|cipherSuites))=(\"[^\"]*\"|'[^']*'|[^\s\"']*)")
_JVM = {"keyStore": ("keystore", "location"), "keyStoreType": ("keystore", "type"),
        "keyStorePassword": ("keystore", "password"), "trustStore": ("truststore", "location"),
        "trustStoreType": ("truststore", "type"), "trustStorePassword": ("truststore", "password")}


def jvm(path: Path, text: str, env: dict[str, str], side: str = "client") -> Endpoint:
    """-Djavax.net.ssl.* flags anywhere in a file (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, a systemd unit's
    Environment=, a java @argfile), and -Djdk.tls.client.protocols (or server); shell references ($VAR,
    ${VAR}) are filled from the environment. The JVM's key manager uses the keystore password for the keys
    too."""
    endpoint = Endpoint(f"JVM flags ({path.name})", side, str(path), client_auth_configured=False,
                        defaults={"keystore-type": "PKCS12", "truststore-type": "PKCS12"})
    resolver = Resolver(env, syntax="shell")
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        unit = line.lstrip().startswith("Environment")  # systemd expands no variable in Environment=
        for name, value in _FLAG.findall(line):
            value = value.strip("\"'")
            value = re.sub(r"\$([A-Za-z_]\w*)", r"${\1}", value) if "${" not in value else value
            setting = literal(value, f"{path}:{number}", "which systemd does not expand in Environment=") \
                if unit else resolver.setting(value, f"{path}:{number}")
            if name == f"jdk.tls.{side}.protocols":
                endpoint.protocols = setting
            elif name == f"jdk.tls.{side}.cipherSuites":
                endpoint.ciphers = setting
            elif name.removeprefix("javax.net.ssl.") in _JVM:
                store, attribute = _JVM[name.removeprefix("javax.net.ssl.")]
                setattr(getattr(endpoint, store), attribute, setting)
    return endpoint


# -- Tomcat ----------------------------------------------------------------------------

class _Element(TypedDict):
    """An XML element: its tag name, attributes, the line its start tag begins on, and its children."""

    name: str
    attrs: dict[str, str]
    line: int
    children: list["_Element"]


def tomcat(path: Path, text: str, env: dict[str, str], catalina_base: Path | None = None) -> list[Endpoint]:
    """Each TLS <Connector> of a server.xml (or a fragment of one): SSLHostConfig and Certificate, or the
    connector's old attributes. ${...} is filled from the environment (Tomcat's EnvironmentPropertySource)
    and ${catalina.base}; relative files are under catalina.base. Tomcat's defaults: keystore type JKS,
    password "changeit", certificateVerification none."""
    folder = path.resolve().parent
    base = catalina_base or (folder.parent if folder.name == "conf" else folder)
    resolver = _tomcat_resolver(folder / "catalina.properties", env, base)
    lines = text.splitlines()
    endpoints = []
    for connector in _elements(text, path):
        if connector["name"] != "Connector" or connector["attrs"].get("SSLEnabled", "").lower() != "true":
            continue
        host = next((c for c in connector["children"] if c["name"] == "SSLHostConfig"), None)
        certificate = next((c for c in host["children"] if c["name"] == "Certificate"), None) if host else None

        def get(element: _Element | None, attribute: str) -> Setting | None:
            if element is None or attribute not in element["attrs"]:
                return None
            return resolver.setting(element["attrs"][attribute], f"{path}:{_attribute_line(lines, element, attribute)}")
        old = connector
        endpoint = Endpoint(f"Tomcat Connector port {connector['attrs'].get('port', '?')}", "server", str(path),
                            defaults={"keystore-type": "JKS", "truststore-type": "JKS",
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
        endpoint.protocols = replace(protocols, value=",".join(tomcat_protocols(protocols.value))) \
            if protocols else None
        endpoint.ciphers = get(host, "ciphers") or get(old, "ciphers")
        endpoint.crl = get(host, "certificateRevocationListFile") or get(old, "crlFile")
        verification = get(host, "certificateVerification") or get(old, "clientAuth")
        if verification is not None:
            mapped = {"required": "need", "true": "need", "optional": "want", "false": "none"}.get(
                verification.value.lower(), verification.value.lower())
            endpoint.client_auth = replace(verification, value=mapped)
        for store in (keystore, truststore):
            if store.location is not None and not Path(store.location.value).is_absolute():
                store.location = replace(store.location, value=str(base / store.location.value))
        if endpoint.crl is not None and not Path(endpoint.crl.value).is_absolute():
            endpoint.crl = replace(endpoint.crl, value=str(base / endpoint.crl.value))
        endpoints.append(endpoint)
    if not endpoints:
        raise JkstoolError("no <Connector SSLEnabled=\"true\"> in it", "give the server.xml of the TLS connector",
                           path=str(path))
    return endpoints


_PROPERTY_SOURCE = "org.apache.tomcat.util.digester.PROPERTY_SOURCE"
_ENVIRONMENT_SOURCE = "org.apache.tomcat.util.digester.EnvironmentPropertySource"


def _tomcat_resolver(properties: Path, env: dict[str, str], base: Path) -> Resolver:
    """How Tomcat's digester fills ${...}: from system properties (catalina.properties' among them) and
    catalina.base, and from the environment only when catalina.properties names EnvironmentPropertySource
    as its PROPERTY_SOURCE. Without a catalina.properties beside server.xml, the environment is taken:
    what the file that decides says cannot be read."""
    known = {"catalina.base": str(base), "catalina.home": str(base)}
    if not properties.is_file():
        return Resolver({**env, **known}, syntax="shell")
    from ..mtls.jdk import read_properties
    settings = read_properties(properties)
    if settings.get(_PROPERTY_SOURCE) == _ENVIRONMENT_SOURCE:
        return Resolver({**env, **settings, **known}, syntax="shell")
    return Resolver({**settings, **known}, syntax="shell",
                    why=f"which Tomcat takes from the environment only when {properties} names the environment "
                        "as its property source (it does not: Tomcat uses the text as it is, and a password "
                        "fails with 'keystore password was incorrect')",
                    fix=f"add the line {_PROPERTY_SOURCE}={_ENVIRONMENT_SOURCE} to {properties}")


_ALL = ["SSLv2Hello", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]


def tomcat_protocols(value: str) -> list[str]:
    """Tomcat's protocols attribute: names separated by commas or spaces, or a +/- list from "all" (or from
    nothing): "all-TLSv1-TLSv1.1", "+TLSv1.2+TLSv1.3", "TLSv1.2,TLSv1.3"."""
    chosen: list[str] = []
    for token in re.findall(r"[+-]?[A-Za-z0-9.]+", value):
        sign, name = (token[0], token[1:]) if token[0] in "+-" else ("", token)
        names = _ALL if name.lower() == "all" else [name]
        if sign == "-":
            chosen = [p for p in chosen if p not in names]
        else:
            chosen += [p for p in names if p not in chosen]
    return chosen


def _attribute_line(lines: list[str], element: _Element, attribute: str) -> int:
    """The line of an attribute in its element's start tag (expat gives the tag's first line)."""
    for number in range(element["line"], min(len(lines), element["line"] + 50) + 1):
        if re.search(rf"(?:^|\s){re.escape(attribute)}\s*=", lines[number - 1]):
            return number
    return element["line"]


def _elements(text: str, path: Path) -> list[_Element]:
    """The elements of an XML document or fragment as trees of {name, attrs, line, children}."""
    from xml.parsers import expat
    parser = expat.ParserCreate()
    root: _Element = {"name": "", "attrs": {}, "line": 0, "children": []}
    stack = [root]

    def start(name: str, attrs: dict[str, str]) -> None:
        element: _Element = {"name": name, "attrs": attrs, "line": parser.CurrentLineNumber, "children": []}
        stack[-1]["children"].append(element)
        stack.append(element)

    def end(name: str) -> None:
        stack.pop()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    # The declaration and a DOCTYPE go (Tomcat's server.xml needs neither; an internal subset's entities are
    # not expanded): what is left is parsed as a fragment, so that a snippet of a <Connector> reads too.
    body = re.sub(r"^\ufeff?\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
    body = re.sub(r"<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", lambda m: "\n" * m.group(0).count("\n"), body, flags=re.S)
    try:
        parser.Parse(f"<fragment>{body}</fragment>", True)
    except expat.ExpatError as e:
        raise JkstoolError(f"not well-formed XML ({expat.ErrorString(e.code)}, line {e.lineno})", "fix the file",
                           path=str(path)) from None
    found: list[_Element] = []
    todo = list(root["children"])
    while todo:
        element = todo.pop(0)
        found.append(element)
        todo.extend(element["children"])
    return found
