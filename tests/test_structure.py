"""The house rules of jkstool's code: imports go one way, the core never speaks, the public API is whole.

Each package may import its own modules and the layers below it, never the
layers above (see each package's docstring); only the command layer imports
typer, prints or exits.
"""

import ast
import base64
import functools
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "jkstool"
VENDORED = PACKAGE / "formats" / "_pyjks"  # pyjks's files as pyjks ships them: not held to these rules

# Lowest first: a module may import from its own layer and the layers before it.
LAYERS = [
    {"errors"}, {"limits", "model", "der", "properties", "shown"}, {"files", "passwords"}, {"pki"}, {"formats"},
    {"mtls"}, {"net", "layout"}, {"fleet"}, {"draw"}, {"doctor"}, {"api"}, {"testing"}, {"cli"}, {"pytest_plugin"},
]
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


@functools.cache
def modules() -> dict[str, Path]:
    return {".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
            for path in sorted(PACKAGE.rglob("*.py")) if not path.is_relative_to(VENDORED) or path.stem == "__init__"}


def imported(name: str, path: Path) -> set[str]:
    """The jkstool modules `name` imports, anywhere in its body (function-level imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("jkstool")}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("jkstool"):
                continue
            for alias in node.names:  # `from . import x` may import the module x
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in modules() else target)
    return found


def layer(module: str) -> str | None:
    """The top-level part of jkstool a module belongs to (jkstool.pki.certs -> pki)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_imports_go_one_way():
    wrong = []
    for name, path in modules().items():
        own = layer(name)
        if own is None or own == "__main__":
            continue
        for target in imported(name, path):
            other = layer(target)
            if other is None:  # `jkstool` itself: only its __version__ may be taken
                if own != "cli":
                    wrong.append(f"{name} imports the package root")
                continue
            if other != own and RANK[other] > RANK[own]:
                wrong.append(f"{name} imports {target}: {own} is below {other}")
    assert not wrong, "\n".join(wrong)


def test_the_command_layer_enters_the_core_by_one_door():
    """cli/ parses, calls the public API and renders: it imports jkstool (its lazy names) and jkstool.api
    (and the API's own modules), never the core's packages behind them."""
    wrong = []
    for name, path in modules().items():
        if layer(name) != "cli":
            continue
        for target in imported(name, path):
            if layer(target) not in (None, "cli", "api"):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {name: {t for t in imported(name, path) if t in modules() and t != name}
             for name, path in modules().items()}
    done, trail = set(), []

    def visit(node):
        if node in trail:
            pytest.fail("import cycle: " + " -> ".join(trail[trail.index(node):] + [node]))
        if node in done:
            return
        trail.append(node)
        for target in sorted(graph[node]):
            visit(target)
        trail.pop()
        done.add(node)

    for name in graph:
        visit(name)


SPEAKING = re.compile(r"^\s*(import typer|from typer|import click|from click)|\bprint\(|\bsys\.exit\(|\bexit\(",
                      re.M)


def test_only_the_command_layer_speaks():
    offenders = [name for name, path in modules().items()
                 if layer(name) not in ("cli", "__main__") and SPEAKING.search(path.read_text())]
    assert not offenders


def test_every_package_says_what_it_holds_and_may_import():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert len(doc) > 80, init
        if init.parent.name != "cli":
            assert "May import" in doc, init


def test_the_public_api_is_whole_and_documented():
    import jkstool
    for name in jkstool.__all__:
        assert getattr(jkstool, name) is not None, name
    import jkstool.api
    doc = (ROOT / "docs" / "api.md").read_text()
    for name in [*jkstool.__all__, *jkstool.api.__all__]:
        if name != "__version__":
            assert f"`{name}" in doc, f"docs/api.md does not mention {name}"


def test_the_vendored_pyjks_files_are_as_pyjks_ships_them():
    """Each vendored file's SHA-256 and size are the ones the pyjks 20.0.0 wheel's RECORD lists."""
    records = [line.split(",") for line in (VENDORED / "VENDORED").read_text().splitlines()
               if line and not line.startswith("#")]
    assert {Path(path).name for path, _, _ in records} == {p.name for p in VENDORED.glob("*.py")} - {"__init__.py"}
    for path, digest, size in records:
        data = (VENDORED / Path(path).name).read_bytes()
        assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert len(data) == int(size)


