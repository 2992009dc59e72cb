"""Text dumps of report pages: one cell per line, a browser's tab-separated copy, labels and numbers
broken over lines. Real reports and generated ones are rendered as such dumps and must read back to
exactly their cells; the row rebuilder is tested on small hand-written inputs."""

from __future__ import annotations

import re
from functools import cache

import pytest

from helpers import SHARED, golden_files, load_golden
from ingest.layout import map_document
from ingest.model import Paragraph, Table
from ingest.pipeline import parse_report
from ingest.readers import read, sniff
from ingest.readers.dump import cut_run, join_split, label_units, looks_like_cell_dump, rebuild
from ingest.rules import evaluate
from transforms_text import (
    browser_tab_text,
    crlf,
    double_spaced,
    golden_diff,
    headings_dropped,
    labels_broken,
    number_split,
    one_cell_per_line,
)

# name -> Document -> bytes (number splits are tested apart: they also need a finding)
TRANSFORMS = {
    "one_cell_per_line": one_cell_per_line,
    "one_cell_per_line+labels_broken+crlf": lambda d: crlf(one_cell_per_line(labels_broken(d))),
    "browser_tab_text": browser_tab_text,
    "browser_tab_text+labels_broken": lambda d: browser_tab_text(labels_broken(d)),
    "browser_tab_text+crlf": lambda d: crlf(browser_tab_text(d)),
    "one_cell_per_line+double_spaced": lambda d: double_spaced(one_cell_per_line(d)),
}


@cache
def _real(name: str):
    gold = load_golden(SHARED / "golden" / name)
    path = SHARED / gold["source"]
    data = path.read_bytes()
    doc = read(data, sniff(data, path.name))
    original = parse_report(data, path.name).report
    return gold, doc, original


def _check(data: bytes, gold: dict, original: dict | None = None, label: str = "", name: str = "dump.txt"):
    parsed = parse_report(data, name)
    assert parsed.status != "quarantined", (label, parsed.reject)
    assert parsed.report["source_format"] == ("markdown" if name.endswith(".md") else "text")
    exact, bad, invented = golden_diff(parsed.cells, gold)
    assert not bad, (label, bad[:10])
    assert not invented, (label, invented[:10])
    assert exact > 0
    if original is not None:  # metadata read from the same narrative
        assert (parsed.report["agency_name"], parsed.report["report_year"]) == (
            original["agency_name"],
            original["report_year"],
        ), label
    return parsed


GOLDEN = [g.name for g in golden_files()] or [None]


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("golden", GOLDEN)
def test_real_report_as_text_dump(shared_corpus, golden, transform):
    gold, doc, original = _real(golden)
    _check(TRANSFORMS[transform](doc), gold, original, f"{golden} {transform}")


@pytest.mark.parametrize("golden", GOLDEN)
def test_real_report_one_cell_per_line_saved_as_markdown(shared_corpus, golden):
    """Markdown whose tables were flattened to one cell per line (headings as ``## …``) reads the same."""
    gold, doc, original = _real(golden)
    lines = one_cell_per_line(doc).decode("utf-8").splitlines()
    md = "\n".join("## " + ln if re.match(r"^[一二三四五六]、", ln) and len(ln) < 40 else ln for ln in lines)
    _check(md.encode("utf-8"), gold, original, f"{golden} markdown", name="dump.md")


@pytest.mark.parametrize("golden", GOLDEN)
def test_real_report_rows_without_section_headings(shared_corpus, golden):
    """Without the headings of parts 二-四 the rows are rebuilt the same: labels tell the table.
    (Mapping such documents onto the tables is the layout's region finder's task.)"""
    _, doc, _ = _real(golden)

    def rows(d):
        return [r for t in read(one_cell_per_line(d), "text").tables for r in t.rows]

    assert rows(headings_dropped(doc)) == rows(doc)


