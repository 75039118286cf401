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

from typing import TYPE_CHECKING, Any

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
from .checks import (
    Fleet,
    PairResult,
    PasswordChooser,
    doctor,
    expiry,
    layout_crls,
    pair_stores,
    read_crls,
    run_handshake,
    verify_fleet,
    verify_pair,
    verify_secrets,
)
from .exporting import exporter
from .inspect import (
    CACERTS_PASSWORD,
    DECLARED_TYPES,
    JDKS,
    CompatReport,
    Inventory,
    Listed,
    cacerts,
    compat,
    days_left,
    inventory,
    trusted_in,
)
from .keys import Export, create_request, export_entry, generate_key, import_key, install_reply, load_ca, sign_request
from .layouts import (
    PEM_SNIPPETS,
    SERVER_SNIPPETS,
    LayoutFile,
    Snippet,
    add_client,
    check_k8s_name,
    convert_layout,
    init_pair,
    is_layout,
    k8s_secrets,
    layout_files,
    renew,
    restore,
    revoke,
    revoke_with,
    rollover_ca,
    rollover_status,
    snippet,
)
from .network import Listening, ProbeResult, ServerCertificate, Visit, probe, save_chain, serve, server_chain
from .pictures import fleet_report_html, graph
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

if TYPE_CHECKING:
    from ..doctor.diagnose import Checkup, Diagnosis
    from ..draw.graph import Graph
    from ..fleet.expiry import ExpiringCertificate, Scan
    from ..fleet.exporter import Exporter, FleetScan
    from ..layout.lifecycle import NewClient, Renewal, Request, Revocation, Revocations, Written
    from ..layout.rollover import Stage
    from ..mtls.checks import Break, Report
    from ..mtls.findings import Finding
    from ..pki.trust import ImportResult

# The result types whose modules bring cryptography: loaded when first asked for.
_RESULTS = {"Report": "mtls.checks", "Break": "mtls.checks", "Finding": "mtls.findings", "Scan": "fleet.expiry",
            "ExpiringCertificate": "fleet.expiry", "Checkup": "doctor.diagnose", "Diagnosis": "doctor.diagnose",
            "ImportResult": "pki.trust", "Renewal": "layout.lifecycle", "Request": "layout.lifecycle",
            "NewClient": "layout.lifecycle", "Revocation": "layout.lifecycle", "Revocations": "layout.lifecycle",
            "Written": "layout.lifecycle", "Stage": "layout.rollover", "Exporter": "fleet.exporter",
            "FleetScan": "fleet.exporter", "Graph": "draw.graph"}


def __getattr__(name: str) -> Any:
    if name not in _RESULTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module
    return getattr(import_module(f"jkstool.{_RESULTS[name]}"), name)


__all__ = [
    # errors, the model, passwords
    "JkstoolError", "PasswordError", "PasswordNeeded", "KeyPasswordError", "Password", "PasswordMap", "from_source",
    "first_line", "Layout", "Store", "Entry", "PrivateKeyEntry", "TrustedCertEntry", "SecretKeyEntry", "Loaded",
    "Role", "Side", "ROLES", "SIDES",
    # stores
    "read_store", "write_store", "open_store", "edit_store", "StoreEdit", "copy_entry", "delete_entry",
    "rename_entry", "change_password", "convert_store", "Conversion", "store_type_for", "import_ca", "ImportResult",
    # key entries
    "generate_key", "create_request", "load_ca", "sign_request", "install_reply", "import_key", "export_entry",
    "Export",
    # layouts
    "init_pair", "renew", "add_client", "rollover_status", "rollover_ca", "restore", "revoke", "revoke_with",
    "convert_layout", "k8s_secrets", "check_k8s_name", "snippet", "Snippet", "layout_files", "LayoutFile",
    "is_layout", "PEM_SNIPPETS", "SERVER_SNIPPETS", "Renewal", "Request", "NewClient", "Revocation", "Revocations",
    "Written", "Stage",
    # looking at stores and servers
    "inventory", "Inventory", "Listed", "days_left", "compat", "CompatReport", "JDKS", "DECLARED_TYPES",
    "trusted_in", "cacerts", "CACERTS_PASSWORD", "probe", "ProbeResult", "ServerCertificate", "serve", "Listening",
    "Visit", "save_chain", "server_chain",
    # checks
    "pair_stores", "verify_pair", "verify_secrets", "verify_fleet", "run_handshake", "layout_crls", "read_crls",
    "expiry", "doctor", "PasswordChooser", "PairResult", "Fleet", "Report", "Finding", "Break", "Scan",
    "ExpiringCertificate", "Checkup", "Diagnosis", "exporter", "Exporter", "FleetScan",
    # pictures
    "graph", "Graph", "fleet_report_html",
]
