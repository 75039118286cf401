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
- `edit_store(path, password)` changes a store under its lock, written back
  atomically; `copy_entry`, `delete_entry`, `rename_entry`, `change_password`
  and `convert_store` are keytool's jobs on it. `jkstool.api` has the rest:
  key entries (`jkstool.api.keys`), a layout's life, and the checks.
- `jkstool.testing.Pair()` is a mutual-TLS pair in memory for test suites.
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
    "import_ca": "api", "expiry": "api", "edit_store": "api", "open_store": "api", "StoreEdit": "api",
    "copy_entry": "api", "delete_entry": "api", "rename_entry": "api", "change_password": "api",
    "convert_store": "api", "Conversion": "api",
    "Password": "passwords", "PasswordMap": "passwords", "from_source": "passwords", "first_line": "passwords",
    "PasswordNeeded": "errors",
    "Role": "model", "Side": "model",
    "Store": "model", "PrivateKeyEntry": "model", "TrustedCertEntry": "model", "SecretKeyEntry": "model",
    "Loaded": "model",
    "Layout": "layout.manifest", "Report": "mtls.checks", "Finding": "mtls.findings",
    "ImportResult": "pki.trust", "JkstoolError": "errors", "printable": "shown", "readable": "shown",
}
__all__ = [
    "read_store", "write_store", "init_pair", "verify_pair", "import_ca", "expiry",
    "edit_store", "open_store", "StoreEdit", "copy_entry", "delete_entry", "rename_entry", "change_password",
    "convert_store", "Conversion", "Password", "PasswordMap", "from_source", "first_line", "PasswordNeeded", "Role",
    "Side",
    "Store", "PrivateKeyEntry", "TrustedCertEntry", "SecretKeyEntry", "Loaded",
    "Layout", "Report", "Finding", "ImportResult", "JkstoolError", "printable", "readable", "__version__",
]

if TYPE_CHECKING:
    from .api import (
        Conversion,
        StoreEdit,
        change_password,
        convert_store,
        copy_entry,
        delete_entry,
        edit_store,
        expiry,
        import_ca,
        init_pair,
        open_store,
        read_store,
        rename_entry,
        verify_pair,
        write_store,
    )
    from .errors import JkstoolError, PasswordNeeded
    from .layout.manifest import Layout
    from .model import Loaded, PrivateKeyEntry, Role, SecretKeyEntry, Side, Store, TrustedCertEntry
    from .mtls.checks import Report
    from .mtls.findings import Finding
    from .passwords import Password, PasswordMap, first_line, from_source
    from .pki.trust import ImportResult
    from .shown import printable, readable


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'jkstool' has no attribute {name!r}")
    value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
