"""The file layer: the only part of the core that touches disk.

Reads name the file in every error. Writes are atomic: a temporary file in
the destination folder, fsync, rename, fsync of the folder, so an error or a
kill at any moment leaves the old file byte for byte. A new file that holds
a private key is created 0600; an existing file keeps its mode.
"""

import errno
import os
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import limits
from .errors import JkstoolError, file_exists


def read_bytes(path: Path | str) -> bytes:
    path = Path(path)
    try:
        if path.is_dir():
            raise JkstoolError("is a folder, not a file", "give the path of a store file", path=str(path))
        if path.stat().st_size > limits.max_file_bytes():
            raise JkstoolError(f"the file is larger than {limits.max_file_bytes() // 2**20} MiB",
                               "check that this is a keystore; if it is, raise JKSTOOL_MAX_FILE_MB",
                               path=str(path))
        return path.read_bytes()
    except FileNotFoundError:
        raise JkstoolError("no such file", "check the path", path=str(path)) from None
    except PermissionError:
        raise JkstoolError("permission denied", "check the file's owner and mode",
                           path=str(path)) from None
    except OSError as e:
        raise JkstoolError(f"cannot read the file ({e.strerror})", path=str(path)) from None


def mode(path: Path | str) -> int:
    """The permission bits of `path`."""
    return stat.S_IMODE(os.stat(path).st_mode)


def write_atomic(path: Path | str, data: bytes, private: bool) -> None:
    """Replace `path` with `data`: the old file survives any failure untouched."""
    path = Path(path)
    folder = path.parent
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o600 if private else 0o666 & ~_umask()
    except OSError as e:
        raise JkstoolError(f"cannot write the file ({e.strerror})", path=str(path)) from None
    _remove_stale_temps(path)
    temp = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, data)
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        _fsync_folder(folder)
    except OSError as e:
        _remove(temp)
        fix = "free some disk space" if e.errno == errno.ENOSPC else "check the folder's permissions"
        raise JkstoolError(f"cannot write the file ({e.strerror})", fix, path=str(path)) from None
    except BaseException:
        _remove(temp)
        raise


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary files left by runs of jkstool that were killed mid-write."""
    for temp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = temp.name[len(path.name) + 2:-4]
        if pid.isdigit() and not _alive(int(pid)):
            _remove(temp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def backup(path: Path | str) -> Path:
    """A byte-exact, timestamped copy beside `path`, made before replacing it."""
    import shutil
    from datetime import datetime, timezone
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while target.exists():
        target, n = path.with_name(f"{path.name}.bak-{stamp}-{n}"), n + 1
    try:
        shutil.copy2(path, target)
    except OSError as e:
        raise JkstoolError(f"cannot make a backup before replacing it ({e.strerror})",
                           path=str(path)) from None
    return target


def write_all(items: Iterable[tuple[Path | str, bytes, bool]], replace: bool = False) -> list[Path]:
    """Write several files as one change: all of them land, or none does.

    `items` are (path, bytes, private). An existing file is replaced only with
    `replace`, after a backup beside it; if any write fails, the files
    written so far are removed or restored from their backups, and folders
    made for them are removed again. Returns the backups kept.
    """
    planned = [(Path(p), data, private) for p, data, private in items]
    existing = [p for p, _, _ in planned if p.exists()]
    if existing and not replace:
        raise file_exists(existing[0])
    private_dirs = {folder for path, _, private in planned if private
                    for folder in (path.parent, *path.parent.parents)}
    made_dirs: list[Path] = []
    written: list[Path] = []
    backups: dict[Path, Path] = {}
    try:
        for path, data, private in planned:
            for folder in reversed([path.parent, *path.parent.parents]):
                if not folder.exists():
                    folder.mkdir(mode=0o700 if folder in private_dirs else 0o777)
                    made_dirs.append(folder)
            if path.exists():
                backups[path] = backup(path)
            write_atomic(path, data, private)
            written.append(path)
    except BaseException:
        for path in reversed(written):
            if path in backups:
                os.replace(backups.pop(path), path)
            else:
                _remove(path)
        for kept in backups.values():
            _remove(kept)
        for folder in reversed(made_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    return list(backups.values())


@contextmanager
def locked(path: Path | str, timeout: float) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (on a lock file beside it) for a
    read-modify-write, so concurrent jkstool runs on one store all land.

    The lock file is removed on release. A waiter that then wins the lock on the
    removed file notices (its inode is no longer the path's) and tries again, so
    removal cannot let two writers in at once.
    """
    path = Path(path)
    lock_path = path.parent / f".{path.name}.lock"
    deadline = time.monotonic() + timeout
    while True:
        fd = _lock_fd(lock_path, path)
        if _flock(fd, deadline):
            try:
                same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
        os.close(fd)
        if time.monotonic() >= deadline:
            raise JkstoolError(f"another process is changing the file: no lock within {timeout:g} s",
                               "wait for it to finish, or give a longer --lock-timeout", path=str(path))
    try:
        yield
    finally:
        _remove(lock_path)
        os.close(fd)


def _lock_fd(lock_path: Path, path: Path) -> int:
    try:
        return os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        raise JkstoolError("the folder does not exist", "create it first", path=str(path.parent)) from None
    except OSError as e:
        raise JkstoolError(f"cannot lock the file ({e.strerror})", path=str(path)) from None


def _flock(fd: int, deadline: float) -> bool:
    """Wait for the lock on `fd` until the deadline; whether it was taken."""
    import fcntl
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
