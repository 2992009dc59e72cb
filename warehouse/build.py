"""Build the warehouse with dbt into a fresh file, then swap it in atomically.

dbt writes to ``<home>/.build/xxgk.duckdb``; only when every model and every
error-severity test passed is that file renamed over ``<home>/xxgk.duckdb``
(``os.replace``, atomic on POSIX). Readers holding the old file keep reading
it; new connections see the new build; a failed build leaves the previous
warehouse untouched.

With ``incremental=True`` the build starts from a copy of the current
warehouse, so dbt's incremental models only add what is new (see
``macros/incremental.sql``); a ``finalize`` callback may write to the fresh
file after the tests passed and before the swap (it has no readers yet). The
dbt child dies with its parent (Linux), so a killed build leaves no writer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.lake import Lake

from .errors import BuildError
from .home import PROJECT_ROOT, Home
from .pausepoints import pause_point, wanted


@dataclass
class BuildResult:
    db_path: Path
    models: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    warnings: list[str] = field(default_factory=list)


def dbt_env(home: Home, db_path: Path) -> dict[str, str]:
    """dbt's environment. dbt runs in the home, and the home and the database are named relative to it
    where they can be: dbt keeps its parse only while the profile reads the same, so every home can then
    start from one cached parse (:func:`_seed_parse`)."""
    home.duckdb_config()  # refuses a home path DuckDB could not search
    db = Path(db_path)
    return {
        "XXGK_HOME": ".",
        "XXGK_DB_PATH": str(db.relative_to(home.root) if db.is_relative_to(home.root) else db),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


PARSE_FILE = "partial_parse.msgpack"


def parse_cache() -> Path:
    """Where the last dbt parse of this project is kept for new homes (per checkout or install, per user)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(str(PROJECT_ROOT).encode()).hexdigest()[:16]
    return base / "xxgk" / f"dbt-parse-{key}.msgpack"


def _seed_parse(home: Home) -> tuple | None:
    """A home without a dbt parse of its own starts from the cached one. dbt checks it (project files,
    profile, vars, dbt version) and parses again whatever differs, so a stale copy costs only time.
    Returns the home's parse file's (size, mtime) before the run, None when it has none."""
    mine = home.dbt_target / PARSE_FILE
    with contextlib.suppress(OSError):
        if not mine.exists():
            mine.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(parse_cache(), mine)
    return _stamp(mine)


def _stamp(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _keep_parse(home: Home, before: tuple | None) -> None:
    """The home's dbt parse becomes the cached one when dbt wrote a new one or nothing is cached yet (best
    effort: a cache that cannot be written is skipped)."""
    mine = home.dbt_target / PARSE_FILE
    cache = parse_cache()
    if _stamp(mine) == before and cache.exists():
        return
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        shutil.copyfile(mine, tmp)
        os.replace(tmp, cache)


# dbt's events for a node that finished (with its index and the run's total), as `--log-format json` prints them
NODE_DONE_EVENTS = frozenset(
    {
        "LogModelResult",
        "LogTestResult",
        "LogSeedResult",
        "LogSnapshotResult",
        "LogNodeNoOpResult",
        "LogFreshnessResult",
        "SkippingDetails",
        "LogNodeResult",
    }
)
NodeProgress = Callable[[int, int, str], None]


def run_dbt(
    args: list[str],
    home: Home,
    db_path: Path,
    quiet: bool = True,
    progress: NodeProgress | None = None,
    scope: str = "all",
) -> subprocess.CompletedProcess:
    """Run a dbt command in a child process (so the database file is closed and checkpointed when it ends).

    ``scope`` (all, or changed for a refresh's incremental build) reaches the project as XXGK_BUILD_SCOPE
    (macros/build_scope.sql).

    With ``progress``, dbt logs JSON events, read line by line as they come: ``progress(done, total, node)``
    hears each finished node; the output returned is the events' messages as text."""
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [
        str(dbt),
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--target-path",
        str(home.dbt_target),
        "--log-path",
        str(home.dbt_target / "logs"),
    ]
    if progress is not None:
        cmd += ["--log-format", "json"]
    elif quiet:
        cmd.append("--quiet")
    env = {**os.environ, **dbt_env(home, db_path), "XXGK_BUILD_SCOPE": scope}
    parsed_before = _seed_parse(home)
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=home.root,
        preexec_fn=_die_with_parent(),
    )
    if wanted("during_build"):
        _stop_mid_build(proc, db_path)
    if progress is None:
        out, err = proc.communicate()
        if proc.returncode == 0:
            _keep_parse(home, parsed_before)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    errors: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None, "both are pipes"
    stderr = proc.stderr
    drain = threading.Thread(target=lambda: errors.extend(stderr), daemon=True)
    drain.start()
    out = _follow_events(proc.stdout, progress)
    proc.wait()
    drain.join()
    if proc.returncode == 0:
        _keep_parse(home, parsed_before)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "".join(errors))


