"""The ``xxgk`` command line: ingest, build, sql, serve, inspect, score, check, docs, demo, fetch, refresh.

Every command takes ``--home DIR`` (default ``$XXGK_HOME``, else ``./data``).
Expected failures print one line, ``xxgk: error: …``, and exit non-zero.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import XxgkError, storage_error
from .home import Home

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def _progress(total: int, desc: str, quiet: bool = False):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="file", disable=quiet or total == 0, file=sys.stderr,
                dynamic_ncols=True, leave=False)


def _executor(args, workers: int | None = None):
    """The ingest executor of ``--executor``/``--scheduler`` (a context: None is the local pool)."""
    from tqdm import tqdm

    from ingest.executors import ClusterError, executor_for

    try:
        return executor_for(args.executor, args.scheduler, workers, log=lambda line: tqdm.write(line, file=sys.stderr))
    except ClusterError as exc:
        raise XxgkError(str(exc)) from None


def cmd_ingest(args) -> int:
    from ingest.batch import expand, ingest_paths
    from ingest.executors import ClusterError

    from .lock import RefreshLock

    home = Home.resolve(args.home).ensure()
    files = expand(args.paths, home.root)
    try:
        with RefreshLock(home), _executor(args, args.workers) as executor, \
                _progress(len(files) + len(files.refused), "ingest", args.quiet) as bar:
            s = ingest_paths(files, home.root, workers=args.workers, progress=bar.update, reparse=args.reparse,
                             executor=executor)
    except ClusterError as exc:
        raise XxgkError(str(exc)) from None
    except OSError as exc:             # writing the home failed; a file's own errors are its reject
        raise storage_error(exc) or exc from None
    print(f"files in: {s.files_in}  =  reports: {s.reports} (parsed {s.parsed}, with findings {s.parsed_with_findings})"
          f"  +  quarantined: {s.quarantined}  +  duplicates: {s.duplicates}")
    if s.skipped_line():
        print(f"  not files: {s.skipped_line()}")
    if s.duplicates_of_rejects:
        print(f"  ({s.duplicates_of_rejects} of the duplicates were quarantined before by this parser version)")
    if s.reparsed:
        print(f"  ({s.reparsed} files already in the lake were parsed again: new parser version, retried reader_error "
              "or --reparse; their new rows supersede the old)")
    for path, reason, message in s.rejects:
        print(f"  quarantined {path}: {reason}: {message}")
    return 0


def cmd_build(args) -> int:
    from .build import build
    from .lock import RefreshLock

    home = Home.resolve(args.home).require()
    with RefreshLock(home.ensure()):
        res = build(home)
    print(f"built {res.db_path}: {res.models} models and seeds, {res.tests_passed} tests passed, "
          f"{res.tests_warned} warnings (source inconsistencies; see `xxgk check`)")
    return 0


def cmd_sql(args) -> int:
    from .serve import Limits, check_memory, connect, example_sql, format_for, list_examples, repl, write_result
    from .sqlguard import check_sql

    home = Home.resolve(args.home)
    limits = Limits(row_limit=args.limit, timeout_s=args.timeout, memory=check_memory(args.memory))
    if args.example == "list":
        sys.stdout.write(list_examples())
        return 0
    if args.example:
        sql = example_sql(args.example)
    elif args.query:
        sql = args.query
    elif sys.stdin.isatty():
        with connect(home, memory=limits.memory):          # fail early when there is no warehouse
            pass
        return repl(home, input, sys.stdout.write, limits)
    else:
        sql = sys.stdin.read()
    if not sql.strip():
        raise XxgkError("no query given")
    fmt = format_for(args.out, args.format)
    statements = check_sql(sql)          # checked once here; run as checked below
    if args.out and len(statements) > 1:
        raise XxgkError(f"--out takes one statement ({len(statements)} given)")
    for statement in statements:
        n, truncated = write_result(home, statement, fmt, args.out, limits)
        if truncated:
            print(f"(output cut at {args.limit} rows or {limits.max_bytes // 2**20} MB; use --limit)", file=sys.stderr)
        if args.out:
            print(f"wrote {n} rows to {args.out} ({fmt})", file=sys.stderr)
    return 0


def cmd_inspect(args) -> int:
    from .inspect import inspect_file

    path = Path(args.file)
    if not path.is_file():
        raise XxgkError(f"no such file: {path}")
    sys.stdout.write(inspect_file(path))
    return 0


def cmd_trace(args) -> int:
    from .serve import render
    from .trace import format_header, trace

    report, cols, rows = trace(Home.resolve(args.home), args.target, args.table, args.row, args.col)
    if args.format == "table":
        sys.stdout.write(format_header(report))
    sys.stdout.write(render(cols, rows, args.format))
    return 0


def cmd_export(args) -> int:
    from .export import export

    schema = export(Home.resolve(args.home), Path(args.dir), args.format)
    print(f"wrote {len(schema)} marts as {args.format} with schema.json and README.md to {args.dir}")
    return 0


def cmd_score(args) -> int:
    from ingest.batch import expand

    from .score import render_scores, score_files

    golden = Path(args.golden)
    if not golden.is_dir():
        raise XxgkError(f"no golden folder: {golden}")
    scores = score_files(expand(args.files), golden)
    sys.stdout.write(render_scores(scores, verbose=args.verbose))
    ok = all(s.golden_cells and s.exact_pct >= args.min_exact and not s.invented for s in scores)
    return 0 if ok else 1


def cmd_check(args) -> int:
    from .check import exit_code, format_check, gather

    result = gather(Home.resolve(args.home))
    sys.stdout.write(format_check(result, args.format))
    return exit_code(result, args.strict)


def _fetch_policy(args):
    from ingest.fetch import FetchPolicy

    return FetchPolicy(timeout_s=args.timeout, retries=args.retries, backoff_s=args.backoff,
                       min_interval_s=args.min_interval, max_bytes=int(args.max_mb * 2**20),
                       allow_private=args.allow_private)


def cmd_fetch(args) -> int:
    import logging

    from ingest.fetch import Fetcher, read_sources

    from .refresh import EXIT_PARTIAL, configure_logging

    configure_logging(args.quiet, args.log_file)
    log = logging.getLogger("xxgk.fetch")
    home = Home.resolve(args.home).ensure()
    path = Path(args.sources) if args.sources else home.root / "sources.csv"
    try:
        sources = read_sources(path)
    except (OSError, ValueError) as exc:
        raise XxgkError(f"cannot read the sources file: {exc}") from None
    from .lock import RefreshLock

    with RefreshLock(home), _progress(len(sources), "fetch", args.quiet) as bar:
        s = Fetcher(home.root, _fetch_policy(args)).fetch_all(sources, progress=bar.update)
    log.info(f"fetched {len(sources)} sources into {home.inbox}: {s.ok} new or changed, {s.unchanged} same bytes, "
             f"{s.not_modified} not modified (304), {s.failed} failed")
    for r in s.failures:
        log.warning(f"  failed {r['url']}: {r['error']}")
    return EXIT_PARTIAL if s.failed else 0


def cmd_refresh(args) -> int:
    import logging
    import signal

    from .refresh import EXIT_FAILED, configure_logging, refresh, summary_line

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)      # a stopped service records its run as interrupted
    configure_logging(args.quiet, args.log_file)
    log = logging.getLogger("xxgk.refresh")
    home = Home.resolve(args.home)
    if not (args.home or os.environ.get("XXGK_HOME")):
        home.require()           # the default ./data is never created by a refresh; a named home may be
    try:
        with _executor(args) as executor:
            run = refresh(home, sources=args.sources, full=args.full, fetch_policy=_fetch_policy(args),
                          reparse=args.reparse, executor=executor)
    except XxgkError as exc:           # the lock is held: nothing was done, nothing recorded
        log.error(f"xxgk: error: {exc}")
        return exc.exit_code
    finally:
        signal.signal(signal.SIGTERM, previous)
    if run.exit_code == EXIT_FAILED:
        log.error(f"xxgk: error: {summary_line(run)}")
    else:
        log.log(logging.WARNING if run.status == "partial" else logging.INFO, summary_line(run))
    return run.exit_code


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(Home.resolve(args.home or os.environ.get("XXGK_HOME") or "data/demo"), agencies=args.agencies,
                    years=args.years, seed=args.seed, workers=args.workers)


def cmd_docs(args) -> int:
    from .docs import build_docs

    print(build_docs(Home.resolve(args.home).require()))
    return 0


def cmd_notebooks(args) -> int:
    from .nbrun import notebook_paths, render_all, strip

    if args.strip:
        for path in notebook_paths(only=args.only):
            print(f"{path}: {'outputs cleared' if strip(path) else 'clean'}")
        return 0
    results = render_all(Home.resolve(args.home or os.environ.get("XXGK_HOME") or "data/demo"), only=args.only)
    for r in results:
        if r.error:
            print(f"xxgk: {r.notebook.name} failed:\n{r.error}", file=sys.stderr)
    return 1 if any(r.error for r in results) else 0


def cmd_serve(args) -> int:
    from .web import run

    home = Home.resolve(args.home)
    if not home.db.exists():
        raise XxgkError(f"no warehouse at {home.db}; run `xxgk build --home {home.root}` first")
    run(home, host=args.host, port=args.port, sql_timeout_s=args.timeout)
    return 0


def executor_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--executor", choices=["local", "dask"], default="local",
                    help="where files are parsed: local worker processes (default) or a Dask cluster")
    sp.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="with --executor dask: the scheduler to join, e.g. tcp://host:8786 (default: "
                         "$XXGK_DASK_SCHEDULER, else a local cluster on this machine); every worker must see "
                         "the home and the files at the same paths")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xxgk", description="Warehouse of government information-disclosure annual reports.")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, fn, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.add_argument("--home", help="data folder (default: $XXGK_HOME, else ./data)")
        sp.set_defaults(fn=fn)
        return sp

    sp = add("ingest", cmd_ingest, "read report files or folders into the Parquet lake")
    sp.add_argument("paths", nargs="+", help="files or folders")
    sp.add_argument("--workers", type=int, default=1, help="parallel parser processes (default 1)")
    sp.add_argument("--reparse", action="store_true",
                    help="parse files the lake already holds again (by default only those read by another parser "
                         "version or quarantined for a program error)")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    executor_options(sp)

    add("build", cmd_build, "build the DuckDB warehouse from the lake with dbt (atomic swap)")

    sp = add("sql", cmd_sql, "run read-only SQL against the warehouse (no query: a prompt on a terminal, else stdin)")
    sp.add_argument("query", nargs="?", help="SQL text (default: an interactive prompt, or stdin when piped)")
    sp.add_argument("--format", choices=["table", "csv", "json", "parquet"], default=None,
                    help="output format (default: from the --out extension, else table)")
    sp.add_argument("--out", help="write the result to this file instead of stdout")
    sp.add_argument("--example", metavar="NAME", help="run a named example query; `--example list` lists them")
    sp.add_argument("--limit", type=int, default=10_000, help="row limit (default 10000)")
    sp.add_argument("--timeout", type=float, default=60.0, help="statement timeout in seconds (default 60)")
    sp.add_argument("--memory", default="1GB", help="memory limit of the query engine, e.g. 512MB (default 1GB)")

    sp = add("serve", cmd_serve, "read-only web explorer over the warehouse (pages, JSON API, CSV/Parquet downloads)")
    sp.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    sp.add_argument("--timeout", type=float, default=10.0, help="time limit of a query in the SQL box, seconds (default 10)")

    sp = add("inspect", cmd_inspect, "show how one file is read: grids, row matches, values, findings")
    sp.add_argument("file")

    sp = add("trace", cmd_trace, "trace a report's numbers to their printed cells: file, page, table, row, column, "
                                 "printed text, match method")
    sp.add_argument("target", help="a report_id (dim_report) or a report file")
    sp.add_argument("table", nargs="?", help="t2, t3 or t4")
    sp.add_argument("row", nargs="?", help="row key, e.g. granted")
    sp.add_argument("col", nargs="?", help="column key, e.g. total")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")

    sp = add("export", cmd_export, "write every mart as Parquet or CSV files with schema.json and a README of definitions")
    sp.add_argument("dir", help="output folder (created if missing)")
    sp.add_argument("--format", choices=["parquet", "csv"], default="parquet")

    sp = add("score", cmd_score, "compare files with golden cell values (exact, wrong, missing, invented)")
    sp.add_argument("files", nargs="+", help="report files or folders")
    sp.add_argument("--golden", required=True, help="folder of <name>.json golden files")
    sp.add_argument("--min-exact", type=float, default=99.5, help="exit 1 below this exact percentage (default 99.5)")
    sp.add_argument("--verbose", action="store_true", help="list every wrong, missing and invented cell")

    sp = add("check", cmd_check, "data-quality report: statuses, worst reports, rules, rejects, continuity breaks")
    sp.add_argument("--format", choices=["text", "md", "json"], default="text")
    sp.add_argument("--strict", action="store_true", help="exit 1 when any current report has an error-severity finding")
    add("docs", cmd_docs, "build the dbt documentation site offline into <home>/docs and print its path")

    def fetch_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--sources", help="CSV of agency, year, url[, format] (default: <home>/sources.csv)")
        sp.add_argument("--timeout", type=float, default=30.0, help="seconds per network operation (default 30)")
        sp.add_argument("--retries", type=int, default=3, help="retries on network errors, 5xx and 429 (default 3)")
        sp.add_argument("--backoff", type=float, default=2.0, help="first retry wait in seconds, doubling (default 2)")
        sp.add_argument("--min-interval", type=float, default=1.0, help="seconds between requests to one host (default 1)")
        sp.add_argument("--max-mb", type=float, default=50.0, help="largest download in MB (default 50)")
        sp.add_argument("--allow-private", action="store_true",
                        help="allow hosts and redirects that resolve to loopback, private, link-local or reserved "
                             "addresses (refused by default)")
        sp.add_argument("--quiet", action="store_true", help="print only warnings and errors")
        sp.add_argument("--log-file", help="append a timestamped log to this file")

    sp = add("fetch", cmd_fetch, "download the reports listed in a sources file into the inbox")
    fetch_options(sp)

    sp = add("refresh", cmd_refresh, "fetch, ingest new and changed inbox files, build incrementally, swap, record the run "
                                     "(exit 0 ok, 3 failed, 4 partial, 5 locked)")
    fetch_options(sp)
    sp.add_argument("--full", action="store_true", help="rebuild every model from scratch")
    sp.add_argument("--reparse", action="store_true", help="parse every inbox file again, even if this parser version read it")
    executor_options(sp)

    sp = add("demo", cmd_demo, "generate synthetic reports, ingest, build and summarise (home default: data/demo)")
    sp.add_argument("--agencies", type=int, default=300)
    sp.add_argument("--years", default="2019-2025", help="range of report years, e.g. 2019-2025")
    sp.add_argument("--seed", type=int, default=7)
    sp.add_argument("--workers", type=int, default=2, help="parallel processes for generation and ingest (default 2)")

    sp = add("notebooks", cmd_notebooks, "run notebooks/ against the warehouse into <home>/reports (HTML and PNG; home default: data/demo)")
    sp.add_argument("--only", action="append", help="run only notebooks whose name contains this (repeatable)")
    sp.add_argument("--strip", action="store_true", help="clear the outputs of notebooks/ in place instead (before committing)")
    return p


def main(argv: list[str] | None = None) -> int:
    """The ``xxgk`` program; ``argv`` given: called from Python (no process-wide limits are set)."""
    args = parser().parse_args(argv)
    try:
        if argv is None and args.command in ("sql", "serve"):
            from .serve import DEFAULT_MEMORY, cap_address_space

            cap_address_space(getattr(args, "memory", DEFAULT_MEMORY))
        return args.fn(args) or 0
    except XxgkError as exc:
        print(f"xxgk: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except FileNotFoundError as exc:
        print(f"xxgk: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        err = storage_error(exc)
        print(f"xxgk: error: {err or exc}", file=sys.stderr)
        return err.exit_code if err else 2
    except KeyboardInterrupt:
        print("xxgk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
