"""Fast paths of the readers give what their plain forms give, on awkward inputs."""

from __future__ import annotations

import re

import lxml.etree as etree
import pytest

from ingest.model import Document, Paragraph, Table
from ingest.readers import _CJK, TRADITIONAL_SHARE, _differing, _t2s, simplify_traditional
from ingest.readers import html as H


def _converts(texts: list[str]) -> bool:
    """The conversion rule in its plain order: enough CJK characters first, then enough of them changed."""
    sample = "".join(texts)[:50_000]
    cjk = sum(map(len, _CJK.findall(sample)))
    if cjk < 20:
        return False
    simplified = _t2s()(sample)
    changed = 0 if simplified == sample else _differing(sample, simplified)
    return not (changed < 5 or changed < cjk * TRADITIONAL_SHARE)


TEXTS = [
    ["abc"],  # ASCII only
    ["這個報告"],  # traditional, under 20 CJK characters
    ["這個報告的數據關於資訊公開" * 2],  # traditional, just over 20
    ["政府信息公开工作年度报告" * 30, "這個報告"],  # simplified with a few traditional characters
    ["政府信息公开工作年度报告" * 10, "這個報告的數據"],  # a share near the threshold
    ["abc 123", "no CJK at all"],
    ["報告 " * 40],
]


@pytest.mark.parametrize("texts", TEXTS)
def test_traditional_conversion_decided_as_before(texts):
    doc = Document(blocks=[Paragraph(t) for t in texts[:-1]] + [Table(rows=[[texts[-1]]])], format="html")
    simplify_traditional(doc)
    assert ("script" in doc.meta) == _converts(texts)


def test_table_texts_fall_back_where_a_row_holds_more_than_cells():
    """A row with a comment or another element among its cells is read row by row, as before."""
    table = etree.fromstring("<table><tr><td> a  b </td><td>c</td></tr><tr><td>d</td><td>e</td></tr></table>")
    table[0].insert(1, etree.Comment("note"))
    table[1].insert(1, etree.Element("span"))
    rows = list(table)
    assert H._table_texts(rows, table) is None
    grid, _ = H.table_grid(table)
    assert grid == [["a b", "c"], ["d", "e"]]


def test_table_texts_collapse_every_white_space_as_clean_does():
    cells = ["\u3000x\xa0 y\u2003", "\t\n", "z\u200bz", "1\u00852"]
    page = "<table><tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr></table>"
    table = etree.fromstring(page, etree.HTMLParser()).find(".//table")
    rows = list(table.iter("tr"))
    assert [t for _, t in H._table_texts(rows, table)[0]] == [H._clean(c) for c in cells]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("", ""),
        ("abc", "abc"),
        ("報告" * 700, "报告" * 700),  # every other character differs, across blocks and chunks
        ("x" * 2100 + "報", "x" * 2100 + "报"),  # one difference in the last, short block
        ("a" * 1500, "a" * 1000 + "b" * 700),  # a longer second text
        ("a" * 1030 + "bc", "a" * 1030),  # a shorter second text
        ("ab" * 40, "ba" * 33),
    ],
)
def test_differing_counts_as_a_position_by_position_comparison(a, b):
    assert _differing(a, b) == sum(x != y for x, y in zip(a, b))


_WS = re.compile(r"\s+")  # the white-space pattern the HTML reader collapsed with before it used str.split


def test_str_split_knows_the_white_space_of_the_readers_pattern():
    """The per-piece collapse (" ".join(text.split())) relies on str.split splitting exactly where \\s matches."""
    every = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF)  # every code point
    assert set("".join(_WS.findall(every))) == {c for c in every if c.isspace()}
    spaced = "".join(f"{c}x{c}{c}y" for c in every if c.isspace())
    assert " ".join(spaced.split()) == _WS.sub(" ", spaced).strip() == H._clean(spaced)


def test_a_text_the_converter_refuses_is_left_as_before():
    """A lone surrogate makes the converter raise: with under 20 CJK characters the text was never converted (and
    is still left alone); with more, the error shows as before."""
    few = Document(blocks=[Paragraph("報告\ud800 abc")], format="text")
    simplify_traditional(few)
    assert few.blocks[0].text == "報告\ud800 abc" and "script" not in few.meta
    many = Document(blocks=[Paragraph("這個報告的數據關於資訊公開" * 3 + "\ud800")], format="text")
    with pytest.raises(UnicodeError):
        simplify_traditional(many)
