"""Ingest a batch of files into the lake: every file ends parsed, quarantined or a duplicate.

Files are hashed first; content already in the lake (or seen earlier in the
same batch) is a duplicate and costs no parse, though its path is recorded.
Content parsed or quarantined by another parser version, or quarantined for a
program error, is parsed again (:class:`ingest.versions.ParsePlan`; all of it
with ``reparse``); the new rows supersede the old ones. A file over
the size limit is judged by its size alone (``stat``): it is quarantined as
``too_large`` without being read, and identified by a fingerprint of its size
and first and last MiB instead of a full hash.
New files are parsed by :func:`ingest.pipeline.parse_report` in chunks, each
committed to the lake as its own batch by the worker process that parsed it,
so memory stays flat however large the batch and only small summaries cross
processes. Quarantined files are copied to ``<home>/quarantine/`` beside a
reason (a file not read whole leaves a small stub instead). Afterwards the
small files of each lake partition are compacted into one.

One file never stops a batch: everything that touches a single file (its name,
``stat``, read, hash, parse, quarantine copy) runs inside a per-file guard, and
whatever fails becomes that file's reject with a reason. A worker that spends
more than :data:`ingest.limits.FILE_SECONDS` on one file, or dies on it, is
stopped; the file is quarantined (``too_slow``, ``worker_died``) and the rest
of its chunk runs again in a new worker. Errors writing the home itself (disk
full, read-only) are not a file's fault: they end the ingest with the OSError.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import stat
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import limits
from .fingerprint import file_hash, open_regular
from .home import HomeLayout
from .lake import Lake, new_batch_id
from .pipeline import Parsed, parse_report, rejected
from .versions import ParsePlan

CHUNK = 500
GC_YOUNG = 10_000  # a reader's threshold of young-generation collections (net new container objects)
MIN_CHUNK = 8
SKIP_NAMES = {".DS_Store", "Thumbs.db"}
# how entries that are not ingested are named in summaries (kind -> words)
SKIPPED_KINDS = {
    "folders": "folders walked",
    "hidden": "hidden",
    "links": "links to folders (not followed)",
    "dangling_links": "dangling links",
    "special": "FIFOs, devices or sockets",
    "unreadable_folders": "unreadable folders",
    "unreadable": "entries that could not be examined",
    "home": "the home (never ingested into itself)",
}


@dataclass
class Summary:
    files_in: int = 0
    parsed: int = 0
    parsed_with_findings: int = 0
    quarantined: int = 0
    duplicates: int = 0
    duplicates_of_rejects: int = 0  # duplicates whose content was quarantined before
    reparsed: int = 0  # files already in the lake parsed again (stale version, reader_error, --reparse)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, message)
    report_ids: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # entries that are not files, by kind (SKIPPED_KINDS)

    @property
    def reports(self) -> int:
        return self.parsed + self.parsed_with_findings

    def balanced(self) -> bool:
        return self.files_in == self.reports + self.quarantined + self.duplicates

    def skipped_line(self) -> str:
        """The entries that were not files, e.g. ``3 folders walked, 1 dangling links``; empty when none."""
        return ", ".join(f"{n} {SKIPPED_KINDS.get(k, k)}" for k, n in self.skipped.items() if n)


# ---------------------------------------------------------------- names and paths


def path_text(path: str | os.PathLike) -> str:
    """A path as text, losslessly and printable: ``\\`` doubled; bytes that are not UTF-8 and control
    characters written ``\\xNN``. Names that are plain UTF-8 without backslashes stay as they are."""
    raw = os.fsencode(path)
    text = (
        raw.decode("utf-8", "backslashreplace")
        if b"\\" not in raw
        else raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")
    )
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text):
        text = "".join(f"\\x{ord(ch):02x}" if ord(ch) < 32 or 127 <= ord(ch) < 160 else ch for ch in text)
    return text


def text_path(text: str) -> str:
    """The file system path of a :func:`path_text` (its inverse)."""
    out, i = bytearray(), 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and text[i + 1 : i + 2] == "\\":
            out += b"\\"
            i += 2
        elif ch == "\\" and text[i + 1 : i + 2] == "x":
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        else:
            out += ch.encode("utf-8")
            i += 1
    return os.fsdecode(bytes(out))


class Expanded(list):
    """The files to ingest (a list of paths), with what was met on the way but is not a file.

    ``skipped`` counts entries by kind (see :data:`SKIPPED_KINDS`); ``refused`` holds entries that are
    rejected without being read, as (path, reason, message): links leading out of the folder named.
    """

    def __init__(self, files: Iterable[Path] = (), skipped: Counter | None = None, refused: list | None = None):
        super().__init__(files)
        self.skipped: Counter = Counter(skipped or {})
        self.refused: list[tuple[Path, str, str]] = list(refused or [])

    def only(self, files: Iterable[Path]) -> Expanded:
        """These files, with this expansion's counts and refusals."""
        return Expanded(files, self.skipped, self.refused)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _in_home(real: str, home: str | None) -> bool:
    """Whether ``real`` is the home or in it (its inbox excepted: that is where new files wait)."""
    return bool(home) and _inside(real, home) and not _inside(real, str(HomeLayout(Path(home)).inbox))


