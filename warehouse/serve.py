"""Read-only SQL over the warehouse.

Every statement is checked first (:mod:`warehouse.sqlguard`: read queries
only). Every connection is read-only, cannot reach files outside the lake,
cannot load extensions and cannot change its own settings. Queries run with a
timeout and a row limit. Named example queries live in ``examples.sql``.
"""
from __future__ import annotations

import csv
import io
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from .errors import XxgkError
from .home import Home
from .sqlguard import _first_line, check_sql

DEFAULT_ROW_LIMIT = 10_000
DEFAULT_TIMEOUT_S = 60.0


@contextmanager
def connect(home: Home, lock_down: bool = True):
    """A short-lived read-only connection to ``<home>/xxgk.duckdb``."""
    if not home.db.exists():
        raise XxgkError(f"no warehouse at {home.db}; run `xxgk build --home {home.root}` first")
    con = duckdb.connect(str(home.db), read_only=True, config={"autoinstall_known_extensions": False,
                                                              "autoload_known_extensions": False})
    try:
        if lock_down:
            lake = str(home.lake).replace("'", "''")
            con.execute(f"SET allowed_directories = ['{lake}']")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        yield con
    finally:
        con.close()


def query(home: Home, sql: str, row_limit: int = DEFAULT_ROW_LIMIT, timeout_s: float = DEFAULT_TIMEOUT_S):
    """Run one read query; return (column names, rows, truncated)."""
    return _run(home, sql, row_limit, timeout_s, _fetch_rows)


def query_arrow(home: Home, sql: str, row_limit: int = DEFAULT_ROW_LIMIT, timeout_s: float = DEFAULT_TIMEOUT_S):
    """Run one read query; return (Arrow table, truncated), types kept (for Parquet output)."""
    cols, table, truncated = _run(home, sql, row_limit, timeout_s, _fetch_arrow)
    return table, truncated


def _fetch_rows(con, statement: str, row_limit: int):
    cur = con.execute(statement)
    cols = [d[0] for d in cur.description] if cur.description else []
    rows = cur.fetchmany(row_limit + 1) if cur.description else []
    return cols, rows[:row_limit], len(rows) > row_limit


def _fetch_arrow(con, statement: str, row_limit: int):
    import pyarrow as pa

    reader = con.sql(statement).to_arrow_reader(min(row_limit + 1, 100_000))
    batches, n = [], 0
    for batch in reader:
        batches.append(batch)
        n += batch.num_rows
        if n > row_limit:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return table.column_names, table.slice(0, row_limit), n > row_limit


def _run(home: Home, sql: str, row_limit: int, timeout_s: float, fetch):
    statements = check_sql(sql)
    if len(statements) != 1:
        raise XxgkError(f"one statement at a time, please ({len(statements)} given)")
    with connect(home) as con:
        timer = threading.Timer(timeout_s, con.interrupt)
        timer.start()
        try:
            cols, result, truncated = fetch(con, statements[0], row_limit)
        except duckdb.InterruptException:
            raise XxgkError(f"the query was stopped after {timeout_s:g} s (statement timeout)") from None
        except duckdb.Error as exc:
            raise XxgkError(_first_line(str(exc))) from None
        finally:
            timer.cancel()
    return cols, result, truncated


def _plain(v):
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def render(cols: list[str], rows: list[tuple], fmt: str = "table") -> str:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerows([[_plain(v) for v in r] for r in rows])
        return buf.getvalue()
    if fmt == "json":
        return json.dumps([{c: _plain(v) for c, v in zip(cols, r)} for r in rows], ensure_ascii=False, indent=1) + "\n"
    cells = [[("" if v is None else str(_plain(v))) for v in r] for r in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(cols)]
    line = lambda vals: "  ".join(v + " " * (w - _width(v)) for v, w in zip(vals, widths)).rstrip()
    out = [line(cols), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(out) + "\n"


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in s)


# --- output, examples, interactive prompt -------------------------------------------------------

EXAMPLES_FILE = Path(__file__).with_name("examples.sql")


def format_for(out: str | None, fmt: str | None) -> str:
    """The output format: as given, else from the extension of ``out``, else a table."""
    if fmt:
        return fmt
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    return {"csv": "csv", "json": "json", "parquet": "parquet", "pq": "parquet"}.get(suffix, "table")


def write_result(home: Home, sql: str, fmt: str, out: str | None, row_limit: int, timeout_s: float) -> tuple[int, bool]:
    """Run one query and write it to ``out`` (or stdout); return (rows, truncated)."""
    import sys

    if fmt == "parquet":
        import pyarrow.parquet as pq

        if not out:
            raise XxgkError("Parquet output needs --out FILE")
        table, truncated = query_arrow(home, sql, row_limit, timeout_s)
        _atomic(Path(out), lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        return table.num_rows, truncated
    cols, rows, truncated = query(home, sql, row_limit, timeout_s)
    text = render(cols, rows, fmt)
    if out:
        _atomic(Path(out), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    else:
        sys.stdout.write(text)
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
    name, desc, body = None, [], []

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


def repl(home: Home, read_line, write, row_limit: int = DEFAULT_ROW_LIMIT, timeout_s: float = DEFAULT_TIMEOUT_S) -> int:
    """An interactive prompt: statements end with ``;``; ``.examples``, ``.example NAME``, ``.quit``."""
    write("xxgk sql (read-only). End statements with ';'. .examples lists named queries, .quit leaves.\n")
    buf: list[str] = []
    while True:
        try:
            line = read_line("xxgk> " if not buf else "  ... ")
        except EOFError:
            write("\n")
            return 0
        stripped = line.strip()
        if not buf and stripped in (".quit", ".exit", "\\q"):
            return 0
        if not buf and stripped == ".examples":
            write(list_examples())
            continue
        if not buf and stripped.startswith(".example "):
            sql = None
            try:
                sql = example_sql(stripped.split(None, 1)[1])
            except XxgkError as exc:
                write(f"error: {exc}\n")
            if sql:
                _repl_run(home, sql, write, row_limit, timeout_s)
            continue
        buf.append(line)
        if stripped.endswith(";"):
            sql, buf = "\n".join(buf), []
            _repl_run(home, sql, write, row_limit, timeout_s)


def _repl_run(home: Home, sql: str, write, row_limit: int, timeout_s: float) -> None:
    try:
        for statement in check_sql(sql):
            cols, rows, truncated = query(home, statement, row_limit, timeout_s)
            write(render(cols, rows, "table"))
            write(f"({len(rows)} rows{', cut at the row limit' if truncated else ''})\n")
    except XxgkError as exc:
        write(f"error: {exc}\n")
