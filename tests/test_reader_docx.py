"""The DOCX reader: body order, merged cells, nested tables, quarantine."""

from __future__ import annotations

import io
import zipfile

import pytest

from fixtures_build import docx_bytes
from ingest.model import Paragraph, Quarantine, Table
from ingest.readers import read, sniff


def _report(document) -> None:
    document.add_paragraph("二、主动公开政府信息情况")
    t2 = document.add_table(rows=3, cols=4)
    for c, text in enumerate(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]):
        t2.cell(0, c).text = text
    for c, text in enumerate(["规章", "1", "0", "11"]):
        t2.cell(1, c).text = text
    t2.cell(2, 0).text = "第二十条第（五）项"
    t2.cell(2, 0).merge(t2.cell(2, 3))  # a caption row across the table
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    t3 = document.add_table(rows=4, cols=4)
    t3.cell(0, 1).text = "申请人情况"
    t3.cell(0, 1).merge(t3.cell(0, 3))  # colspan 3
    t3.cell(1, 1).text = "自然人"
    t3.cell(1, 2).text = "商业"
    t3.cell(1, 2).add_paragraph("企业")  # two paragraphs in one cell
    t3.cell(1, 3).text = "总计"
    t3.cell(2, 0).text = "三、本年度办理结果"
    t3.cell(2, 0).merge(t3.cell(3, 0))  # rowspan 2
    for r, vals in ((2, ["5", "0", "5"]), (3, ["1", "—", "1"])):
        for c, v in enumerate(vals, start=1):
            t3.cell(r, c).text = v
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")


@pytest.fixture(scope="module")
def report():
    data = docx_bytes(_report)
    assert sniff(data, "report.docx") == "docx"
    return read(data, "docx")


def test_body_order_is_kept(report):
    kinds = [b.text[:2] if isinstance(b, Paragraph) else f"table{b.index}" for b in report.blocks]
    assert kinds == ["二、", "table0", "三、", "table1", "四、"]
    assert report.format == "docx"


def test_colspan_repeats_text_and_marks_covered(report):
    t2 = report.tables[0]
    assert t2.rows[2] == ["第二十条第(五)项"] * 4  # the document's text is NFKC: full-width brackets fold
    assert t2.covered[2] == [False, True, True, True]
    assert t2.rows[1] == ["规章", "1", "0", "11"]
    assert not any(t2.covered[0]) and not any(t2.covered[1])


def test_rowspan_and_colspan_grid(report):
    t3 = report.tables[1]
    assert t3.rows == [
        ["", "申请人情况", "申请人情况", "申请人情况"],
        ["", "自然人", "商业企业", "总计"],
        ["三、本年度办理结果", "5", "0", "5"],
        ["三、本年度办理结果", "1", "—", "1"],
    ]
    assert t3.covered == [
        [False, False, True, True],
        [False, False, False, False],
        [False, False, False, False],
        [True, False, False, False],
    ]


def _nested(document) -> None:
    document.add_paragraph("前文")
    outer = document.add_table(rows=2, cols=2)
    outer.cell(0, 0).text = "外层左"
    outer.cell(0, 1).text = "外层右"
    outer.cell(1, 0).text = "含内表"
    inner = outer.cell(1, 0).add_table(rows=2, cols=2)
    for r in range(2):
        for c in range(2):
            inner.cell(r, c).text = f"内{r}{c}"
    inner.cell(0, 0).merge(inner.cell(1, 0))
    outer.cell(1, 1).text = "9"
    document.add_paragraph("后文")


def test_nested_table_follows_outer_and_is_not_in_its_cell():
    doc = read(docx_bytes(_nested), "docx")
    kinds = [b.text if isinstance(b, Paragraph) else f"table{b.index}" for b in doc.blocks]
    assert kinds == ["前文", "table0", "table1", "后文"]
    outer, inner = doc.tables
    assert outer.rows == [["外层左", "外层右"], ["含内表", "9"]]
    assert inner.rows == [["内00内10", "内01"], ["内00内10", "内11"]]
    assert inner.covered == [[False, False], [True, False]]


def test_line_breaks_split_body_paragraphs():
    def build(document):
        p = document.add_paragraph("第一行")
        p.add_run().add_break()
        p.add_run("第二行")
        document.add_paragraph("")  # empty paragraphs are dropped

    doc = read(docx_bytes(build), "docx")
    assert doc.lines() == ["第一行", "第二行"]


def test_metadata_from_core_properties():
    def build(document):
        document.core_properties.title = "2024年政府信息公开工作年度报告"
        document.add_paragraph("正文")

    doc = read(docx_bytes(build), "docx")
    assert doc.meta["docx:title"] == "2024年政府信息公开工作年度报告"
    assert len(doc.meta["docx:created"]) == 10


def test_truncated_docx_is_quarantined():
    data = docx_bytes(_report)
    with pytest.raises(Quarantine) as exc:
        read(data[: len(data) // 2], "docx")
    assert exc.value.reason == "corrupt_docx"


def test_broken_document_xml_is_quarantined():
    src = zipfile.ZipFile(io.BytesIO(docx_bytes(_report)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            payload = src.read(item)
            out.writestr(item, b"<w:document><w:body>" if item.filename == "word/document.xml" else payload)
    with pytest.raises(Quarantine) as exc:
        read(buf.getvalue(), "docx")
    assert exc.value.reason == "corrupt_docx"


def test_tables_are_grids_not_ragged(report):
    assert all(isinstance(t, Table) and not t.ragged and t.page is None for t in report.tables)