def expand(paths: Iterable[str | Path], home: str | Path | None = None) -> Expanded:
    """Files named, and every file under folders named (sorted; hidden entries skipped).

    Links inside a folder are followed only to files inside it: a link leading out is refused
    (``link_outside``), a link to a folder is not followed (its files are reached where they lie).
    Folders, links, FIFOs, devices, sockets and unreadable entries are counted by kind; the home
    (``home``) is never ingested into itself. A named path that does not exist raises FileNotFoundError.
    """
    out = Expanded()
    home_real = os.path.realpath(home) if home else None
    for p in map(Path, paths):
        real = os.path.realpath(p)
        if _in_home(real, home_real):
            out.skipped["home"] += 1
            continue
        try:
            st = os.stat(p)
        except FileNotFoundError:
            if os.path.islink(p):
                out.skipped["dangling_links"] += 1
                continue
            raise FileNotFoundError(f"no such file or folder: {path_text(p)}") from None
        except OSError:
            out.skipped["unreadable"] += 1
            continue
        if stat.S_ISDIR(st.st_mode):
            out.extend(_walk(p, real, out, home_real))
        elif stat.S_ISREG(st.st_mode):
            out.append(p)
        else:
            out.skipped["special"] += 1
    return out


def _walk(top: Path, top_real: str, out: Expanded, home_real: str | None) -> list[Path]:
    files: list[Path] = []
    folders = [top]
    while folders:
        folder = folders.pop()
        out.skipped["folders"] += 1
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            out.skipped["unreadable_folders"] += 1
            continue
        for e in entries:
            path = folder / e.name
            if e.name.startswith(".") or e.name in SKIP_NAMES:
                out.skipped["hidden"] += 1
                continue
            try:
                kind = _entry_kind(e, top_real, home_real)
            except OSError:
                kind = "unreadable"
            if kind == "file":
                files.append(path)
            elif kind == "folder":
                folders.append(path)
            elif kind == "link_outside":
                out.refused.append(
                    (
                        path,
                        "link_outside",
                        "a link leading out of the folder being ingested "
                        f"({path_text(top)}); it was not followed, and its target was not read",
                    )
                )
            else:
                out.skipped[kind] += 1
    return sorted(files)


