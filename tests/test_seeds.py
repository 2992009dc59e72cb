"""The template seed carries exactly the canonical keys of ../shared/spec/template_keys.csv."""

import csv

import pytest

from helpers import ROOT

SPEC = ROOT.parent / "shared" / "spec" / "template_keys.csv"


def _rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_seed_keys_equal_spec():
    if not SPEC.exists():
        pytest.skip("../shared/spec is not beside the checkout")
    spec = {(r["template"], r["table"], r["kind"], r["key"], r["label_zh"], r["ordinal"]) for r in _rows(SPEC)}
    seed = {
        (r["template"], r["table"], r["kind"], r["key"], r["label_zh"], r["ordinal"])
        for r in _rows(ROOT / "seeds" / "template_keys.csv")
        if r["kind"] != "group"
    }
    assert seed == spec


def test_layout_shapes():
    from ingest.template import select

    assert len(select("2021", "t3", "row")) == 25 and len(select("2019", "t3", "row")) == 23
    assert len(select("2021", "t3", "column")) == 7
    assert len(select("2021", "t4", "row")) * len(select("2021", "t4", "column")) == 15


# ---------------------------------------------------------------- layouts and reconciliation_rules seeds


def _seed_copy(tmp_path, edit):
    """A copy of the seeds folder's CSV files with ``edit(name, rows) -> rows`` applied to each."""
    for src in (ROOT / "seeds").glob("*.csv"):
        rows = _rows(src)
        rows = edit(src.name, rows)
        with open(tmp_path / src.name, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(_rows(src)[0]))
            w.writeheader()
            w.writerows(rows)
    return tmp_path


# A third table-三 layout added in seeds only: from 2027 the other-handling rows come in another order,
# one renamed (申请人撤回申请, a new key), and the 2021 layout ends in 2026.
FAKE_2027 = [
    {
        "template": "2027",
        "table": "t3",
        "kind": "row",
        "key": "other_unpaid_fee",
        "label_zh": "申请人未按规定缴纳信息处理费",
        "label_en": "fee not paid",
        "group_key": "other",
        "ordinal": "21",
        "aliases": "",
    },
    {
        "template": "2027",
        "table": "t3",
        "kind": "row",
        "key": "other_overdue_correction",
        "label_zh": "申请人逾期未补正申请内容",
        "label_en": "no correction in time",
        "group_key": "other",
        "ordinal": "22",
        "aliases": "",
    },
    {
        "template": "2027",
        "table": "t3",
        "kind": "row",
        "key": "other_withdrawn",
        "label_zh": "申请人撤回申请",
        "label_en": "withdrawn",
        "group_key": "other",
        "ordinal": "23",
        "aliases": "",
    },
    {
        "template": "2027",
        "table": "t3",
        "kind": "group",
        "key": "other_group",
        "label_zh": "（六）其他处理",
        "label_en": "other handling",
        "group_key": "other",
        "ordinal": "",
        "aliases": "",
    },
]


def _add_2027(name, rows):
    if name == "template_keys.csv":
        return rows + FAKE_2027
    if name == "layouts.csv":
        for r in rows:
            if (r["layout"], r["table_id"]) == ("2021", "t3"):
                r["last_year"] = "2026"
        return rows + [
            {
                "layout": "2027",
                "table_id": "t3",
                "first_year": "2027",
                "last_year": "",
                "n_rows": "25",
                "n_columns": "7",
                "document": "(test)",
                "note": "a layout added in seeds only",
            }
        ]
    return rows


def _t3_doc(layout: str) -> tuple[str, dict]:
    """A text report with table 三 printed in ``layout`` (every cell distinct, the arithmetic holding) and
    table 四; returns the text and the printed values by (row, column)."""
    from ingest.template import select

    rows = select(layout, "t3", "row")
    cols = [c.key for c in select(layout, "t3", "column")]
    leaves = [k.key for k in rows if k.group_key not in ("received", "total_processed", "carried_forward")]
    vals = {}
    for j, c in enumerate(cols[:-1]):
        for i, r in enumerate(leaves):
            vals[(r, c)] = i + 1 + j
        vals[("total_processed", c)] = sum(vals[(r, c)] for r in leaves)
        vals[("carried_forward", c)] = j
        vals[("new_received", c)], vals[("carried_over", c)] = vals[("total_processed", c)], j
    for r in rows:
        vals[(r.key, "total")] = sum(vals[(r.key, c)] for c in cols[:-1])
    lines = ["三、收到和处理政府信息公开申请情况", "申请人情况 | | |", "自然人 | 法人或其他组织 | 总计 |"]
    lines += [f"{k.label_zh} | " + " | ".join(str(vals[(k.key, c)]) for c in cols) + " |" for k in rows]
    lines += ["四、政府信息公开行政复议、行政诉讼情况", " | ".join(["1", "1", "1", "1", "4"] * 3)]
    return "\n".join(lines), vals


