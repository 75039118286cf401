"""A layout as Kubernetes Secrets, the way cert-manager lays out its keystores.

One Secret per side (NAME-server, NAME-client) holds that side's stores under
cert-manager's key names (keystore.p12 or keystore.jks, truststore.p12 or
truststore.jks) and its certificate as PEM (tls.crt: the chain, tls.key: the
key, ca.crt: the CA that issued it); the store password is in a Secret of its
own (NAME-keystore-password, key `password`), as cert-manager's
passwordSecretRef expects, so that it can be granted separately. The CA key
never goes into any of them. `kubectl apply -f` takes the List written.
"""

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import formats
from ..errors import JkstoolError
from ..formats import pem
from ..model import ROLES, PrivateKeyEntry
from .manifest import Layout

_DNS1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
PASSWORD_KEY = "password"


def check_name(name: str, what: str = "the Secret name") -> str:
    """A DNS-1123 subdomain, as Kubernetes requires of a Secret's name (at most 253 characters)."""
    if len(name) > 253 or not _DNS1123.fullmatch(name):
        raise JkstoolError(f"{what} {name!r} is not a DNS-1123 name",
                           "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit")
    return name


Reader = Callable[[Path], bytes]


def secrets(layout: Layout, password: str, name: str, namespace: str | None = None,
            read: Reader = Path.read_bytes) -> dict[str, Any]:
    """The List of the three Secrets for `layout`, whose stores open with `password`; `read` gives a store's
    bytes (a change gives those it is about to write)."""
    check_name(f"{name}-keystore-password")
    if namespace is not None:
        check_name(namespace, "the namespace")
    items = [_secret(layout, password, name, side, namespace, read) for side in ("server", "client")]
    items.append(_manifest(f"{name}-keystore-password", namespace, "password",
                           {PASSWORD_KEY: password.encode("utf-8")}))
    return {"apiVersion": "v1", "kind": "List", "items": items}


def as_json(document: dict[str, Any]) -> bytes:
    """The List as the file holds it (what kubectl apply -f reads)."""
    return (json.dumps(document, indent=2) + "\n").encode()


def _secret(layout: Layout, password: str, name: str, side: str, namespace: str | None,
            read: Reader) -> dict[str, Any]:
    ext = "jks" if layout.store_type == "jks" else "p12"
    data: dict[str, bytes] = {}
    for role in ROLES:
        if role.startswith(side):
            data[f"{role.split('-')[1]}.{ext}"] = read(layout.store_path(role))
    keystore = formats.load(data[f"keystore.{ext}"], password).store
    entry = next(e for e in keystore if isinstance(e, PrivateKeyEntry))
    data["tls.crt"] = "".join(pem.armor("CERTIFICATE", c) for c in entry.chain).encode()
    data["tls.key"] = pem.key_pem(entry.pkcs8(), None).encode()  # in the clear, as cert-manager writes it
    data["ca.crt"] = pem.armor("CERTIFICATE", entry.chain[-1]).encode()
    return _manifest(f"{name}-{side}", namespace, side, data)


def _manifest(name: str, namespace: str | None, component: str, data: dict[str, bytes]) -> dict[str, Any]:
    metadata = {"name": name, "labels": {"app.kubernetes.io/managed-by": "jkstool",
                                         "app.kubernetes.io/component": component}}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "data": {key: base64.b64encode(value).decode("ascii") for key, value in sorted(data.items())}}
