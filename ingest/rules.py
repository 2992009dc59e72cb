"""Reconciliation (勾稽) rules and completeness checks on one report's cells.

Each rule records a :class:`Finding`; no rule ever changes a source number.
Cross-year rules (carry-over chains, documents in force) need history and
live in dbt (``models/quality``). A blank cell counts as 0 in the arithmetic
(blanks stand for 0 in these reports), but a blank where a total is printed is
reported as a completeness finding of its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from .layout import Cell, Mapping
from .template import select

TOLERANCE = 1e-6


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


def _grid(cells: list[Cell], table: str) -> dict[tuple[str, str], Cell]:
    return {(c.row_key, c.col_key): c for c in cells if c.table_id == table}


def _v(cell: Cell | None) -> float:
    return 0.0 if cell is None or cell.parsed.value is None else cell.parsed.value


def _check(findings: list[Finding], rule: str, table: str, row: str | None, col: str | None,
           expected: float, actual: float, message: str, severity: str = "warn") -> bool:
    if abs(expected - actual) > TOLERANCE:
        findings.append(Finding(rule, severity, table, row, col, expected, actual, message))
        return False
    return True


def check_t3(cells: list[Cell], layout: str, findings: list[Finding]) -> tuple[int, int]:
    g = _grid(cells, "t3")
    if not g:
        return 0, 0
    rows = [k.key for k in select(layout, "t3", "row")]
    leaves = [k.key for k in select(layout, "t3", "row") if k.group_key not in ("received", "total_processed", "carried_forward")]
    cols = [k.key for k in select(layout, "t3", "column")]
    applicants = [c for c in cols if c != "total"]
    passed = failed = 0
    for col in cols:
        if not all((r, col) in g for r in ("new_received", "carried_over", "total_processed", "carried_forward")):
            continue
        lhs = _v(g.get(("new_received", col))) + _v(g.get(("carried_over", col)))
        rhs = _v(g.get(("total_processed", col))) + _v(g.get(("carried_forward", col)))
        ok = _check(findings, "t3_received_equals_handled_plus_carried", "t3", None, col, lhs, rhs,
                    f"一 + 二 = {lhs:g} but （七）总计 + 四 = {rhs:g} in column {col}")
        passed, failed = passed + ok, failed + (not ok)
        if all((r, col) in g for r in leaves):
            total = _v(g.get(("total_processed", col)))
            s = sum(_v(g.get((r, col))) for r in leaves)
            ok = _check(findings, "t3_total_equals_sum_of_results", "t3", "total_processed", col, s, total,
                        f"（七）总计 is {total:g} but the result rows sum to {s:g} in column {col}")
            passed, failed = passed + ok, failed + (not ok)
    for row in rows:
        if all((row, c) in g for c in cols):
            total_cell = g[(row, "total")]
            if total_cell.parsed.is_blank and any(not g[(row, c)].parsed.is_blank for c in applicants):
                findings.append(Finding("blank_total", "warn", "t3", row, "total", None, None,
                                        f"the 总计 cell of row {row} is blank while the row has values"))
                failed += 1
                continue
            s = sum(_v(g[(row, c)]) for c in applicants)
            ok = _check(findings, "t3_total_column_equals_sum", "t3", row, "total", s, _v(total_cell),
                        f"总计 is {_v(total_cell):g} but the six applicant columns sum to {s:g} in row {row}")
            passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def check_t4(cells: list[Cell], findings: list[Finding]) -> tuple[int, int]:
    g = _grid(cells, "t4")
    passed = failed = 0
    for block in select("2021", "t4", "row"):
        parts = [g.get((block.key, c)) for c in ("upheld", "corrected", "other", "pending")]
        total = g.get((block.key, "total"))
        if total is None or any(p is None for p in parts):
            continue
        s = sum(_v(p) for p in parts)
        ok = _check(findings, "t4_total_equals_sum", "t4", block.key, "total", s, _v(total),
                    f"{block.label_zh}: 维持 + 纠正 + 其他 + 尚未审结 = {s:g} but 总计 is {_v(total):g}")
        passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def check_cells(cells: list[Cell], findings: list[Finding]) -> None:
    for c in cells:
        if c.parsed.unreadable:
            findings.append(Finding("cell_unreadable", "error", c.table_id, c.row_key, c.col_key, None, None,
                                    f"cell text {c.parsed.raw_text!r} is not a number"))
        elif c.parsed.value is not None and c.table_id in ("t3", "t4") and c.parsed.value < 0:
            findings.append(Finding("negative_count", "error", c.table_id, c.row_key, c.col_key, None, c.parsed.value,
                                    f"a count cannot be negative: {c.parsed.raw_text!r}"))
        elif c.parsed.value is not None and c.table_id in ("t3", "t4") and c.parsed.value != int(c.parsed.value):
            findings.append(Finding("fractional_count", "error", c.table_id, c.row_key, c.col_key, None, c.parsed.value,
                                    f"a count must be a whole number: {c.parsed.raw_text!r}"))
        elif c.parsed.value is not None and abs(c.parsed.value) > 1e9:
            findings.append(Finding("absurd_value", "error", c.table_id, c.row_key, c.col_key, None, c.parsed.value,
                                    f"value {c.parsed.raw_text!r} is implausibly large (over 10^9)"))


_NOTE_SEVERITY = {"table_missing": "error", "rows_missing": "warn", "values_missing": "error", "row_unmapped": "info",
                  "columns_missing": "warn", "extra_values": "info", "digits_joined": "info"}


def evaluate(mapping: Mapping) -> tuple[list[Finding], int, int]:
    """All single-report findings, with the number of rule checks passed and failed."""
    findings: list[Finding] = []
    for table, code, message in mapping.notes:
        findings.append(Finding(f"{table}_{code}", _NOTE_SEVERITY.get(code, "warn"), table, None, None, None, None, message))
    check_cells(mapping.cells, findings)
    p3, f3 = check_t3(mapping.cells, mapping.layouts.get("t3", "2021"), findings)
    p4, f4 = check_t4(mapping.cells, findings)
    return findings, p3 + p4, f3 + f4
