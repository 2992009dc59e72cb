"""The ``xxgk`` command line (Click): ingest, build, sql, serve, inspect, trace, export, score, check, docs, fetch,
refresh, demo, notebooks.

Every command takes ``--home DIR`` (default ``$XXGK_HOME``, else ``./data``). An option name means one thing in
every command that has it (the shared option decorators below; README.md, "Command line"). Expected failures print
one line, ``xxgk: error: …``, and exit with a code of the one table in :mod:`warehouse.errors`.

Layout: one ``cmd_<name>(args)`` function per command does the work with an ``args`` namespace (as argparse gave
it); the Click command of the same name below it only declares the arguments and options.
"""

from __future__ import annotations

import difflib
import os
import sys
from argparse import Namespace
from pathlib import Path

import click

from ingest import __version__

from .errors import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    XxgkError,
    storage_error,
)
from .home import Home

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def _progress(total: int, desc: str, quiet: bool = False):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="file",
        disable=quiet or total == 0,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=False,
    )


def _render_format(fmt: str | None) -> str | None:
    """The ``--format`` word for people (``text``) is the renderer's ``table``."""
    return "table" if fmt == "text" else fmt


def _require_reports(home: Home, allow_empty: bool) -> None:
    """Refuse an empty lake (a mistyped --home) unless ``--allow-empty``."""
    if not allow_empty and not home.has_reports():
        raise XxgkError(
            f"the lake of {home.root} holds no report (is --home right?); ingest reports first, "
            f"or give --allow-empty to build an empty warehouse"
        )


# --- the commands --------------------------------------------------------------------------------------------


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
        with (
            RefreshLock(home),
            _executor(args, args.workers) as executor,
            _progress(len(files) + len(files.refused), "ingest", args.quiet) as bar,
        ):
            s = ingest_paths(
                files, home, workers=args.workers, progress=bar.update, reparse=args.reparse, executor=executor
            )
    except ClusterError as exc:
        raise XxgkError(str(exc)) from None
    except OSError as exc:  # writing the home failed; a file's own errors are its reject
        raise storage_error(exc) or exc from None
    print(
        f"files in: {s.files_in}  =  reports: {s.reports} (parsed {s.parsed}, with findings {s.parsed_with_findings})"
        f"  +  quarantined: {s.quarantined}  +  duplicates: {s.duplicates}"
    )
    if s.skipped_line():
        print(f"  not files: {s.skipped_line()}")
    if s.duplicates_of_rejects:
        print(f"  ({s.duplicates_of_rejects} of the duplicates were quarantined before by this parser version)")
    if s.reparsed:
        print(
            f"  ({s.reparsed} files already in the lake were parsed again: new parser version, retried reader_error "
            "or --reparse; their new rows supersede the old)"
        )
    for path, reason, message in s.rejects:
        print(f"  quarantined {path}: {reason}: {message}")
    return EXIT_PARTIAL if s.quarantined else EXIT_OK


def cmd_build(args) -> int:
    from .build import build, node_counter
    from .lock import RefreshLock

    home = Home.resolve(args.home).require()
    with RefreshLock(home.ensure()):
        _require_reports(home, args.allow_empty)
        res = build(home, progress=None if args.quiet else node_counter())
    print(
        f"built {res.db_path}: {res.models} models and seeds, {res.tests_passed} tests passed, "
        f"{res.tests_warned} warnings (source inconsistencies; see `xxgk check`)"
    )
    return EXIT_OK


def cmd_sql(args) -> int:
    from .serve import Limits, check_memory, connect, example_sql, format_for, list_examples, repl, write_result
    from .sqlguard import check_sql

    home = Home.resolve(args.home)
    limits = Limits(row_limit=args.limit, timeout_s=args.timeout, memory=check_memory(args.memory))
    fmt = format_for(args.out, _render_format(args.format))  # an unknown --out format is refused first
    if args.example == "list":
        sys.stdout.write(list_examples())
        return EXIT_OK
    if args.example:
        sql = example_sql(args.example)
    elif args.query:
        sql = args.query
    elif sys.stdin.isatty():
        with connect(home, memory=limits.memory):  # fail early when there is no warehouse
            pass
        return repl(home, input, sys.stdout.write, limits)
    else:
        sql = sys.stdin.read()
    if not sql.strip():
        raise XxgkError("no query given")
    statements = check_sql(sql)  # checked once here; run as checked below
    if args.out and len(statements) > 1:
        raise XxgkError(f"--out takes one statement ({len(statements)} given)")
    for statement in statements:
        n, truncated = write_result(home, statement, fmt, args.out, limits)
        if truncated:
            print(f"(output cut at {args.limit} rows or {limits.max_bytes // 2**20} MB; use --limit)", file=sys.stderr)
        if args.out:
            print(f"wrote {n} rows to {args.out} ({fmt})", file=sys.stderr)
    return EXIT_OK


