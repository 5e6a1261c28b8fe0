"""One writer per output file: an exclusive lock beside it that names the process holding it.

The lock file sits beside the file's real path, so a symlink to it meets the same lock; a file
that exists can also be flocked itself (`hold_target`), which a hard link cannot get around.

Hand-written over `fcntl.flock` because the message must say which process holds the file, and
the lock libraries we know (filelock, portalocker) do not record a holder.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from rubricrl.errors import InputError

WRITING = (
    "another rubricrl run is writing it (pid {pid}); wait for it to finish or choose another output"
)
"""What a second writer is told; `{pid}` is the holder's."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


class WriteLock:
    """Holds `<file>.lock` exclusively until `release`; a second holder gets a one-line InputError.

    The lock file is removed on release. A process that opened it just before the removal would
    lock a file no longer on disk, so each acquirer checks it locked the file the path names.
    `refusal` is what the second holder is told after `path: `, the first's pid as `{pid}`.
    `hold_target` also flocks the (existing) file itself until `release`.
    """

    def __init__(self, path: Path, refusal: str = WRITING, *, hold_target: bool = False) -> None:
        self.path = lock_path(path.resolve())
        self.target = path
        self._held: int | None = None
        while True:  # bounded in practice: each pass loses only to a holder releasing meanwhile
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise InputError(f"{path}: {refusal.format(pid=holder)}") from None
            if _same_file(fd, self.path):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        if hold_target:
            self._hold(path, refusal)

    def _hold(self, path: Path, refusal: str) -> None:
        """Flock the file itself: another name for it (a hard link) has another lock file."""
        held = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _flock_holder(os.fstat(held))
            os.close(held)
            self.release()
            raise InputError(f"{path}: {refusal.format(pid=holder)}") from None
        self._held = held

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        if self._held is not None:
            os.close(self._held)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _flock_holder(held: os.stat_result) -> str:
    """The pid holding a flock on the file, from Linux's /proc/locks ("unknown" elsewhere)."""
    device = f"{os.major(held.st_dev):02x}:{os.minor(held.st_dev):02x}:{held.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return "unknown"
    for fields in (line.split() for line in lines):
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == device:
            return fields[4]
    return "unknown"
