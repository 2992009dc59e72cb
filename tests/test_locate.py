"""The region finder: tables located by content wherever they stand, columns of table 三 by its header,
copies of table 三 compared, and how each table was found shown by ``xxgk inspect``."""

from __future__ import annotations

from ingest.layout import map_document
from ingest.metadata import section_texts
from ingest.pipeline import parse_report
from ingest.readers import read
from ingest.rules import evaluate
from ingest.template import select

T3_ROWS = select("2021", "t3", "row")
T3_COLS = [c.key for c in select("2021", "t3", "column")]
NARRATIVE = [
    "某市某某局2024年政府信息公开工作年度报告",
    "本报告中所列数据的统计期限自2024年1月1日起至2024年12月31日止。",
    "一、总体情况",
    "2024年，本局认真落实政务公开要求。",
    "二、主动公开政府信息情况",
    "本年主动公开信息120条。",
    "三、收到和处理政府信息公开申请情况",
    "本年新收申请若干件。",
    "四、政府信息公开行政复议、行政诉讼情况",
    "未发生行政复议。",
    "五、存在的主要问题及改进情况",
    "公开质量仍需提高。",
    "六、其他需要报告的事项",
    "本机关未收取信息处理费。",
    "某市某某局",
    "2025年1月20日",
]


def _v(i: int, j: int) -> int:
    return i * 10 + j


def t2_lines() -> list[str]:
    return [
        "第二十条第（一）项",
        "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数",
        "规章 | 1 | 2 | 3",
        "行政规范性文件 | 4 | 5 | 6",
        "第二十条第（五）项",
        "信息内容 | 本年处理决定数量",
        "行政许可 | 700",
    ]


def t3_lines(
    value=_v, header=("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"), width=7
) -> list[str]:
    out = ["申请人情况", " | ".join(header)]
    for i, k in enumerate(T3_ROWS):
        out.append(" | ".join([k.label_zh] + [str(value(i, j)) for j in range(width)]))
    return out


def t4_lines() -> list[str]:
    return [
        "行政复议 | 行政诉讼",
        "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计",
        " | ".join(str(100 + i) for i in range(15)),
    ]


def _map(lines: list[str]):
    doc = read("\n".join(lines).encode(), "text")
    m, rows = map_document(doc, 2024)
    return doc, m, rows, {(c.table_id, c.row_key, c.col_key): c for c in m.cells}


def test_tables_after_the_signature_in_any_order_are_found_by_content():
    lines = NARRATIVE + ["附表一"] + t4_lines() + ["附表二"] + t2_lines() + ["附表三"] + t3_lines()
    doc, m, rows, cells = _map(lines)
    assert m.located == {"t2": "content", "t3": "content", "t4": "content"}
    for i, k in enumerate(T3_ROWS):
        assert [cells[("t3", k.key, c)].parsed.value for c in T3_COLS] == [_v(i, j) for j in range(7)]
    assert cells[("t2", "regulations", "in_force")].parsed.value == 3
    assert cells[("t2", "licensing", "decisions")].parsed.value == 700
    assert cells[("t4", "litigation_after_reconsideration", "total")].parsed.value == 114
    # the narrative sections stay whole and end where the tables begin
    texts = section_texts(doc, m.regions, rows)
    assert "未收取信息处理费" in texts["s6"] and "附表" not in texts["s6"] and "700" not in texts["s6"]
    assert texts["s5"] == "公开质量仍需提高。"


def test_tables_under_their_headings_are_found_by_heading():
    lines = (
        NARRATIVE[:4]
        + ["二、主动公开政府信息情况"]
        + t2_lines()
        + ["三、收到和处理政府信息公开申请情况"]
        + t3_lines()
        + ["四、政府信息公开行政复议、行政诉讼情况"]
        + t4_lines()
        + NARRATIVE[10:]
    )
    _, m, _, cells = _map(lines)
    assert m.located == {"t2": "heading", "t3": "heading", "t4": "heading"}
    assert len([c for c in cells if c[0] == "t3"]) == 25 * 7


def test_heading_repeated_as_a_table_title_is_one_report():
    """Narrative headings printed again as the first rows of tables in an appendix are not a second report."""
    lines = (
        NARRATIVE
        + ["二、主动公开政府信息情况"]
        + t2_lines()
        + ["三、收到和处理政府信息公开申请情况"]
        + t3_lines()
        + ["四、政府信息公开行政复议、行政诉讼情况"]
        + t4_lines()
    )
    parsed = parse_report("\n".join(lines).encode(), "r.txt")
    assert parsed.reject is None
    assert len([c for c in parsed.cells if c["table_id"] == "t3"]) == 25 * 7