def cmd_inspect(args) -> int:
    from .inspect import inspect_file

    path = Path(args.file)
    if not path.is_file():
        raise XxgkError(f"no such file: {path}")
    sys.stdout.write(inspect_file(path))
    return EXIT_OK


def cmd_trace(args) -> int:
    from .serve import render
    from .trace import format_header, trace

    fmt = _render_format(args.format)
    report, cols, rows = trace(Home.resolve(args.home), args.target, args.table, args.row, args.col)
    if fmt == "table":
        sys.stdout.write(format_header(report))
    sys.stdout.write(render(cols, rows, fmt or "table"))
    return EXIT_OK


def cmd_export(args) -> int:
    from .export import export

    schema = export(Home.resolve(args.home), Path(args.dir), args.format)
    print(f"wrote {len(schema)} marts as {args.format} with schema.json and README.md to {args.dir}")
    return EXIT_OK


def cmd_score(args) -> int:
    from ingest.batch import expand

    from .score import render_scores, score_files

    golden = Path(args.golden)
    if not golden.is_dir():
        raise XxgkError(f"no golden folder: {golden}")
    scores = score_files(expand(args.files), golden)
    sys.stdout.write(render_scores(scores, verbose=args.verbose))
    ok = all(s.golden_cells and s.exact_pct >= args.min_exact and not s.invented for s in scores)
    return EXIT_OK if ok else EXIT_FINDINGS


def cmd_check(args) -> int:
    from .check import exit_code, format_check, gather

    result = gather(Home.resolve(args.home))
    sys.stdout.write(format_check(result, args.format))
    return exit_code(result, args.strict)


def _fetch_policy(args):
    from ingest.fetch import FetchPolicy

    timeout = args.net_timeout
    if args.legacy_timeout is not None:
        print(
            f"xxgk: warning: `{args.command} --timeout` is now `--net-timeout` (`--timeout` limits one SQL "
            "statement); it still works here for now",
            file=sys.stderr,
        )
        timeout = args.legacy_timeout
    return FetchPolicy(
        timeout_s=timeout,
        retries=args.retries,
        backoff_s=args.backoff,
        min_interval_s=args.min_interval,
        max_bytes=int(args.max_mb * 2**20),
        allow_private=args.allow_private,
    )


def cmd_fetch(args) -> int:
    from .lock import RefreshLock
    from .refresh import configure_logging, fetch, fetch_summary

    configure_logging(args.quiet, args.log_file)
    home = Home.resolve(args.home).ensure()
    with RefreshLock(home):
        s = fetch(home, args.sources, _fetch_policy(args), progress=lambda n: _progress(n, "fetch", args.quiet))
    assert s is not None, "a required sources file is fetched or an error"
    if args.quiet:  # --quiet keeps the one-line summary
        print(fetch_summary(s, home))
    return EXIT_PARTIAL if s.failed else EXIT_OK


def cmd_refresh(args) -> int:
    import logging
    import signal

    from .refresh import configure_logging, refresh, summary_line

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)  # a stopped service records its run as interrupted
    configure_logging(args.quiet, args.log_file)
    log = logging.getLogger("xxgk.refresh")
    home = Home.resolve(args.home)
    if not (args.home or os.environ.get("XXGK_HOME")):
        home.require()  # the default ./data is never created by a refresh; a named home may be
    try:
        with _executor(args, args.workers) as executor:
            run = refresh(
                home,
                sources=args.sources,
                full=args.full,
                fetch_policy=_fetch_policy(args),
                reparse=args.reparse,
                workers=args.workers,
                executor=executor,
            )
    except XxgkError as exc:  # the lock is held: nothing was done, nothing recorded
        log.error(f"xxgk: error: {exc}")
        return exc.exit_code
    finally:
        signal.signal(signal.SIGTERM, previous)
    if run.exit_code == EXIT_FAILED:
        log.error(f"xxgk: error: {summary_line(run)}")
    elif run.status == "partial":
        log.warning(summary_line(run))
    else:
        log.info(summary_line(run))
        if args.quiet:  # --quiet keeps the one-line summary
            print(summary_line(run))
    return run.exit_code


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(
        Home.resolve(args.home or os.environ.get("XXGK_HOME") or "data/demo"),
        agencies=args.agencies,
        years=args.years,
        seed=args.seed,
        workers=args.workers,
    )


