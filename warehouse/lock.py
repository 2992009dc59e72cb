"""One writer at a time: ``<home>/.refresh.lock`` holds the PID of the running writer.

``xxgk refresh``, ``ingest``, ``build`` and ``fetch`` each take it, so no two
of them write the lake or the build folder at once (a lake writer sweeps
files of uncommitted batches, which must not be another writer's).

The lock is an exclusive ``flock`` on that file, so the kernel releases it the
moment its holder dies, however it dies: a lock left by a killed process is
stale by construction and is taken over (and reported) by the next run. The
file is never deleted, only emptied on release, so two processes can never
hold locks on two different files of the same name.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from datetime import UTC, datetime

from .errors import EXIT_LOCKED, XxgkError
from .home import Home


class LockHeld(XxgkError):
    exit_code = EXIT_LOCKED


class RefreshLock:
    def __init__(self, home: Home):
        self.path = home.lock
        self.fd: int | None = None
        self.stale: dict | None = None  # what a dead holder had written, when one was recovered

    def acquire(self) -> RefreshLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            who = f"pid {holder.get('pid', '?')}" + (f" on {holder['host']}" if holder.get("host") else "")
            since = f", since {holder['started_at']}" if holder.get("started_at") else ""
            what = f": {holder['command']}" if holder.get("command") else ""
            raise LockHeld(
                f"another refresh or ingest is running ({who}{since}{what}); nothing was done. Lock: {self.path}"
            ) from None
        previous = _read(fd)
        self.stale = previous if previous.get("pid") else None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv),
                }
            ).encode(),
            0,
        )
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> RefreshLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        return json.loads(data) if data.strip() else {}
    except (OSError, ValueError):
        return {"pid": "unreadable"}
