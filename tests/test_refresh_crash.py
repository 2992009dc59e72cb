"""SIGKILL a refresh at named points: the warehouse stays queryable and consistent, and the next refresh completes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, db
from ingest.synthetic import generate
from warehouse.cli import main
from warehouse.home import Home
from warehouse.refresh import EXIT_LOCKED, refresh

POINTS = ["after_ingest", "during_build", "before_swap", "after_swap"]


@pytest.fixture(scope="module")
def crash_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    truth = generate(root / "corpus", n_agencies=3, years=range(2022, 2024), seed=9)
    home = Home.resolve(root / "home").ensure()
    files = [root / "corpus" / t.file for t in truth]
    for f in files[:2]:
        shutil.copyfile(f, home.inbox / f.name)
    assert refresh(home).status == "ok"
    return {"home": home, "spare": files[2:], "root": root}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(marker, proc, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if marker.exists():
            return json.loads(marker.read_text())
        if proc.poll() is not None:
            raise AssertionError(f"refresh ended before its pause point: {proc.returncode}\n{proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError("the pause point was never reached")


def _consistent(home) -> int:
    """The warehouse opens, its facts hold current reports only, one current version per agency-year."""
    with db(home) as con:
        n = con.execute("select count(*) from dim_report").fetchone()[0]
        orphans = con.execute("""select count(*) from fct_applications f
                                 left join dim_report r on r.report_id = f.report_id and r.is_current
                                 where r.report_id is null""").fetchone()[0]
        doubles = con.execute("""select count(*) from (select agency_id, report_year from dim_report
                                 group by all having count(*) filter (where is_current) <> 1)""").fetchone()[0]
        cells = con.execute("select count(distinct report_id) from fct_applications").fetchone()[0]
    assert orphans == 0 and doubles == 0 and cells == n
    return n


@pytest.mark.parametrize("point", POINTS)
def test_sigkill_then_refresh(crash_env, point, tmp_path, capsys):
    home = crash_env["home"]
    n_before = _consistent(home)
    interrupted_before = list(_statuses(home).values()).count("interrupted")
    new = crash_env["spare"].pop()
    shutil.copyfile(new, home.inbox / new.name)
    marker = tmp_path / "paused.json"
    env = {**os.environ, "XXGK_TEST_PAUSE_AT": point, "XXGK_TEST_PAUSE_FILE": str(marker), "XXGK_TEST_PAUSE_S": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "warehouse.cli", "refresh", "--home", str(home.root), "--quiet"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        paused = _wait_for(marker, proc)
        assert paused["point"] == point and paused["pid"] == proc.pid
        # while it runs, a second refresh is refused
        assert main(["refresh", "--home", str(home.root)]) == EXIT_LOCKED
        assert f"pid {proc.pid}" in capsys.readouterr().err
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    if "child_pid" in paused:  # the dbt child died with its parent
        deadline = time.monotonic() + 10
        while _alive(paused["child_pid"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(paused["child_pid"])
    n_after_kill = _consistent(home)
    assert n_after_kill == (n_before + 1 if point == "after_swap" else n_before)

    run = refresh(home)
    assert run.status == "ok", run.error
    assert _consistent(home) == n_before + 1
    assert run.build == ("skipped" if point == "after_swap" else "incremental")
    assert not (home.build_dir / "xxgk.duckdb").exists()
    statuses = _statuses(home)
    assert list(statuses.values()).count("interrupted") == interrupted_before + 1  # the killed run, found
    assert statuses[run.run_id] == "ok"


def _statuses(home) -> dict:
    with db(home) as con:
        return dict(con.execute("select run_id, status from meta_refresh_runs").fetchall())