def cmd_docs(args) -> int:
    from .docs import build_docs

    home = Home.resolve(args.home).require()
    _require_reports(home, args.allow_empty)
    print(build_docs(home))
    return EXIT_OK


def cmd_notebooks(args) -> int:
    from .nbrun import notebook_paths, render_all, strip

    only = list(args.only) or None
    if args.strip:
        for path in notebook_paths(only=only):
            print(f"{path}: {'outputs cleared' if strip(path) else 'clean'}")
        return EXIT_OK
    results = render_all(Home.resolve(args.home or os.environ.get("XXGK_HOME") or "data/demo"), only=only)
    for r in results:
        if r.error:
            print(f"xxgk: {r.notebook.name} failed:\n{r.error}", file=sys.stderr)
    return EXIT_FAILED if any(r.error for r in results) else EXIT_OK


def cmd_serve(args) -> int:
    from .web import run

    home = Home.resolve(args.home)
    if not home.db.exists():
        raise XxgkError(f"no warehouse at {home.db}; run `xxgk build --home {home.root}` first")
    run(home, host=args.host, port=args.port, sql_timeout_s=args.timeout)
    return EXIT_OK


# --- shared options: one meaning per name ---------------------------------------------------------------------


class FormatChoice(click.Choice):
    """``--format``: the format of what the command writes. ``text`` is for people (``table`` is the same)."""

    def __init__(self, *choices: str):
        super().__init__(choices)

    def convert(self, value, param, ctx):
        return super().convert("text" if value == "table" and "text" in self.choices else value, param, ctx)


def home_option(f):
    return click.option("--home", metavar="DIR", help="the data folder (default: $XXGK_HOME, else ./data)")(f)


def quiet_option(f):
    return click.option(
        "--quiet",
        is_flag=True,
        help="no progress bar and no progress lines; the one-line summary, warnings and errors still print",
    )(f)


def format_option(*choices: str, default: str | None = None, extra: str = ""):
    return click.option(
        "--format",
        type=FormatChoice(*choices),
        default=default,
        show_default=default is not None,
        help="format of what the command writes" + extra,
    )


def timeout_option(default: float):
    return click.option(
        "--timeout",
        type=float,
        default=default,
        show_default=True,
        metavar="SECONDS",
        help="time limit of one SQL statement, in seconds",
    )


def workers_option(default: int | None):
    """``--workers``; None: one per core (``ingest.batch.default_workers``)."""
    return click.option(
        "--workers",
        type=int,
        default=default,
        show_default=True if default else "one per core",
        help="parallel processes for parsing (and generation)",
    )


def executor_options(f):
    """``--executor`` and ``--scheduler``: where ingest and refresh parse files (docs/scaling.md)."""
    f = click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="with --executor dask: the scheduler to join, e.g. tcp://host:8786 (default: "
        "$XXGK_DASK_SCHEDULER, else a local cluster on this machine); every worker must see "
        "the home and the files at the same paths",
    )(f)
    return click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="where files are parsed: local worker processes or a Dask cluster",
    )(f)


def reparse_option(f):
    return click.option(
        "--reparse",
        is_flag=True,
        help="parse files again even if this parser version read them (by default only files "
        "read by another parser version or quarantined for a program error)",
    )(f)


def allow_empty_option(f):
    return click.option(
        "--allow-empty",
        is_flag=True,
        help="go on when the lake holds no report (refused by default: a mistyped --home)",
    )(f)


