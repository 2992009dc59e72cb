"""Ingest on a Dask cluster: the same lake as the local pool, a killed worker changes nothing, a clear
error when a worker cannot see the home, and the same marts on the real reports."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import pyarrow.parquet as pq
import pytest

from ingest.batch import ingest_paths
from ingest.executors import ClusterError, DaskExecutor, _probe, clear_attempt, executor_for
from ingest.lake import Lake
from ingest.synthetic import generate

distributed = pytest.importorskip("distributed")

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the slow hook below runs on the workers
RUN_COLUMNS = {"batch_id", "ingested_at", "rejected_at", "seen_at"}
FORMATS = ("html", "pdf", "docx", "markdown", "text")


@pytest.fixture(scope="module")
def cluster():
    """The local cluster xxgk starts itself (its settings included): (its scheduler's address, a client)."""
    with DaskExecutor(workers=2, log=lambda line: None) as ex:
        yield ex.client.scheduler_info()["address"], ex.client


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """21 generated reports in all five formats, a file no reader takes, and a copy of one report."""
    root = tmp_path_factory.mktemp("dask-corpus")
    truth = generate(root, n_agencies=4, years=range(2021, 2026), seed=3, formats=FORMATS)
    files = root / "reports"
    (files / "mystery.bin").write_bytes(bytes(range(256)) * 40)
    first = root / truth[0].file
    shutil.copy(first, files / ("copy-of-" + first.name))
    assert {p.suffix for p in files.rglob("*.*")} >= {".html", ".pdf", ".docx", ".md", ".txt"}
    return {"files": files, "reports": len(truth), "files_in": len(truth) + 2}


@pytest.fixture(scope="module")
def pool_home(corpus, tmp_path_factory):
    home = tmp_path_factory.mktemp("pool") / "home"
    s = ingest_paths([corpus["files"]], home, workers=2)
    assert (s.files_in, s.reports, s.quarantined, s.duplicates) == (corpus["files_in"], corpus["reports"], 1, 1)
    return home


def lake_rows(home: Path, table: str) -> list[tuple]:
    """A table's committed rows, sorted, without the columns that name the run."""
    lake = Lake(home / "lake")
    done = lake.committed_batches()
    rows = []
    for f in sorted((lake.root / table).rglob("*.parquet")):
        if f.name.startswith("_empty") or f.name.split(".")[0] not in done:
            continue
        for r in pq.read_table(f).to_pylist():
            if r.get("quarantined_path"):
                r["quarantined_path"] = os.path.relpath(r["quarantined_path"], home)
            if r.get("source_path"):
                r["source_path"] = os.path.basename(r["source_path"])
            rows.append(tuple(sorted((k, v) for k, v in r.items() if k not in RUN_COLUMNS)))
    return sorted(rows, key=repr)


def assert_same_lake(a: Path, b: Path) -> None:
    for table in ("reports", "cells", "findings", "rejects", "sections", "statements", "sources"):
        rows_a, rows_b = lake_rows(a, table), lake_rows(b, table)
        assert rows_a == rows_b, f"{table}: {len(rows_a)} rows by one path, {len(rows_b)} by the other"
    assert sorted(p.name for p in (a / "quarantine").iterdir()) == sorted(p.name for p in (b / "quarantine").iterdir())


def test_dask_cli_gives_the_pool_s_lake(cluster, corpus, pool_home, tmp_path):
    """`xxgk ingest --executor dask` joining the cluster named by $XXGK_DASK_SCHEDULER writes the same
    cells, reports, findings, rejects and sources as the local pool."""
    address, _ = cluster
    home = tmp_path / "home"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "warehouse.cli",
            "ingest",
            str(corpus["files"]),
            "--home",
            str(home),
            "--executor",
            "dask",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "XXGK_DASK_SCHEDULER": address},
    )
    assert proc.returncode == 4, proc.stderr  # partial: the binary file was quarantined
    assert f"joined the Dask cluster at {address}" in proc.stderr
    assert f"files in: {corpus['files_in']}  =  reports: {corpus['reports']}" in proc.stdout
    assert "quarantined: 1  +  duplicates: 1" in proc.stdout and "mystery.bin: binary" in proc.stdout
    assert lake_rows(home, "cells") and lake_rows(home, "findings")
    assert_same_lake(pool_home, home)


