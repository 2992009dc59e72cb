"""`xxgk ingest` and `xxgk refresh` run one parser process per core unless told otherwise."""

from __future__ import annotations

import os

import duckdb
import pytest

import ingest.batch as batch
from warehouse.cli import main


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def test_default_workers_is_the_core_count(monkeypatch):
    assert batch.default_workers() == _cores()
    if hasattr(os, "sched_getaffinity") and not hasattr(os, "process_cpu_count"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4})
        assert batch.default_workers() == 5


@pytest.fixture
def seen(monkeypatch):
    """The number of workers each batch was run with (the batch itself still runs)."""
    got = []
    real = batch.run_chunks

    def spy(jobs, workers, progress):
        got.append(workers)
        return real(jobs, workers, progress)

    monkeypatch.setattr(batch, "run_chunks", spy)
    return got


def _report(folder):
    from ingest.synthetic import generate

    generate(folder, n_agencies=1, years=[2023], seed=5, quirk_rates={})
    return next(p for p in (folder / "reports").rglob("*") if p.is_file())


@pytest.mark.parametrize("extra, expected", [([], None), (["--workers", "3"], 3)])
def test_ingest_cli_workers(tmp_path, seen, extra, expected):
    f = _report(tmp_path / "c")
    assert main(["ingest", str(f), "--home", str(tmp_path / "h"), "--quiet", *extra]) == 0
    assert seen == [expected or _cores()]


def test_refresh_passes_workers(tmp_path, seen, monkeypatch):
    import warehouse.refresh as wr
    from warehouse.home import Home
    from warehouse.refresh import refresh

    def no_build(*a, **k):  # the build is not under test here
        raise RuntimeError("build skipped by the test")

    monkeypatch.setattr(wr, "build", no_build)

    home = Home.resolve(tmp_path / "h").ensure()
    f = _report(tmp_path / "c")
    (home.inbox / f.name).write_bytes(f.read_bytes())
    try:
        refresh(home, workers=1)
    except RuntimeError:
        pass
    assert seen == [1]


def test_a_worker_reads_chunk_after_chunk_and_one_that_dies_loses_only_its_file(tmp_path, monkeypatch):
    import attacks

    from ingest.batch import ingest_paths

    folder = tmp_path / "in"
    good = attacks.good_files(folder, 6)
    (folder / "good-2z.txt").write_text("2022 report\n", encoding="utf-8")  # in the second of four chunks
    log = tmp_path / "readers.log"
    real = batch.parse_report

    def parse(data, path, *args, **kwargs):
        with open(log, "a") as f:
            f.write(f"{os.path.basename(path)} {os.getpid()}\n")
        if path.endswith("good-2z.txt"):
            os._exit(9)
        return real(data, path, *args, **kwargs)

    monkeypatch.setattr(batch, "parse_report", parse)  # inherited by the worker processes
    monkeypatch.setattr(batch, "CHUNK", 2)
    monkeypatch.setattr(batch, "MIN_CHUNK", 1)
    s = ingest_paths([folder], tmp_path / "home", workers=1)
    assert (
        s.balanced()
        and s.reports == 6
        and [(os.path.basename(p), r) for p, r, _ in s.rejects] == [("good-2z.txt", "worker_died")]
    )
    reads = [line.split() for line in log.read_text().splitlines()]
    first = [pid for name, pid in reads[:4]]
    assert [name for name, _ in reads[:4]] == ["good-0.txt", "good-1.html", "good-2.txt", "good-2z.txt"]
    assert len(set(first)) == 1  # one reader for the first chunk and the next
    assert len({pid for _, pid in reads}) == 2  # and one more after it died
    rows = duckdb.sql(f"select source_path from read_parquet('{tmp_path}/home/lake/reports/*/*.parquet')").fetchall()
    assert sorted(os.path.basename(p) for (p,) in rows) == sorted(p.name for p in good)
