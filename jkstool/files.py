"""The file layer: the only part of the core that touches disk.

Reads name the file in every error, and take regular files only, within the
size limit (a device or a FIFO is refused by its type, not by its size).

Writes are atomic: a temporary file in the destination folder, fsync,
rename, fsync of the folder, so an error or a kill at any moment leaves the
old file byte for byte. Every file jkstool creates — temporary file, backup,
lock — is opened with O_CREAT|O_EXCL|O_NOFOLLOW (a link planted at its name is
never followed) under a name no one can guess, mode 0600 from the start, and
given its final mode before anything is written to it. A file that replaces
another keeps its owner, group, mode and ACL; a new file holding a key is
0600, and one holding an unencrypted key is never wider than 0600, whatever
was there before.
"""

import errno
import os
import secrets
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path

from . import limits
from .errors import JkstoolError, file_exists


class Secrecy(IntEnum):
    """What a file holds, which decides its mode: nothing secret; keys, encrypted (a new file is 0600); a key
    or password in the clear (never wider than 0600, whatever the file it replaces was)."""

    PUBLIC = 0
    KEYS = 1
    CLEAR = 2


def _file_of(what: str) -> str:
    """The file to give instead of a folder: what a read was for ("a password file"), else a store file."""
    return "a store file" if what == "the file" else what


def read_bytes(path: Path | str, limit: int | None = None, what: str = "the file", own: bool = False,
               follow: bool = True) -> bytes:
    """The bytes of a regular file, refused beyond `limit` (JKSTOOL_MAX_FILE_MB by default). With `own`, only a
    file of the running user, not through a link: what jkstool wrote itself and takes back (a backup); without
    `follow`, any user's file, but not through a link (what is about to be replaced, backed up)."""
    path = Path(path)
    limit = limits.max_file_bytes() if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | (os.O_NOFOLLOW if own or not follow else 0))
    except FileNotFoundError:
        raise JkstoolError("no such file", "check the path", path=str(path)) from None
    except PermissionError:
        raise JkstoolError("permission denied", "check the file's owner and mode", path=str(path)) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise not_own(path) from None
        raise JkstoolError(f"cannot read the file ({e.strerror})", path=str(path)) from None
    try:
        info = os.fstat(fd)
        kind = info.st_mode
        if own and info.st_uid != os.geteuid():
            raise not_own(path)
        if stat.S_ISDIR(kind):
            raise JkstoolError("is a folder, not a file", f"give the path of {_file_of(what)}", path=str(path))
        if not stat.S_ISREG(kind):
            raise JkstoolError("is not a regular file (a device, FIFO or socket)", "give the path of a file",
                               path=str(path))
        if info.st_size > limit:  # refused unread; a file growing as it is read is counted below
            raise _too_large(path, what, limit)
        data = _read_at_most(fd, limit + 1, info.st_size)
    except OSError as e:
        raise JkstoolError(f"cannot read the file ({e.strerror})", path=str(path)) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _too_large(path, what, limit)
    return data


def not_own(path: Path) -> JkstoolError:
    return JkstoolError("is not a file or folder of this user (a link, or someone else's), so not one jkstool "
                        "wrote", "remove it, and check who can write to the folder", path=str(path))


def narrow(path: Path, mask: int) -> None:
    """Take the bits outside `mask` off a file's mode, through no link (a file jkstool has just written)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & mask)
    finally:
        os.close(fd)


def own_folder(folder: Path) -> bool:
    """Whether `folder` is a folder of the running user, not a link (False when it does not exist)."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise not_own(folder)
    return True


def _too_large(path: Path, what: str, limit: int) -> JkstoolError:
    return JkstoolError(f"{what} is larger than {_size(limit)}", limits.raise_hint(what), path=str(path))


def _read_at_most(fd: int, size: int, expected: int) -> bytes:
    """Up to `size` bytes: a regular file in one read of its length (no chunks joined: one copy in memory),
    then whatever it grew by, or all of a file whose length the file system does not say (/proc)."""
    data = os.read(fd, min(size, expected + 1)) if expected else b""
    if expected and len(data) <= expected:
        return data
    chunks, left = [data], size - len(data)
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"


def mode(path: Path | str) -> int:
    """The permission bits of `path`."""
    return stat.S_IMODE(os.stat(path).st_mode)