def _follow_events(lines, progress: NodeProgress) -> str:
    """Report each finished node of a JSON event stream; return the events' messages (other lines as they are)."""
    text, done, total = [], 0, 0
    for line in lines:
        try:
            event = json.loads(line)
            name, data = event["info"]["name"], event.get("data") or {}
        except (ValueError, KeyError, TypeError):
            text.append(line)
            continue
        if event["info"].get("level") in ("warn", "error") or name not in NODE_DONE_EVENTS:
            text.append(event["info"].get("msg", "") + "\n")
        total = max(total, int(data.get("total") or 0))
        if name in NODE_DONE_EVENTS:
            done += 1
            node = (data.get("node_info") or {}).get("node_name") or data.get("description") or ""
            progress(done, max(total, done), node)
    return "".join(text)


def node_counter(stream=None) -> NodeProgress:
    """A progress callback printing '[12/185] model_name': over one line on a terminal, a line each otherwise."""
    stream = stream or sys.stderr
    tty = stream.isatty()

    def show(done: int, total: int, node: str) -> None:
        line = f"[{done}/{total}] {node}"
        stream.write(f"\r{line[:100]:<100}" + ("\n" if done == total else "") if tty else line + "\n")
        stream.flush()

    return show


def _die_with_parent() -> Callable[[], None] | None:
    """For the dbt child (Linux): SIGKILL when the parent dies, so no orphan keeps writing.

    The C function is looked up here, in the parent; the child only calls it.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop_mid_build(proc: subprocess.Popen, db_path: Path) -> None:
    """Crash tests: freeze the dbt child once it writes the database, then wait to be killed."""
    wal = db_path.with_name(db_path.name + ".wal")
    deadline = time.monotonic() + 120
    while proc.poll() is None and not wal.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGSTOP)
    pause_point("during_build", child_pid=proc.pid)


def build(
    home: Home,
    incremental: bool = False,
    finalize: Callable[[Path], None] | None = None,
    progress: NodeProgress | None = None,
) -> BuildResult:
    """Build with dbt into a fresh file and swap it in; ``progress(done, total, node)`` hears each finished node."""
    home.ensure()
    Lake(home.lake).init()
    home.build_dir.mkdir(parents=True, exist_ok=True)
    staging = home.staging_db
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    scoped = incremental and home.db.exists()
    if scoped:
        copy = staging.with_name(staging.name + ".copy")
        shutil.copyfile(home.db, copy)
        os.replace(copy, staging)
    run_results = home.dbt_target / "run_results.json"
    run_results.unlink(missing_ok=True)
    # dbt unit tests check the model logic, not the data: they run in the test suite, not on every build.
    # From a copy, tests and scoped models check only what is new since that build (macros/build_scope.sql).
    proc = run_dbt(
        ["build", "--exclude-resource-type", "unit_test"],
        home,
        staging,
        progress=progress,
        scope="changed" if scoped else "all",
    )
    result = BuildResult(db_path=home.db)
    failures: list[str] = []
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    for r in results:
        kind = r["unique_id"].split(".")[0]
        name = r["unique_id"].split(".")[-1] if kind != "test" else r["unique_id"].split(".")[2]
        status = r["status"]
        if status in ("error", "fail", "runtime error"):
            failures.append(f"{kind} {name}: {status}" + (f" ({r.get('message')})" if r.get("message") else ""))
        elif status == "warn":
            result.tests_warned += 1
            result.warnings.append(f"{name}: {r.get('failures')} failing rows")
        elif kind == "test":
            result.tests_passed += 1
        elif kind in ("model", "seed"):
            result.models += 1
    if failures or proc.returncode != 0:
        staging.unlink(missing_ok=True)
        detail = "; ".join(failures[:5]) or (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["unknown error"]
        raise BuildError(
            f"the build failed and the previous warehouse was kept: {detail if isinstance(detail, str) else detail[0]}"
        )
    if finalize is not None:
        try:
            finalize(staging)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
    _fsync(staging)
    os.replace(staging, home.db)
    _fsync(home.root)
    return result


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk, so a swap survives a power cut too."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