@pytest.mark.parametrize("nth", [0, 3])
@pytest.mark.parametrize("golden", GOLDEN)
def test_real_report_number_split_is_joined_with_a_finding(shared_corpus, golden, nth):
    """A count printed over two lines (``1`` / ``62``) is joined where the row total decides, and said so."""
    gold, doc, original = _real(golden)
    try:
        split_doc, number = number_split(doc, nth=nth)
    except LookupError:
        pytest.skip(f"{golden}: fewer than {nth + 1} multi-digit counts in balanced rows of table 三")
    parsed = _check(crlf(one_cell_per_line(labels_broken(split_doc))), gold, original, f"{golden} split {number}")
    joined = [f for f in parsed.findings if f["rule_id"] == "t3_digits_joined"]
    assert len(joined) == 1 and f"'{number[0]} {number[1:]}'" in joined[0]["message"], parsed.findings
    assert joined[0]["severity"] == "info"
    raw = {c["raw_text"] for c in parsed.cells if c["table_id"] == "t3"}
    assert f"{number[0]} {number[1:]}" in raw  # the printed break stays visible in the raw text


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from ingest.synthetic import generate

    root = tmp_path_factory.mktemp("dumpsynth")
    truth = generate(
        root,
        n_agencies=3,
        years=[2020, 2024],
        seed=5,
        formats=("html", "text"),
        quirk_rates={"blank_zero": 0.5, "missing_labels": 0.3, "legacy_t3": 0.3},
    )
    return root, truth


def _truth_gold(rep) -> dict:
    gold: dict = {"t2": {}, "t3": {}, "t4": {}}
    for key, value in rep.cells.items():
        table, rest = key.split("|", 1)
        gold[table][rest] = value
    return gold


@pytest.mark.parametrize("transform", list(TRANSFORMS) + ["number_split"])
def test_generated_reports_as_text_dump(synthetic, transform):
    root, truth = synthetic
    splits = 0
    for rep in truth:
        data = (root / rep.file).read_bytes()
        doc = read(data, sniff(data, rep.file))
        if transform == "number_split":
            try:
                doc, _ = number_split(doc)
            except LookupError:
                continue
            splits += 1
            out = one_cell_per_line(doc)
        else:
            out = TRANSFORMS[transform](doc)
        parsed = _check(out, _truth_gold(rep), label=f"{rep.file} {transform}")
        assert parsed.report["report_year"] == rep.year
        if transform == "number_split":
            assert any(f["rule_id"] == "t3_digits_joined" for f in parsed.findings)
    assert transform != "number_split" or splits > 0


# ---------------------------------------------------------------- the row rebuilder on small inputs


def _rows(lines: list[str]) -> list[list[str]]:
    return [r for t in rebuild(lines).blocks if isinstance(t, Table) for r in t.rows]


def test_labels_broken_over_lines_are_joined():
    assert label_units(["1.", "属于国家秘密"]) == ["1.属于国家秘密"]
    assert label_units(["商业", "企业", "科研", "机构"]) == ["商业企业", "科研机构"]
    assert label_units(["5.要求行政机关确认或重新", "出具已获取信息"]) == ["5.要求行政机关确认或重新出具已获取信息"]
    # a numbered line starts a new label; two known labels stay apart
    assert label_units(["（三）不予公开", "1.属于国家秘密"]) == ["（三）不予公开", "1.属于国家秘密"]
    assert label_units(["信息内容", "行政许可"]) == ["信息内容", "行政许可"]


def test_rows_rebuilt_from_one_cell_per_line():
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "申请人情况",
        "自然人",
        "法人或其他组织",
        "总计",
        "一、本年新收政府信息公开申请数量",
        "3",
        "1",
        "0",
        "0",
        "0",
        "0",
        "4",
        # the same heading number twice, a label broken after its number
        "三、本年度办理结果",
        "（三）不予公开",
        "1.",
        "属于国家秘密",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        # two rows of values after one label: the second row lost its label
        "2.其他法律行政法规禁止公开",
        *["0"] * 14,
    ]
    rows = _rows(lines)
    assert rows == [
        ["一、本年新收政府信息公开申请数量", "3", "1", "0", "0", "0", "0", "4"],
        ["1.属于国家秘密", *["0"] * 7],
        ["2.其他法律行政法规禁止公开", *["0"] * 7],
        ["", *["0"] * 7],
    ]
    paras = [b.text for b in rebuild(lines).blocks if isinstance(b, Paragraph)]
    assert "三、收到和处理政府信息公开申请情况" in paras and "三、本年度办理结果" in paras
    assert "总计" in paras  # a bare column heading labels no row