def write_atomic(path: Path | str, data: bytes, private: Secrecy) -> None:
    """Replace `path` with `data`: the old file survives any failure untouched, and the new one takes its
    owner, group, mode and ACL, within what `private` allows."""
    path = Path(path)
    folder = path.parent
    try:
        old: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        old = None
    except OSError as e:
        raise JkstoolError(f"cannot write the file ({e.strerror})", path=str(path)) from None
    if old is not None and not stat.S_ISREG(old.st_mode):
        old = None  # a link planted at the name lends nothing: it is replaced by a file of jkstool's
    if private == Secrecy.CLEAR and old is not None and old.st_uid != os.geteuid():
        old = None  # a key or password in the clear is never handed to another owner (one who planted the file)
    mode = stat.S_IMODE(old.st_mode) if old else (0o600 if private else NEW_FILE_MODE & ~_umask())
    if private == Secrecy.CLEAR:
        mode &= 0o600
    _remove_stale_temps(path)
    temp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    try:
        fd = _create(temp)
        try:
            if old is not None:
                _take_over(fd, path, old)
            os.fchmod(fd, mode)
            _write_all(fd, data)
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


def _create(path: Path) -> int:
    """A new file at `path`, 0600, never through a link planted there (O_EXCL|O_NOFOLLOW)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)


def _take_over(fd: int, path: Path, old: os.stat_result) -> None:
    """Give a replacement the owner, group and ACL of the file it replaces (as root, any owner; else the
    group when the user belongs to it)."""
    for uid, gid in ((old.st_uid, old.st_gid), (-1, old.st_gid)):
        try:
            os.fchown(fd, uid, gid)
            break
        except PermissionError:
            continue
    for name in ("system.posix_acl_access",):
        try:
            os.setxattr(fd, name, os.getxattr(path, name))
        except OSError:
            pass  # no ACL, or a file system without them


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary files left by runs of jkstool that were killed mid-write."""
    for temp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = temp.name[len(path.name) + 2:-4].partition(".")[0]  # .NAME.PID.RANDOM.tmp
        if pid.isdigit() and not _alive(int(pid)) and temp.is_file() and not temp.is_symlink():
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


NEW_FILE_MODE = 0o644
"""A new file that holds nothing secret: readable by all, writable by its owner alone, whatever the umask (one of
000 would let other users rewrite layout.json or a truststore)."""
NEW_FOLDER_MODE = 0o755


def closed_to_others(path: Path, top: Path) -> None:
    """Refuse a folder from `top` down to `path` that anyone may write to without the sticky bit: anyone could
    replace the layout's files there (a CA key, a store) between two runs."""
    for folder in [path, *path.parents]:
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            continue
        if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
            raise JkstoolError("every user may write to this folder, and replace a layout's files in it",
                               "chmod o-w it, or make the layout elsewhere", path=str(folder))
        if folder == top:
            return


def make_folders(folder: Path, private: bool = False) -> list[Path]:
    """`folder` and its missing parents, 0700 (`private`) or 0755, less the umask (which mkdir applies): never
    writable by others, whatever the umask; the folders made."""
    made = []
    for part in reversed([folder, *folder.parents]):
        if not part.exists():
            if part.is_symlink():  # a link to nowhere: a folder made where it points would be someone else's
                raise JkstoolError("is a link to a folder that is not there", "remove the link, or make its folder",
                                   path=str(part))
            os.mkdir(part, 0o700 if private else NEW_FOLDER_MODE)
            made.append(part)
    return made


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def backup(path: Path | str, folder: Path | None = None) -> Path:
    """A byte-exact copy of `path`, made before replacing it: beside it under a name no one can guess, or in
    `folder` under its own name. It takes the original's owner, group and mode."""
    from datetime import datetime, timezone
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = folder / path.name if folder else path.with_name(f"{path.name}.bak-{stamp}-{secrets.token_hex(4)}")
    try:
        old = os.lstat(path)
        data = read_bytes(path, follow=False)  # a link planted at the name is never read through
        fd = _create(target)
        try:
            _take_over(fd, path, old)
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        raise JkstoolError(f"cannot make a backup before replacing it ({e.strerror})", path=str(path)) from None
    return target


class Backups:
    """Where one run's backups go instead of beside each file: a new folder under `root` named for the
    time (mode 0700, made at the first backup), each file under its path relative to `base`. It also
    lists, in its CREATED file, the files the run made, so that a restore can take them away."""

    CREATED = "created.txt"

    def __init__(self, root: Path, base: Path):
        self.root, self.base = root.resolve(), base.resolve()
        self.folder: Path | None = None
        self.created: list[Path] = []
        self.replaced: list[Path] = []

    def place(self, path: Path) -> Path:
        """The folder for the backup of `path` (made here, never through a planted link)."""
        if self.folder is None:
            self.folder = _new_folder(self.root)
        target = self.folder / path.resolve().parent.relative_to(self.base)
        for folder in reversed([target, *target.parents]):
            if folder == self.folder or self.folder in folder.parents:
                _private_folder(folder)
        return target

    def retire(self, path: Path) -> Path:
        """Move `path` into the backups (a file the run does away with); its backup."""
        kept = backup(path, self.place(path))
        path.unlink()
        self.replaced.append(path)
        return kept

    def finish(self) -> None:
        """Record the files this run created (relative to `base`) beside its backups."""
        if self.created and self.folder is not None:
            names = "".join(f"{p.resolve().relative_to(self.base)}\n" for p in self.created)
            write_atomic(self.folder / self.CREATED, names.encode(), Secrecy.PUBLIC)


