"""jkstool: build, inspect, convert and check Java keystores and truststores for mutual TLS.

The Python API (docs/api.md has an example for each):

- `read_store(path, password)` and `write_store(path, store, password)`: JKS,
  JCEKS (read), PKCS12 and PEM, through one model: `Store` of
  `PrivateKeyEntry`, `TrustedCertEntry` and `SecretKeyEntry`, read as `Loaded`.
- `init_pair(folder)` makes the four stores of a mutual-TLS pair and returns
  the `Layout`; `Layout.open(folder)` opens one made before.
- `verify_pair(folder_or_paths)` decides, as JSSE would, whether the two sides
  will complete a handshake: a `Report` of `Finding`s.
- `import_ca(truststore, certificates, password=...)` trusts CAs idempotently
  (an `ImportResult`); `expiry(paths)` lists every certificate, soonest to
  expire first.
- Every problem with the input raises `JkstoolError`, whose text names the
  file and the fix.

The names are loaded on first use, so that `import jkstool` (and the command
line, which starts with it) stays instant.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "read_store": "api", "write_store": "api", "init_pair": "api", "verify_pair": "api",
    "import_ca": "api", "expiry": "api",
    "Store": "model", "PrivateKeyEntry": "model", "TrustedCertEntry": "model", "SecretKeyEntry": "model",
    "Loaded": "model",
    "Layout": "layout.manifest", "Report": "mtls.checks", "Finding": "mtls.findings",
    "ImportResult": "pki.trust", "JkstoolError": "errors",
}
__all__ = [
    "read_store", "write_store", "init_pair", "verify_pair", "import_ca", "expiry",
    "Store", "PrivateKeyEntry", "TrustedCertEntry", "SecretKeyEntry", "Loaded",
    "Layout", "Report", "Finding", "ImportResult", "JkstoolError", "__version__",
]

if TYPE_CHECKING:
    from .api import expiry, import_ca, init_pair, read_store, verify_pair, write_store
    from .errors import JkstoolError
    from .layout.manifest import Layout
    from .model import Loaded, PrivateKeyEntry, SecretKeyEntry, Store, TrustedCertEntry
    from .mtls.checks import Report
    from .mtls.findings import Finding
    from .pki.trust import ImportResult


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'jkstool' has no attribute {name!r}")
    value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
