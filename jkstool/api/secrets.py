"""Stores kept in Kubernetes Secrets (what `kubectl get secret -o json|yaml` prints): found among paths,
named as SOURCE#SECRET/KEY, and read like any store. SOURCE `-` is the `stdin` stream the caller gives."""

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from .. import files, formats, limits, passwords
from ..errors import JkstoolError, PasswordError
from ..fleet import secrets
from ..fleet.secrets import SecretFile
from ..model import Loaded

__all__ = ["SecretFile", "split_secrets", "secret_store", "load_secret"]

_DOCUMENTS = (".json", ".yaml", ".yml")


def split_secrets(paths: Iterable[Path], *, password: str | None = None, password_from: str | None = None,
                  stdin: BinaryIO | None = None) -> tuple[list[Path], list[SecretFile]]:
    """Split paths into those of stores and the stores in Secrets: `-` (stdin), and a .json, .yaml or .yml
    file that holds Kubernetes objects. A Secret's store opens with `password`, else the password the
    Secret named `password_from` holds (as cert-manager keeps it)."""
    kept, found = [], []
    for path in paths:
        if str(path) != "-" and (path.suffix.lower() not in _DOCUMENTS or not path.is_file()):
            kept.append(path)
            continue
        data = _read(path, stdin)
        if str(path) != "-" and not secrets.is_document(data):
            kept.append(path)
            continue
        source = "stdin" if str(path) == "-" else str(path)
        found += secrets.secret_files(secrets.documents(data, source), source, password, password_from)
    return kept, found


def secret_store(reference: str | Path, *, password: str | None = None, password_from: str | None = None,
                 stdin: BinaryIO | None = None) -> SecretFile | None:
    """SOURCE#SECRET/KEY: the store KEY of the Secret SECRET in SOURCE; None when `reference` names a file
    that exists (or has no #)."""
    text = str(reference)
    if "#" not in text or Path(text).exists():
        return None
    source, _, pick = text.partition("#")
    name = "stdin" if source == "-" else source
    data = _read(Path(source), stdin)
    return secrets.pick(secrets.secret_files(secrets.documents(data, name), name, password, password_from),
                        pick, name)


def load_secret(found: SecretFile, *, key_password: str | None = None, keys: bool = True,
                strict: bool = True) -> Loaded:
    """The store a Secret holds, as `read_store` reads a file; errors name it SOURCE#SECRET/KEY."""
    try:
        return formats.load(found.data, found.password, key_password, keys=keys, strict=strict)
    except PasswordError as e:
        if found.password_from is not None:  # the password came from a Secret: that is what to check
            e = replace(e, fix=f"check the password in the Secret key {found.password_from}, which password_from=... "
                               "names")
        raise e.at(path=found.name) from None
    except JkstoolError as e:
        raise e.at(path=found.name) from None


def _read(path: Path, stdin: BinaryIO | None) -> bytes:
    if str(path) != "-":
        return files.read_bytes(path)
    if stdin is None:
        raise JkstoolError("- names the standard input, and none was given", "give a file instead")
    passwords.take_stdin(stdin, "the Secrets' source -")
    data = stdin.read(limits.max_file_bytes() + 1)
    if len(data) > limits.max_file_bytes():
        raise JkstoolError(f"more than {limits.max_file_bytes()} bytes", "raise JKSTOOL_MAX_FILE_MB", path="stdin")
    return data
