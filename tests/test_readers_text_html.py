"""Text and HTML readers: grids, spans, split digits, encodings."""

import pytest

from ingest.model import Paragraph, Quarantine
from ingest.readers import read, sniff


def test_html_rowspan_colspan_and_split_digits():
    html = """<html><head><meta charset="utf-8"><title>t</title></head><body>
    <p>三、收到和处理政府信息公开申请情况</p>
    <table><tr><td rowspan="2">组</td><td colspan="2">合并</td></tr>
    <tr><td><span>20</span><span>23</span></td><td><font>&nbsp;</font><o:p></o:p></td></tr></table></body></html>"""
    doc = read(html.encode(), "html")
    (table,) = doc.tables
    assert table.rows == [["组", "合并", "合并"], ["组", "2023", ""]]
    assert table.covered == [[False, False, True], [True, False, False]]
    assert isinstance(doc.blocks[0], Paragraph) and doc.blocks[0].text.startswith("三、")


def test_html_gbk_without_declared_charset():
    html = "<html><body><p>三、收到和处理政府信息公开申请情况</p><table><tr><td>自然人</td></tr></table></body></html>"
    doc = read(html.encode("gbk"), "html")
    assert doc.tables[0].rows == [["自然人"]]
    assert doc.encoding == "gb18030"


def test_nested_layout_table_keeps_inner_table():
    html = "<table><tr><td>外<table><tr><td>1</td><td>2</td></tr></table></td></tr></table>"
    doc = read(html.encode(), "html")
    assert [t.rows for t in doc.tables] == [[["1", "2"]]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_text_encodings(encoding):
    text = "二、主动公开政府信息情况\n规章 | 1 | 0 | 3 |\n"
    doc = read(text.encode(encoding), "text")
    assert doc.tables[0].rows == [["规章", "1", "0", "3", ""]]
    assert doc.tables[0].ragged


def test_markdown_separators_and_pipes():
    md = "## 表三\n| 自然人 | 总计 |\n|---|---|\n| 1 | 1 |\n"
    doc = read(md.encode(), "markdown")
    assert doc.tables[0].rows == [["自然人", "总计"], ["1", "1"]]
    assert doc.blocks[0] == Paragraph("表三")


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"PK\x03\x04 zip", "archive"),
        (b"\x00\x01\x02binary" * 50, "binary"),
        (b"\x1f\x8b\x08gzip", "unsupported_format"),
    ],
)
def test_sniff_rejects(data, reason):
    with pytest.raises(Quarantine) as e:
        sniff(data, "x.txt")
    assert e.value.reason == reason


def test_sniff_by_content_not_extension():
    assert sniff(b"<!DOCTYPE html><html></html>", "report.txt") == "html"
    assert sniff(b"%PDF-1.7 ...", "report.html") == "pdf"
    assert sniff("规章 | 1 |".encode(), "report.md") == "markdown"
    assert sniff("规章 | 1 |".encode(), "report.txt") == "text"


def test_script_check_counts_differing_positions_block_by_block():
    import random

    from ingest.readers import _differing

    rnd = random.Random(5)
    for _ in range(300):
        a = "".join(rnd.choice("繁简体字") for _ in range(rnd.randint(0, 3000)))
        b = list(a)
        for _ in range(rnd.randint(0, 4)):
            if b:
                b[rnd.randrange(len(b))] = "x"
        b = "".join(b)[: rnd.randint(0, len(b))] if rnd.random() < 0.3 else "".join(b)
        assert _differing(a, b) == sum(map(str.__ne__, a, b))
