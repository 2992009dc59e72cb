"""The PDF reader's PDFium geometry: the same objects and Documents as pdfminer's layout, and its fallback."""

from __future__ import annotations

import io
import random

import pdfplumber
import pypdfium2
import pytest
from pdfplumber.utils import dedupe_chars as plumber_dedupe

from fixtures_build import _cjk_font, report_pdf
from ingest.readers import pdf as pdf_reader
from ingest.readers import pdf_geometry

KEYS = {
    "char": ("text", "x0", "x1", "top", "bottom", "doctop", "size", "upright"),
    "rect": ("x0", "x1", "top", "bottom", "doctop"),
    "line": ("x0", "x1", "top", "bottom", "doctop"),
    "curve": ("x0", "x1", "top", "bottom", "doctop", "pts"),
}


def _close(a, b) -> bool:
    if isinstance(a, (str, bool)):
        return a == b
    if isinstance(a, list):
        return len(a) == len(b) and all(abs(p - q) <= 1e-3 for u, v in zip(a, b) for p, q in zip(u, v))
    return abs(a - b) <= 1e-3


def _mismatches(data: bytes) -> list[str]:
    """Per page, where PDFium's objects differ from pdfminer's (through pdfplumber); a page not modelled counts."""
    out = []
    doc = pdf_geometry.open_document(data)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for i, page in enumerate(pdf.pages):
            descents = pdf_geometry.font_descents(pdf_reader._page_fonts(page))
            ours = pdf_geometry.page_objects(doc, i, page.page_number, page.initial_doctop, descents)
            if ours is None:
                out.append(f"page {i + 1}: not modelled")
                continue
            theirs = {k: v for k, v in page.objects.items() if k in KEYS}
            if set(ours) != set(theirs):
                out.append(f"page {i + 1}: kinds {sorted(ours)} != {sorted(theirs)}")
            for kind, objs in theirs.items():
                mine = ours.get(kind, [])
                if len(mine) != len(objs):
                    out.append(f"page {i + 1}: {len(mine)} {kind} != {len(objs)}")
                    continue
                for a, b in zip(objs, mine):
                    bad = [k for k in KEYS[kind] if not _close(a[k], b[k])]
                    if bad:
                        out.append(f"page {i + 1}: {kind} {a.get('text', '')} {bad}")
                        break
    doc.close()
    return out


def _same_document(data: bytes) -> None:
    fast = pdf_reader.read_pdf(data)
    with pdf_reader._quiet_pdfminer():
        slow = pdf_reader._read_pdf(data, fast=False)
    assert fast.meta == slow.meta
    assert fast.blocks == slow.blocks


@pytest.fixture(scope="module")
def generated_pdfs(tmp_path_factory) -> list[bytes]:
    from ingest.synthetic import generate

    root = tmp_path_factory.mktemp("geometry")
    generate(root, n_agencies=1, years=[2020, 2024], seed=5, formats=("pdf",))
    files = sorted((root / "reports").rglob("*.pdf"))
    assert len(files) == 2
    return [p.read_bytes() for p in files]


def test_generated_pdfs_objects_and_documents_equal_pdfminers(generated_pdfs):
    for data in generated_pdfs:
        assert _mismatches(data) == []
        _same_document(data)


def test_fixture_report_objects_and_document_equal_pdfminers():
    data = report_pdf(framed_text=True)
    assert _mismatches(data) == []
    _same_document(data)


