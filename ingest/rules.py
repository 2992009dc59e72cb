"""Reconciliation (勾稽) rules and completeness checks on one report's cells.

Each rule records a :class:`Finding`; no rule ever changes a source number.
The arithmetic rules are rows of ``seeds/reconciliation_rules.csv``: this
module checks those of span ``report``; the dbt macro ``reconciliation_checks``
reads the same rows for the cross-year rules (carry-over chains, documents in
force), which need history (``models/quality``). A blank cell counts as 0 in the arithmetic
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
from .template import Key, Rule, Term, reconciliation_rules, seed_cache, select, shape

TOLERANCE = 1e-6
ABSURD = 1e9


@dataclass
class Finding:
    rule_id: str
    severity: str  # error | warn | info
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
        self.unreadable = {k for k, c in self.items() if c.parsed.value is None and not c.parsed.is_blank}  # unreadable


def _v(cell: Cell | None) -> float:
    return 0.0 if cell is None or cell.parsed.value is None else cell.parsed.value


def _compare(
    t: Tally,
    rule: str,
    table: str,
    row: str | None,
    col: str | None,
    expected: float,
    actual: float,
    message: str,
    severity: str = "warn",
) -> bool:
    ok = abs(expected - actual) <= TOLERANCE
    if not ok:
        t.findings.append(Finding(rule, severity, table, row, col, expected, actual, message))
    return t.add(ok)


def _blank_total(
    t: Tally, g: Grid, table: str, total: tuple[str, str], parts: list[tuple[str, str]], seen: set
) -> bool:
    """A blank total over parts that are printed: recorded once per cell, and the sum is not checked."""
    if not (g[total].parsed.is_blank and any(not g[p].parsed.is_blank for p in parts if p in g)):
        return False
    if (table, total) not in seen:
        seen.add((table, total))
        t.findings.append(
            Finding(
                "blank_total",
                "warn",
                table,
                total[0],
                total[1],
                None,
                None,
                f"the 总计 cell ({total[0]}, {total[1]}) is blank while its parts are printed",
            )
        )
        t.add(False)
    return True


def _term_keys(rule: Rule, term: Term, layout: str) -> list[str]:
    """The keys a term stands for in a layout: its key, or every key of its group in printed order."""
    if not term.group:
        return [term.ref]
    return [
        k.key
        for k in select(layout, rule.table, "row" if rule.scope == "column" else "column")
        if k.group_key == term.ref
    ]


def _rule_cells(rule: Rule, scope_key: str, layout: str) -> tuple[tuple, tuple, tuple]:
    """The (cell key, sign) pairs of a rule's two sides at one key of its scope, and every cell key (cached)."""

    def cells(terms: tuple[Term, ...]) -> tuple[tuple[tuple[str, str], int], ...]:
        return tuple(
            ((k, scope_key) if rule.scope == "column" else (scope_key, k), term.sign)
            for term in terms
            for k in _term_keys(rule, term, layout)
        )

    left, right = cells(rule.left), cells(rule.right)
    return left, right, tuple(c for c, _ in left + right)


Step = tuple[Rule, Key, tuple, tuple, frozenset, frozenset, list]


@seed_cache(maxsize=64)
def _plan(table: str, layout: str) -> tuple[Step, ...]:
    """The single-report checks of a table in a layout, in order: (rule, scope key, left and right (cell key,
    sign) pairs, every cell key, every (table, cell key) a blank total may mark, the right side's cell keys).
    Cached: seeds only."""
    rules = [r for r in reconciliation_rules() if r.table == table and r.span == "report"]
    steps = []
    for scope in dict.fromkeys(r.scope for r in rules):
        for key in select(layout, table, scope):
            for rule in rules:
                if rule.scope == scope and (not rule.scope_keys or key.key in rule.scope_keys):
                    left, right, every = _rule_cells(rule, key.key, layout)
                    marks = frozenset((table, c) for c in every)
                    steps.append((rule, key, left, right, frozenset(every), marks, [c for c, _ in right]))
    return tuple(steps)


def _check(step: Step, g: Grid, t: Tally, seen: set) -> None:
    """One check of a rule at one key of its scope; not made where a cell is missing or unreadable."""
    rule, scope, left, right, every, marks, parts = step
    if not g.keys() >= every or (g.unreadable and not g.unreadable.isdisjoint(every)):
        return
    if rule.blank_total and len(left) == 1:
        if _blank_total(t, g, rule.table, left[0][0], parts, seen):
            return
    elif seen and not seen.isdisjoint(marks):
        return  # a cell of it is a blank total, recorded as such
    expected = sum([sign * (0.0 if (v := g[c].parsed.value) is None else v) for c, sign in right])
    actual = sum([sign * (0.0 if (v := g[c].parsed.value) is None else v) for c, sign in left])
    row, col = left[0][0] if len(left) == 1 else ((None, scope.key) if rule.scope == "column" else (scope.key, None))
    message = (  # written only for a check that fails
        ""
        if abs(expected - actual) <= TOLERANCE
        else rule.message.format(expected=f"{expected:g}", actual=f"{actual:g}", scope=scope.key, label=scope.label_zh)
    )
    _compare(t, rule.rule_id, rule.table, row, col, expected, actual, message, rule.severity)