def fetch_options(f):
    for decorator in reversed(
        [
            click.option(
                "--sources", metavar="CSV", help="CSV of agency, year, url[, format] (default: <home>/sources.csv)"
            ),
            click.option(
                "--net-timeout",
                type=float,
                default=30.0,
                show_default=True,
                metavar="SECONDS",
                help="time limit of one network operation, in seconds",
            ),
            click.option(
                "--timeout", "legacy_timeout", type=float, default=None, hidden=True, help="old name of --net-timeout"
            ),
            click.option(
                "--retries", type=int, default=3, show_default=True, help="retries on network errors, 5xx and 429"
            ),
            click.option(
                "--backoff",
                type=float,
                default=2.0,
                show_default=True,
                metavar="SECONDS",
                help="first retry wait, doubling",
            ),
            click.option(
                "--min-interval",
                type=float,
                default=1.0,
                show_default=True,
                metavar="SECONDS",
                help="time between requests to one host",
            ),
            click.option("--max-mb", type=float, default=50.0, show_default=True, help="largest download in MB"),
            click.option(
                "--allow-private",
                is_flag=True,
                help="allow hosts and redirects that resolve to loopback, private, link-local or reserved "
                "addresses (refused by default)",
            ),
            quiet_option,
            click.option("--log-file", metavar="FILE", help="append a timestamped log to this file"),
        ]
    ):
        f = decorator(f)
    return f


# --- the command tree -----------------------------------------------------------------------------------------


class XxgkGroup(click.Group):
    """Commands in the order they are declared; a mistyped command name gets suggestions."""

    def list_commands(self, ctx):
        return list(self.commands)

    def resolve_command(self, ctx, args):
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3, cutoff=0.5)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)


@click.group(cls=XxgkGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, "--version", prog_name="xxgk", message="%(prog)s %(version)s")
def cli():
    """Warehouse of government information-disclosure annual reports (政府信息公开工作年度报告).

    Exit codes: 0 ok, 1 findings (--strict), 2 usage, 3 failed, 4 partial, 5 locked (README.md, "Command line").
    """


def _run(fn, **params) -> int | Namespace:
    ctx = click.get_current_context()
    args = Namespace(command=ctx.info_name, **params)
    return args if (ctx.find_root().obj or {}).get("parse_only") else fn(args)


def _own_process() -> bool:
    """True when xxgk runs as its own program (main() without argv): process-wide limits may be set."""
    return bool((click.get_current_context().find_root().obj or {}).get("own_process"))


@cli.command("ingest", help="read report files or folders into the Parquet lake (exit 4 when files were quarantined)")
@click.argument("paths", nargs=-1, required=True)
@home_option
@workers_option(None)
@reparse_option
@quiet_option
@executor_options
def ingest_command(**params):
    return _run(cmd_ingest, **params)


@cli.command("build", help="build the DuckDB warehouse from the lake with dbt (atomic swap)")
@home_option
@allow_empty_option
@quiet_option
def build_command(**params):
    return _run(cmd_build, **params)


@cli.command(
    "sql",
    help="run read-only SQL against the warehouse (no query: a prompt on a terminal, else stdin; "
    "at the prompt .help lists .tables, .schema and the other dot commands)",
)
@click.argument("query", required=False)
@home_option
@format_option("text", "csv", "json", "parquet", extra=" (default: from the --out extension, else text)")
@click.option("--out", metavar="FILE", help="write the result to FILE (.csv, .json, .parquet, .txt) instead of stdout")
@click.option("--example", metavar="NAME", help="run a named example query; `--example list` lists them")
@click.option("--limit", type=int, default=10_000, show_default=True, help="row limit")
@timeout_option(60.0)
@click.option("--memory", default="1GB", show_default=True, help="memory limit of the query engine, e.g. 512MB")
def sql_command(**params):
    if _own_process():
        from .serve import cap_address_space

        cap_address_space(params["memory"])
    return _run(cmd_sql, **params)


@cli.command("serve", help="read-only web explorer over the warehouse (pages, JSON API, CSV/Parquet downloads)")
@home_option
@click.option("--port", type=int, default=8001, show_default=True, help="port")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="address to listen on (default: this machine only)"
)
@timeout_option(10.0)
def serve_command(**params):
    if _own_process():
        from .serve import DEFAULT_MEMORY, cap_address_space

        cap_address_space(DEFAULT_MEMORY)
    return _run(cmd_serve, **params)


@cli.command("inspect", help="show how one file is read: grids, row matches, values, findings")
@click.argument("file")
@home_option
def inspect_command(**params):
    return _run(cmd_inspect, **params)


@cli.command(
    "trace",
    help="trace a report's numbers to their printed cells: file, page, table, row, column, printed text, match method",
)
@click.argument("target")
@click.argument("table", required=False)
@click.argument("row", required=False)
@click.argument("col", required=False)
@home_option
@format_option("text", "csv", "json", default="text")
def trace_command(**params):
    return _run(cmd_trace, **params)