class SlowParse(distributed.WorkerPlugin):
    """On every worker, also one started later: each file read leaves a mark (reader pid, worker pid,
    hash) and takes ``delay`` seconds more."""

    name = "xxgk-slow-parse"

    def __init__(self, delay: float, marks: str):
        self.delay, self.marks = delay, marks

    def setup(self, worker):
        import ingest.batch as b

        real = getattr(b, "_real_parse_report", b.parse_report)
        b._real_parse_report = real
        delay, marks = self.delay, self.marks

        def slow(data, text, sha, *args):
            Path(marks, f"{os.getpid()}-{os.getppid()}-{sha[:12]}-{time.monotonic_ns()}").touch()
            time.sleep(delay)
            return real(data, text, sha, *args)

        b.parse_report = slow

    def teardown(self, worker):
        import ingest.batch as b

        b.parse_report = getattr(b, "_real_parse_report", b.parse_report)


def test_a_worker_killed_mid_chunk_changes_nothing(cluster, corpus, pool_home, tmp_path):
    """SIGKILL a worker while its reader is halfway through a chunk: the chunk runs again elsewhere,
    no partial batch is visible, no report is lost or doubled, and the lake equals an undisturbed run."""
    _, client = cluster
    marks = tmp_path / "marks"
    marks.mkdir()
    client.register_plugin(SlowParse(0.4, str(marks)))
    killed = {}

    def kill_mid_chunk():
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not killed:
            by_worker: dict[int, list[int]] = {}
            for m in marks.iterdir():
                reader, worker = map(int, m.name.split("-")[:2])
                by_worker.setdefault(worker, []).append(reader)
            for worker, readers in by_worker.items():
                if len(readers) >= 2:  # two files into its chunk (chunks here hold eleven)
                    os.kill(worker, signal.SIGKILL)
                    killed.update(worker=worker, readers=set(readers), files_done=len(readers))
                    break
            time.sleep(0.05)

    killer = threading.Thread(target=kill_mid_chunk)
    killer.start()
    home = tmp_path / "home"
    try:
        with DaskExecutor(client=client) as ex:
            s = ingest_paths([corpus["files"]], home, executor=ex)
    finally:
        killer.join()
        client.unregister_worker_plugin(SlowParse.name)
    assert killed, "no worker was killed"
    assert killed["worker"] not in client.run(os.getpid).values()
    assert s.balanced() and (s.files_in, s.reports, s.quarantined, s.duplicates) == (
        corpus["files_in"],
        corpus["reports"],
        1,
        1,
    )
    assert len(s.report_ids) == len(set(s.report_ids)) == corpus["reports"]
    assert not [r for r in s.rejects if r[1] == "worker_died"]
    parsed_twice = len(list(marks.iterdir())) - (corpus["reports"] + 1)
    assert parsed_twice >= killed["files_done"] - 1, "the killed chunk did not run again from its start"
    time.sleep(1.0)  # a reader that outlived its worker would commit its chunk late
    for reader in killed["readers"]:
        assert not Path(f"/proc/{reader}").exists() or "State:\tZ" in Path(f"/proc/{reader}/status").read_text()
    reports = lake_rows(home, "reports")
    assert len({dict(r)["source_sha256"] for r in reports}) == len(reports) == corpus["reports"]
    assert_same_lake(pool_home, home)


class SlowFile(distributed.WorkerPlugin):
    """On every worker: a 1 s budget per file, and a file named slow.txt that takes two minutes."""

    name = "xxgk-slow-file"

    def setup(self, worker):
        import ingest.batch as b
        from ingest import limits

        real = getattr(b, "_real_parse_report", b.parse_report)
        b._real_parse_report, b._real_file_seconds = real, limits.FILE_SECONDS
        limits.FILE_SECONDS = 1.0

        def slow(data, text, sha, *args):
            if text.endswith("slow.txt"):
                time.sleep(120)
            return real(data, text, sha, *args)

        b.parse_report = slow

    def teardown(self, worker):
        import ingest.batch as b
        from ingest import limits

        b.parse_report = getattr(b, "_real_parse_report", b.parse_report)
        limits.FILE_SECONDS = getattr(b, "_real_file_seconds", limits.FILE_SECONDS)


