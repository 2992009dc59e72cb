"""`xxgk ingest` and `xxgk refresh` run one parser process per core unless told otherwise."""

from __future__ import annotations

import os

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