def test_split_number_joined_only_when_the_row_total_decides():
    cut = join_split(["1", "62", "0", "0", "0", "0", "0", "162"], 7)
    assert cut is not None and cut.rows == [["1 62", "0", "0", "0", "0", "0", "162"]] and cut.joined == (0, "1 62")
    # the total itself split: 16|2 is the only join that balances
    assert join_split(["160", "2", "0", "0", "0", "0", "16", "2"], 7).rows == [["160", "2", "0", "0", "0", "0", "16 2"]]
    # two joins balance (11+1 and 1+11 both make 12): ambiguous, nothing is joined
    assert join_split(["1", "1", "1", "0", "0", "0", "0", "12"], 7) is None
    # no join balances: nothing is joined
    assert join_split(["1", "2", "3", "0", "0", "0", "0", "99"], 7) is None
    # a number never starts with 0: 0|5 is not a join
    assert join_split(["0", "5", "0", "0", "0", "0", "0", "5"], 7) is None
    assert [n[1] for n in rebuild(["（一）予以公开", "0", "5", "0", "0", "0", "0", "0", "5"]).notes] == [
        "values_unread"
    ]
    # table 四: a block's four results sum to its total
    t4 = cut_run(["1", "0", "0", "0", "1", "0", "0", "0", "0", "0", "1", "2", "0", "0", "0", "12"], "t4")
    assert t4 is not None and t4.rows[2] == ["1 2", "0", "0", "0", "12"]


def test_ambiguous_split_is_not_read_and_not_invented():
    lines = ["三、收到和处理政府信息公开申请情况", "（一）予以公开", "1", "1", "1", "0", "0", "0", "0", "12"]
    out = rebuild(lines)
    assert [n[:2] for n in out.notes] == [("t3", "values_unread")]
    assert not any(isinstance(b, Table) for b in out.blocks)  # kept as text: the layout cannot re-join it
    mapping, _ = map_document(read("\n".join(["某局2024年政府信息公开工作年度报告", *lines]).encode(), "text"), 2024)
    assert not [c for c in mapping.cells if c.row_key == "granted"]


def test_printed_blanks_stay_blank_and_empty_lines_are_blank_cells():
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "（一）予以公开",
        "空",
        "—",
        "无",
        "/",
        "0",
        "0",
        "",  # 总计 printed empty: the last line
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "",
        "",
        "",
        "",
        "",
        "5",
        "5",
        "（七）总计",
        "5",
        "",
        "",
        "",
        "",
        "",
        "5",
    ]
    doc = read(("\n".join(lines) + "\n").encode(), "text")
    mapping, _ = map_document(doc, 2024)
    cells = {(c.row_key, c.col_key): c.parsed for c in mapping.cells if c.table_id == "t3"}
    granted = [
        cells[("granted", k)]
        for k in ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org", "total")
    ]
    assert all(p.is_blank and p.value is None for p in granted)
    assert cells[("granted", "legal_service_org")].value == 0 and not cells[("granted", "legal_service_org")].is_blank
    assert cells[("partially_granted", "natural_person")].is_blank
    assert cells[("partially_granted", "other_org")].value == 5
    assert cells[("total_processed", "natural_person")].value == 5
    assert cells[("total_processed", "commercial_enterprise")].is_blank


def test_split_number_becomes_a_finding():
    lines = ["三、收到和处理政府信息公开申请情况", "（一）予以公开", "1", "62", "0", "0", "0", "0", "0", "162"]
    doc = read(("\r\n".join(lines)).encode("gb18030"), "text")
    assert doc.notes and doc.notes[0][:2] == ("t3", "digits_joined")
    mapping, _ = map_document(doc, 2024)
    findings, _, _ = evaluate(mapping, doc)
    (f,) = [f for f in findings if f.rule_id == "t3_digits_joined"]
    assert "1 62" in f.message and f.severity == "info"
    cell = next(c for c in mapping.cells if (c.row_key, c.col_key) == ("granted", "natural_person"))
    assert cell.parsed.value == 162 and cell.parsed.raw_text == "1 62"


def test_browser_tab_copy_merged_cells_once_and_broken_label():
    text = (
        "三、收到和处理政府信息公开申请情况\n"
        "三、本年度办理结果\t（一）予以公开\t1\t0\t0\t0\t0\t0\t1\n"
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t2\t0\t0\t0\t0\t0\t2\n"
        "（五）不予处理\t1.信访举报投诉类申请\t0\t0\t0\t0\t0\t0\t0\n"
        "5.要求行政机关确认或重新\n出具已获取信息\t0\t\t\t\t\t0\t0\n"
    )
    doc = read((text + "沭阳县发展和改革局\t2024年1月17日\n").encode(), "text")
    (table,) = doc.tables
    assert table.rows[-1][0] == "5.要求行政机关确认或重新出具已获取信息"
    assert doc.blocks[-1] == Paragraph("沭阳县发展和改革局 2024年1月17日")  # two text cells: a signature line
    mapping, _ = map_document(doc, 2024)
    got = {(c.row_key, c.col_key): c.parsed for c in mapping.cells}
    assert got[("partially_granted", "total")].value == 2
    assert got[("not_processed_confirmation", "commercial_enterprise")].is_blank
    assert got[("not_processed_confirmation", "total")].value == 0


