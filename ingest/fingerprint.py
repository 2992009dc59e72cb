"""The fingerprint of a source file: the SHA-256 the lake records for it, read without blocking on FIFOs.

Kept apart from the batch so that code serving the warehouse can check a file against the lake
without importing the parser."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from . import limits


def open_regular(path: str | Path) -> int:
    """A descriptor of a regular file; a FIFO or device is refused without blocking on it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(errno.EISDIR, "not a regular file (a folder, FIFO, device or socket)", str(path))
    return fd


def file_hash(path: Path, size: int) -> str:
    """SHA-256 of the content; for a file over the size limit, of its size and first and last MiB.

    At most the size limit plus one byte is read: a file that grew past it since ``stat`` is
    fingerprinted like one that was over it from the start."""
    fd = open_regular(path)
    try:
        if size <= limits.MAX_BYTES:
            h = hashlib.sha256()
            read = 0
            while read <= limits.MAX_BYTES:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return h.hexdigest()
                h.update(chunk)
                read += len(chunk)
            size = os.fstat(fd).st_size
        h = hashlib.sha256(f"xxgk-large:{size}:".encode())
        h.update(os.pread(fd, 1 << 20, 0))
        h.update(os.pread(fd, 1 << 20, max(0, size - (1 << 20))))
        return h.hexdigest()
    finally:
        os.close(fd)
