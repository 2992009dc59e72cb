"""`xxgk refresh`: fetch, ingest what is new or changed, build incrementally, swap, record the run.

1. Fetch the sources file, if one is given or ``<home>/sources.csv`` exists (:func:`fetch`, which
   `xxgk fetch` runs alone).
2. Ingest only new or changed inbox files (:mod:`ingest.manifest`), and unchanged ones the lake
   holds only in another parser version's reading or quarantined for a program error (all of
   them with ``reparse``; :class:`ingest.versions.ParsePlan`).
3. Build with dbt, unless the lake holds nothing the warehouse lacks: from a
   copy of the current warehouse (incremental models add only new reports)
   when it was built by the same project code and parser version and no file
   was parsed again, else from scratch.
4. Swap the new file in atomically (:func:`warehouse.build.build`).
5. Record the run in the lake table ``refresh_runs`` (view ``meta_refresh_runs``).

The fresh file also gets a table ``meta_build`` (how and from which lake
state it was built) before the swap, so the next run knows whether anything
is left to build. Only one refresh runs at a time (:mod:`warehouse.lock`).

Exit codes: 0 ok; 3 failed (the previous warehouse is kept); 4 partial (the
warehouse was refreshed, but files were quarantined or downloads failed);
5 another refresh holds the lock (nothing done); 2 bad usage or configuration.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest import agency_names, model, project
from ingest.batch import Summary, expand, ingest_paths
from ingest.fetch import Fetcher, FetchPolicy, FetchSummary, read_sources
from ingest.lake import Lake
from ingest.manifest import Manifest
from ingest.versions import ParsePlan, parser_version

from .build import build
from .errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, XxgkError, storage_error  # noqa: F401  (re-exported)
from .home import PROJECT_ROOT, Home
from .lock import RefreshLock
from .pausepoints import pause_point

# Lake tables that feed materialised models (sources feeds int_source_paths: a known file seen at a
# new path changes no report, but its paths); the views over fetches and refresh_runs need no rebuild.
BUILD_TABLES = ("reports", "cells", "sections", "findings", "statements", "rejects", "sources")
# Python modules that dbt Python models run (int_agency_names, incremental by name): part of the dbt project,
# hashed under their checkout names wherever the package is installed.
DBT_PYTHON_MODULES = (agency_names, model, project)  # agency_names normalises with model, finds seeds by project
PROJECT_FILES = ("models", "macros", "seeds", "dbt_project.yml", "profiles.yml")
PROJECT_CODE = {f"ingest/{Path(str(m.__file__)).name}": Path(str(m.__file__)) for m in DBT_PYTHON_MODULES}

log = logging.getLogger("xxgk.refresh")
fetch_log = logging.getLogger("xxgk.fetch")


@dataclass
class RunRecord:
    run_id: str
    started_at: datetime
    status: str = "running"
    finished_at: datetime | None = None
    duration_s: float | None = None
    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    files_quarantined: int = 0
    files_duplicate: int = 0
    reports_added: int = 0
    reports_revised: int = 0
    downloads_ok: int = 0
    downloads_not_modified: int = 0
    downloads_failed: int = 0
    build: str | None = None
    exit_code: int | None = None
    error: str | None = None
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    parsed: int = 0  # not recorded: files parsed by this run
    reparsed: int = 0  # not recorded: files already in the lake parsed again
    test_warnings: list[str] = field(default_factory=list)  # not recorded: warn-severity tests that failed

    def row(self) -> dict:
        r = asdict(self)
        r.pop("parsed")
        r.pop("reparsed")
        r.pop("test_warnings")
        r["recorded_at"] = datetime.now(UTC)
        return r


def lake_fingerprint(lake: Lake) -> str:
    """A hash of the committed lake files that feed the warehouse tables."""
    done = lake.committed_batches()
    files = sorted(
        str(p.relative_to(lake.root))
        for t in BUILD_TABLES
        for p in (lake.root / t).rglob("*.parquet")
        if p.name.split(".")[0] in done
    )
    return hashlib.sha256("\n".join(files).encode()).hexdigest()


def project_fingerprint() -> str:
    """A hash of the dbt project (models, macros, seeds, config), the DuckDB version and the parser version
    (a report parsed again by a new parser keeps its report id, so the fact tables are rebuilt whole)."""
    h = hashlib.sha256(duckdb.__version__.encode() + b"\0" + parser_version().encode())
    for name in PROJECT_FILES:
        root = PROJECT_ROOT / name
        for p in sorted([root] if root.is_file() else root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(PROJECT_ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    for name, p in PROJECT_CODE.items():
        h.update(name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def built_state(home: Home) -> dict | None:
    """``meta_build`` of the current warehouse, or None (no warehouse, or built by `xxgk build`)."""
    if not home.db.exists():
        return None
    # ATTACH reads the file now at this path; a plain connect could reuse an instance of a replaced file
    # that another connection in this process still holds.
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute(f"attach '{_quote(home.db)}' as current_build (read_only)")
        cur = con.execute("select * from current_build.meta_build")
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        return dict(zip(cols, row)) if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def _finalize(run: RunRecord, home: Home, lake_fp: str, project_fp: str):
    """Before the swap: count added and revised reports, stamp ``meta_build`` into the fresh file."""

    def finalize(staging: Path) -> None:
        con = duckdb.connect(str(staging))
        try:
            added, revised = con.execute("select count(*), 0 from dim_report").fetchone()
            if home.db.exists():
                con.execute(f"attach '{_quote(home.db)}' as prev (read_only)")
                added, revised = con.execute("""
                    select count(*) filter (where not exists (select 1 from prev.dim_report p
                                                              where p.agency_id = d.agency_id and p.report_year = d.report_year)),
                           count(*) filter (where exists (select 1 from prev.dim_report p
                                                          where p.agency_id = d.agency_id and p.report_year = d.report_year))
                    from dim_report d
                    where d.report_id not in (select report_id from prev.dim_report)""").fetchone()
                con.execute("detach prev")
            run.reports_added, run.reports_revised = int(added), int(revised)
            con.execute(
                "create or replace table meta_build as select ? as run_id, ? as built_at, ? as build, "
                "? as lake_fingerprint, ? as project_fingerprint",
                [run.run_id, datetime.now(UTC), run.build, lake_fp, project_fp],
            )
        finally:
            con.close()
        pause_point("before_swap")

    return finalize


def _quote(p: Path) -> str:
    return str(p).replace("'", "''")


def _close_interrupted(lake: Lake) -> int:
    """Runs still marked running hold no lock any more: they were killed. Record them as interrupted."""
    import pyarrow.parquet as pq

    latest: dict[str, dict] = {}
    done = lake.committed_batches()
    for f in (lake.root / "refresh_runs").glob("*.parquet"):
        if f.name.split(".")[0] not in done:
            continue
        for r in pq.read_table(f).to_pylist():
            if r["run_id"] not in latest or r["recorded_at"] > latest[r["run_id"]]["recorded_at"]:
                latest[r["run_id"]] = r
    stale = [r for r in latest.values() if r["status"] == "running"]
    if stale:
        now = datetime.now(UTC)
        lake.write_batch(
            {
                "refresh_runs": [
                    {**r, "status": "interrupted", "recorded_at": now, "error": "the run was killed before it finished"}
                    for r in stale
                ]
            }
        )
    return len(stale)


def refresh(
    home: Home,
    sources: str | Path | None = None,
    full: bool = False,
    fetch_policy: FetchPolicy = FetchPolicy(),
    reparse: bool = False,
    workers: int | None = None,
    executor=None,
) -> RunRecord:
    """One refresh under the lock; returns the run as recorded. Raises LockHeld if another run holds the lock.
    ``reparse`` parses every inbox file again (and builds from scratch); ``workers`` parser processes run
    at once (None: one per core); ``executor`` is where new files are parsed (:func:`ingest.batch.ingest_paths`)."""
    home.ensure()
    with RefreshLock(home) as lock:
        if lock.stale:
            log.info(
                f"recovered a stale lock left by pid {lock.stale.get('pid')} (started {lock.stale.get('started_at')})"
            )
        lake = Lake(home.lake)
        lake.init()
        n = _close_interrupted(lake)
        if n:
            log.info(f"recorded {n} earlier run(s) as interrupted")
        run = RunRecord(
            run_id=datetime.now(UTC).strftime("r%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6],
            started_at=datetime.now(UTC),
        )
        lake.write_batch({"refresh_runs": [run.row()]})
        t0 = time.monotonic()
        try:
            _run(home, lake, run, sources, full, fetch_policy, reparse, workers, executor)
            partial = run.files_quarantined or run.downloads_failed
            run.status, run.exit_code = ("partial", EXIT_PARTIAL) if partial else ("ok", EXIT_OK)
        except XxgkError as exc:
            run.status, run.exit_code, run.error = "failed", EXIT_FAILED, str(exc)
        except Exception as exc:  # recorded, then reported as a failure with its type
            err = storage_error(exc) if isinstance(exc, OSError) else None
            run.status, run.exit_code, run.error = (
                "failed",
                EXIT_FAILED,
                str(err) if err else f"{type(exc).__name__}: {exc}",
            )
            log.debug("refresh failed", exc_info=True)
        except BaseException:
            run.status, run.exit_code, run.error = "interrupted", 130, "interrupted (signal)"
            _record_end(lake, run, t0)
            raise
        _record_end(lake, run, t0)
        return run


def _record_end(lake: Lake, run: RunRecord, t0: float) -> None:
    run.finished_at = datetime.now(UTC)
    run.duration_s = round(time.monotonic() - t0, 3)
    try:
        lake.write_batch({"refresh_runs": [run.row()]})
    except OSError as exc:  # a full or read-only home: the run's end goes unrecorded, its outcome is still reported
        log.warning(f"the end of the run could not be recorded: {storage_error(exc) or exc}")


def fetch(
    home: Home,
    sources: str | Path | None,
    policy: FetchPolicy = FetchPolicy(),
    required: bool = True,
    progress: Callable[[int], AbstractContextManager] | None = None,
) -> FetchSummary | None:
    """Download the reports of a sources file (default ``<home>/sources.csv``) into the inbox and log
    the outcome: `xxgk fetch` and the first step of `xxgk refresh`. The caller holds the lock.

    None when no file is named and the home has none, unless ``required`` (then it is an error).
    ``progress(total)`` gives a context with ``update(n)`` (a progress bar)."""
    path = Path(sources) if sources else home.sources
    if not sources and not required and not path.exists():
        return None
    try:
        rows = read_sources(path)
    except (OSError, ValueError) as exc:
        raise XxgkError(f"cannot read the sources file: {exc}") from None
    with progress(len(rows)) if progress else contextlib.nullcontext() as bar:
        f = Fetcher(home, policy).fetch_all(rows, progress=getattr(bar, "update", None))
    fetch_log.info(fetch_summary(f, home))
    for r in f.failures:
        fetch_log.warning(f"  download failed: {r['url']}: {r['error']}")
    return f


def fetch_summary(f: FetchSummary, home: Home) -> str:
    """The one line a fetch logs (and `xxgk fetch --quiet` prints)."""
    return (
        f"fetch: {len(f.rows)} sources into {home.inbox}: {f.ok} new or "
        f"changed, {f.unchanged} same bytes, {f.not_modified} not modified (304), {f.failed} failed"
    )


def _run(
    home: Home,
    lake: Lake,
    run: RunRecord,
    sources,
    full: bool,
    policy: FetchPolicy,
    reparse: bool = False,
    workers: int | None = None,
    executor=None,
) -> None:
    f = fetch(home, sources, policy, required=False)
    if f is not None:
        run.downloads_ok, run.downloads_not_modified, run.downloads_failed = (
            f.ok + f.unchanged,
            f.not_modified,
            f.failed,
        )
        pause_point("after_fetch")

    manifest = Manifest(home.state / "inbox_manifest.json")
    files = expand([home.inbox], home.root)
    scan = manifest.scan(files)
    run.files_new, run.files_changed, run.files_unchanged = len(scan.new), len(scan.changed), len(scan.unchanged)
    todo = scan.todo + stale_files(lake, scan, reparse)
    if todo or files.refused:
        s = ingest_paths(
            files.only(todo),
            home,
            hashes={k: e["sha256"] for k, e in scan.entries.items()},
            reparse=reparse,
            workers=workers,
            executor=executor,
        )
        run.files_quarantined, run.files_duplicate, run.parsed = s.quarantined, s.duplicates, s.reports + s.quarantined
        run.reparsed = s.reparsed
        for path, reason, message in s.rejects:
            log.warning(f"  quarantined {path}: {reason}: {message}")
    if files.skipped.get("dangling_links") or files.skipped.get("special") or files.skipped.get("unreadable_folders"):
        log.warning(f"  inbox entries that are not files: {Summary(skipped=dict(files.skipped)).skipped_line()}")
    manifest.commit(scan)
    log.info(
        f"inbox: {len(scan.new)} new, {len(scan.changed)} changed, {len(scan.unchanged)} unchanged "
        f"({scan.hashed} hashed, {run.parsed} parsed, {run.files_duplicate} already in the lake, "
        f"{run.files_quarantined} quarantined)"
        + (
            f"; {run.reparsed} parsed again (new parser version, retried reader_error or --reparse)"
            if run.reparsed
            else ""
        )
        + (f"; {len(scan.removed)} gone from the inbox (their reports stay)" if scan.removed else "")
    )
    pause_point("after_ingest")

    lake_fp, project_fp = lake_fingerprint(lake), project_fingerprint()
    state = built_state(home)
    same_project = bool(state) and state.get("project_fingerprint") == project_fp
    if not full and same_project and state.get("lake_fingerprint") == lake_fp:
        run.build = "skipped"
        log.info("build: skipped, the warehouse is up to date")
        return
    # a file parsed again keeps its report id: incremental fact tables would keep its old rows
    run.build = "incremental" if same_project and not full and not run.reparsed else "full"
    res = build(home, incremental=run.build == "incremental", finalize=_finalize(run, home, lake_fp, project_fp))
    run.test_warnings = res.warnings
    log.info(
        f"build ({run.build}): {res.models} models and seeds, {res.tests_passed} tests passed, "
        f"{res.tests_warned} warnings; {run.reports_added} reports added, {run.reports_revised} revised "
        f"-> {res.db_path}"
    )
    pause_point("after_swap")


def stale_files(lake: Lake, scan, reparse: bool = False) -> list[Path]:
    """Unchanged inbox files the lake must read again: parsed by another parser version, quarantined
    for a program error, missing from the lake, or all of them with ``reparse``."""
    if not scan.unchanged:
        return []
    plan = ParsePlan(lake, reparse)
    return [f for f in scan.unchanged if plan.reason(scan.entries[str(f.resolve())]["sha256"])]


def configure_logging(quiet: bool = False, log_file: str | Path | None = None) -> None:
    """Progress lines to stdout (none with ``quiet``), warnings and errors to stderr, all to ``log_file`` with times."""
    import sys

    logger = logging.getLogger("xxgk")
    logger.setLevel(logging.DEBUG)
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    if not quiet:
        out = logging.StreamHandler(sys.stdout)
        out.setLevel(logging.INFO)
        out.addFilter(lambda record: record.levelno < logging.WARNING)
        out.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(out)
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    err.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(err)
    if log_file:
        Path(log_file).expanduser().parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(Path(log_file).expanduser(), encoding="utf-8")
        fh.setLevel(logging.INFO)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [pid %(process)d] %(message)s"))
        logger.addHandler(fh)
    logger.propagate = False


def summary_line(run: RunRecord) -> str:
    return (
        f"refresh {run.run_id}: {run.status} (exit {run.exit_code}) in {run.duration_s:.1f} s: "
        f"files {run.files_new} new, {run.files_changed} changed, {run.files_unchanged} unchanged, "
        f"{run.files_quarantined} quarantined; reports {run.reports_added} added, {run.reports_revised} revised; "
        f"build {run.build or 'not reached'}" + (f"; error: {run.error}" if run.error else "")
    )