def test_conflicting_copies_of_table_three_are_an_error():
    other = lambda i, j: _v(i, j) + (1 if (i, j) == (3, 0) else 0)  # noqa: E731
    _, m, _, cells = _map(NARRATIVE[:8] + t3_lines() + ["附表"] + t3_lines(other))
    assert cells[("t3", T3_ROWS[3].key, "natural_person")].parsed.value == _v(3, 0)  # the first copy is read
    findings, _, _ = evaluate(m)
    conflict = [f for f in findings if f.rule_id == "t3_conflicting_copies"]
    assert (
        len(conflict) == 1
        and conflict[0].severity == "error"
        and "partially_granted/natural_person" in conflict[0].message
    )
    parsed = parse_report("\n".join(NARRATIVE + t3_lines() + ["附表"] + t3_lines(other)).encode(), "r.txt")
    assert parsed.status == "parsed_with_findings"
    assert any(f["rule_id"] == "t3_conflicting_copies" and f["severity"] == "error" for f in parsed.findings)


def test_identical_copies_are_noted_not_an_error():
    _, m, _, _ = _map(NARRATIVE[:8] + t3_lines() + ["附表"] + t3_lines())
    findings, _, _ = evaluate(m)
    assert [f.severity for f in findings if "copy" in f.rule_id or "copies" in f.rule_id] == ["info"]
    assert len([c for c in m.cells if c.table_id == "t3"]) == 25 * 7


def _html_t3(header: list[str], value) -> bytes:
    """Table 三 as an HTML grid with the given leaf column headers (under 申请人情况)."""
    rows = [
        f'<tr><td rowspan="2">项目</td><td colspan="{len(header)}">申请人情况</td></tr>',
        "<tr>" + "".join(f"<td>{h}</td>" for h in header) + "</tr>",
    ]
    for i, k in enumerate(T3_ROWS):
        rows.append(
            f"<tr><td>{k.label_zh}</td>" + "".join(f"<td>{value(i, j)}</td>" for j in range(len(header))) + "</tr>"
        )
    return (
        "<html><body><p>三、收到和处理政府信息公开申请情况</p><table>" + "".join(rows) + "</table></body></html>"
    ).encode()


def test_extra_column_of_table_three_matched_by_header():
    header = ["自然人", "商业企业", "科研机构", "社会公益组织", "个体工商户", "法律服务机构", "其他", "总计"]
    for data, fmt in ((_html_t3(header, _v), "html"), ("\n".join(t3_lines(header=header, width=8)).encode(), "text")):
        m, _ = map_document(read(data, fmt), 2024)
        cells = {(c.row_key, c.col_key): c.parsed.value for c in m.cells if c.table_id == "t3"}
        assert len(cells) == 25 * 7, fmt
        for i, k in enumerate(T3_ROWS):
            assert [cells[(k.key, c)] for c in T3_COLS] == [_v(i, j) for j in (0, 1, 2, 3, 5, 6, 7)], fmt
        assert any(code == "extra_columns" for _, code, _ in m.notes)


def test_missing_column_of_table_three_is_not_invented():
    header = ["自然人", "商业企业", "科研机构", "社会公益组织", "其他", "总计"]
    m, _ = map_document(read(_html_t3(header, _v), "html"), 2024)
    cells = {(c.row_key, c.col_key): c.parsed.value for c in m.cells if c.table_id == "t3"}
    assert len(cells) == 25 * 6 and not any(col == "legal_service_org" for _, col in cells)
    assert [cells[(T3_ROWS[2].key, c)] for c in T3_COLS if c != "legal_service_org"] == [_v(2, j) for j in range(6)]
    assert any(code == "columns_missing" for t, code, _ in m.notes if t == "t3")


def test_value_with_a_scale_keeps_its_row():
    lines = t3_lines()
    lines[2] = lines[2].replace(" | 0 | ", " | 1.2万 | ", 1)
    _, m, _, cells = _map(["三、收到和处理政府信息公开申请情况"] + lines)
    cell = cells[("t3", "new_received", "natural_person")]
    assert cell.parsed.value == 12000 and cell.parsed.raw_text == "1.2万"
    assert len([c for c in cells if c[0] == "t3"]) == 25 * 7


def test_inspect_shows_how_each_table_was_found(tmp_path):
    from warehouse.inspect import inspect_file

    path = tmp_path / "r.txt"
    path.write_text("\n".join(NARRATIVE + ["附表"] + t3_lines() + t4_lines()), encoding="utf-8")
    out = inspect_file(path)
    assert "located   t3=by content, t4=by content" in out
