"""Markdown from PDF converters: split labels, broken headers, split tables, generic headers, footers."""

from ingest.layout import map_document
from ingest.readers import read
from ingest.template import select

ROWS = select("2021", "t3", "row")


def _md_t3(row_text) -> str:
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "| 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 |",
        "|---|---|---|---|---|---|",
        "| 自然人 | 商业企/业 | 科研机/构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
    ]
    for i, k in enumerate(ROWS):
        if i == 12:  # the table breaks, a page footer and a heading sit between the halves
            lines += ["", "— 5 —", "## 表三：收到和处理政府信息公开申请情况", "| a | b |", "|---|---|"]
        lines.append(row_text(i, k))
    lines += [
        "",
        "四、政府信息公开行政复议、行政诉讼情况",
        "| 维持 | 纠正 | 结果 | 审结 | 总计 | 总计 |",
        "|---|---|---|---|---|---|",
        "| " + " | ".join(str(i) for i in range(15)) + " |",
        "| — 6 — |",
    ]
    return "\n".join(lines)


def _vals(i: int) -> str:
    return " | ".join(str(i * 7 + j) for j in range(7))


def test_split_merged_labels_and_generic_headers():
    def row(i, k):
        if k.key == "denied_third_party":
            return f"| （三）不 | 4.保护第三方合法权益 | {_vals(i)} |"
        if k.key == "denied_internal_affairs":
            return f"| 予公开 | 5.属于三类内部事务信息 | {_vals(i)} |"
        if k.key == "other_overdue_correction":
            return f"| 行政机关不再处理其政府信息公 | {_vals(i)} |"
        if k.key == "other_unpaid_fee":
            return f"| 缴纳费用、 | 行政机关不再处理其政 | {_vals(i)} |"
        if k.key == "partially_granted":
            return f"| {_vals(i)} |"
        return f"| {k.label_zh} | {_vals(i)} |  |"

    m, _ = map_document(read(_md_t3(row).encode(), "markdown"), 2025)
    cells = {(c.row_key, c.col_key): c.parsed.value for c in m.cells if c.table_id == "t3"}
    assert m.layouts["t3"] == "2021"
    for i, k in enumerate(ROWS):
        assert cells[(k.key, "natural_person")] == i * 7
        assert cells[(k.key, "total")] == i * 7 + 6
    t4 = {(c.row_key, c.col_key): c.parsed.value for c in m.cells if c.table_id == "t4"}
    assert t4[("reconsideration", "upheld")] == 0 and t4[("litigation_after_reconsideration", "total")] == 14


def test_footer_rows_inside_tables_are_not_data():
    def row(i, k):
        line = f"| {k.label_zh} | {_vals(i)} |"
        return line + ("\n| — 3 — |" if i == 5 else "")

    m, _ = map_document(read(_md_t3(row).encode(), "markdown"), 2025)
    assert len([c for c in m.cells if c.table_id == "t3"]) == 25 * 7
    assert not [n for n in m.notes if n[1] == "row_unmapped"]
