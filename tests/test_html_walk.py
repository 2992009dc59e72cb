"""The HTML reader's one-pass serialisation gives the blocks of an element-by-element walk."""

from __future__ import annotations

import lxml.etree as etree
import pytest

from ingest.readers import html as H

PAGES = [
    "<html><body><p>一、总体情况</p>text after<div>a<span>20</span><span>23</span>年<br>b</div>tail</body></html>",
    "<body><table><tr><td>x</td><td rowspan=2>y</td></tr><tr><td>z</td></tr></table>after table<table></table>"
    "<table><tr><td><table><tr><td>inner</td></tr></table>outer cell</td></tr></table>end</body>",
    "<DIV>Upper<P>case</P>tags</DIV><UL><LI>one<LI>two</UL><h2>head</h2>&nbsp;&#12288;x",
    "<table>stray text<tr><td>1</td><!-- c --><td>2</td></tr></table><p>after <b>bold <i>it</i></b> end</p>",
    "plain text only, no tags at all",
    "<body><div><span>inline <div>block in inline</div> back</span></div><pre>  pre\n  text </pre></body>",
    "<html><head><title>T</title></head><body><section><article>a</article><footer>f</footer></section></body></html>",
    "<body><table><tr><th>h</th></tr><tbody><tr><td>b</td></tr></tbody><tfoot><tr><td>f</td></tr></tfoot></table></body>",
]


def _start(text: str):
    root = etree.fromstring(text, etree.HTMLParser(huge_tree=True, recover=True, remove_comments=True, remove_pis=True))
    etree.strip_elements(root, *H._SKIP_TAGS, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    body = root.find("body")
    return body if body is not None else root


@pytest.mark.parametrize("page", PAGES)
def test_serialised_blocks_equal_the_walk(page):
    assert H._blocks(_start(page), page) == H._walk(_start(page))
    assert H._walk(_start(page)), "every page has a block"


def test_generated_and_real_pages(tmp_path):
    from helpers import SHARED
    from ingest.synthetic import generate

    generate(tmp_path, n_agencies=2, years=[2020, 2024], seed=4, formats=("html",))
    pages = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "reports").rglob("*.html"))]
    pages += [p.read_text(encoding="utf-8") for p in sorted((SHARED / "raw").glob("*.htm*"))] if SHARED.is_dir() else []
    assert pages
    for page in pages:
        page = H.re.sub(r"^\s*<\?xml[^>]*\?>", "", page)
        assert H._blocks(_start(page), page) == H._walk(_start(page))


def test_a_page_holding_a_mark_is_walked():
    page = f"<p>a{H._BREAK}b</p><p>{H._TABLE}0</p><table><tr><td>1</td></tr></table>"
    blocks = H._blocks(_start(page), page)
    assert blocks == H._walk(_start(page))
    assert [b.text for b in blocks if isinstance(b, H.Paragraph)] == [f"a{H._BREAK}b", f"{H._TABLE}0"]


def test_a_table_holding_the_row_and_cell_marks_reads_as_printed():
    """A cell whose text holds the marks the one-pass table read places is read row by row, unchanged."""
    page = (
        f"<table><tr><td>a{H._SEP}b</td><td rowspan=2>{H._ROW}</td></tr><tr><td> x  y </td></tr>"
        "<tr><td colspan=2>3</td></tr></table>"
    )
    table = _start(page).find(".//table")
    grid, covered = H.table_grid(table)
    assert grid == [[f"a{H._SEP}b", H._ROW], ["x y", H._ROW], ["3", "3"]]
    assert covered == [[False, False], [False, True], [False, True]]


def test_one_pass_table_read_equals_row_by_row():
    """The table serialised once gives each row's cells as the row-by-row read does (spans, white space, tails)."""
    page = (
        "<table>lead<tbody><tr> t <td>1&nbsp; 2</td>mid<td><span>20</span><span>23</span></td>\n</tr>"
        "<tr><th>\u3000h </th><td></td></tr></tbody><tr><td>z</td></tr></table>"
    )
    table = _start(page).find(".//table")
    rows = [tr for tr in table.iter("tr")]
    one_pass = [[t for _, t in row] for row in H._table_texts(rows, table)]
    by_row = [[t for _, t in H._row_cells(tr)] for tr in rows]
    assert one_pass == by_row == [["1 2", "2023"], ["h", ""], ["z"]]
