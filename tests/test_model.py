"""The document model's two contracts: one span resolution (``build_grid``) and one text normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ingest.readers as readers
from fixtures_build import docx_bytes
from ingest.model import (
    Document,
    Paragraph,
    Quarantine,
    SpanCell,
    Table,
    build_grid,
    normalise_document,
    normalise_text,
)
from ingest.readers import read

# ---------------------------------------------------------------- build_grid


def test_spans_repeat_their_text_and_mark_the_copies_covered():
    g = build_grid(
        [SpanCell(0, 0, "a", rowspan=2), SpanCell(0, 1, "b", colspan=2), SpanCell(1, 1, "c"), SpanCell(1, 2, "d")]
    )
    assert g.rows == [["a", "b", "b"], ["a", "c", "d"]]
    assert g.covered == [[False, False, True], [True, False, False]]
    assert g.owners == [[0, 1, 1], [0, 2, 3]]


def test_overlapping_spans_each_cell_keeps_its_own_position_and_the_first_span_wins():
    cells = [
        SpanCell(0, 0, "big", rowspan=2, colspan=2),
        SpanCell(1, 1, "own"),  # stands inside big's span: keeps its position
        SpanCell(0, 2, "wide", rowspan=2),
        SpanCell(1, 0, "late", colspan=3),
    ]  # starts on big's span, reaches wide's: takes nothing
    g = build_grid(cells)
    assert g.rows == [["big", "big", "wide"], ["late", "own", "wide"]]
    assert g.covered == [[False, True, False], [False, False, True]]


def test_spans_past_the_edge_stop_at_the_given_size_and_grow_the_grid_otherwise():
    cells = [SpanCell(0, 0, "x", rowspan=9, colspan=5), SpanCell(1, 0, "y")]
    cut = build_grid(cells, n_rows=2, width=3)
    assert cut.rows == [["x", "x", "x"], ["y", "x", "x"]]
    assert cut.covered == [[False, True, True], [False, True, True]]
    grown = build_grid([SpanCell(0, 0, "x", rowspan=2, colspan=3)])
    assert grown.rows == [["x"] * 3] * 2
    assert build_grid([SpanCell(5, 0, "gone")], n_rows=2).rows == [[], []]  # a row past the last is dropped


def test_ragged_rows_are_padded_and_holes_are_covered_only_when_asked():
    cells = [SpanCell(0, 0, "a"), SpanCell(0, 1, "b"), SpanCell(0, 2, "c"), SpanCell(1, 0, "d")]
    g = build_grid(cells)
    assert g.rows == [["a", "b", "c"], ["d", "", ""]]
    assert g.covered[1] == [False, False, False] and g.owners[1] == [3, None, None]
    assert build_grid(cells, holes_covered=True).covered[1] == [False, True, True]


def test_cells_without_a_column_flow_past_the_rowspans_above():
    """The HTML table model: a rowspan from above pushes the cells of later rows right."""
    g = build_grid(
        [
            SpanCell(0, None, "h", rowspan=3),
            SpanCell(0, None, "1"),
            SpanCell(1, None, "2"),
            SpanCell(2, None, "3", colspan=2),
        ],
        n_rows=3,
    )
    assert g.rows == [["h", "1", ""], ["h", "2", ""], ["h", "3", "3"]]
    assert g.covered == [[False, False, False], [True, False, False], [True, False, True]]


def test_parts_of_one_merged_cell_and_dropped_columns():
    """A vertical merge whose parts differ in width is one cell; a dropped column never holds its text first."""
    cells = [
        SpanCell(0, 0, "m", colspan=2, merge="tc"),
        SpanCell(0, 2, "n"),
        SpanCell(1, 0, "m", colspan=3, merge="tc"),
    ]
    g = build_grid(cells)
    assert g.rows == [["m", "m", "n"], ["m", "m", "m"]]
    assert g.covered == [[False, True, False], [True, True, True]]
    dropped = build_grid(cells, drop_cols={0})
    assert dropped.rows == [["m", "n"], ["m", "m"]]
    assert dropped.covered == [[False, False], [True, True]]


def test_the_size_check_runs_before_each_cell_is_placed():
    seen = []

    def check(rows: int, cols: int) -> None:
        seen.append((rows, cols))
        if rows * cols > 100:
            raise Quarantine("too_many_cells", f"{rows} x {cols}")

    cells = iter([SpanCell(0, None, "a", colspan=5), SpanCell(0, None, "b", colspan=10**6)])
    with pytest.raises(Quarantine):
        build_grid(cells, n_rows=4, check=check)
    assert seen == [(4, 5), (4, 5 + 10**6)]


def test_html_and_docx_resolve_the_same_merges_alike():
    """Both readers hand their cells to the one builder: the same merged table gives the same grid."""
    html = (
        "<table><tr><td rowspan=2>项目</td><td colspan=2>申请人</td><td>总计</td></tr>"
        "<tr><td>自然人</td><td>法人</td><td>9</td></tr><tr><td>新收</td><td>1</td><td>2</td><td>3</td></tr></table>"
    )

    def build(document) -> None:
        t = document.add_table(rows=3, cols=4)
        texts = [["项目", "申请人", "", "总计"], ["", "自然人", "法人", "9"], ["新收", "1", "2", "3"]]
        for r, row in enumerate(texts):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
        t.cell(0, 1).merge(t.cell(0, 2))
        t.cell(0, 0).merge(t.cell(1, 0))

    h = read(html.encode(), "html").tables[0]
    d = read(docx_bytes(build), "docx").tables[0]
    assert (
        h.rows
        == d.rows
        == [["项目", "申请人", "申请人", "总计"], ["项目", "自然人", "法人", "9"], ["新收", "1", "2", "3"]]
    )
    assert h.covered == d.covered == [[False, False, True, False], [True, False, False, False], [False] * 4]


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "raw,want",
    [
        ("号 ， 邮 编", "号,邮编"),  # justified CJK text, then the full-width comma folds
        ("（ 一 ） 行 政 许 可", "(一)行政许可"),  # the numbering stays whole
        ("１２３", "123"),
        ("⽂件", "文件"),  # a Kangxi radical some PDF producers print for 文
        ("中\u3000文", "中文"),
        ("  a \t b\u3000c\xa0 ", "a b c"),
        ("Page 5 of 12", "Page 5 of 12"),
        ("行政许可 12", "行政许可 12"),  # a space beside a digit is kept
        ("", ""),
    ],
)
def test_normalise_text(raw, want):
    assert normalise_text(raw) == want


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet=st.sampled_from(list("号邮编中文　 \xa0\t（）一１２，,⽂ab㊀①¨")), max_size=30),
    )
)
def test_normalising_normalised_text_changes_nothing(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


def test_html_gets_the_cjk_clean_up_of_the_other_readers():
    page = (
        "<html><head><title>政 府 信 息 公 开 年 度 报 告</title></head><body><p>一、总 体 情 况</p>"
        "<table><tr><td>自 然 人</td><td>１２</td></tr></table></body></html>"
    )
    doc = read(page.encode(), "html")
    assert doc.lines() == ["一、总体情况"]
    assert doc.tables[0].rows == [["自然人", "12"]]
    assert doc.meta["title"] == "政府信息公开年度报告"


def test_every_reader_output_is_normalised_once_by_the_registry(monkeypatch):
    calls = []

    def counting(doc: Document) -> Document:
        calls.append(doc.format)
        return normalise_document(doc)

    monkeypatch.setattr(readers, "normalise_document", counting)
    page = "<p>二、主 动 公 开</p><table><tr><td>规 章</td><td>１</td></tr></table>"
    docs = [
        read(page.encode(), "html"),
        read("二、主 动 公 开\n| 规 章 | １ |\n| a | b |\n| c | d |\n".encode(), "markdown"),
    ]
    assert calls == ["html", "markdown"]
    for doc in docs:
        assert doc.lines() == ["二、主动公开"] and doc.tables[0].rows[0] == ["规章", "1"]
        again = Document(
            blocks=[
                Paragraph(b.text) if isinstance(b, Paragraph) else Table([list(r) for r in b.rows]) for b in doc.blocks
            ],
            format=doc.format,
            meta=dict(doc.meta),
        )
        normalise_document(again)
        assert [getattr(b, "text", None) or b.rows for b in again.blocks] == [
            getattr(b, "text", None) or b.rows for b in doc.blocks
        ]


def test_raw_text_keeps_what_the_source_prints_while_values_read_the_normalised_text(tmp_path):
    """Full-width digits (as some editors print them) are read as numbers, and the lake's raw_text stays as printed."""
    from ingest.pipeline import parse_report
    from ingest.synthetic import generate
    from transforms import full_width, to_html

    truth = generate(tmp_path, n_agencies=1, years=[2024], seed=3, formats=("html",), quirk_rates={})[0]
    doc = read((tmp_path / truth.file).read_bytes(), "html")
    parsed = parse_report(to_html(full_width(doc)), "report.html")
    cells = parsed.cell_columns
    printed = [(r, v) for r, v in zip(cells["raw_text"], cells["value"]) if r and v is not None and v >= 10]
    assert printed, "the generated report has multi-digit cells"
    for raw, value in printed:
        assert raw.isdigit() and all("０" <= ch <= "９" for ch in raw), raw  # printed full-width
        assert float(normalise_text(raw)) == value


def test_row_grid_equals_build_grid_on_random_html_tables():
    """The HTML reader's row-by-row span resolution gives build_grid's texts and covered flags, holes included."""
    import random

    from ingest.model import build_row_grid

    rnd = random.Random(7)
    for _ in range(400):
        n = rnd.randint(0, 6)
        rows = [
            [
                (rnd.choice(["", "a", "1", "x y"]), rnd.randint(1, max(1, min(3, n - r))), rnd.randint(1, 3))
                for _ in range(rnd.randint(0, 4))
            ]
            for r in range(n)
        ]
        cells = [SpanCell(r, None, t, rs, cs) for r, row in enumerate(rows) for t, rs, cs in row]
        want = build_grid(cells, n)
        seen_fast: list = []
        seen_slow: list = []
        assert build_row_grid(rows, check=lambda a, b, seen=seen_fast: seen.append((a, b))) == (want.rows, want.covered)
        build_grid(cells, n, check=lambda a, b, seen=seen_slow: seen.append((a, b)))
        assert seen_fast == list(dict.fromkeys(seen_slow))  # the same sizes, each once