def test_importing_jkstool_loads_no_heavy_module():
    """`import jkstool` is what every command starts with: it must stay instant."""
    code = "import sys, jkstool; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('cryptography', 'Cryptodome', 'OpenSSL', 'tabulate', 'typer', 'click')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_users_mypy_sees_the_types(tmp_path):
    """The wheel carries py.typed (PEP 561): installed in an environment, mypy types jkstool's API there,
    where it would see Any without it."""
    import shutil
    import zipfile
    source = tmp_path / "source"  # a copy: a build/ folder left in the tree would lend its old files
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "wheel", source],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "wheel").glob("jkstool-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "env"], check=True)
    python = tmp_path / "env" / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    zipfile.ZipFile(wheel).extractall(site)
    (tmp_path / "user.py").write_text("import jkstool\nreveal_type(jkstool.verify_pair('x').ok)\n")
    result = subprocess.run([sys.executable, "-m", "mypy", "--python-executable", python, "--follow-imports=silent",
                             tmp_path / "user.py"], capture_output=True, text=True, cwd=tmp_path)
    assert 'Revealed type is "bool"' in result.stdout, result.stdout + result.stderr


# The core's texts that may name a command-line option: what the API returns as a report (not an error), which
# the commands print as it is, and other programs' options.
OPTIONS_ALLOWED = {
    "jkstool/mtls/findings.py": ({"--at", "--warn-days", "--crl", "--hostname", "--san", "--handshake", "--env",
                                  "--peer-url", "--user"}, "the rules' descriptions and fixes, documented for the CLI"),
    "jkstool/mtls/checks.py": ({"--san"}, "a finding's fix, in a verify-pair report"),
    "jkstool/layout/snippets.py": ({"--cert", "--key"}, "curl's own options, in the curl snippet"),
    "jkstool/formats/compat.py": ({"--dest-storepass"}, "a fix's command line, in compat's report"),
}


def cli_options() -> set[str]:
    """Every --option of every command, as the command line declares it."""
    import typer

    from jkstool.cli import COMMANDS, app
    group = typer.main.get_command(app)
    context = group.context_class(group)
    return {option for name in COMMANDS for param in group.get_command(context, name).params
            for option in [*param.opts, *param.secondary_opts] if option.startswith("--")}


def string_texts(tree: ast.AST):
    """(line, text) of each string literal but docstrings (and an attribute's string after it); an f-string
    whole, `{}` for each field."""
    bare = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    parts = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
    for node in ast.walk(tree):
        if id(node) in bare or id(node) in parts:
            continue
        if isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_the_core_names_parameters_not_command_line_options():
    """A core error names the API parameter that fixes it (replace=True); the command line shows its option
    (cli/output.py's _OPTIONS). A jkstool command line (`jkstool sign --profile server`) names a command."""
    from jkstool.cli import COMMANDS
    options = cli_options()
    assert {"--force", "--storepass", "--server-keystore"} <= options
    command_line = re.compile(rf"jkstool (?:{'|'.join(map(re.escape, COMMANDS))})\b[^();`]*$")
    found, used = [], set()
    for name, path in modules().items():
        if layer(name) == "cli":
            continue
        where = str(path.relative_to(ROOT))
        allowed = OPTIONS_ALLOWED.get(where, (set(), ""))[0]
        for line, text in string_texts(ast.parse(path.read_text())):
            for match in re.finditer(r"--(?:[a-z][a-z0-9-]*|\{\})", text):
                option = match[0]
                if option in allowed:
                    used.add((where, option))
                elif option == "--{}" or option in options and not command_line.search(text[:match.start()]):
                    found.append(f"{where}:{line}: {option} in {text!r}")
    assert not found, "\n".join(found)
    stale = {(where, option) for where, (allowed, _) in OPTIONS_ALLOWED.items() for option in allowed} - used
    assert not stale, f"allowed, but no longer there: {sorted(stale)}"


def test_the_command_lines_options_replace_whole_parameters():
    """_OPTIONS is applied in order: an entry must come before any entry that holds it (password=... would
    turn ca_password=... into ca_--storepass), and no option it writes may hold a later entry."""
    from jkstool.cli.output import _OPTIONS
    entries = list(_OPTIONS)
    for i, entry in enumerate(entries):
        for later in entries[i + 1:]:
            assert entry not in later and later not in _OPTIONS[entry], (entry, later)
