"""Stores held in Kubernetes Secrets, read from what `kubectl get secret -o json|yaml` prints.

jkstool never talks to a cluster: a Secret, a List of them, or several YAML
documents come in as bytes (a file, or stdin). Stores are the keys cert-manager
writes (keystore.jks, truststore.jks, keystore.p12, truststore.p12), certificates
its PEM keys (tls.crt, ca.crt). A store's password comes from `password_from`
(SECRET/KEY of any Secret in the input), else from the cert-manager Certificate
in the input whose secretName is the Secret (its keystores' passwordSecretRef),
else from the password given. Each store is named SOURCE#SECRET/KEY, the name
that `list` and `compat` take to pick one.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import limits
from ..errors import JkstoolError

if TYPE_CHECKING:
    import yaml

STORE_KEYS = ("keystore.jks", "truststore.jks", "keystore.p12", "truststore.p12")
PEM_KEYS = ("tls.crt", "ca.crt")

Object = dict[object, object]
"""A Kubernetes object as parsed: YAML's keys need not be strings."""


@dataclass(frozen=True)
class SecretFile:
    name: str
    """SOURCE#SECRET/KEY."""
    secret: str
    key: str
    data: bytes
    password: str | None
    error: str | None = None
    """Why the key's value cannot be used (not base64): reported for this file alone."""
    password_from: str | None = None
    """SECRET/KEY of the Secret that gave the password (password_from, or a cert-manager Certificate's
    passwordSecretRef); None when it was given otherwise."""


def is_document(data: bytes) -> bool:
    """Whether bytes look like Kubernetes objects (JSON or YAML naming a kind and an apiVersion)."""
    head = data[:65536]
    return b"apiVersion" in head and b"kind" in head and (b"Secret" in head or b"List" in head)


def documents(data: bytes, source: str) -> list[Object]:
    """The Secrets and cert-manager Certificates in a JSON or YAML input, Lists unfolded."""
    try:
        text = data.decode("utf-8")
        loaded = [_json(text)] if text.lstrip().startswith("{") else _yaml(text)
    except (UnicodeError, ValueError) as e:
        raise JkstoolError(f"not JSON or YAML Kubernetes objects ({(str(e).splitlines() or ['?'])[0]})",
                           "give what kubectl get secret -o json (or -o yaml) prints", path=source) from None
    except _TooBig as e:
        raise JkstoolError(str(e), "give what kubectl get secret -o json (or -o yaml) prints", path=source) \
            from None
    found: list[object] = []
    for item in map(_dict, loaded):
        items = item.get("items")
        found += items if str(item.get("kind", "")).endswith("List") and isinstance(items, list) else [item]
    objects = [o for o in map(_dict, found) if o.get("kind") in ("Secret", "Certificate")]
    if not any(o["kind"] == "Secret" for o in objects):
        raise JkstoolError("no Kubernetes Secret in it", "give what kubectl get secret -o json prints",
                           path=source)
    return objects


def secret_files(objects: list[Object], source: str, given: str | None,
                 password_from: str | None = None) -> list[SecretFile]:
    """Every store and PEM certificate file in the Secrets, with its password."""
    secrets = {_name(o): _data(o) for o in objects if o["kind"] == "Secret"}
    certificates = [o for o in objects if o["kind"] == "Certificate"]
    found = []
    for name, data in secrets.items():
        for key in sorted(data):
            if key not in STORE_KEYS + PEM_KEYS:
                continue
            value = data[key]
            if value is None:
                found.append(SecretFile(f"{source}#{name}/{key}", name, key, b"", None,
                                        f"the Secret {name}'s key {key} is not base64"))
                continue
            password, reference = _password(name, key, secrets, certificates, source, given, password_from) \
                if key in STORE_KEYS else (None, None)
            found.append(SecretFile(f"{source}#{name}/{key}", name, key, value, password, password_from=reference))
    if not found:  # given by name: a gate must not pass over what it could not check
        raise JkstoolError(f"no store or certificate in its Secrets (keys {', '.join(STORE_KEYS + PEM_KEYS)})",
                           "give the Secrets that hold the stores", path=source)
    return found


def pick(files: list[SecretFile], reference: str, source: str) -> SecretFile:
    """The file SECRET/KEY of an input."""
    secret, _, key = reference.partition("/")
    for item in files:
        if item.secret == secret and item.key == key:
            if item.error:
                raise JkstoolError(item.error, "give the value base64-encoded, as kubectl prints it", path=source)
            return item
    names = ", ".join(f"{f.secret}/{f.key}" for f in files) or "none"
    raise JkstoolError(f"no store {reference} in it (it holds: {names})", "name one as SOURCE#SECRET/KEY",
                       path=source)


class _TooBig(Exception):
    """The input, its aliases followed, is larger or deeper than the limits."""