def _entry_kind(e: os.DirEntry, top_real: str, home_real: str | None) -> str:
    """file | folder | link_outside | one of the skipped kinds, for one folder entry."""
    if e.is_symlink():
        target = os.path.realpath(e.path)
        if not os.path.exists(target):
            return "dangling_links"
        if not _inside(target, top_real):
            return "link_outside"
        if _in_home(target, home_real):
            return "home"
        st = os.stat(target)
        return "file" if stat.S_ISREG(st.st_mode) else "links" if stat.S_ISDIR(st.st_mode) else "special"
    if e.is_dir(follow_symlinks=False):
        return "home" if _in_home(os.path.realpath(e.path), home_real) else "folder"
    return "file" if e.is_file(follow_symlinks=False) else "special"


# ---------------------------------------------------------------- reading one file


def _read_upto(fd: int, n: int) -> bytes:
    parts, left = [], n
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def unread_hash(reason: str, text: str) -> str:
    """The stand-in hash of a file that could not be read: of its reason and path."""
    return hashlib.sha256(f"xxgk-unread:{reason}:{text}".encode()).hexdigest()


def _too_large(size: int) -> str:
    return (
        f"the file is {size / 2**20:.0f} MB; reports are far smaller (limit {limits.MAX_BYTES // 2**20} MB); "
        f"it was not read, and is identified by size and first and last MiB"
    )


def parse_file(path: str | Path, keep_trace: bool = False) -> Parsed:
    """One file read and parsed as ingest reads it (named by :func:`path_text`, hashed, size-checked);
    ``keep_trace`` keeps the parse's trace (`xxgk inspect`). A file that cannot be read is its reject."""
    text, item, refusal = _identify(Path(path), {})
    if item is None:
        return rejected(unread_hash(refusal[0], text), text, *refusal)
    return parse_item(item, keep_trace)


def parse_item(item: tuple[str, str, str, int], keep_trace: bool = False) -> Parsed:
    """Read and parse one identified file (path, path text, sha256, size); an error reading it is its reject."""
    parsed, exc = _guarded(_parse_path, item, keep_trace)
    return rejected(item[2], item[1], *_unreadable(exc)) if exc is not None else parsed


