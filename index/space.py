"""Disk space for a build's files: reserved before a mapping is written, explained when short.

A store into a memory-mapped page that the filesystem cannot back (a full disk, a spent
quota) arrives as SIGBUS, which ends the process before any Python code runs: no message,
no cleanup. So a file that is written through a mapping gets its blocks first, while a
shortage is still an ordinary ``OSError``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

MIB = 1 << 20
# Asked for on top of a mapped file when its blocks cannot be allocated up front: room for
# the filesystem's own metadata and the small files written beside it.
MARGIN = 16 * MIB
# errnos that mean "out of room" rather than "this write is wrong"
SHORTAGE = frozenset({errno.ENOSPC, errno.EDQUOT})
# posix_fallocate's answers where the filesystem cannot allocate ahead
_UNSUPPORTED = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL})


class NoSpaceError(OSError):
    """Too little room for a file the build must write, said in MiB needed and free."""

    def __init__(self, code: int, needed: int, free: int, folder: Path) -> None:
        super().__init__(code, os.strerror(code))
        self.code, self.needed, self.free, self.folder = code, needed, free, folder

    def __str__(self) -> str:
        return (
            f"{os.strerror(self.code).lower()}: {_mib(self.needed)} needed, "
            f"{_mib(self.free)} free in {self.folder}"
        )


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def free_bytes(folder: Path) -> int:
    """Bytes free to this user in the filesystem holding ``folder``."""
    return shutil.disk_usage(folder).free


def reserve(path: Path, size: int) -> None:
    """Allocate the first ``size`` bytes of the existing file ``path`` on disk, so writing
    them through a mapping cannot fail; raises ``NoSpaceError`` when they do not fit.

    ``posix_fallocate`` where the filesystem has it; elsewhere a check that ``size`` plus a
    margin is free, which another writer may still race, but which catches a full disk.
    """
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        fd = os.open(path, os.O_RDWR)
        try:
            fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno in SHORTAGE:
                raise NoSpaceError(exc.errno, size, free_bytes(path.parent), path.parent) from None
            if exc.errno not in _UNSUPPORTED:
                raise
            log.debug("cannot allocate %s ahead (%s): checking free space", path, exc.strerror)
        finally:
            os.close(fd)
    require_free(path.parent, size + MARGIN)


def require_free(folder: Path, size: int) -> None:
    """Raise ``NoSpaceError`` unless ``size`` bytes are free in ``folder``'s filesystem."""
    free = free_bytes(folder)
    if free < size:
        raise NoSpaceError(errno.ENOSPC, size, free, folder)


def describe(exc: OSError, folder: Path) -> str:
    """One line on what failed: for a shortage, the file being written and the MiB left
    in ``folder`` (the file's own folder may be a staging folder, already removed)."""
    if isinstance(exc, NoSpaceError) or exc.errno not in SHORTAGE:
        why = str(exc)
    else:
        why = os.strerror(exc.errno).lower()
        if exc.filename:
            why += f" writing {Path(exc.filename).name}"
        with contextlib.suppress(OSError):  # the reason stands without the free space
            why += f" ({_mib(free_bytes(_existing(folder)))} free in {folder})"
    return " ".join(why.split())


def _existing(folder: Path) -> Path:
    """``folder``, or its nearest ancestor that exists (a first build may not have made it)."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder
