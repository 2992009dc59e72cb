"""Read-only SQL over the warehouse.

Every connection is read-only, cannot reach files outside the lake, cannot
load extensions and cannot change its own settings. Queries run with a
timeout and a row limit.
"""
from __future__ import annotations

import csv
import io
import json
import threading
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import duckdb

from .errors import XxgkError
from .home import Home

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
    """Run one query; return (column names, rows, truncated)."""
    with connect(home) as con:
        timer = threading.Timer(timeout_s, con.interrupt)
        timer.start()
        try:
            cur = con.execute(sql)
            cols = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchmany(row_limit + 1) if cur.description else []
        except duckdb.InterruptException:
            raise XxgkError(f"the query was stopped after {timeout_s:g} s (statement timeout)") from None
        except duckdb.Error as exc:
            raise XxgkError(_first_line(str(exc))) from None
        finally:
            timer.cancel()
    return cols, rows[:row_limit], len(rows) > row_limit


def _first_line(msg: str) -> str:
    return msg.strip().splitlines()[0] if msg.strip() else "query failed"


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
