"""The PDF reader: grids, reading order, page furniture, metadata, quarantines, real reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fixtures_build import blank_pdf, encrypted_pdf, report_pdf, t3_rows
from ingest.layout import map_document
from ingest.model import Document, Paragraph, Quarantine, Table, normalise_text
from ingest.readers import pdf as pdf_reader
from ingest.readers import read, sniff

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"


@pytest.fixture(scope="module")
def report() -> Document:
    data = report_pdf(framed_text=True)
    assert sniff(data, "report.pdf") == "pdf"
    return read(data, "pdf")


def test_table_split_over_two_pages_comes_back_as_consecutive_grids(report):
    tables = report.tables
    assert [t.index for t in tables] == [0, 1]
    assert [t.page for t in tables] == [1, 2]
    expected = [[normalise_text(c.replace("\n", "")) for c in row] for row in t3_rows()]
    header = [
        ["", "申请人情况", *["申请人情况"] * 6],
        ["", "自然人", *["法人或其他组织"] * 5, "总计"],
        ["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
    ]
    assert tables[0].rows[:3] == header
    assert tables[0].rows[3:] + tables[1].rows == expected[3:]
    assert all(t.width == 8 for t in tables)


def test_merged_cells_are_marked_covered(report):
    cov = report.tables[0].covered
    assert cov[0] == [False, False] + [True] * 6  # 申请人情况 across seven columns
    assert cov[1] == [True, False, False, True, True, True, True, False]
    assert cov[2] == [True, True, False, False, False, False, False, True]
    assert not any(any(row) for row in cov[3:])
    assert not any(any(row) for row in report.tables[1].covered)


def test_cell_lines_are_joined_without_separator(report):
    assert report.tables[0].rows[2][2:6] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构"]


def test_headings_are_paragraphs_in_reading_order(report):
    kinds = []
    for block in report.blocks:
        if isinstance(block, Table):
            kinds.append(f"table{block.index}")
        elif block.text.startswith(("一、", "二、", "三、", "四、")):
            kinds.append(block.text[:2])
    assert kinds == ["一、", "二、", "三、", "table0", "table1", "四、"]
    last = [b for b in report.blocks if isinstance(b, Paragraph)][-1]
    assert (last.text, last.page) == ("本年未发生行政复议、行政诉讼。", 2)


def test_page_footers_are_dropped(report):
    assert not any(re.search(r"—\s*\d+\s*—", p) for p in report.lines())


def test_framed_body_text_becomes_paragraphs(report):
    lines = report.lines()
    i = lines.index("框内正文第一行,说明主动公开情况。")  # NFKC: the full-width comma folds
    assert lines[i + 1] == "框内正文第二行。"
    assert len(report.tables) == 2


def test_metadata_is_decoded(report):
    assert report.meta["pdf:Title"] == "某某局2024年政府信息公开工作年度报告"
    assert report.meta["pdf:Author"] == "某某局"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", report.meta["pdf:CreationDate"])
    assert report.meta["pdf:pages"] == "2"


def test_metadata_strings_utf16_or_dropped():
    assert pdf_reader._decode_meta(b"\xff\xfe" + "洪泽区人民政府".encode("utf-16-le")) == "洪泽区人民政府"
    assert pdf_reader._decode_meta(b"\xfe\xff" + "年度报告".encode("utf-16-be")) == "年度报告"
    assert pdf_reader._decode_meta(b"\xff\xfe\x00\xd8") is None  # a lone surrogate
    assert pdf_reader._decode_meta(b"\x01\x02garbage") is None
    assert pdf_reader._pdf_date("D:20240226144123+06'41'") == "2024-02-26"
    assert pdf_reader._pdf_date("D:20241399") is None


@pytest.mark.parametrize("line", ["— 5 —", "- 5 -", "－ 12 －", "第 5 页", "第5页 共12页", "5/12", "5 / 12"])
def test_footer_patterns(line):
    assert pdf_reader.is_footer(line, 400, 410, 842)


@pytest.mark.parametrize("line", ["一、总体情况", "行政许可 550", "2023", "21 0 0 0 0 0 21"])
def test_not_footers_in_the_body(line):
    assert not pdf_reader.is_footer(line, 400, 410, 842)


def test_bare_page_number_dropped_only_in_margins():
    assert pdf_reader.is_footer("5", 800, 810, 842)
    assert not pdf_reader.is_footer("5", 400, 410, 842)


def test_no_text_layer_is_quarantined():
    with pytest.raises(Quarantine) as exc:
        read(blank_pdf(), "pdf")
    assert exc.value.reason == "no_text_layer"


def test_ocr_fallback_hook_is_tried_before_quarantine(monkeypatch):
    seen = []

    def ocr(data: bytes) -> Document:
        seen.append(len(data))
        return Document(blocks=[Paragraph("OCR text")], format="pdf")

    monkeypatch.setattr(pdf_reader, "OCR_FALLBACK", ocr)
    monkeypatch.setattr(pdf_reader, "OCR_PAGE", None)  # the page-by-page OCR reader, where installed
    doc = read(blank_pdf(), "pdf")
    assert doc.lines() == ["OCR text"] and seen


def test_encrypted_pdf_is_quarantined():
    with pytest.raises(Quarantine) as exc:
        read(encrypted_pdf(), "pdf")
    assert exc.value.reason == "encrypted"


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_truncated_pdf_is_quarantined(cut):
    data = report_pdf()
    with pytest.raises(Quarantine) as exc:
        read(data[: int(len(data) * cut)], "pdf")
    assert exc.value.reason == "corrupt_pdf"


def test_garbage_pdf_is_quarantined():
    with pytest.raises(Quarantine) as exc:
        read(b"%PDF-1.4\nnot a pdf body\n%%EOF\n", "pdf")
    assert exc.value.reason == "corrupt_pdf"


# ---------------------------------------------------------------- real reports


def _real_reports() -> list:
    golden = sorted((CORPUS / "golden").glob("*.json")) if CORPUS.is_dir() else []
    params = [
        pytest.param(g, id=g.stem)
        for g in golden
        if json.loads(g.read_text(encoding="utf-8"))["source"].endswith(".pdf")
    ]
    return params or [pytest.param(None, id="corpus", marks=pytest.mark.skip(reason="../shared/corpus is absent"))]


@pytest.mark.parametrize("golden_path", _real_reports())
def test_real_report_matches_golden(golden_path):
    gold = json.loads(golden_path.read_text(encoding="utf-8"))
    source = CORPUS / gold["source"]
    if not source.is_file():
        pytest.skip(f"{gold['source']} is absent")
    data = source.read_bytes()
    doc = read(data, sniff(data, source.name))
    mapping, _ = map_document(doc, gold["report_year"])
    got = {(c.table_id, c.row_key, c.col_key): c.parsed for c in mapping.cells}
    wrong = []
    for table in ("t2", "t3", "t4"):
        for key, want in gold[table].items():
            row, col = key.split("|")
            parsed = got.pop((table, row, col), None)
            if parsed is None:
                wrong.append((table, key, want, "missing"))
            elif want is None:
                if not parsed.is_blank:
                    wrong.append((table, key, want, parsed.raw_text))
            elif parsed.value is None or abs(parsed.value - want) > 1e-9:
                wrong.append((table, key, want, parsed.raw_text))
    unknown = {tuple(u.split("|")) for u in gold.get("unknown", [])}
    invented = [(k, p.raw_text) for k, p in got.items() if k not in unknown and p.value]
    assert wrong == []
    assert invented == []