def check_table(table: str, g: Grid, layout: str, t: Tally) -> None:
    """The single-report rules of a table (seed reconciliation_rules), one scope at a time, key by key."""
    if not g:
        return
    seen: set = set()
    for step in _plan(table, layout):
        _check(step, g, t, seen)


def check_t3(g: Grid, layout: str, t: Tally) -> None:
    check_table("t3", g, layout, t)


def check_t4(g: Grid, t: Tally, layout: str | None = None) -> None:
    check_table("t4", g, layout or shape("t4").layout, t)


def check_narrative(doc: Document, g: Grid, t: Tally) -> None:
    """Totals stated in the text against the 总计 column of table 三 (info: the text may count differently)."""
    for st in stated_totals(doc):
        cell = g.get((st.row_key, "total"))
        if cell is None or cell.parsed.unreadable:
            continue
        table = _v(cell)
        accepted = {table}
        if st.row_key == "new_received":  # 受理 sometimes counts last year's carry-over in
            accepted.add(table + _v(g.get(("carried_over", "total"))))
        ok = any(abs(st.value - a) <= TOLERANCE for a in accepted)
        if not ok:
            t.findings.append(
                Finding(
                    "narrative_vs_t3",
                    "info",
                    "t3",
                    st.row_key,
                    "total",
                    table,
                    float(st.value),
                    f"the text states {st.text!r} ({st.value}) but table 三 shows {table:g}",
                )
            )
        t.add(ok)


def _cell_problem(c: Cell) -> tuple[str, str] | None:
    """(rule, message) of what is wrong with one cell's value on its own, or None."""
    p = c.parsed
    counts = c.table_id in ("t3", "t4")
    if p.unreadable:
        return "cell_unreadable", f"cell text {p.raw_text!r} is not a number"
    if p.value is None:
        return None
    if counts and p.value < 0:
        return "negative_count", f"a count cannot be negative: {p.raw_text!r}"
    if abs(p.value) > ABSURD:
        return "absurd_value", f"value {p.raw_text!r} is implausibly large (over 10^9)"
    if counts and p.value != int(p.value):
        return "fractional_count", f"a count must be a whole number: {p.raw_text!r}"
    return None


def check_cells(cells: list[Cell], t: Tally) -> None:
    for c in cells:
        v = c.parsed.value
        if v is None:
            if c.parsed.is_blank:
                continue  # a printed blank: nothing to check
        elif 0 <= v <= ABSURD and v == int(v):
            continue  # a whole count in range: fine in every table
        if c.parsed.unreadable and c.parsed.note == "ocr_unreadable":
            continue  # an OCR'd digit in doubt: its own finding (ingest/ocr_review.py) says why
        problem = _cell_problem(c)
        if problem is not None:
            rule, message = problem
            t.findings.append(Finding(rule, "error", c.table_id, c.row_key, c.col_key, None, c.parsed.value, message))


# Mapping notes are completeness findings: what the source lacks is a warning, never an error; two copies
# of a table that disagree are an error (which copy is right cannot be told).
_NOTE_SEVERITY = {
    "table_missing": "warn",
    "rows_missing": "warn",
    "values_missing": "warn",
    "row_unmapped": "info",
    "columns_missing": "warn",
    "extra_values": "info",
    "digits_joined": "info",
    "extra_columns": "info",
    "duplicate_copy": "info",
    "conflicting_copies": "error",
}


def evaluate(mapping: Mapping, doc: Document | None = None) -> tuple[list[Finding], int, int]:
    """All single-report findings, with the number of rule checks passed and failed."""
    t = Tally([])
    for table, code, message in mapping.notes + (doc.notes if doc is not None else []):
        t.findings.append(
            Finding(f"{table}_{code}", _NOTE_SEVERITY.get(code, "warn"), table, None, None, None, None, message)
        )
    check_cells(mapping.cells, t)
    grids = {}
    for table in dict.fromkeys(r.table for r in reconciliation_rules() if r.span == "report"):
        grids[table] = Grid(mapping.cells, table)
        check_table(table, grids[table], mapping.layouts.get(table) or shape(table).layout, t)
    if doc is not None:
        check_narrative(doc, grids["t3"] if "t3" in grids else Grid(mapping.cells, "t3"), t)
    return t.findings, t.passed, t.failed
