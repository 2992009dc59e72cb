"""Reconciliation (勾稽) rules and completeness checks on one report's cells.

Each rule records a :class:`Finding`; no rule ever changes a source number.
Cross-year rules (carry-over chains, documents in force) need history and
live in dbt (``models/quality``). A blank cell counts as 0 in the arithmetic
(blanks stand for 0 in these reports), but a blank where a total is printed is
reported as a completeness finding of its own (``blank_total``) instead of an
arithmetic break, and a check that involves an unreadable cell is not made.

Severities: ``warn`` for the arithmetic rules and for cells the source lacks
(real reports break both), ``info`` for the narrative against the table,
``error`` for printed cells that cannot be counts (unreadable, negative,
fractional, over 10^9).
"""
from __future__ import annotations

from dataclasses import dataclass

from .layout import Cell, Mapping
from .model import Document
from .narrative import stated_totals
from .template import select

TOLERANCE = 1e-6
ABSURD = 1e9
T4_PARTS = ("upheld", "corrected", "other", "pending")


@dataclass
class Finding:
    rule_id: str
    severity: str          # error | warn | info
    table_id: str | None
    row_key: str | None
    col_key: str | None
    expected: float | None
    actual: float | None
    message: str


@dataclass
class Tally:
    """Findings of one report, with the number of checks that held and failed."""

    findings: list[Finding]
    passed: int = 0
    failed: int = 0

    def add(self, ok: bool) -> bool:
        self.passed, self.failed = self.passed + ok, self.failed + (not ok)
        return ok


class Grid(dict):
    """(row_key, col_key) -> cell of one table; ``unreadable`` holds the keys of its unreadable cells."""

    def __init__(self, cells: list[Cell], table: str):
        super().__init__(((c.row_key, c.col_key), c) for c in cells if c.table_id == table)
        self.unreadable = {k for k, c in self.items() if c.parsed.unreadable}


def _v(cell: Cell | None) -> float:
    return 0.0 if cell is None or cell.parsed.value is None else cell.parsed.value


def _readable(g: Grid, keys) -> bool:
    return not g.unreadable or g.unreadable.isdisjoint(keys)


def _compare(t: Tally, rule: str, table: str, row: str | None, col: str | None,
             expected: float, actual: float, message: str, severity: str = "warn") -> bool:
    ok = abs(expected - actual) <= TOLERANCE
    if not ok:
        t.findings.append(Finding(rule, severity, table, row, col, expected, actual, message))
    return t.add(ok)


def _blank_total(t: Tally, g: Grid, table: str, total: tuple[str, str], parts: list[tuple[str, str]], seen: set) -> bool:
    """A blank total over parts that are printed: recorded once per cell, and the sum is not checked."""
    if not (g[total].parsed.is_blank and any(not g[p].parsed.is_blank for p in parts if p in g)):
        return False
    if (table, total) not in seen:
        seen.add((table, total))
        t.findings.append(Finding("blank_total", "warn", table, total[0], total[1], None, None,
                                  f"the 总计 cell ({total[0]}, {total[1]}) is blank while its parts are printed"))
        t.add(False)
    return True


def check_t3(g: Grid, layout: str, t: Tally) -> None:
    if not g:
        return
    rows = [k.key for k in select(layout, "t3", "row")]
    leaves = [k.key for k in select(layout, "t3", "row") if k.group_key not in ("received", "total_processed", "carried_forward")]
    cols = [k.key for k in select(layout, "t3", "column")]
    applicants = [c for c in cols if c != "total"]
    seen: set = set()
    for col in cols:
        total = ("total_processed", col)
        parts = [(r, col) for r in leaves]
        if total in g and all(p in g for p in parts) and _readable(g, parts + [total]):
            if not _blank_total(t, g, "t3", total, parts, seen):
                s = sum(_v(g[p]) for p in parts)
                _compare(t, "t3_total_equals_sum_of_results", "t3", "total_processed", col, s, _v(g[total]),
                         f"（七）总计 is {_v(g[total]):g} but the result rows sum to {s:g} in column {col}")
        ident = [(r, col) for r in ("new_received", "carried_over", "total_processed", "carried_forward")]
        if all(k in g for k in ident) and _readable(g, ident) and (("t3", total) not in seen):
            lhs = _v(g[ident[0]]) + _v(g[ident[1]])
            rhs = _v(g[ident[2]]) + _v(g[ident[3]])
            _compare(t, "t3_received_equals_handled_plus_carried", "t3", None, col, lhs, rhs,
                     f"一 + 二 = {lhs:g} but （七）总计 + 四 = {rhs:g} in column {col}")
    for row in rows:
        keys = [(row, c) for c in cols]
        if not all(k in g for k in keys) or not _readable(g, keys):
            continue
        parts = [(row, c) for c in applicants]
        if _blank_total(t, g, "t3", (row, "total"), parts, seen):
            continue
        s = sum(_v(g[p]) for p in parts)
        total = _v(g[(row, "total")])
        _compare(t, "t3_total_column_equals_sum", "t3", row, "total", s, total,
                 f"总计 is {total:g} but the six applicant columns sum to {s:g} in row {row}")