def test_plain_text_forms_are_kept():
    narrative = "一、总体情况\n2024年，本局认真落实政务公开工作，共发布信息120条。\n二、主动公开政府信息情况\n"
    assert not looks_like_cell_dump(narrative.splitlines())
    doc = read(narrative.encode(), "text")
    assert [type(b) for b in doc.blocks] == [Paragraph] * 3 and not doc.notes
    piped = "二、主动公开政府信息情况\n规章 | 1 | 0 | 3 |\n行政许可 | 5 |\n行政处罚 | 2 |\n"
    doc = read(piped.encode(), "text")
    assert doc.tables[0].rows[0] == ["规章", "1", "0", "3", ""] and doc.tables[0].ragged


def test_empty_label_line_between_rows_is_not_a_value():
    """A row whose label cell is empty in the dump: the empty line between two rows labels it, it is no blank value."""
    run = ["0", "", "", "", "", "", "0", "", "0", "", "", "", "1", "", "1"]
    assert cut_run(run, "t3").rows == [["0", "", "", "", "", "", "0"], ["0", "", "", "", "1", "", "1"]]
    # section unknown: fifteen values are table 四 unless they are two rows of table 三 that add up
    assert cut_run(run, None).rows == [run[:7], run[8:]]
    t4 = ["2", "0", "1", "0", "3", "1", "", "0", "0", "1", "0", "0", "0", "0", "0"]
    assert cut_run(t4, None).rows == [t4]
    # two empty label lines in a row, and a run that fits no shape at all
    two = ["0", "", "", "", "", "", "0", "", "", *["0"] * 7]
    assert cut_run(two, "t3").rows == [two[:7], two[9:]]
    assert cut_run(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"], "t3") is None


def test_table_two_number_split_is_not_read():
    """Table 二 has no total to settle a split (``60`` / ``224``): the row is left unread with a finding, never read as 60."""
    lines = [
        "二、主动公开政府信息情况",
        "第二十条第（一）项",
        "信息内容",
        "本年制发件数",
        "本年废止件数",
        "现行有效件数",
        "规章",
        "0",
        "0",
        "1",
        "第二十条第（五）项",
        "信息内容",
        "本年处理决定数量",
        "行政许可",
        "60",
        "224",
        "第二十条第（六）项",
        "信息内容",
        "本年处理决定数量",
        "行政处罚",
        "3",
        "行政强制",
        "0",
        "三、收到和处理政府信息公开申请情况",
        "（一）予以公开",
        *["1", "0", "0", "0", "0", "0", "1"],
    ]
    doc = read("\n".join(lines).encode(), "text")
    assert [n[:2] for n in doc.notes] == [("t2", "values_unread")]
    mapping, _ = map_document(doc, 2024)
    got = {(c.table_id, c.row_key, c.col_key): c.parsed.value for c in mapping.cells}
    assert ("t2", "licensing", "decisions") not in got
    assert got[("t2", "penalty", "decisions")] == 3 and got[("t3", "granted", "total")] == 1
    assert got[("t2", "regulations", "in_force")] == 1
    findings, _, _ = evaluate(mapping, doc)
    assert any(f.rule_id == "t2_values_unread" and f.severity == "warn" for f in findings)


def test_table_four_known_by_its_labels_and_its_split_joined():
    """A heading the section markers miss; the broken label 行政/复议 still says table 四, whose block total settles 1|2."""
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "（一）予以公开",
        *["1", "0", "0", "0", "0", "0", "1"],
        "四、因政府信息公开工作被申请行政复议、提起行政诉讼的情况",
        "行政",
        "复议",
        "行政诉讼",
        "结果",
        "维持",
        "总计",
        "1",
        "0",
        "0",
        "0",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "1",
        "2",
        "0",
        "0",
        "0",
        "12",
    ]
    doc = read("\n".join(lines).encode(), "text")
    assert [n[:2] for n in doc.notes] == [("t4", "digits_joined")]
    mapping, _ = map_document(doc, 2024)
    got = {(c.row_key, c.col_key): c.parsed for c in mapping.cells if c.table_id == "t4"}
    assert got[("litigation_after_reconsideration", "upheld")].value == 12
    assert got[("litigation_after_reconsideration", "upheld")].raw_text == "1 2"
    assert got[("reconsideration", "total")].value == 1