def _parse_path(item: tuple[str, str, str, int], keep_trace: bool = False) -> Parsed:
    path, text, sha, size = item
    if size > limits.MAX_BYTES:
        return rejected(sha, text, "too_large", _too_large(size))
    fd = open_regular(path)
    try:
        data = _read_upto(fd, limits.MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > limits.MAX_BYTES:
        return rejected(sha, text, "too_large", _too_large(os.stat(path).st_size))
    return parse_report(data, text, sha, keep_trace)


def _unreadable(exc: OSError) -> tuple[str, str]:
    """(reason, message) for an error reading a file."""
    if isinstance(exc, IsADirectoryError):
        return "not_a_file", f"{exc.strerror}; it was not read"
    return "unreadable", f"the file could not be read: {exc.strerror or exc} (errno {exc.errno})"


def _guarded(fn: Callable, *args):
    """``fn(*args)``, an OSError reading a file passed back instead of raised (home errors are raised)."""
    try:
        return fn(*args), None
    except OSError as exc:
        if _home_error(exc):
            raise
        return None, exc


def _home_error(exc: OSError) -> bool:
    """An error writing, not reading: reading a file never fails for lack of space or a read-only disk."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)


# ---------------------------------------------------------------- the batch


def default_workers() -> int:
    """Parser processes when none are asked for: the cores this process may run on."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if count is not None:
        return max(1, count() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def ingest_paths(
    paths: Iterable[str | Path],
    home: str | Path | HomeLayout,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    hashes: dict[str, str] | None = None,
    reparse: bool = False,
    executor=None,
) -> Summary:
    """Ingest files and folders into ``home``'s lake. ``hashes`` (:func:`path_text` of the resolved path ->
    :func:`file_hash`) spares hashing files the caller has already hashed, as `xxgk refresh` has in its
    inbox manifest. ``paths`` may be an :class:`Expanded` (its counts and refusals are kept). ``reparse``
    parses again files the lake already holds, whatever version read them. ``workers`` parser processes run
    at once (None: :func:`default_workers`). ``executor``: where the chunks run, None for the local
    process pool (else :func:`ingest.executors.executor_for`)."""
    workers = default_workers() if workers is None else max(1, workers)
    layout = HomeLayout.of(home)
    hashes = hashes or {}
    files = paths if isinstance(paths, Expanded) else expand(paths, layout.root)
    lake = Lake(layout.lake)
    lake.init()
    quarantine = layout.quarantine
    if executor is not None:  # every worker sees the home, before anything is hashed or sent
        executor.check(layout.lake, quarantine, files[0] if files else None)
    summary = Summary(files_in=len(files) + len(files.refused), skipped=dict(files.skipped))
    plan = ParsePlan(lake, reparse)
    now = datetime.now(UTC)
    batch_id = new_batch_id()
    sources: list[dict] = []
    rejects: list[dict] = []
    todo: list[tuple[str, str, str, int]] = []
    seen: set[str] = set()
    found = [(p, None) for p in files] + [(p, (reason, message)) for p, reason, message in files.refused]
    for f, refusal in found:
        text, item, refusal = (
            _identify(f, hashes) if refusal is None else (path_text(os.path.abspath(f)), None, refusal)
        )
        sha = item[2] if item else unread_hash(refusal[0], text)
        if sha in seen or plan.reason(sha) is None:
            summary.duplicates += 1
            summary.duplicates_of_rejects += plan.was_reject(sha)
            sources.append(
                {
                    "source_sha256": sha,
                    "source_path": text,
                    "outcome": "duplicate",
                    "seen_at": now,
                    "batch_id": batch_id,
                }
            )
            if progress:
                progress(1)
            continue
        seen.add(sha)
        summary.reparsed += plan.known(sha)
        if item:
            todo.append(item)
            continue
        rej = {
            **rejected(sha, text, *refusal).reject,
            "quarantined_path": None,
            "rejected_at": now,
            "batch_id": batch_id,
        }
        rejects.append(rej)
        sources.append(
            {"source_sha256": sha, "source_path": text, "outcome": "quarantined", "seen_at": now, "batch_id": batch_id}
        )
        summary.quarantined += 1
        summary.rejects.append((text, refusal[0], refusal[1]))
        if progress:
            progress(1)

    if sources:
        lake.write_batch({"sources": sources, "rejects": rejects}, f"{batch_id}-dup")
    chunks = _chunks(todo, workers if executor is None else executor.slots())
    jobs = [
        (str(layout.lake), str(quarantine), chunk, f"{batch_id}-{i:04d}", now, []) for i, chunk in enumerate(chunks)
    ]
    for res in (run_chunks if executor is None else executor.run)(jobs, workers, progress):
        summary.parsed += res.parsed
        summary.parsed_with_findings += res.parsed_with_findings
        summary.quarantined += res.quarantined
        summary.rejects += res.rejects
        summary.report_ids += res.report_ids
    lake.compact()
    return summary


def _identify(f: Path, hashes: dict[str, str]) -> tuple[str, tuple[str, str, str, int] | None, tuple[str, str] | None]:
    """The path as text, and (path, text, sha256, size) of a file to parse or (reason, message) when it cannot be read."""
    path = os.path.realpath(f)
    text = path_text(path)
    try:
        size = os.stat(path).st_size
        sha = hashes.get(text) or file_hash(Path(path), size)
    except OSError as exc:
        if _home_error(exc):
            raise
        return text, None, _unreadable(exc)
    return text, (path, text, sha, size), None


@dataclass
class ChunkResult:
    parsed: int = 0
    parsed_with_findings: int = 0
    quarantined: int = 0
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    report_ids: list[str] = field(default_factory=list)


def _chunks(todo: list, workers: int) -> list[list]:
    """Chunks of (nearly) equal size, as few as keep memory flat (at most ``CHUNK`` files): every chunk
    costs a write of about two dozen files. With several workers their number is a multiple of the
    workers, two each at least, so no worker idles while another parses a last, lone chunk."""
    workers = max(1, workers)
    n = -(-len(todo) // CHUNK)
    if workers > 1:
        n = max(n, 2 * workers)
        n = -(-n // workers) * workers
    n = max(1, min(n, len(todo) // MIN_CHUNK))
    size, extra = divmod(len(todo), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (i < extra)
        out.append(todo[start:end])
        start = end
    return [c for c in out if c]


def ingest_chunk(job, notify: Callable[[tuple], None] | None = None) -> ChunkResult:
    """Parse one chunk of files and commit it to the lake as one batch (run in a worker process).

    Workers write their own batch files, so only a small summary travels back to the parent.
    ``notify`` hears ``("start", sha)`` before the first file, ``("next", done_sha, sha)`` between two
    files and ``("done", sha)`` after the last (the parent's clock): one message per file.
    The job's last element holds rejects decided before the chunk ran (a file that was too slow).
    """
    lake_root, quarantine, items, batch_id, now, decided = job
    pending: dict[str, list[dict]] = {
        t: [] for t in ("reports", "sections", "findings", "statements", "rejects", "sources")
    }
    cells: dict[str, list] = defaultdict(list)  # column by column: hundreds of cells per report
    res = ChunkResult()
    for rej in decided:
        _add_reject(pending, res, rej, rej.get("quarantined_path"), now, batch_id)
    last = None  # the file read before this one, its "done" sent with the next file's "start"
    for item in items:
        path, text, sha, size = item
        if notify:
            notify(("start", sha) if last is None else ("next", last, sha))
        last = sha
        try:
            with _memory_budget():
                parsed = parse_item(item)
        except MemoryError:
            parsed = rejected(sha, text, "too_much_memory", limits.memory_message())
        if parsed.status == "quarantined":
            _add_reject(
                pending,
                res,
                parsed.reject,
                _quarantine(item, parsed.reject["reason_code"], Path(quarantine)),
                now,
                batch_id,
            )
        else:
            pending["sources"].append(
                {
                    "source_sha256": sha,
                    "source_path": text,
                    "outcome": parsed.status,
                    "seen_at": now,
                    "batch_id": batch_id,
                }
            )
            if parsed.status == "parsed":
                res.parsed += 1
            else:
                res.parsed_with_findings += 1
            res.report_ids.append(parsed.report["report_id"])
            pending["reports"].append({**parsed.report, "ingested_at": now, "batch_id": batch_id})
            for table in ("sections", "findings", "statements"):
                pending[table].extend(getattr(parsed, table))
            for name, values in parsed.cell_columns.items():
                cells[name].extend(values)
    if notify and last is not None:
        notify(("done", last))
    Lake(Path(lake_root)).write_batch({**pending, "cells": dict(cells)}, batch_id)
    return res


def _add_reject(pending: dict, res: ChunkResult, reject: dict, kept: str | None, now, batch_id: str) -> None:
    res.quarantined += 1
    rej = {**reject, "quarantined_path": kept, "rejected_at": now, "batch_id": batch_id}
    pending["rejects"].append(rej)
    pending["sources"].append(
        {
            "source_sha256": rej["source_sha256"],
            "source_path": rej["source_path"],
            "outcome": "quarantined",
            "seen_at": now,
            "batch_id": batch_id,
        }
    )
    res.rejects.append((rej["source_path"], rej["reason_code"], rej["message"]))


# ---------------------------------------------------------------- workers and their time budget


def _worker_init() -> None:
    """One thread per worker process: the pool already uses every core."""
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


_IN_WORKER = False


@contextlib.contextmanager
def _memory_budget():
    """In a worker process, no more than :data:`limits.MEMORY_BYTES` of address space may be added while
    one file is read (an allocation past it raises MemoryError, so the file is quarantined
    ``too_much_memory``); the limit is lifted again for the lake write."""
    if not _IN_WORKER:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + limits.MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


_STATM: tuple[int, int] | None = None  # (pid, descriptor of its /proc/self/statm), opened once per process


def _address_space() -> int:
    """This process's address space in bytes (``/proc/self/statm``, read again through a descriptor kept open)."""
    global _STATM
    if _STATM is None or _STATM[0] != os.getpid():
        _STATM = (os.getpid(), os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC))
    return int(os.pread(_STATM[1], 64, 0).split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _die_with_parent() -> None:
    """Have the kernel kill this process when the one that forked it dies (Linux), so a killed
    ingest or Dask worker leaves no reader to commit its chunk late."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # the parent died before the call
        os._exit(1)


def _child(job, conn) -> None:
    """A worker process: one chunk, its progress sent to the parent, then its result or its error."""
    global _IN_WORKER
    _IN_WORKER = True
    try:
        _die_with_parent()
        gc.freeze()  # what the parent held is never garbage here: collections skip it (no copy-on-write scans)
        # A parse makes many short-lived objects and next to no cycles: young collections at the default
        # 700 net allocations ran about once a file for nothing (~2% of the CPU). Garbage stays bounded.
        gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
        _worker_init()
        conn.send(("result", ingest_chunk(job, conn.send)))
    except BaseException as exc:  # noqa: BLE001 - every failure travels to the parent
        try:
            conn.send(("error", exc))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()
        os._exit(0)


@dataclass
class _Worker:
    proc: multiprocessing.process.BaseProcess
    job: tuple
    current: str | None = None  # sha of the file being read
    since: float = 0.0


def run_chunks(jobs: list, workers: int, progress: Callable[[int], None] | None) -> Iterator[ChunkResult]:
    """Run chunks in worker processes, at most ``workers`` at once, each file within its time budget.

    A worker past :data:`limits.FILE_SECONDS` on one file is killed, as is noticed a worker that died;
    the file becomes a reject and the rest of the chunk runs again in a new worker."""
    ctx = multiprocessing.get_context("fork")
    queue, running, reported = deque(jobs), {}, set()

    def finished(sha: str | None) -> None:
        """A file is done (read, or rejected with its reader): counted once."""
        if sha is not None and sha not in reported:
            reported.add(sha)
            if progress:
                progress(1)

    try:
        while queue or running:
            while queue and len(running) < max(1, workers):
                job = queue.popleft()
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(job, send), daemon=True)
                proc.start()
                send.close()
                running[recv] = _Worker(proc, job)
            now = time.monotonic()
            waits = [w.since + limits.FILE_SECONDS - now for w in running.values() if w.current]
            for conn in multiprocessing.connection.wait(list(running), timeout=max(0.05, min(waits, default=1.0))):
                w = running[conn]
                try:
                    kind, *value = conn.recv()
                except (EOFError, OSError):
                    del running[conn]
                    conn.close()
                    w.proc.join()
                    queue.appendleft(
                        _after_death(w, f"the worker reading it died (exit code {w.proc.exitcode})", "worker_died")
                    )
                    finished(w.current)
                    continue
                if kind == "result":
                    del running[conn]
                    conn.close()
                    w.proc.join()
                    yield value[0]
                elif kind == "error":
                    raise value[0]
                else:  # "start", "next" or "done": a file finished (value[0]), a file begun (value[-1])
                    if kind != "start":
                        finished(value[0])
                        w.current = None
                    if kind != "done":
                        w.current, w.since = value[-1], time.monotonic()
            now = time.monotonic()
            for conn, w in list(running.items()):
                if w.current and now - w.since > limits.FILE_SECONDS:
                    w.proc.kill()
                    w.proc.join()
                    del running[conn]
                    conn.close()
                    queue.appendleft(
                        _after_death(
                            w,
                            f"reading it took over {limits.FILE_SECONDS:g} s (the time "
                            f"budget per file); the worker was stopped",
                            "too_slow",
                        )
                    )
                    finished(w.current)
    finally:
        for conn, w in running.items():
            w.proc.kill()
            w.proc.join()
            conn.close()


def _after_death(w: _Worker, message: str, reason: str) -> tuple:
    """The job to run after a worker stopped: its chunk without the file it was reading, that file a reject.

    A worker that died between files (writing the lake) gets its chunk run once more, then it is an error."""
    lake_root, quarantine, items, batch_id, now, decided = w.job
    if w.current is None:
        if batch_id.endswith("-w"):
            raise RuntimeError(
                f"a worker died twice while writing batch {batch_id} to the lake (exit code {w.proc.exitcode})"
            )
        return (lake_root, quarantine, items, batch_id + "-w", now, decided)
    retry_id = batch_id + "-r"
    bad = next(i for i in items if i[2] == w.current)
    rej = rejected(bad[2], bad[1], reason, message).reject
    kept = _quarantine(bad, reason, Path(quarantine))
    rest = [i for i in items if i is not bad]
    return (lake_root, quarantine, rest, retry_id, now, decided + [{**rej, "quarantined_path": kept}])


# ---------------------------------------------------------------- quarantine copies

NAME_BYTES = 255 - 17 - len(".stub.tmp")  # a quarantine name: <sha16>-<name>[.stub], with room for .tmp


def quarantine_name(sha: str, name: str) -> str:
    """``<sha16>-<name>``, the name cut (its extension kept) so that the whole fits a file name."""
    raw = name.encode("utf-8")
    if len(raw) > NAME_BYTES:
        suffix = os.path.splitext(name)[1].encode("utf-8")
        suffix = suffix if len(suffix) <= 16 else b""
        raw = raw[: NAME_BYTES - len(suffix)].decode("utf-8", "ignore").encode("utf-8") + suffix
    return f"{sha[:16]}-{raw.decode('utf-8')}"


def _quarantine(item: tuple[str, str, str, int], reason: str, folder: Path) -> str | None:
    """Keep a rejected file in ``folder``: its bytes when it was read whole (its permission bits kept),
    else a small stub naming it (size, fingerprint, first KB). None when the file can no longer be
    read (why is in the reject's message). Errors writing the home are raised."""
    path, text, sha, size = item
    if reason in ("unreadable", "not_a_file", "link_outside"):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / quarantine_name(sha, path_text(os.path.basename(path)))
    whole = size <= limits.MAX_BYTES and reason not in ("too_large",)
    for dest in ((base,) if whole else ()) + (base.with_name(base.name + ".stub"),):
        if dest.exists():
            return path_text(dest)
    data, exc = _guarded(_read_kept, path, whole)
    if exc is not None:
        return None
    content, mode = data
    if content is None:  # grew past the limit since it was hashed
        content, mode, whole = _read_kept(path, False)[0], mode, False
    dest = base if whole else base.with_name(base.name + ".stub")
    if not whole:
        content = _stub(text, sha, size, reason, content)
    tmp = dest.with_name(dest.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path_text(dest)


def _read_kept(path: str, whole: bool) -> tuple[bytes | None, int]:
    """(the file's bytes, or its first KB when not ``whole``; its permission bits). None for bytes past the limit."""
    fd = open_regular(path)
    try:
        mode = os.fstat(fd).st_mode & 0o666
        if not whole:
            return _read_upto(fd, limits.STUB_HEAD), mode
        data = _read_upto(fd, limits.MAX_BYTES + 1)
        return (data if len(data) <= limits.MAX_BYTES else None), mode
    finally:
        os.close(fd)


def _stub(text: str, sha: str, size: int, reason: str, head: bytes) -> bytes:
    return (
        f"xxgk quarantine stub: the file was not copied whole ({reason})\n"
        f"source_path: {text}\nsize: {size}\nsha256 or fingerprint: {sha}\n"
        f"first {len(head)} bytes follow:\n"
    ).encode() + head