def test_the_time_budget_per_file_holds_on_dask(cluster, corpus, tmp_path):
    """A file past the per-file budget is quarantined too_slow on a worker as in the pool; the rest of its chunk is kept."""
    _, client = cluster
    folder = tmp_path / "in"
    folder.mkdir()
    for p in sorted((corpus["files"]).rglob("*.txt"))[:3]:
        shutil.copy(p, folder / p.name)
    (folder / "slow.txt").write_text("2022 report\n" * 10, encoding="utf-8")
    client.register_plugin(SlowFile())
    try:
        start = time.monotonic()
        with DaskExecutor(client=client) as ex:
            s = ingest_paths([folder], tmp_path / "home", executor=ex)
    finally:
        client.unregister_worker_plugin(SlowFile.name)
    assert time.monotonic() - start < 60
    assert (
        s.balanced() and s.reports == 3 and [(Path(p).name, r) for p, r, _ in s.rejects] == [("slow.txt", "too_slow")]
    )
    (rej,) = [dict(r) for r in lake_rows(tmp_path / "home", "rejects")]
    assert rej["reason_code"] == "too_slow" and rej["quarantined_path"].startswith("quarantine/")
    assert len(lake_rows(tmp_path / "home", "reports")) == 3


def test_a_retried_chunk_clears_what_its_dead_attempt_left(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.init()
    lake.write_batch({"sources": [{"source_sha256": "a", "source_path": "x", "outcome": "parsed"}]}, "b1-0001-r")
    lake.write_batch({"sources": [{"source_sha256": "b", "source_path": "y", "outcome": "parsed"}]}, "b1-0011")
    (lake.root / "cells" / "report_year=2021").mkdir()
    partial = lake.root / "cells" / "report_year=2021" / "b1-0001.parquet"
    partial.write_bytes(b"half")
    gone = clear_attempt(lake.root, "b1-0001")
    assert partial in gone and not partial.exists()
    assert lake.committed_batches() == {"b1-0011"}  # another chunk's batch is untouched
    assert list((lake.root / "sources").glob("b1-0011.parquet")) and not list((lake.root / "sources").glob("b1-0001*"))


class _ElsewhereClient:
    """A client whose one worker sees another filesystem at the home's path."""

    def __init__(self, other: Path):
        self.other = other

    def run(self, fn, probe, token, quarantine, sample):
        return {"tcp://10.0.0.9:40000": fn(str(self.other / Path(probe).name), token, quarantine, sample)}


def test_a_worker_that_cannot_see_the_home_is_a_clear_error(tmp_path):
    lake = tmp_path / "home" / "lake"
    lake.mkdir(parents=True)
    with pytest.raises(
        ClusterError, match=r"1 of 1 Dask workers.*every worker sees.*10\.0\.0\.9.*does not see the lake"
    ):
        DaskExecutor(client=_ElsewhereClient(tmp_path / "elsewhere")).check(lake, tmp_path / "home" / "quarantine")
    assert not list(lake.iterdir()), "the probe was left behind"
    probe = lake / ".xxgk-probe-t"
    probe.write_text("t")
    assert _probe(str(probe), "t", str(tmp_path), None) is None
    assert "cannot read the files" in _probe(str(probe), "t", str(tmp_path), str(tmp_path / "missing.pdf"))
    assert "is another folder" in _probe(str(probe), "other", str(tmp_path), None)


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    import ingest.executors

    monkeypatch.setattr(ingest.executors, "CONNECT_SECONDS", 2)
    with pytest.raises(ClusterError, match=r"cannot use the Dask scheduler at tcp://127\.0\.0\.1:1"):
        _ = DaskExecutor("tcp://127.0.0.1:1").client  # the client connects on first use


def test_scheduler_needs_the_dask_executor(tmp_path):
    with pytest.raises(ClusterError, match="needs --executor dask"):
        executor_for("local", "tcp://127.0.0.1:8786")
    with executor_for("local") as ex:
        assert ex is None
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "warehouse.cli",
            "ingest",
            str(tmp_path),
            "--home",
            str(tmp_path / "h"),
            "--scheduler",
            "tcp://127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "xxgk: error: --scheduler names a Dask scheduler" in proc.stderr
    from warehouse.cli import parser

    args = parser().parse_args(["refresh", "--executor", "dask", "--scheduler", "tcp://h:8786"])
    assert (args.executor, args.scheduler) == ("dask", "tcp://h:8786")


def _marts(home) -> dict[str, list[tuple]]:
    """Every public mart's rows, sorted, without the columns that name a run or a moment."""
    import duckdb

    from warehouse.export import mart_names

    con = duckdb.connect(str(home.db), read_only=True, config={"file_search_path": str(home.root)})
    try:
        out = {}
        for name in mart_names():
            cols = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
                    [name],
                ).fetchall()
            ]
            keep = [c for c in cols if not (c.endswith("_at") or c.endswith("batch_id") or c.startswith("built"))]
            assert keep, name
            out[name] = sorted(
                con.execute(f"select {', '.join(chr(34) + c + chr(34) for c in keep)} from {name}").fetchall(), key=repr
            )
        return out
    finally:
        con.close()