def _new_folder(root: Path) -> Path:
    """root/<UTC time>, new (a second run within the second gets -2, -3...)."""
    from datetime import datetime, timezone
    _private_folder(root)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 100):
        folder = root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            os.mkdir(folder, 0o700)
            return folder
        except FileExistsError:
            continue
    raise JkstoolError("cannot make a backup folder: too many in one second", path=str(root))


def _private_folder(folder: Path) -> None:
    """`folder`, made 0700 if missing; refused when it is a link or someone else's (it is to hold keys)."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            raise JkstoolError("is not a folder of this user (a link, or someone else's): backups are not "
                               "written there", "remove it, and check who can write to the folder",
                               path=str(folder)) from None


def write_all(items: Iterable[tuple[Path | str, bytes, Secrecy]], replace: bool = False,
              backups: Backups | None = None) -> list[Path]:
    """Write several files as one change: all of them land, or none does.

    `items` are (path, bytes, private). A file that already holds the bytes is
    left alone. Another existing file is replaced only with `replace`, after a
    backup beside it (or in `backups`); if any write fails, the files written so
    far are removed or restored from their backups, and folders made for them
    are removed again. Returns the backups kept.
    """
    planned = [(Path(p), data, private) for p, data, private in items]
    planned = [(p, data, private) for p, data, private in planned if not _holds(p, data, private)]
    existing = [p for p, _, _ in planned if p.exists()]
    if existing and not replace:
        raise file_exists(existing[0])
    private_dirs = {folder for path, _, private in planned if private
                    for folder in (path.parent, *path.parent.parents)}
    made_dirs: list[Path] = []
    written: list[Path] = []
    kept: dict[Path, Path] = {}
    try:
        for path, data, private in planned:
            for folder in reversed([path.parent, *path.parent.parents]):
                if not folder.exists():
                    made_dirs += make_folders(folder, private=folder in private_dirs)
            if _regular(path):  # a link planted at the name is replaced, not backed up: it lends nothing
                kept[path] = backup(path, backups.place(path) if backups else None)
            if backups:
                (backups.replaced if path in kept else backups.created).append(path)
            write_atomic(path, data, private)
            written.append(path)
        if backups:
            backups.finish()
    except BaseException:
        for path in reversed(written):
            if path in kept:
                os.replace(kept.pop(path), path)
            else:
                _remove(path)
        for copy in kept.values():
            _remove(copy)
        if backups and backups.folder:
            import shutil
            shutil.rmtree(backups.folder, ignore_errors=True)
            backups.folder = None
        for folder in reversed(made_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    return list(kept.values())


def _regular(path: Path) -> bool:
    """Whether `path` is a regular file itself (not a link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _holds(path: Path, data: bytes, private: Secrecy) -> bool:
    """Whether `path` already holds `data`, a file of this user that only it may change, with a mode fit for
    it (so rewriting it would change nothing; another's file of the same bytes could be changed later)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
        return False
    if info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o022:
        return False
    if private == Secrecy.CLEAR and stat.S_IMODE(info.st_mode) & 0o177:
        return False
    return read_bytes(path, follow=False) == data


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
                same = os.fstat(fd).st_ino == os.lstat(lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
        os.close(fd)
        if time.monotonic() >= deadline:
            raise JkstoolError(f"another process is changing the file: no lock within {timeout:g} s",
                               "wait for it to finish, or give a longer lock_timeout=...", path=str(path))
    try:
        yield
    finally:
        _remove(lock_path)
        os.close(fd)


def _lock_fd(lock_path: Path, path: Path) -> int:
    """The lock file, opened without following a link planted at its name; one another user made is refused:
    its owner could remove it while it is held, and let a second writer in."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except FileNotFoundError:
        raise JkstoolError("the folder does not exist", "create it first", path=str(path.parent)) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise JkstoolError("the lock file is a symbolic link: someone may be tampering with this folder",
                               "remove it, and check who can write to the folder", path=str(lock_path)) from None
        if e.errno == errno.ENOTDIR:
            raise JkstoolError("a part of the path is a file, not a folder", "check the path",
                               path=str(path)) from None
        raise JkstoolError(f"cannot lock the file ({e.strerror})", path=str(path)) from None
    if os.fstat(fd).st_uid != os.geteuid():
        os.close(fd)
        raise JkstoolError("the lock file belongs to another user: someone may be tampering with this folder",
                           "remove it, and check who can write to the folder", path=str(lock_path))
    return fd


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
