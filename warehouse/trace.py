"""Trace a number of the marts back to its printed cell in one step.

``trace(home, target)`` takes a report id or a report file (found by its content hash) and returns
each cell's file, page, table, row, column, printed text, value and how its row was matched.
Source indices (table, row, column) are 0-based; pages are 1-based.
"""

from __future__ import annotations

from pathlib import Path

from ingest.fingerprint import file_hash

from .errors import XxgkError
from .home import Home
from .serve import connect

COLUMNS = (
    "table_id",
    "row_key",
    "col_key",
    "value",
    "is_blank",
    "raw_text",
    "src_page",
    "src_table_index",
    "src_row",
    "src_col",
    "match_method",
)


def resolve_report(con, target: str) -> tuple:
    """(report_id, source_path, source_sha256, agency_name, report_year, source_format, is_current) of a target."""
    path = Path(target)
    if path.is_file():
        sha = file_hash(path, path.stat().st_size)
        where, arg = "source_sha256 = ?", sha
    else:
        where, arg = "report_id = ?", target
    row = con.execute(
        f"""select report_id, source_path, source_sha256, agency_name, report_year, source_format, is_current
                          from dim_report where {where} order by is_current desc limit 1""",
        [arg],
    ).fetchone()
    if row:
        return row
    if path.is_file():
        reject = con.execute(
            "select reason_code, message from stg_rejects where source_sha256 = ? limit 1", [sha]
        ).fetchone()
        if reject:
            raise XxgkError(f"{target} was quarantined ({reject[0]}: {reject[1]}); it has no cells")
        raise XxgkError(f"{target} is not in the warehouse (ingest and build it first)")
    raise XxgkError(f"no report with id {target!r} (give a report_id from dim_report, or a report file)")


def trace(
    home: Home, target: str, table: str | None = None, row: str | None = None, col: str | None = None
) -> tuple[tuple, list[str], list[tuple]]:
    """The report's identity and its cells (optionally one table, row and column), in source order."""
    with connect(home) as con:
        report = resolve_report(con, target)
        filters, args = ["report_id = ?"], [report[0]]
        for name, value in (("table_id", table), ("row_key", row), ("col_key", col)):
            if value is not None:
                filters.append(f"{name} = ?")
                args.append(value)
        rows = con.execute(
            f"""select {", ".join(COLUMNS)} from fct_cells_history where {" and ".join(filters)}
                               order by table_id, src_table_index nulls first, src_row, src_col""",
            args,
        ).fetchall()
    if not rows and (table or row or col):
        raise XxgkError(f"report {report[0]} has no cell {'|'.join(v for v in (table, row, col) if v)}")
    return report, list(COLUMNS), rows


def format_header(report: tuple) -> str:
    rid, path, sha, agency, year, fmt, current = report
    return (
        f"report {rid}: {agency or '(agency unknown)'} {year}{'' if current else ' (superseded version)'}\n"
        f"file   {path}  ({fmt})\nsha256 {sha}\n"
        "indices: table, row and column are 0-based; page is 1-based\n\n"
    )