def test_real_reports_give_the_same_marts_on_dask(cluster, shared_corpus, tmp_path):
    """`xxgk ingest --executor dask` on the real reports, then `xxgk build`: the marts equal the default path's."""
    from warehouse.build import build
    from warehouse.home import Home

    address, _ = cluster
    homes = {"pool": Home.resolve(tmp_path / "pool"), "dask": Home.resolve(tmp_path / "dask")}
    for name, home in homes.items():
        opts = ["--executor", "dask", "--scheduler", address] if name == "dask" else []
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "warehouse.cli",
                "ingest",
                str(shared_corpus / "raw"),
                "--home",
                str(home.root),
                "--quiet",
                *opts,
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        build(home)
    pool, dask = _marts(homes["pool"]), _marts(homes["dask"])
    assert pool["dim_report"] and pool.keys() == dask.keys()
    for name in pool:
        assert pool[name] == dask[name], name


def test_refresh_parses_its_inbox_on_dask(cluster, corpus, tmp_path, monkeypatch):
    """`refresh(..., executor=...)` sends the new inbox files to the cluster (the build is not this test's concern)."""
    import warehouse.refresh
    from warehouse.errors import XxgkError
    from warehouse.home import Home

    def no_build(*args, **kwargs):
        raise XxgkError("the build is left out of this test")

    _, client = cluster
    home = Home.resolve(tmp_path / "home").ensure()
    home.inbox.mkdir(parents=True, exist_ok=True)
    for p in sorted(corpus["files"].rglob("*.txt"))[:3]:
        shutil.copy(p, home.inbox / p.name)
    monkeypatch.setattr(warehouse.refresh, "build", no_build)
    with distributed.get_task_stream(client) as stream, DaskExecutor(client=client) as ex:
        run = warehouse.refresh.refresh(home, executor=ex)
    assert run.files_new == 3 and run.parsed == 3 and run.error == "the build is left out of this test"
    assert any(t["key"].startswith("xxgk-ingest-") for t in stream.data)
    assert len(lake_rows(home.root, "reports")) == 3


def test_the_local_cluster_spares_the_readers_cpu(cluster):
    """xxgk's own cluster runs without Dask's per-worker profiler, fast ticks or memory monitor (its readers
    have their own budgets), also on a worker its nanny restarted (the fault test killed one)."""
    import dask

    _, client = cluster
    seen = client.run(
        lambda: tuple(
            dask.config.get(k) for k in ("distributed.worker.profile.enabled", "distributed.admin.tick.interval")
        )
    )
    assert set(seen.values()) == {(False, "1s")}, seen
    assert {w["memory_limit"] for w in client.scheduler_info()["workers"].values()} == {0}
    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}
