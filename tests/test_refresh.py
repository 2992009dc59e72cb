"""`xxgk refresh`: no work twice, revisions, incremental = full, partial and failed runs, the lock, readers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from helpers import ROOT, db
from ingest.fetch import FetchPolicy
from ingest.synthetic import generate
from warehouse.cli import main
from warehouse.home import Home
from warehouse.lock import RefreshLock
from warehouse.refresh import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, refresh

FACTS = ("fct_applications", "fct_appeals", "fct_disclosures", "fct_fees", "int_cells_current")
# Other models a refresh updates incrementally or rebuilds from incremental inputs.
DERIVED = ("int_agency_names", "dim_agency", "agency_year", "dq_cross_year_checks", "dq_report_scorecard")


class Env:
    def __init__(self, root):
        # clean reports (no revisions or renames), so each added file is a new agency-year
        self.truth = generate(root / "corpus", n_agencies=5, years=range(2022, 2024), seed=5, quirk_rates={})
        self.files = [root / "corpus" / t.file for t in self.truth]
        self.home = Home.resolve(root / "home").ensure()
        self.used = 0

    def add(self, n: int = 1) -> list:
        """Copy the next ``n`` generated reports into the inbox."""
        out = []
        for f in self.files[self.used : self.used + n]:
            dest = self.home.inbox / f.name
            shutil.copyfile(f, dest)
            out.append(dest)
        self.used += n
        return out


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = Env(tmp_path_factory.mktemp("refresh"))
    e.add(4)
    run = refresh(e.home)
    assert (run.status, run.build, run.files_new, run.reports_added) == ("ok", "full", 4, 4)
    return e


def snapshot(home) -> dict:
    with db(home) as con:
        return {
            t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in FACTS + DERIVED + ("dim_report",)
        }


def lake_files(home) -> set:
    return {p.relative_to(home.lake) for p in home.lake.rglob("*.parquet") if "refresh_runs" not in p.parts}


def runs(home) -> list[dict]:
    with db(home) as con:
        cur = con.execute("select * from meta_refresh_runs order by started_at")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


def test_second_refresh_does_no_work_and_changes_nothing(env):
    before, files, inode = snapshot(env.home), lake_files(env.home), env.home.db.stat().st_ino
    run = refresh(env.home)
    assert (run.status, run.exit_code, run.build) == ("ok", EXIT_OK, "skipped")
    assert (run.files_new, run.files_changed, run.files_unchanged, run.parsed) == (0, 0, 4, 0)
    assert lake_files(env.home) == files
    assert env.home.db.stat().st_ino == inode  # no rebuild, no swap
    assert snapshot(env.home) == before
    last = runs(env.home)[-1]
    assert (last["run_id"], last["status"], last["build"], last["files_unchanged"]) == (run.run_id, "ok", "skipped", 4)


def test_touched_file_costs_a_hash_not_a_parse(env):
    f = next(env.home.inbox.iterdir())
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    run = refresh(env.home)
    assert (run.files_unchanged, run.files_changed, run.parsed, run.build) == (4, 0, 0, "skipped")


def test_changed_file_becomes_a_revision_incrementally(env):
    target = sorted(env.home.inbox.iterdir())[0]
    with db(env.home) as con:
        old_id, agency, year = con.execute(
            "select report_id, agency_name, report_year from dim_report where source_path = ?", [str(target.resolve())]
        ).fetchone()
    target.write_bytes(target.read_bytes() + "\n（本报告于发布后修订。）\n".encode())
    run = refresh(env.home)
    assert (run.status, run.build, run.files_changed, run.reports_revised, run.reports_added) == (
        "ok",
        "incremental",
        1,
        1,
        0,
    )
    with db(env.home) as con:
        versions = con.execute(
            "select report_id, report_version, is_current from dim_report "
            "where agency_name = ? and report_year = ? order by report_version",
            [agency, year],
        ).fetchall()
        stale = {t: con.execute(f"select count(*) from {t} where report_id = ?", [old_id]).fetchone()[0] for t in FACTS}
        new_id = versions[-1][0]
        fresh = con.execute("select count(*) from fct_applications where report_id = ?", [new_id]).fetchone()[0]
    assert [(v, c) for _, v, c in versions] == [(1, False), (2, True)] and versions[0][0] == old_id
    assert stale == {t: 0 for t in FACTS} and fresh > 0


def test_incremental_build_equals_a_full_build(env):
    env.add(1)
    run = refresh(env.home)
    assert (run.build, run.reports_added) == ("incremental", 1)
    incremental = snapshot(env.home)
    run = refresh(env.home, full=True)
    assert run.build == "full"
    assert snapshot(env.home) == incremental


def test_known_file_at_a_new_path_is_built_into_its_paths(env):
    first = sorted(env.home.inbox.iterdir())[0]
    copy = env.home.inbox / f"copy-of-{first.name}"
    shutil.copyfile(first, copy)
    run = refresh(env.home)
    assert (run.files_new, run.files_duplicate, run.reports_added, run.build) == (1, 1, 0, "incremental")
    with db(env.home) as con:
        paths = con.execute(
            "select n_paths, source_paths from dq_report_scorecard where source_paths like ?", [f"%{copy.name}%"]
        ).fetchall()
    assert len(paths) == 1 and paths[0][0] == 2 and first.name in paths[0][1]
    copy.unlink()


def test_quarantined_file_makes_a_partial_run(env, capsys):
    env.add(1)
    (env.home.inbox / "scan.pdf").write_bytes(b"\x00\x01 not a report \xff" * 50)
    assert main(["refresh", "--home", str(env.home.root)]) == EXIT_PARTIAL
    captured = capsys.readouterr()
    assert "quarantined" in captured.err and "scan.pdf" in captured.err and "inbox: 2 new" in captured.out
    last = runs(env.home)[-1]
    assert (last["status"], last["exit_code"], last["files_new"], last["files_quarantined"], last["reports_added"]) == (
        "partial",
        EXIT_PARTIAL,
        2,
        1,
        1,
    )
    # the quarantined file is not read again until it changes
    assert main(["refresh", "--home", str(env.home.root), "--quiet"]) == EXIT_OK
    out = capsys.readouterr().out  # --quiet: no progress lines, only the one-line summary
    assert out.count("\n") == 1 and ": ok (exit 0)" in out and "0 quarantined" in out


def test_failed_build_is_recorded_and_keeps_the_warehouse(env, monkeypatch, capsys):
    import warehouse.build as wb

    before, inode = snapshot(env.home), env.home.db.stat().st_ino
    env.add(1)
    monkeypatch.setattr(
        wb, "run_dbt", lambda *a, **k: subprocess.CompletedProcess([], 1, "", "Runtime Error: disk full")
    )
    assert main(["refresh", "--home", str(env.home.root)]) == EXIT_FAILED
    assert "previous warehouse was kept" in capsys.readouterr().err
    assert env.home.db.stat().st_ino == inode and snapshot(env.home) == before
    last = runs(env.home)[-1]
    assert last["status"] == "failed" and last["exit_code"] == EXIT_FAILED and "disk full" in last["error"]
    monkeypatch.undo()
    run = refresh(env.home)  # the lake still holds the new report: the next run builds it
    assert (run.status, run.build, run.reports_added) == ("ok", "incremental", 1)


def test_concurrent_refresh_is_refused_and_stale_lock_recovered(env, capsys, tmp_path):
    sources = tmp_path / "sources.csv"
    sources.write_text("agency,year,url\n甲局,2023,http://127.0.0.1:9/x\n", encoding="utf-8")
    with RefreshLock(env.home):
        for command in (["refresh"], ["build"], ["ingest", str(env.home.inbox)], ["fetch", "--sources", str(sources)]):
            assert main([*command, "--home", str(env.home.root)]) == EXIT_LOCKED, command
            assert f"another refresh or ingest is running (pid {os.getpid()}" in capsys.readouterr().err
    lock = env.home.root / ".refresh.lock"
    lock.write_text(json.dumps({"pid": 2**22 + 12345, "started_at": "2020-01-01T00:00:00+00:00"}))
    assert main(["refresh", "--home", str(env.home.root)]) == EXIT_OK
    assert f"recovered a stale lock left by pid {2**22 + 12345}" in capsys.readouterr().out
    assert lock.read_text() == ""  # released


def test_reader_keeps_its_connection_during_a_refresh(env):
    env.add(1)
    with db(env.home) as reader:
        n_before = reader.execute("select count(*) from dim_report").fetchone()[0]
        run = refresh(env.home)
        assert run.reports_added == 1
        # the old connection still reads the old build, whole
        assert reader.execute("select count(*) from dim_report").fetchone()[0] == n_before
        assert (
            reader.execute(
                "select count(*) from fct_applications f join dim_report r using (report_id) where not r.is_current"
            ).fetchone()[0]
            == 0
        )
        # a new connection (another process) sees the new build
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "warehouse.cli",
                "sql",
                "--home",
                str(env.home.root),
                "--format",
                "csv",
                "select count(*) as n from dim_report",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["n", str(n_before + 1)]
    with db(env.home) as con:
        assert con.execute("select count(*) from dim_report").fetchone()[0] == n_before + 1


def test_refresh_fetches_configured_sources(env, tmp_path):
    from local_server import LocalServer, Site

    site = Site()
    f = env.files[env.used]
    env.used += 1
    site.put("/r/1", f.read_bytes(), "application/octet-stream")
    with LocalServer(site) as base:
        (env.home.root / "sources.csv").write_text(
            f"agency,year,url\n甲局,2023,{base}/r/1\n乙局,2023,{base}/nope\n", encoding="utf-8"
        )
        try:
            code = main(
                [
                    "refresh",
                    "--home",
                    str(env.home.root),
                    "--retries",
                    "0",
                    "--min-interval",
                    "0",
                    "--timeout",
                    "2",
                    "--log-file",
                    str(tmp_path / "refresh.log"),
                    "--allow-private",
                ]
            )
            again = refresh(env.home, fetch_policy=FetchPolicy(retries=0, min_interval_s=0, allow_private=True))
        finally:
            (env.home.root / "sources.csv").unlink()
    assert code == EXIT_PARTIAL  # one download failed
    first = runs(env.home)[-2]
    assert (first["downloads_ok"], first["downloads_failed"], first["files_new"], first["reports_added"]) == (
        1,
        1,
        1,
        1,
    )
    assert (again.downloads_not_modified, again.files_new, again.build) == (1, 0, "skipped")
    log = (tmp_path / "refresh.log").read_text(encoding="utf-8")
    assert "download failed" in log and "/nope" in log and "refresh r" in log
    with db(env.home) as con:
        rows = con.execute("select error_code, status from meta_fetches where url like '%/nope' ").fetchall()
    assert rows and rows[0] == ("http_404", 404)


def test_incremental_build_tests_only_new_reports(tmp_path):
    """Scoped tests (macros/build_scope.sql): a refresh checks the reports it adds, not the ones checked before."""
    broken = generate(
        tmp_path / "broken", n_agencies=2, years=range(2024, 2025), seed=11, quirk_rates={"broken_total": 1.0}
    )
    clean = generate(tmp_path / "clean", n_agencies=1, years=range(2024, 2025), seed=12, quirk_rates={})
    home = Home.resolve(tmp_path / "home").ensure()

    def add(root, rep):
        shutil.copyfile(root / rep.file, home.inbox / f"{root.name}-{(root / rep.file).name}")

    def totals_warned(run):
        return sorted(w.split(":")[0] for w in run.test_warnings if w.startswith(("t3_total", "t4_block")))

    add(tmp_path / "broken", broken[0])
    first = refresh(home)
    assert first.build == "full" and totals_warned(first)  # the broken total is found
    add(tmp_path / "clean", clean[0])
    run = refresh(home)
    assert (run.build, run.reports_added) == ("incremental", 1)
    assert totals_warned(run) == []  # the old report is not checked again
    add(tmp_path / "broken", broken[1])
    run = refresh(home)
    assert run.build == "incremental" and totals_warned(run)  # a new broken report is
    with db(home) as con:  # the run's scratch table is gone
        assert (
            con.execute(
                "select count(*) from information_schema.tables where table_name = '_prior_reports'"
            ).fetchone()[0]
            == 0
        )
    full = refresh(home, full=True)  # a full build checks everything
    assert full.build == "full" and totals_warned(full) == sorted(set(totals_warned(first) + totals_warned(run)))
