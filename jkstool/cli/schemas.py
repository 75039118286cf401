"""The names and versions of jkstool's JSON outputs: each `--json` output is an object whose first key,
"schema": "jkstool/NAME/VERSION", says which contract it keeps, as docs/schemas/NAME.schema.json
describes it. A script checks it before it reads on.

A version goes up when a key is removed or renamed, or its value changes type or meaning: a script
written for the old one would misread the new. A new key keeps the version (docs/conventions.md).
"""

VERSIONS = {
    "add-client": 1,
    "compat": 1,
    "convert": 1,
    "convert-layout": 1,
    "copy": 1,
    "csr": 1,
    "delete": 1,
    "doctor": 1,
    "expiry": 1,
    "export": 1,
    "genkey": 1,
    "graph": 1,
    "import-ca": 1,
    "import-key": 1,
    "import-reply": 1,
    "init-pair": 1,
    "list": 1,
    "passwd": 1,
    "printcert": 1,
    "probe": 1,
    "rename": 1,
    "renew": 1,
    "restore": 1,
    "revoke": 1,
    "rollover-ca": 1,
    "rollover-ca-status": 1,
    "serve": 1,
    "sign": 1,
    "verify-pair": 1,
    "verify-pair-all": 1,
}


def tag(name: str) -> str:
    """The "schema" value of the output `name`."""
    return f"jkstool/{name}/{VERSIONS[name]}"
