"""Layout mapping: rows by label and by position, layout per table, t2 and t4 shapes."""

from ingest.layout import map_document
from ingest.readers import read
from ingest.template import select

COLS = [c.key for c in select("2021", "t3", "column")]


def _t3_text(layout: str, drop_labels=(), label_of=None, extra_rows=()) -> str:
    lines = ["三、收到和处理政府信息公开申请情况", "申请人情况 | | |", "自然人 | 法人或其他组织 | 总计 |"]
    for i, k in enumerate(select(layout, "t3", "row")):
        vals = " | ".join(str(i * 10 + j) for j in range(7))
        label = (label_of or {}).get(k.key, k.label_zh)
        lines.append(vals + " |" if k.key in drop_labels else f"{label} | {vals} |")
        for after, extra in extra_rows:
            if after == k.key:
                lines.append(extra)
    lines.append("四、政府信息公开行政复议、行政诉讼情况")
    lines.append(" | ".join(str(100 + i) for i in range(15)))
    return "\n".join(lines)


def _cells(text: str, year=2024):
    m, _ = map_document(read(text.encode(), "text"), year)
    return m, {(c.table_id, c.row_key, c.col_key): c for c in m.cells}


def test_all_labels_2021():
    m, cells = _cells(_t3_text("2021"))
    assert m.layouts["t3"] == "2021"
    for i, k in enumerate(select("2021", "t3", "row")):
        for j, col in enumerate(COLS):
            assert cells[("t3", k.key, col)].parsed.value == i * 10 + j
    assert all(r.method == "label" for r in m.rows if r.table_id == "t3")


def test_missing_labels_map_by_position():
    dropped = {
        "new_received",
        "denied_prohibited_by_law",
        "unable_unclear",
        "not_processed_petition",
        "other_unpaid_fee",
    }
    m, cells = _cells(_t3_text("2021", drop_labels=dropped))
    for i, k in enumerate(select("2021", "t3", "row")):
        assert cells[("t3", k.key, "total")].parsed.value == i * 10 + 6
    methods = {r.row_key: r.method for r in m.rows if r.table_id == "t3"}
    assert {k for k, v in methods.items() if v == "position"} == dropped


def test_2019_t3_detected_per_table():
    m, cells = _cells(_t3_text("2019"), year=2023)
    assert m.layouts["t3"] == "2019"
    assert ("t3", "other_processing", "total") in cells
    assert not any(k[1].startswith("other_overdue") for k in cells)


def test_label_variants_and_misprints():
    m, cells = _cells(
        _t3_text(
            "2021",
            label_of={
                "denied_prohibited_by_law": "2.其他法律行政止公开",
                "denied_security_stability": "3.危及三安全一稳定",
            },
        )
    )
    assert cells[("t3", "denied_prohibited_by_law", "total")].parsed.value == 5 * 10 + 6
    methods = {r.row_key: r.method for r in m.rows if r.table_id == "t3"}
    assert methods["denied_prohibited_by_law"] == "variant"


def test_subtotal_row_is_skipped_not_mapped():
    text = _t3_text("2021", extra_rows=[("denied_admin_query", "不予公开小计 | 9 | 9 | 9 | 9 | 9 | 9 | 9 |")])
    m, cells = _cells(text)
    assert cells[("t3", "unable_no_info", "natural_person")].parsed.value == 12 * 10
    assert not any(c.parsed.raw_text == "9" for c in m.cells if c.table_id == "t3")
    assert any(code == "row_unmapped" for _, code, _ in m.notes)


def test_t4_fifteen_values_in_order():
    _, cells = _cells(_t3_text("2021"))
    assert cells[("t4", "reconsideration", "upheld")].parsed.value == 100
    assert cells[("t4", "litigation_direct", "total")].parsed.value == 109
    assert cells[("t4", "litigation_after_reconsideration", "total")].parsed.value == 114


def test_t2_2021_and_lost_column():
    text = "\n".join(
        [
            "二、主动公开政府信息情况",
            "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
            "规章 | 22 | 235 |",
            "规范性文件 | 1 | 2 | 3 |",
            "行政许可 | 60224 |",
            "行政事业性收费 | 42.2 |",
            "三、收到和处理政府信息公开申请情况",
        ]
    )
    m, cells = _cells(text)
    assert m.layouts["t2"] == "2021"
    assert cells[("t2", "regulations", "issued")].parsed.value == 22
    assert cells[("t2", "regulations", "in_force")].parsed.value == 235
    assert ("t2", "regulations", "abolished") not in cells  # never invented
    assert cells[("t2", "normative_documents", "abolished")].parsed.value == 2
    assert cells[("t2", "admin_fees", "amount_10k_yuan")].parsed.value == 42.2
    assert any(code == "columns_missing" for _, code, _ in m.notes)


def test_t2_2019_layout_from_headers():
    text = "\n".join(
        [
            "二、主动公开政府信息情况",
            "信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |",
            "规章 | 1 | 1 | 9 |",
            "信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |",
            "行政许可 | 10 | -2 | 300 |",
            "其他对外管理服务事项 | 4 | 0 | 7 |",
            "信息内容 | 采购项目数量 | 采购总金额 |",
            "政府集中采购 | 3 | 251000元 |",
            "三、收到和处理政府信息公开申请情况",
        ]
    )
    m, cells = _cells(text, year=2020)
    assert m.layouts["t2"] == "2019"
    assert cells[("t2", "licensing", "change_this_year")].parsed.value == -2
    assert cells[("t2", "other_services", "decisions")].parsed.value == 7
    amount = cells[("t2", "procurement", "procurement_amount")].parsed
    assert amount.value == 251000 and amount.unit == "元"


def test_no_tables_found():
    m, _ = map_document(read("一、总体情况\n没有表格。".encode(), "text"), 2024)
    assert not m.cells
    assert {code for _, code, _ in m.notes} >= {"table_missing"}


def test_number_split_over_two_cells_is_joined_only_when_the_total_confirms():
    lines = _t3_text("2021").splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("（一）予以公开"))
    lines[i] = (
        "（一）予以公开 | 1 | 5 | 2 | 3 | 0 | 0 | 0 | 20 |"  # 15 split into "1 | 5": 15+2+3 = 20, no other join fits
    )
    m, cells = _cells("\n".join(lines))
    assert cells[("t3", "granted", "natural_person")].parsed.value == 15
    assert cells[("t3", "granted", "total")].parsed.value == 20
    assert any(code == "digits_joined" for _, code, _ in m.notes)
    lines[i] = "（一）予以公开 | 1 | 1 | 1 | 1 | 1 | 1 | 1 | 20 |"  # no join makes the total hold: not read
    m, cells = _cells("\n".join(lines))
    assert ("t3", "granted", "total") not in cells
