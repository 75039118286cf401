"""jkstool's public Python API: what `import jkstool` offers, and the one door the commands go through.

Like trustme's `CA`, a layout for a Java service is three lines away:

    layout = jkstool.init_pair(tmp_path / "tls", password="changeit")
    flags = [f"-D{k}={v}" for k, v in layout.system_properties("server", "changeit").items()]
    subprocess.run(["java", *flags, "-jar", "service.jar"])

Every function raises `JkstoolError` for a problem with its input (its text
names the file and says what to do), never prints and never exits. A fix
names the parameter that applies it (`replace=True`); the command line says
its option instead.

Two submodules load only when imported, since they bring cryptography: `jkstool.api.certificates`
(a certificate's facts as commands show them) and `jkstool.api.outputs` (files other than stores).

May import: every package of the core (the command layer imports this).
"""

from ..errors import JkstoolError, KeyPasswordError, PasswordError, PasswordNeeded
from ..layout.manifest import Layout
from ..model import (
    ROLES,
    SIDES,
    Entry,
    Loaded,
    PrivateKeyEntry,
    Role,
    SecretKeyEntry,
    Side,
    Store,
    TrustedCertEntry,
)
from ..passwords import Password, PasswordMap, first_line, from_source
from .checks import expiry, layout_crls, read_crl, verify_pair, verify_secrets
from .layouts import init_pair
from .stores import (
    Conversion,
    StoreEdit,
    change_password,
    convert_store,
    copy_entry,
    delete_entry,
    edit_store,
    import_ca,
    open_store,
    read_store,
    rename_entry,
    store_type_for,
    write_store,
)

__all__ = ["JkstoolError", "PasswordError", "PasswordNeeded", "KeyPasswordError", "Password", "PasswordMap",
           "from_source", "first_line", "Layout", "Store", "Entry",
           "PrivateKeyEntry", "TrustedCertEntry", "SecretKeyEntry", "Loaded", "Role", "Side", "ROLES", "SIDES",
           "read_store", "write_store", "open_store", "edit_store", "StoreEdit", "copy_entry", "delete_entry",
           "rename_entry", "change_password", "convert_store", "Conversion", "store_type_for", "import_ca", "init_pair",
           "verify_pair", "verify_secrets", "layout_crls", "read_crl", "expiry"]
