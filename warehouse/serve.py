"""Read-only SQL over the warehouse.

Every statement is checked first (:mod:`warehouse.sqlguard`: read queries
only). Every connection is read-only, cannot reach files outside the lake,
cannot load extensions and cannot change its own settings; it has a memory
limit (``--memory``, default 1GB) and a thread limit (2). Queries run with a
timeout, a row limit and a byte limit on the result. Named example queries
live in ``examples.sql``. Text shown on a terminal has its control characters
escaped, so report text cannot drive the terminal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from .errors import XxgkError
from .home import Home, connect_db
from .lock import LockHeld
from .sqlguard import CONTROL, Checked, check_sql, error_text, escape_text, first_line

DEFAULT_ROW_LIMIT = 10_000
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY = "1GB"
DEFAULT_THREADS = 2
DEFAULT_MAX_BYTES = 64 * 2**20  # result text held for output, whatever the row count
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.I)


@dataclass(frozen=True)
class Limits:
    """Per-query limits of the sandboxed connection."""

    row_limit: int = DEFAULT_ROW_LIMIT
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory: str = DEFAULT_MEMORY
    threads: int = DEFAULT_THREADS
    max_bytes: int = DEFAULT_MAX_BYTES


ADDRESS_HEADROOM = 2 * 1024**3  # interpreter, libraries, thread stacks and DuckDB's own reservations


def memory_bytes(memory: str) -> int:
    """Bytes of a DuckDB size such as ``1GB`` or ``512MiB`` (decimal units as DuckDB reads them)."""
    m = _MEMORY.match(check_memory(memory))
    unit = m.group(2).upper()
    base = 1024 if "I" in unit else 1000
    return int(float(m.group(1)) * base ** " KMGT".index(unit[0] if unit != "B" else " "))


def cap_address_space(memory: str) -> None:
    """Bound this process's address space to the query memory limit plus fixed headroom.

    DuckDB's ``memory_limit`` governs its buffer manager, not one huge value built by a query
    (``select repeat('x', 1500000000)``); under this cap such an allocation fails and the query is
    denied with a memory error instead of taking the machine's RAM. Set only where xxgk owns the
    process (the ``xxgk sql`` and ``xxgk serve`` commands), never inside a host program."""
    import resource

    want = memory_bytes(memory) + ADDRESS_HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or soft > want:
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))


def check_memory(memory: str) -> str:
    """A DuckDB memory limit such as ``1GB`` or ``512MB``; anything else is a usage error."""
    if not _MEMORY.match(memory or ""):
        raise XxgkError(f"--memory takes a size such as 1GB or 512MB, not {memory!r}")
    return memory.strip()


@contextmanager
def connect(home: Home, lock_down: bool = True, memory: str = DEFAULT_MEMORY, threads: int = DEFAULT_THREADS):
    """A short-lived read-only connection to ``<home>/xxgk.duckdb``."""
    if not home.db.exists():
        raise XxgkError(f"no warehouse at {home.db}; run `xxgk build --home {home.root}` first")
    config = {"memory_limit": check_memory(memory), "threads": threads} if lock_down else {}
    try:
        con = connect_db(home, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise LockHeld(
                f"the warehouse {home.db} is open for writing by another process; "
                f"close it there (other tools can open it read-only)"
            ) from None
        raise XxgkError(first_line(str(exc))) from None
    try:
        if lock_down:
            lake = str(home.lake).replace("'", "''")
            # the lake views read relative paths (warehouse/home.py): both spellings of the lake are allowed
            con.execute(f"SET allowed_directories = ['{lake}/', 'lake/']")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        yield con
    finally:
        con.close()


def query(
    home: Home,
    sql: str,
    row_limit: int = DEFAULT_ROW_LIMIT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limits: Limits | None = None,
):
    """Check and run one read query; return (column names, rows, truncated)."""
    return run_checked(home, _one(sql), limits or Limits(row_limit, timeout_s))


def query_arrow(
    home: Home,
    sql: str,
    row_limit: int = DEFAULT_ROW_LIMIT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limits: Limits | None = None,
):
    """Check and run one read query; return (Arrow table, truncated), types kept (for Parquet output)."""
    cols, table, truncated = _run(home, _one(sql), limits or Limits(row_limit, timeout_s), _fetch_arrow)
    return table, truncated


def run_checked(home: Home, statement: Checked, limits: Limits):
    """Run one statement that :func:`check_sql` passed already: (column names, rows, truncated)."""
    return _run(home, statement, limits, _fetch_rows)


def _one(sql: str) -> Checked:
    statements = check_sql(sql)
    if len(statements) != 1:
        raise XxgkError(f"one statement at a time, please ({len(statements)} given)")
    return statements[0]


def _size(v) -> int:
    return (
        len(v) if isinstance(v, (str, bytes)) else 8 if v is None or isinstance(v, (int, float, bool)) else len(str(v))
    )


def _fetch_rows(con, statement: str, limits: Limits):
    """Rows in small chunks, stopping at the row limit or once the result passes the byte limit."""
    cur = con.execute(statement)
    if not cur.description:
        return [], [], False
    cols = [d[0] for d in cur.description]
    rows: list[tuple] = []
    size = 0
    while len(rows) <= limits.row_limit:
        chunk = cur.fetchmany(min(1024, limits.row_limit + 1 - len(rows)))
        if not chunk:
            return cols, rows, False
        for r in chunk:
            size += sum(_size(v) for v in r)
            if size > limits.max_bytes:
                return cols, rows, True
            rows.append(r)
    return cols, rows[: limits.row_limit], True


def _fetch_arrow(con, statement: str, limits: Limits):
    import pyarrow as pa

    reader = con.sql(statement).to_arrow_reader(min(limits.row_limit + 1, 1024))
    batches, n, size, truncated = [], 0, 0, False
    for batch in reader:
        size += batch.nbytes
        if size > limits.max_bytes:
            truncated = True
            break
        batches.append(batch)
        n += batch.num_rows
        if n > limits.row_limit:
            truncated = True
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return table.column_names, table.slice(0, limits.row_limit), truncated


def _run(home: Home, statement: Checked, limits: Limits, fetch):
    if not isinstance(statement, Checked):
        raise TypeError("only statements check_sql passed are run")
    with connect(home, memory=limits.memory, threads=limits.threads) as con:
        timer = threading.Timer(limits.timeout_s, con.interrupt)
        timer.start()
        try:
            cols, result, truncated = fetch(con, statement, limits)
        except duckdb.InterruptException:
            raise XxgkError(f"the query was stopped after {limits.timeout_s:g} s (statement timeout)") from None
        except duckdb.OutOfMemoryException as exc:
            raise XxgkError(
                f"the query needs more than the memory limit of {limits.memory} (--memory): "
                f"{escape_text(first_line(str(exc)))}"
            ) from None
        except duckdb.Error as exc:
            raise XxgkError(error_text(str(exc))) from None
        finally:
            timer.cancel()
    return cols, result, truncated


def plain(v):
    """A JSON-, CSV- and Parquet-friendly value."""
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def render(cols: list[str], rows: list[tuple], fmt: str = "table", terminal: bool = False) -> str:
    """Rows as a table (control characters always escaped), CSV or JSON (escaped when ``terminal``)."""
    if fmt == "csv":
        esc = escape_text if terminal else (lambda v: v)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([esc(c) for c in cols])
        w.writerows([[esc(v) if isinstance(v, str) else plain(v) for v in r] for r in rows])
        return buf.getvalue()
    if fmt == "json":
        text = json.dumps([{c: plain(v) for c, v in zip(cols, r)} for r in rows], ensure_ascii=False, indent=1) + "\n"
        # JSON escapes C0 in strings itself (a raw newline is layout); on a terminal the rest becomes \\uXXXX too (still valid JSON)
        return (
            CONTROL.sub(lambda m: m.group() if m.group() == "\n" else f"\\u{ord(m.group()):04x}", text)
            if terminal
            else text
        )
    cols = [escape_text(c) for c in cols]
    cells = [[("" if v is None else escape_text(str(plain(v)))) for v in r] for r in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(cols)]
    line = lambda vals: "  ".join(v + " " * (w - _width(v)) for v, w in zip(vals, widths)).rstrip()
    out = [line(cols), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(out) + "\n"


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in s)


# --- output, examples, interactive prompt -------------------------------------------------------

EXAMPLES_FILE = Path(__file__).with_name("examples.sql")


OUT_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".txt": "table"}


def format_for(out: str | None, fmt: str | None) -> str:
    """The output format: as given, else from the extension of ``out`` (an unknown one is a usage error),
    else a table. A given format and a known extension of ``out`` must agree."""
    if not out:
        return fmt or "table"
    suffix = Path(out).suffix.lower()
    known = OUT_FORMATS.get(suffix)
    if fmt and known and known != fmt:
        raise XxgkError(f"--out {out} is {known} by its extension, but --format says {fmt}")
    if not fmt and not known:
        raise XxgkError(
            f"--out {out}: unknown output format {suffix or '(no extension)'!r}; "
            f"use {', '.join(OUT_FORMATS)} or give --format"
        )
    return str(fmt or known)


def write_result(home: Home, statement: Checked, fmt: str, out: str | None, limits: Limits) -> tuple[int, bool]:
    """Run one statement that :func:`check_sql` passed and write it to ``out`` (or stdout): (rows, truncated)."""
    import sys

    if fmt == "parquet":
        import pyarrow.parquet as pq

        if not out:
            raise XxgkError("Parquet output needs --out FILE")
        cols, table, truncated = _run(home, statement, limits, _fetch_arrow)
        _atomic(Path(out), lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        return table.num_rows, truncated
    cols, rows, truncated = run_checked(home, statement, limits)
    if out:
        text = render(cols, rows, fmt)
        _atomic(Path(out), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    else:
        sys.stdout.write(render(cols, rows, fmt, terminal=sys.stdout.isatty()))
    return len(rows), truncated


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Example:
    name: str
    description: str
    sql: str


def load_examples(path: Path = EXAMPLES_FILE) -> dict[str, Example]:
    """Named queries: each starts with ``-- name: NAME``, then ``--`` description lines, then SQL."""
    out: dict[str, Example] = {}
    name: str | None = None
    desc: list[str] = []
    body: list[str] = []

    def close():
        if name:
            out[name] = Example(name, " ".join(desc), "\n".join(body).strip().rstrip(";").strip())

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- name:"):
            close()
            name, desc, body = line.split(":", 1)[1].strip(), [], []
        elif name and not body and line.startswith("--"):
            desc.append(line[2:].strip())
        elif name:
            body.append(line)
    close()
    return out


def example_sql(name: str) -> str:
    examples = load_examples()
    if name not in examples:
        raise XxgkError(f"no example named {name!r}; `xxgk sql --example list` shows them")
    return examples[name].sql


def list_examples() -> str:
    examples = load_examples()
    width = max(len(n) for n in examples)
    return "".join(f"{e.name.ljust(width)}  {e.description}\n" for e in examples.values())


REPL_HELP = """\
Statements end with ';' and may span lines. Ctrl-C drops the statement being typed.
.tables            the tables and views of the warehouse
.schema [NAME]     the columns of a table or view (with their descriptions); every one without NAME
.examples          the named example queries
.example NAME      run a named example query
.help              this list
.quit              leave (also .exit, \\q, Ctrl-D)
"""


def repl(home: Home, read_line, write, limits: Limits = Limits()) -> int:
    """An interactive prompt: statements end with ``;``; dot commands as in :data:`REPL_HELP`."""
    write("xxgk sql (read-only). End statements with ';'. .help lists the dot commands, .quit leaves.\n")
    buf: list[str] = []
    while True:
        try:
            line = read_line("xxgk> " if not buf else "  ... ")
        except EOFError:
            write("\n")
            return 0
        except KeyboardInterrupt:  # Ctrl-C drops the statement being typed, not the prompt
            write("\n")
            buf = []
            continue
        stripped = line.strip()
        if not buf and stripped in (".quit", ".exit", "\\q"):
            return 0
        if not buf and stripped == ".examples":
            write(list_examples())
            continue
        if not buf and (stripped in (".help", ".tables") or stripped.split(None, 1)[:1] == [".schema"]):
            write(_dot_command(home, stripped, limits))
            continue
        if not buf and stripped.startswith(".example "):
            sql = None
            try:
                sql = example_sql(stripped.split(None, 1)[1])
            except XxgkError as exc:
                write(f"error: {exc}\n")
            if sql:
                _repl_run(home, sql, write, limits)
            continue
        buf.append(line)
        if stripped.endswith(";"):
            sql, buf = "\n".join(buf), []
            _repl_run(home, sql, write, limits)


def _dot_command(home: Home, line: str, limits: Limits) -> str:
    """``.help``, ``.tables`` or ``.schema [NAME]``: text to show; a failure is one ``error:`` line."""
    if line == ".help":
        return REPL_HELP
    try:
        with connect(home, memory=limits.memory, threads=limits.threads) as con:
            tables = con.execute(
                "select table_name, lower(table_type) from information_schema.tables "
                "where table_schema = 'main' order by 1"
            ).fetchall()
            if line == ".tables":
                return render(["name", "kind"], [(n, "view" if "view" in k else "table") for n, k in tables])
            name = line.split(None, 1)[1].strip().strip(";").strip() if " " in line else None
            names = [n for n, _ in tables]
            if name is not None and name not in names:
                import difflib

                close = difflib.get_close_matches(name, names, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else "; .tables lists them"
                return f"error: no table or view named {escape_text(name)!r}{hint}\n"
            cols = con.execute(
                "select table_name, column_name, data_type, coalesce(comment, '') from duckdb_columns() "
                "where schema_name = 'main' and (? is null or table_name = ?) order by table_name, column_index",
                [name, name],
            ).fetchall()
    except XxgkError as exc:
        return f"error: {error_text(str(exc))}\n"
    out = []
    for table in dict.fromkeys(c[0] for c in cols):
        out.append(
            f"{table}\n"
            + render(
                ["column", "type", "description"], [(c[1], c[2], " ".join(c[3].split())) for c in cols if c[0] == table]
            )
        )
    return "\n".join(out)


def _repl_run(home: Home, sql: str, write, limits: Limits) -> None:
    """Run what was typed; any failure is one ``error:`` line and the prompt goes on."""
    try:
        for statement in check_sql(sql):
            cols, rows, truncated = run_checked(home, statement, limits)
            write(render(cols, rows, "table"))
            write(f"({len(rows)} rows{', cut at the row or byte limit' if truncated else ''})\n")
    except XxgkError as exc:
        write(f"error: {error_text(str(exc))}\n")
    except duckdb.Error as exc:  # the guard turns these into XxgkError; this is the last net
        write(f"error: {error_text(str(exc))}\n")