@cli.command("export", help="write every mart as Parquet or CSV files with schema.json and a README of definitions")
@click.argument("dir")
@home_option
@format_option("parquet", "csv", default="parquet")
def export_command(**params):
    return _run(cmd_export, **params)


@cli.command(
    "score", help="compare files with golden cell values (exact, wrong, missing, invented); exit 1 below --min-exact"
)
@click.argument("files", nargs=-1, required=True)
@home_option
@click.option("--golden", required=True, metavar="DIR", help="folder of <name>.json golden files")
@click.option("--min-exact", type=float, default=99.5, show_default=True, help="exit 1 below this exact percentage")
@click.option("--verbose", is_flag=True, help="list every wrong, missing and invented cell")
def score_command(**params):
    return _run(cmd_score, **params)


@cli.command("check", help="data-quality report: statuses, worst reports, rules, rejects, continuity breaks")
@home_option
@format_option("text", "md", "json", default="text")
@click.option("--strict", is_flag=True, help="exit 1 when any current report has an error-severity finding")
def check_command(**params):
    return _run(cmd_check, **params)


@cli.command("docs", help="build the dbt documentation site offline into <home>/docs and print its path")
@home_option
@allow_empty_option
def docs_command(**params):
    return _run(cmd_docs, **params)


@cli.command(
    "fetch", help="download the reports listed in a sources file into the inbox (exit 4 when downloads failed)"
)
@home_option
@fetch_options
def fetch_command(**params):
    return _run(cmd_fetch, **params)


@cli.command(
    "refresh",
    help="fetch, ingest new and changed inbox files, build incrementally, swap, record the run "
    "(exit 0 ok, 3 failed, 4 partial, 5 locked)",
)
@home_option
@fetch_options
@click.option("--full", is_flag=True, help="rebuild every model from scratch")
@reparse_option
@workers_option(None)
@executor_options
def refresh_command(**params):
    return _run(cmd_refresh, **params)


@cli.command("demo", help="generate synthetic reports, ingest, build and summarise (home default: data/demo)")
@home_option
@click.option("--agencies", type=int, default=300, show_default=True, help="number of synthetic agencies")
@click.option("--years", default="2019-2025", show_default=True, help="range of report years")
@click.option("--seed", type=int, default=7, show_default=True, help="random seed of the generator")
@workers_option(2)
def demo_command(**params):
    return _run(cmd_demo, **params)


@cli.command(
    "notebooks", help="run notebooks/ against the warehouse into <home>/reports (HTML and PNG; home default: data/demo)"
)
@home_option
@click.option("--only", multiple=True, metavar="WORD", help="run only notebooks whose name contains WORD (repeatable)")
@click.option("--strip", is_flag=True, help="clear the outputs of notebooks/ in place instead (before committing)")
def notebooks_command(**params):
    return _run(cmd_notebooks, **params)


# --- entry points ---------------------------------------------------------------------------------------------


class _Parser:
    """Parse without running (``parser().parse_args(argv)``): the command and its options as a namespace."""

    def parse_args(self, argv: list[str]) -> Namespace:
        try:
            return cli.main(args=list(argv), prog_name="xxgk", standalone_mode=False, obj={"parse_only": True})
        except click.UsageError as exc:
            _usage_error(exc)
            raise SystemExit(EXIT_USAGE) from None


def parser() -> _Parser:
    return _Parser()


def _usage_error(exc: click.UsageError) -> None:
    where = exc.ctx.command_path if exc.ctx else "xxgk"
    print(f"xxgk: error: {exc.format_message()} (see `{where} --help`)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """The ``xxgk`` program; ``argv`` given: called from Python (no process-wide limits are set)."""
    try:
        code = cli.main(args=argv, prog_name="xxgk", standalone_mode=False, obj={"own_process": argv is None})
        return EXIT_OK if code is None else code
    except click.UsageError as exc:
        _usage_error(exc)
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except XxgkError as exc:
        print(f"xxgk: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except FileNotFoundError as exc:
        print(f"xxgk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        err = storage_error(exc)
        print(f"xxgk: error: {err or exc}", file=sys.stderr)
        return err.exit_code if err else EXIT_USAGE
    except (KeyboardInterrupt, click.Abort):
        print("xxgk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