def _json(text: str) -> object:
    try:
        loaded = json.loads(text)
    except RecursionError:  # nesting deeper than the parser recurses
        raise ValueError("nested too deeply") from None
    stack = [(loaded, 1)]
    while stack:  # no alias in JSON: only its depth is to check (repr and str recurse on what is nested)
        value, depth = stack.pop()
        if depth > limits.K8S_NESTING:
            raise _TooBig(f"values nested more than {limits.K8S_NESTING} deep")
        if isinstance(value, dict):
            stack += [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            stack += [(item, depth + 1) for item in value]
    return loaded


def _yaml(text: str) -> list[object]:
    """Each YAML document, its aliases followed within the limits (K8S_VALUES, K8S_NESTING,
    K8S_ALIAS_CHARS) before anything is built: an alias bomb of a few hundred bytes is refused, not
    expanded to billions of values."""
    import yaml  # only for YAML input
    try:  # the pure-Python parser: its recursion ends in a RecursionError; it refuses a NUL as it is built
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as e:
        raise ValueError(str(e)) from None
    try:
        found = []
        spent = [0, 0]  # values and characters, over every document of the input: the limits are the input's
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # an empty document; check_node says there is one, the types do not
                continue
            _bounded(node, len(text), spent)
            found.append(loader.construct_document(node))
        return found
    except yaml.YAMLError as e:
        raise ValueError(str(e)) from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    finally:
        loader.dispose()


def _bounded(root: "yaml.Node", size: int, spent: list[int]) -> None:
    """Count what a document holds as it would be built, each alias as often as it is followed, into what the
    input's documents before it `spent` ([values, characters])."""
    import yaml
    values, chars = spent
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > limits.K8S_VALUES:
            raise _TooBig(f"more than {limits.K8S_VALUES:,} values once its YAML aliases are followed "
                          "(an alias bomb?)")
        if depth > limits.K8S_NESTING:
            raise _TooBig(f"values nested more than {limits.K8S_NESTING} deep once its YAML aliases are followed")
        if isinstance(node, yaml.ScalarNode):
            chars += len(node.value)  # a value is never longer than its text: aliases alone add to it
            if chars > size + limits.K8S_ALIAS_CHARS:
                raise _TooBig(f"its YAML aliases, followed, add more than {limits.K8S_ALIAS_CHARS:,} characters "
                              "(an alias bomb?)")
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, depth + 1) for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            stack += [(part, depth + 1) for pair in node.value for part in pair]
    spent[:] = [values, chars]


def _dict(value: object) -> Object:
    """Input from outside: a mapping where one is expected, else nothing (never an AttributeError)."""
    return value if isinstance(value, dict) else {}


def _name(obj: Object) -> str:
    return str(_dict(obj.get("metadata")).get("name", "?"))


def _data(secret: Object) -> dict[str, bytes | None]:
    """A Secret's keys, base64 `data` decoded (None: not base64), `stringData` as UTF-8 (what kubectl apply
    would store). A YAML key that is not a string (`1:`) becomes one, as kubectl makes it; left as it is,
    it could not be sorted with the others."""
    decoded: dict[str, bytes | None] = {}
    for key, value in _dict(secret.get("data")).items():
        try:
            decoded[str(key)] = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            decoded[str(key)] = None
    for key, value in _dict(secret.get("stringData")).items():
        decoded[str(key)] = str(value).encode("utf-8")
    return decoded


def _password(secret: str, key: str, secrets: dict[str, dict[str, bytes | None]], certificates: list[Object],
              source: str, given: str | None, password_from: str | None) -> tuple[str | None, str | None]:
    """(a store's password, the SECRET/KEY it came from, if from a Secret)."""
    reference = password_from
    if reference is None:
        kind = "jks" if key.endswith(".jks") else "pkcs12"
        for certificate in certificates:
            spec = _dict(certificate.get("spec"))
            store = _dict(_dict(spec.get("keystores")).get(kind))
            if spec.get("secretName") == secret and store.get("passwordSecretRef"):
                ref = _dict(store["passwordSecretRef"])
                reference = f"{ref.get('name')}/{ref.get('key', 'password')}"
            elif spec.get("secretName") == secret and "password" in store:
                return str(store["password"]), None  # cert-manager's literal password field
    if reference is None:
        return given, None
    name, _, field = reference.partition("/")
    if name not in secrets or secrets[name].get(field) is None:
        raise JkstoolError(f"the password {reference} is not in it (no Secret {name} with the key {field})",
                           "give the Secret that holds it too, e.g. kubectl get secret A B -o json", path=source)
    return (secrets[name][field] or b"").decode("utf-8").rstrip("\n"), reference


def pair(files: list[SecretFile], server: str | None, client: str | None, source: str) -> dict[str, SecretFile]:
    """The four stores of a pair, by role, from a server Secret and a client Secret (by default the ones
    whose names end in -server and -client, as jkstool k8s-secret names them); PKCS12 where a Secret
    holds both forms."""
    chosen = {}
    for side, name in (("server", server), ("client", client)):
        if name is None:
            names = sorted({f.secret for f in files if f.secret.endswith(f"-{side}")})
            if len(names) != 1:
                raise JkstoolError(f"no single Secret named *-{side} in it ({len(names)} found)",
                                   f"name it with {side}=...", path=source)
            name = names[0]
        for kind in ("keystore", "truststore"):
            found = {f.key: f for f in files if f.secret == name and f.key.startswith(f"{kind}.")}
            if not found:
                raise JkstoolError(f"the Secret {name} holds no {kind} (key {kind}.p12 or {kind}.jks)",
                                   f"give the {side}'s Secret with {side}=...", path=source)
            chosen[f"{side}-{kind}"] = item = found.get(f"{kind}.p12") or found[f"{kind}.jks"]  # cert-manager: both
            if item.error:
                raise JkstoolError(item.error, "give the value base64-encoded, as kubectl prints it", path=source)
    return chosen