def test_layouts_seed_matches_template_keys_and_years():
    from ingest.template import layout_for, layouts, select, shape, table_layouts

    for lay in layouts():
        assert (lay.n_rows, lay.n_columns) == (
            len(select(lay.layout, lay.table, "row")),
            len(select(lay.layout, lay.table, "column")),
        )
    assert table_layouts("t3") == ["2021", "2019"] and table_layouts("t4") == ["2021"]
    assert [layout_for("t2", y) for y in (2018, 2019, 2020, 2021, 2030, None)] == [
        "2019",
        "2019",
        "2019",
        "2021",
        "2021",
        "2021",
    ]
    assert shape("t4").n_rows * shape("t4").n_columns == 15


def test_a_layout_added_in_seeds_maps_a_document(tmp_path):
    from ingest.layout import map_document
    from ingest.readers import read
    from ingest.rules import evaluate
    from ingest.template import layout_for, table_layouts, use_seeds

    with use_seeds(_seed_copy(tmp_path, _add_2027)):
        assert table_layouts("t3") == ["2027", "2021", "2019"]
        assert layout_for("t3", 2026) == "2021" and layout_for("t3", 2027) == "2027"
        text, vals = _t3_doc("2027")
        m, _ = map_document(read(text.encode(), "text"), 2027)
        assert m.layouts["t3"] == "2027"
        got = {(c.row_key, c.col_key): c.parsed.value for c in m.cells if c.table_id == "t3"}
        assert got == vals and ("other_withdrawn", "total") in got
        assert all(r.method == "label" for r in m.rows if r.table_id == "t3")
        findings, passed, failed = evaluate(m)
        assert [f for f in findings if f.table_id in ("t3", "t4")] == [] and failed == 0
        assert passed == 7 * 2 + 25 + 3
        # the seed's rule counts the new row among the results: a break in it is a finding
        v = vals[("other_withdrawn", "natural_person")]
        broken = text.replace(f"申请人撤回申请 | {v} |", f"申请人撤回申请 | {v + 1} |")
        assert broken != text
        m, _ = map_document(read(broken.encode(), "text"), 2027)
        assert {(f.rule_id, f.col_key) for f in evaluate(m)[0]} >= {
            ("t3_total_equals_sum_of_results", "natural_person")
        }
        # a report of the older layout is still read as such
        m, _ = map_document(read(_t3_doc("2021")[0].encode(), "text"), 2027)
        assert m.layouts["t3"] == "2021"
    assert table_layouts("t3") == ["2021", "2019"]  # the block ends: the project's seeds again


def test_the_year_cut_off_is_read_from_the_seed(tmp_path):
    """A t2 printed without the labels only one layout has takes its layout from the report year."""
    from ingest.layout import detect_t2_layout
    from ingest.template import use_seeds

    def later(name, rows):
        if name == "layouts.csv":
            for r in rows:
                if r["table_id"] == "t2":
                    r["first_year"], r["last_year"] = {"2019": ("2019", "2022"), "2021": ("2023", "")}[r["layout"]]
        return rows

    assert detect_t2_layout([], 2022) == ("2021", "year")
    with use_seeds(_seed_copy(tmp_path, later)):
        assert detect_t2_layout([], 2022) == ("2019", "year") and detect_t2_layout([], 2023) == ("2021", "year")


@pytest.mark.parametrize(
    "seed,column,value,reader,error",
    [
        ("layouts.csv", "n_rows", "99", "layouts", "template_keys has"),  # a shape its keys do not have
        ("reconciliation_rules.csv", "right_terms", "granted|two words", "reconciliation_rules", "malformed term"),
    ],
)
def test_a_wrong_seed_row_is_a_clear_error(tmp_path, seed, column, value, reader, error):
    import ingest.template as template

    def wrong(name, rows):
        if name == seed:
            rows[0][column] = value
        return rows

    with template.use_seeds(_seed_copy(tmp_path, wrong)), pytest.raises(ValueError, match=error):
        getattr(template, reader)()