def check_t4(g: Grid, t: Tally) -> None:
    seen: set = set()
    for block in select("2021", "t4", "row"):
        parts = [(block.key, c) for c in T4_PARTS]
        total = (block.key, "total")
        if total not in g or any(p not in g for p in parts) or not _readable(g, parts + [total]):
            continue
        if _blank_total(t, g, "t4", total, parts, seen):
            continue
        s = sum(_v(g[p]) for p in parts)
        _compare(t, "t4_total_equals_sum", "t4", block.key, "total", s, _v(g[total]),
                 f"{block.label_zh}: 维持 + 纠正 + 其他 + 尚未审结 = {s:g} but 总计 is {_v(g[total]):g}")


def check_narrative(doc: Document, g: Grid, t: Tally) -> None:
    """Totals stated in the text against the 总计 column of table 三 (info: the text may count differently)."""
    for st in stated_totals(doc):
        cell = g.get((st.row_key, "total"))
        if cell is None or cell.parsed.unreadable:
            continue
        table = _v(cell)
        accepted = {table}
        if st.row_key == "new_received":   # 受理 sometimes counts last year's carry-over in
            accepted.add(table + _v(g.get(("carried_over", "total"))))
        ok = any(abs(st.value - a) <= TOLERANCE for a in accepted)
        if not ok:
            t.findings.append(Finding("narrative_vs_t3", "info", "t3", st.row_key, "total", table, float(st.value),
                                      f"the text states {st.text!r} ({st.value}) but table 三 shows {table:g}"))
        t.add(ok)


def check_cells(cells: list[Cell], t: Tally) -> None:
    for c in cells:
        p = c.parsed
        counts = c.table_id in ("t3", "t4")
        if p.unreadable and p.note == "ocr_unreadable":
            continue     # an OCR'd digit in doubt: its own finding (ingest/ocr_review.py) says why
        if p.unreadable:
            t.findings.append(Finding("cell_unreadable", "error", c.table_id, c.row_key, c.col_key, None, None,
                                      f"cell text {p.raw_text!r} is not a number"))
        elif p.value is None:
            continue
        elif counts and p.value < 0:
            t.findings.append(Finding("negative_count", "error", c.table_id, c.row_key, c.col_key, None, p.value,
                                      f"a count cannot be negative: {p.raw_text!r}"))
        elif abs(p.value) > ABSURD:
            t.findings.append(Finding("absurd_value", "error", c.table_id, c.row_key, c.col_key, None, p.value,
                                      f"value {p.raw_text!r} is implausibly large (over 10^9)"))
        elif counts and p.value != int(p.value):
            t.findings.append(Finding("fractional_count", "error", c.table_id, c.row_key, c.col_key, None, p.value,
                                      f"a count must be a whole number: {p.raw_text!r}"))


# Mapping notes are completeness findings: what the source lacks is a warning, never an error; two copies
# of a table that disagree are an error (which copy is right cannot be told).
_NOTE_SEVERITY = {"table_missing": "warn", "rows_missing": "warn", "values_missing": "warn", "row_unmapped": "info",
                  "columns_missing": "warn", "extra_values": "info",
                  "digits_joined": "info", "extra_columns": "info", "duplicate_copy": "info",
                  "conflicting_copies": "error"}


def evaluate(mapping: Mapping, doc: Document | None = None) -> tuple[list[Finding], int, int]:
    """All single-report findings, with the number of rule checks passed and failed."""
    t = Tally([])
    for table, code, message in mapping.notes + (doc.notes if doc is not None else []):
        t.findings.append(Finding(f"{table}_{code}", _NOTE_SEVERITY.get(code, "warn"), table, None, None, None, None, message))
    check_cells(mapping.cells, t)
    t3, t4 = Grid(mapping.cells, "t3"), Grid(mapping.cells, "t4")
    check_t3(t3, mapping.layouts.get("t3", "2021"), t)
    check_t4(t4, t)
    if doc is not None:
        check_narrative(doc, t3, t)
    return t.findings, t.passed, t.failed
