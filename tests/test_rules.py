"""Single-report rules: both t3 layouts, blank totals, unreadable cells, the narrative against table 三, screening."""

from __future__ import annotations

import pytest

from ingest.layout import Cell, Mapping
from ingest.model import Document, Paragraph
from ingest.narrative import stated_totals
from ingest.numbers import parse_cell
from ingest.rules import evaluate
from ingest.template import select


def t3_mapping(layout: str, overrides: dict[tuple[str, str], str] | None = None) -> Mapping:
    """A consistent table 三: every leaf row holds 1 in each applicant column, nothing carried."""
    rows = select(layout, "t3", "row")
    leaves = [k.key for k in rows if k.group_key not in ("received", "total_processed", "carried_forward")]
    apps = [k.key for k in select(layout, "t3", "column") if k.key != "total"]
    vals: dict[tuple[str, str], int] = {}
    for a in apps:
        for r in leaves:
            vals[(r, a)] = 1
        vals[("total_processed", a)] = len(leaves)
        vals[("new_received", a)] = len(leaves)
        vals[("carried_over", a)] = vals[("carried_forward", a)] = 0
    for r in [k.key for k in rows]:
        vals[(r, "total")] = sum(vals[(r, a)] for a in apps)
    text = {k: str(v) for k, v in vals.items()} | (overrides or {})
    cells = [Cell("t3", layout, r, c, parse_cell(t), 0, 0, 0, "label") for (r, c), t in text.items()]
    return Mapping(cells=cells, layouts={"t3": layout})


def rule_ids(findings) -> set[tuple[str, str, str | None, str | None]]:
    return {(f.rule_id, f.severity, f.row_key, f.col_key) for f in findings}


@pytest.mark.parametrize("layout,rows", [("2021", 25), ("2019", 23)])
def test_consistent_table_passes_in_both_layouts(layout, rows):
    findings, passed, failed = evaluate(t3_mapping(layout))
    assert findings == [] and failed == 0
    assert passed == 7 * 2 + rows  # per column: result sum and received identity; per row: 总计


def test_2019_layout_counts_other_processing_as_a_leaf():
    m = t3_mapping("2019", {("other_processing", "natural_person"): "2", ("other_processing", "total"): "7"})
    assert rule_ids(evaluate(m)[0]) == {
        ("t3_total_equals_sum_of_results", "warn", "total_processed", "natural_person"),
        ("t3_total_equals_sum_of_results", "warn", "total_processed", "total"),
    }


def test_blank_total_is_completeness_not_arithmetic():
    m = t3_mapping("2021", {("total_processed", "natural_person"): "", ("total_processed", "total"): "—"})
    found = rule_ids(evaluate(m)[0])
    assert found == {
        ("blank_total", "warn", "total_processed", "natural_person"),
        ("blank_total", "warn", "total_processed", "total"),
    }


def test_blank_columns_are_not_blank_totals():
    """Columns printed blank throughout (沭阳县's 法人 columns) count as 0 and break nothing."""
    apps = ["commercial_enterprise", "research_institution", "social_welfare_org", "legal_service_org", "other_org"]
    m = t3_mapping("2021")
    m.cells = [
        c
        if c.col_key not in apps
        else Cell(c.table_id, c.layout, c.row_key, c.col_key, parse_cell(""), 0, 0, 0, "label")
        for c in m.cells
    ]
    for c in m.cells:
        if c.col_key == "total":
            c.parsed = parse_cell(
                next(x.parsed.raw_text for x in m.cells if x.row_key == c.row_key and x.col_key == "natural_person")
            )
    findings, _, failed = evaluate(m)
    assert findings == [] and failed == 0


def test_unreadable_cell_is_an_error_and_no_sum_uses_it():
    m = t3_mapping("2021", {("granted", "natural_person"): "十二"})
    assert rule_ids(evaluate(m)[0]) == {("cell_unreadable", "error", "granted", "natural_person")}


def _doc(*paras: str) -> Document:
    return Document([Paragraph(p) for p in paras], "text")


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "2024年，全市共受理政府信息公开申请 3119 件，答\n复 3050 件（含上年度结转申请 34 件，另有 103 件顺延到下年度办理）。",
            {"new_received": 3119, "total_processed": 3050, "carried_over": 34, "carried_forward": 103},
        ),
        (
            "我局共受理依申请政府信息公开事项26件，25件按时限要求进行了规范答复，1件结转下年答复。",
            {"new_received": 26, "carried_forward": 1},
        ),
        ("全年受理网络问政182件。本年受理政府信息公开申请同比增加12件。", {}),
        ("本年度结转下年度继续办理的申请1,024件。", {"carried_forward": 1024}),
    ],
)
def test_stated_totals(text, expected):
    assert {s.row_key: s.value for s in stated_totals(_doc(*text.split("\n")))} == expected


def test_narrative_received_may_count_the_carry_over_in():
    m = t3_mapping(
        "2021",
        {
            ("carried_over", "natural_person"): "3",
            ("carried_over", "total"): "3",
            ("carried_forward", "natural_person"): "3",
            ("carried_forward", "total"): "3",
        },
    )
    new = next(c.parsed.value for c in m.cells if (c.row_key, c.col_key) == ("new_received", "total"))
    for stated, ok in ((new, True), (new + 3, True), (new + 1, False)):
        findings, _, _ = evaluate(m, _doc(f"本年共受理政府信息公开申请{stated:g}件。"))
        assert (findings == []) == ok
        if not ok:
            (f,) = findings
            assert (f.rule_id, f.severity, f.expected, f.actual) == ("narrative_vs_t3", "info", new, new + 1)


def test_screen_leaves_one_report_alone_and_quarantines_two():
    from fixtures.reports import good_report
    from ingest.pipeline import parse_report

    one = good_report()
    assert parse_report(one.encode(), "one.txt").status == "parsed"
    two = parse_report((one + one.replace("2023", "2024")).encode(), "two.txt")
    assert two.reject["reason_code"] == "multiple_reports"
