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
committed to the lake as its own batch by the process that parsed it (a
process pool when ``workers > 1``), so memory stays flat however large the
batch and only small summaries cross processes. Quarantined files are copied,
bytes unchanged, to ``<home>/quarantine/`` beside a reason. Afterwards the
small files of each lake partition are compacted into one.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .lake import Lake, new_batch_id
from .pipeline import MAX_BYTES, Parsed, _reject, parse_report
from .versions import ParsePlan

CHUNK = 500
MIN_CHUNK = 8
SKIP_NAMES = {".DS_Store", "Thumbs.db"}


@dataclass
class Summary:
    files_in: int = 0
    parsed: int = 0
    parsed_with_findings: int = 0
    quarantined: int = 0
    duplicates: int = 0
    duplicates_of_rejects: int = 0      # duplicates whose content was quarantined before
    reparsed: int = 0                   # files already in the lake parsed again (stale version, reader_error, --reparse)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)   # (path, reason, message)
    report_ids: list[str] = field(default_factory=list)

    @property
    def reports(self) -> int:
        return self.parsed + self.parsed_with_findings

    def balanced(self) -> bool:
        return self.files_in == self.reports + self.quarantined + self.duplicates


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and every file under folders named (sorted, hidden files skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not any(
                part.startswith(".") for part in f.relative_to(p).parts) and f.name not in SKIP_NAMES))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return out


def _parse_path(item: tuple[str, str, int]) -> Parsed:
    path, sha, size = item
    if size > MAX_BYTES:
        return _reject(sha, path, "too_large", f"the file is {size / 2**20:.0f} MB; reports are far smaller "
                       f"(limit {MAX_BYTES // 2**20} MB); it was not read, and is identified by size and first and last MiB")
    with open(path, "rb") as f:
        return parse_report(f.read(), path, sha)


def file_hash(path: Path, size: int) -> str:
    """SHA-256 of the content; for a file over the size limit, of its size and first and last MiB."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if size > MAX_BYTES:
            h.update(f"xxgk-large:{size}:".encode())
            h.update(f.read(1 << 20))
            f.seek(max(0, size - (1 << 20)))
            h.update(f.read(1 << 20))
            return h.hexdigest()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_paths(paths: Iterable[str | Path], home: Path, workers: int = 1,
                 progress: Callable[[int], None] | None = None, hashes: dict[str, str] | None = None,
                 reparse: bool = False) -> Summary:
    """Ingest files and folders into ``home``'s lake. ``hashes`` (resolved path -> :func:`file_hash`)
    spares hashing files the caller has already hashed, as `xxgk refresh` has in its inbox manifest.
    ``reparse`` parses again files the lake already holds, whatever version read them."""
    home = Path(home)
    hashes = hashes or {}
    lake = Lake(home / "lake")
    lake.init()
    quarantine = home / "quarantine"
    files = expand(paths)
    summary = Summary(files_in=len(files))
    plan = ParsePlan(lake, reparse)
    now = datetime.now(timezone.utc)
    batch_id = new_batch_id()
    sources: list[dict] = []
    todo: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for f in files:
        size = f.stat().st_size
        path = str(f.resolve())
        sha = hashes.get(path) or file_hash(f, size)
        if sha in seen or plan.reason(sha) is None:
            summary.duplicates += 1
            summary.duplicates_of_rejects += plan.was_reject(sha)
            sources.append({"source_sha256": sha, "source_path": path, "outcome": "duplicate", "seen_at": now, "batch_id": batch_id})
            if progress:
                progress(1)
            continue
        seen.add(sha)
        summary.reparsed += plan.known(sha)
        todo.append((path, sha, size))

    if sources:
        lake.write_batch({"sources": sources}, f"{batch_id}-dup")
    chunks = _chunks(todo, workers)
    jobs = [(str(home / "lake"), str(quarantine), chunk, f"{batch_id}-{i:04d}", now) for i, chunk in enumerate(chunks)]
    for res in _run(jobs, workers, progress):
        summary.parsed += res.parsed
        summary.parsed_with_findings += res.parsed_with_findings
        summary.quarantined += res.quarantined
        summary.rejects += res.rejects
        summary.report_ids += res.report_ids
    lake.compact()
    return summary


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


def ingest_chunk(job, progress: Callable[[int], None] | None = None) -> ChunkResult:
    """Parse one chunk of files and commit it to the lake as one batch (run in a worker process).

    Workers write their own batch files, so only a small summary travels back to the parent.
    """
    lake_root, quarantine, items, batch_id, now = job
    pending: dict[str, list[dict]] = {t: [] for t in ("reports", "sections", "findings", "statements", "rejects", "sources")}
    cells: dict[str, list] = defaultdict(list)       # column by column: hundreds of cells per report
    res = ChunkResult()
    for item in items:
        parsed = _parse_path(item)
        pending["sources"].append({"source_sha256": parsed.sha256, "source_path": parsed.source_path,
                                   "outcome": parsed.status, "seen_at": now, "batch_id": batch_id})
        if parsed.status == "quarantined":
            res.quarantined += 1
            rej = dict(parsed.reject)
            rej["quarantined_path"] = str(_quarantine(Path(parsed.source_path), parsed.sha256, Path(quarantine)))
            rej["rejected_at"] = now
            rej["batch_id"] = batch_id
            pending["rejects"].append(rej)
            res.rejects.append((parsed.source_path, rej["reason_code"], rej["message"]))
        else:
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
        if progress:
            progress(1)
    Lake(Path(lake_root)).write_batch({**pending, "cells": dict(cells)}, batch_id)
    return res


def _worker_init() -> None:
    """One thread per worker process: the pool already uses every core."""
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def _run(jobs: list, workers: int, progress: Callable[[int], None] | None) -> Iterator[ChunkResult]:
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            yield ingest_chunk(job, progress)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init) as pool:
        for job, res in zip(jobs, pool.map(ingest_chunk, jobs)):
            if progress:
                progress(len(job[2]))
            yield res


def _quarantine(src: Path, sha: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{sha[:16]}-{src.name}"
    if not dest.exists():
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    return dest