def test_real_pdfs_objects_and_documents_equal_pdfminers(shared_corpus):
    files = sorted((shared_corpus / "raw").glob("*.pdf"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert _mismatches(data) == [], path.name
        _same_document(data)


def _rotated_text_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    c.setFont(font, 12)
    c.drawString(72, 760, "第一页的正文，横排文字，足够多的字符。")
    c.rect(72, 600, 200, 100)
    c.line(172, 600, 172, 700)
    c.line(72, 650, 272, 650)
    c.drawString(80, 670, "项目")
    c.drawString(180, 670, "数量")
    c.showPage()
    c.setFont(font, 12)
    c.drawString(72, 760, "第二页有一行旋转的文字。")
    c.saveState()
    c.translate(300, 400)
    c.rotate(30)
    c.drawString(0, 0, "旋转的文字")
    c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()


def test_a_page_the_model_cannot_reproduce_is_read_with_pdfminer():
    data = _rotated_text_pdf()
    assert _mismatches(data) == ["page 2: not modelled"]
    before = dict(pdf_reader.PAGES_READ)
    _same_document(data)
    # the fast read: page 1 from PDFium, page 2 (rotated text) with pdfminer; then the reference read
    assert pdf_reader.PAGES_READ["pdfium"] - before["pdfium"] == 1
    assert pdf_reader.PAGES_READ["pdfminer"] - before["pdfminer"] == 3
    doc = pdf_reader.read_pdf(data)
    assert any("旋转的文字" in getattr(b, "text", "") for b in doc.blocks)
    assert [t.rows for t in doc.tables] == [[["项目", "数量"], ["", ""]]]


def test_font_descents_as_pdfminer_takes_them():
    from pdfminer.psparser import LIT

    assert pdf_geometry.font_descents({"F1": {"Subtype": LIT("Type3")}}) is None
    two = {
        "F1": {"Subtype": LIT("TrueType"), "BaseFont": LIT("A"), "FontDescriptor": {"Descent": -200}},
        "F2": {"Subtype": LIT("Type1"), "BaseFont": LIT("Helvetica")},
        "F3": {"Subtype": LIT("Type1"), "BaseFont": LIT("B"), "FontDescriptor": {"Descent": 150}},
        "F4": {"Subtype": LIT("Type1"), "BaseFont": LIT("C")},
        "F5": {"Subtype": LIT("TrueType"), "BaseFont": LIT("A"), "FontDescriptor": {"Descent": -210}},
    }
    # built-in metrics for a standard 14 name, a positive descent made negative, 0 without a descriptor,
    # and a name two fonts share with different descents: unknown
    assert pdf_geometry.font_descents(two) == {"A": None, "Helvetica": -207.0, "B": -150.0, "C": 0.0}


def test_dedupe_keeps_what_pdfplumber_keeps():
    rng = random.Random(3)
    for _ in range(300):
        chars = []
        for k in range(rng.randint(0, 50)):
            jitter = rng.random() * 0.3 if rng.random() < 0.5 else 0.0  # exact ties too
            chars.append(
                {
                    "upright": True,
                    "text": rng.choice("ab"),
                    "fontname": rng.choice("FG"),
                    "size": rng.choice([10, 10.5]),
                    "doctop": rng.choice([0, 0.5, 1, 1.4, 2.6, 5]) + jitter,
                    "x0": rng.choice([0, 0.7, 1.6, 3]) + jitter,
                    "k": k,
                }
            )
        assert [c["k"] for c in pdf_reader.dedupe_chars(chars)] == [c["k"] for c in plumber_dedupe(chars)]


def test_one_character_cells_read_as_pdfplumber_reads_them():
    from pdfplumber.utils import extract_text

    for text in ["7", "合", " ", "\u3000", "ﬁ", "-"]:
        chars = [{"text": text, "x0": 10.0, "x1": 16.0, "top": 20.0, "bottom": 28.0, "doctop": 20.0, "upright": True}]
        assert pdf_reader._cell_text(chars) == extract_text(chars), text
    two = [
        {"text": "1", "x0": 10.0, "x1": 14.0, "top": 20.0, "bottom": 28.0, "doctop": 20.0, "upright": True},
        {"text": "2", "x0": 20.0, "x1": 24.0, "top": 20.0, "bottom": 28.0, "doctop": 20.0, "upright": True},
    ]
    assert pdf_reader._cell_text(two) == extract_text(two) == "1 2"
    assert pdf_reader._cell_text([]) == ""


class _Chars:
    """A page of characters; its pdfplumber lines as a page's."""

    def __init__(self, chars: list[dict]) -> None:
        self.chars = chars

    def extract_text_lines(self, return_chars: bool) -> list[dict]:
        from pdfplumber.utils.text import chars_to_textmap

        textmap = chars_to_textmap(self.chars, layout_bbox=(0, 0, 600, 800), layout_width=600, layout_height=800)
        return textmap.extract_text_lines(strip=True, return_chars=return_chars)


def test_cell_texts_and_text_lines_read_as_pdfplumber_reads_them():
    """Random characters (several lines, ties and near ties within the tolerances, blanks, full-width spaces,
    ligatures, zero-width characters, several letters with or without a blank, now and then a character not
    upright) give ``extract_text``'s cell text and the page's ``extract_text_lines``."""
    from pdfplumber.utils import extract_text

    rng = random.Random(16)
    pool = list("ab1２中文.-ﬁﬂ") + [" ", "\u3000", "\t", "\u200b", "xy", "a b"]
    shapes = {"lines": 0, "words": 0}
    for _ in range(1000):
        tops = [rng.choice([0, 10, 12.5, 13, 14, 20, 26]) for _ in range(rng.randint(1, 5))]
        chars = []
        for _ in range(rng.randint(2, 40)):
            top = rng.choice(tops) + rng.choice([0, 0, 0.5, 1, 2.9, 3, 3.1, -1, -3])
            x0 = rng.choice([0, 5, 10, 10, 12, 15, 16, 30, 33, 34]) + rng.choice([0, 0, 0.25, -0.5, 3])
            chars.append(
                {
                    "text": rng.choice(pool),
                    "x0": float(x0),
                    "x1": float(x0 + rng.choice([0, 2, 5, 10])),
                    "top": float(top),
                    "bottom": float(top + rng.choice([8, 10, 12])),
                    "doctop": float(top),
                    "upright": rng.random() > 0.01,
                }
            )
        expected = extract_text(chars)
        assert pdf_reader.upright_text(chars) == expected, chars
        plumber_lines = _Chars(chars).extract_text_lines(return_chars=False)
        lines = [(line["text"], line["top"], line["bottom"]) for line in plumber_lines]
        assert pdf_reader.text_lines(chars, list(plumber_lines).copy) == lines, chars
        shapes["lines"] += "\n" in expected
        shapes["words"] += " " in expected
    assert min(shapes.values()) > 250  # the cases cut lines and words


def test_text_state_variations_read_the_same():
    """Invisible text (a scan's text layer), character spacing, horizontal scaling, rise, a standard font and
    runs of spaces (PDFium keeps one space of a run; pdfplumber splits words on any) give the same Document."""
    from reportlab.pdfgen import canvas

    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    t = c.beginText(72, 760)
    t.setFont(font, 12)
    t.setTextRenderMode(3)
    t.textLine("不可见的文字层，扫描件上的识别文字。")
    t.setTextRenderMode(0)
    t.setCharSpace(1.5)
    t.textLine("字间距 1.5 的一行文字 ABC 123")
    t.setCharSpace(0)
    t.setHorizScale(80)
    t.textLine("水平缩放的文字 Scaled 456")
    t.setHorizScale(100)
    t.setRise(3)
    t.textLine("上标文字 rise")
    c.drawText(t)
    c.setFont("Helvetica", 10)
    c.drawString(72, 600, "Standard font and spaces   here.")
    c.showPage()
    c.save()
    data = buf.getvalue()
    before = pdf_reader.PAGES_READ["pdfium"]
    _same_document(data)
    assert pdf_reader.PAGES_READ["pdfium"] == before + 1
    assert "不可见的文字层" in pdf_reader.read_pdf(data).blocks[0].text


def _raw_pdf(content: bytes) -> bytes:
    """A one-page PDF (Helvetica as /F1) around a hand-written content stream."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def test_actual_text_replacements_are_left_to_pdfminer():
    """PDFium reads an /ActualText replacement instead of the glyphs; pdfminer (the reference) reads the glyphs."""
    data = _raw_pdf(
        b"BT /F1 12 Tf 72 760 Td (Plain text line on the page here.) Tj ET "
        b"/Span <</ActualText (XY)>> BDC BT /F1 12 Tf 72 700 Td (AB) Tj ET EMC"
    )
    assert _mismatches(data) == ["page 1: not modelled"]
    _same_document(data)
    assert [b.text for b in pdf_reader.read_pdf(data).blocks] == ["Plain text line on the page here.", "AB"]


def test_paths_painted_or_not_as_pdfminer_sees_them():
    """Stroked and filled rectangles, lines, a curve, several subpaths in one path, and an unpainted clip path."""
    data = _raw_pdf(
        b"BT /F1 12 Tf 72 760 Td (Some text above the ruled boxes here.) Tj ET "
        b"72 600 200 100 re S 100 500 m 300 500 l S 100 400 m 150 450 200 450 250 400 c S "
        b"72 300 100 50 re 200 300 100 50 re f 0 0 595 842 re W n 72 200 m 272 200 l 272 250 l h S"
    )
    assert _mismatches(data) == []
    _same_document(data)


def test_a_page_without_glyphs_is_left_to_pdfminer_then_to_ocr(monkeypatch):
    """PDFium finding no glyph does not by itself send a page to OCR: pdfminer reads it too, and the OCR page
    hook gets it only where pdfminer finds no glyph either (the hooks' contract is unchanged)."""
    from reportlab.pdfgen import canvas

    from ingest.model import Paragraph

    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    c.setFont(font, 12)
    c.drawString(72, 760, "第一页有文字层，足够多的字符在这一行里。")
    c.showPage()
    c.rect(72, 600, 200, 100)  # a page without text (as a scan's page, without its image)
    c.showPage()
    c.save()
    data = buf.getvalue()
    before = dict(pdf_reader.PAGES_READ)
    _same_document(data)
    assert pdf_reader.PAGES_READ["pdfium"] - before["pdfium"] == 1
    assert pdf_reader.PAGES_READ["pdfminer"] - before["pdfminer"] == 1 + 2
    seen = []

    def ocr_page(pdf_bytes: bytes, pno: int):
        seen.append(pno)
        return [(10.0, Paragraph("识别出的文字", page=pno))]

    monkeypatch.setattr(pdf_reader, "OCR_PAGE", ocr_page)
    doc = pdf_reader.read_pdf(data)
    assert seen == [2]
    assert doc.meta["ocr:pages"] == "2"
    assert [b.text for b in doc.blocks] == ["第一页有文字层，足够多的字符在这一行里。", "识别出的文字"]


def _random_edges(rng: random.Random) -> list[dict]:
    """Ruling edges of a random grid with some segments missing (merged cells) and some stray lines."""
    xs = sorted(rng.sample(range(0, 400, 20), rng.randint(2, 8)))
    ys = sorted(rng.sample(range(0, 400, 15), rng.randint(2, 8)))
    edges = []
    for y in ys:
        for a, b in zip(xs, xs[1:]):
            if rng.random() < 0.85:
                edges.append({"x0": a, "x1": b, "top": y, "bottom": y, "orientation": "h"})
    for x in xs:
        for a, b in zip(ys, ys[1:]):
            if rng.random() < 0.85:
                edges.append({"x0": x, "x1": x, "top": a, "bottom": b, "orientation": "v"})
    for _ in range(rng.randint(0, 3)):
        y, a = rng.randrange(400), rng.randrange(300)
        edges.append({"x0": a, "x1": a + rng.randrange(1, 100), "top": y, "bottom": y, "orientation": "h"})
    for e in edges:
        e["width"], e["height"] = e["x1"] - e["x0"], e["bottom"] - e["top"]
    return edges


def test_cells_found_as_pdfplumber_finds_them():
    """The reader's cell finding gives pdfplumber's cells, in its order, on random grids with gaps."""
    from pdfplumber.table import edges_to_intersections, intersections_to_cells

    rng = random.Random(11)
    for _ in range(300):
        ix = edges_to_intersections(_random_edges(rng), 3, 3)
        assert pdf_reader.intersections_to_cells(ix) == intersections_to_cells(ix)


def _same_tables(datas: list[bytes]) -> int:
    """Every page's tables, cells and rows as ``page.find_tables()`` gives them; the number of tables."""
    tables = 0
    for data in datas:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                ours = [(t.bbox, t.cells, [r.cells for r in t.rows]) for t in pdf_reader.find_tables(page)]
                theirs = [(t.bbox, t.cells, [r.cells for r in t.rows]) for t in page.find_tables()]
                assert ours == theirs
                tables += len(ours)
    return tables


def test_tables_found_as_pdfplumber_finds_them(generated_pdfs):
    assert _same_tables([*generated_pdfs, report_pdf(framed_text=True)]) >= 6


def test_real_pdfs_tables_found_as_pdfplumber_finds_them(shared_corpus):
    assert _same_tables([p.read_bytes() for p in sorted((shared_corpus / "raw").glob("*.pdf"))]) >= 6


def test_a_pdfium_failure_falls_back_to_pdfminer(generated_pdfs, monkeypatch):
    """An error inside the PDFium route (a page it cannot load, resources it refuses) and a document whose
    page count PDFium sees otherwise are read with pdfminer: the same Document, never a lost file."""
    data = generated_pdfs[0]
    assert len(pypdfium2.PdfDocument(data)) > 1
    expected = pdf_reader.read_pdf(data)

    def broken(*args, **kwargs):
        raise RuntimeError("PDFium could not load the page")

    with monkeypatch.context() as m:
        m.setattr(pdf_geometry, "page_objects", broken)
        before = dict(pdf_reader.PAGES_READ)
        got = pdf_reader.read_pdf(data)
        assert pdf_reader.PAGES_READ["pdfium"] == before["pdfium"]
    assert got.blocks == expected.blocks and got.meta == expected.meta

    opened = []

    def one_blank_page(_data):  # PDFium sees one page where pdfplumber sees the file's pages
        doc = pypdfium2.PdfDocument.new()
        doc.new_page(595, 842)
        opened.append(doc)
        return doc

    with monkeypatch.context() as m:
        m.setattr(pdf_geometry, "open_document", one_blank_page)
        before = dict(pdf_reader.PAGES_READ)
        got = pdf_reader.read_pdf(data)
        assert pdf_reader.PAGES_READ["pdfium"] == before["pdfium"]
    assert opened and got.blocks == expected.blocks


class _Ruled:
    """A page of ruling lines, rectangles and curves with pdfplumber's edges of them."""

    def __init__(self, lines: list[dict], rects: list[dict], curves: list[dict]) -> None:
        self.lines, self.rects, self.curves = lines, rects, curves
        self.bbox = (0, 0, 600, 800)

    @property
    def edges(self) -> list[dict]:
        from pdfplumber import utils

        out = [utils.line_to_edge(line) for line in self.lines]
        for rect in self.rects:
            out += utils.rect_to_edges(rect)
        for curve in self.curves:
            out += utils.curve_to_edges(curve)
        return out


def _ruling(x0: float, top: float, x1: float, bottom: float, kind: str) -> dict:
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
        "doctop": top,
        "y0": 800 - bottom,
        "y1": 800 - top,
        "object_type": kind,
    }


def test_table_edges_are_pdfplumbers():
    """Random rulings (positions within and just beyond the snap and join tolerances, short ones, rectangles,
    curves with slanted segments) give the edges of pdfplumber's table finder, in its order."""
    from pdfplumber.table import TableFinder, TableSettings

    rng = random.Random(16)
    keys = ("x0", "x1", "top", "bottom", "width", "height", "orientation")
    moved = 0
    for _ in range(400):
        grid = [
            rng.choice([0, 10, 12.5, 20, 22.9, 23, 26.1, 40, 41]) + rng.choice([0, 0.3, 1, 2.9, 3.1]) for _ in range(8)
        ]
        lines, rects, curves = [], [], []
        for _ in range(rng.randint(0, 25)):
            a, b = sorted(rng.sample(grid, 2))
            c = rng.choice(grid)
            kind = rng.random()
            if kind < 0.3:
                lines.append(_ruling(a, c, b, c, "line"))
            elif kind < 0.45:
                lines.append(_ruling(c, a, c, b, "line"))
            elif kind < 0.85:
                top, bottom = sorted(rng.sample(grid, 2))
                rects.append(_ruling(a, top, b, bottom, "rect"))
            else:
                pts = [(rng.choice(grid), rng.choice(grid)) for _ in range(rng.randint(2, 5))]
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                curves.append({**_ruling(min(xs), min(ys), max(xs), max(ys), "curve"), "pts": pts})
        page = _Ruled(lines, rects, curves)
        finder = TableFinder.__new__(TableFinder)
        finder.page, finder.settings = page, TableSettings.resolve(None)
        expected = [tuple(e[k] for k in keys) for e in finder.get_edges()]
        assert [tuple(e[k] for k in keys) for e in pdf_reader.table_edges(page)] == expected
        moved += sum(1 for e in expected if e[0] not in grid)  # snapped to a mean
    assert moved > 100
