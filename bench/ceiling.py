"""How well this machine runs two parses at once: the parallel ceiling the ingest speed-up is held to.

The same files are parsed in-process (``parse_report`` only: no pool, hashing or lake writes), first
by one process, then split between two processes started together. Their ratio is the best any
two-worker ingest can reach on this machine for that format at that moment.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _parse_all(args: tuple[list[str], float]) -> float:
    files, start_at = args
    from ingest.pipeline import parse_report

    datas = [(Path(f).read_bytes(), f) for f in files]
    parse_report(*datas[0])  # warm up: imports, seeds, caches
    while time.time() < start_at:  # both processes begin together
        time.sleep(0.001)
    t = time.perf_counter()
    for data, name in datas:
        parse_report(data, name)
    return time.perf_counter() - t


def _round(files: list[str]) -> tuple[float, float]:
    half = len(files) // 2
    with ProcessPoolExecutor(1) as pool:
        one = pool.submit(_parse_all, (files[: 2 * half], time.time() + 1.0)).result()
    with ProcessPoolExecutor(2) as pool:
        start = time.time() + 2.0
        two = max(pool.map(_parse_all, [(files[:half], start), (files[half : 2 * half], start)]))
    return one, two


def ceiling(corpus: Path, n_files: int = 600, rounds: int = 3) -> dict:
    """The median of ``rounds`` rounds (by speed-up) of one process against two on ``n_files`` files."""
    files = sorted(str(p) for p in (corpus / "reports").rglob("*") if p.is_file())[:n_files]
    files = files[: len(files) // 2 * 2]
    one, two = sorted((_round(files) for _ in range(rounds)), key=lambda r: r[0] / r[1])[rounds // 2]
    return {
        "files": len(files),
        "one_process_s": round(one, 3),
        "two_processes_s": round(two, 3),
        "ms_per_file": round(1000 * one / len(files), 3),
        "speedup": round(one / two, 2),
    }
