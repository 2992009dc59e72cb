"""Renderers: format-neutral blocks (``document.py``) to the bytes of one file per format.

* text: what copying a web page gives: one line per paragraph, table rows as
  cells joined by `` | `` (merged cells appear once);
* markdown: what a PDF-to-Markdown converter gives: ``#`` headings and pipe
  tables over the full grid, merged positions left empty;
* html: a CMS page with Word-pasted markup (``<font>``, ``<o:p>``), real
  ``rowspan``/``colspan``; split numbers become ``<span>`` pieces;
* docx: a Word file (python-docx) with merged cells (``gridSpan``/``vMerge``);
  split numbers become separate runs;
* pdf: an A4 PDF (reportlab, CID font STSong-Light, referenced but not embedded
  like the standard Asian fonts) with ruled tables, merged cells and a page
  footer ``— N —``.

All outputs are byte-for-byte deterministic: DOCX zip entries get a fixed
timestamp and PDFs are written in reportlab's invariant mode with the
publication date as their creation date.
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from html import escape

from .document import Block, Grid, Para, place

EXTENSIONS = {"text": "txt", "markdown": "md", "html": "html", "docx": "docx", "pdf": "pdf"}


def _rows_text(grid: Grid) -> list[list[str]]:
    return [[c.text for c in row] for row in grid.rows]


def _full_grid(grid: Grid) -> list[list[str]]:
    n_rows, width, cells = place(grid)
    out = [[""] * width for _ in range(n_rows)]
    for r, c, cell in cells:
        out[r][c] = cell.text
    return out


# ---------------------------------------------------------------- text, markdown


def render_text(blocks: list[Block], meta: dict) -> bytes:
    lines = []
    for b in blocks:
        if isinstance(b, Para):
            lines.append(b.text)
        else:
            lines += [" | ".join(row) if len(row) > 1 else row[0] for row in _rows_text(b)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_markdown(blocks: list[Block], meta: dict) -> bytes:
    out = []
    for b in blocks:
        if isinstance(b, Para):
            prefix = {"title": "# ", "heading": "## "}.get(b.style, "")
            out += [prefix + b.text, ""]
        else:
            rows = _full_grid(b)
            out.append("| " + " | ".join(rows[0]) + " |")
            out.append("|" + "---|" * len(rows[0]))
            out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            out.append("")
    return "\n".join(out).encode("utf-8")


# ---------------------------------------------------------------- html


def _html_cell(cell, tag: str = "td") -> str:
    attrs = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
        f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
    )
    text = cell.text
    if cell.split and len(text) >= 2 and text.isdigit():
        cut = len(text) // 2
        inner = f'<span>{text[:cut]}</span><span style="font-family:宋体">{text[cut:]}</span>'
    elif text:
        inner = f'<span><font face="仿宋_GB2312">{escape(text)}</font></span><o:p></o:p>'
    else:
        inner = "&nbsp;"
    return f'<{tag}{attrs} valign="center"><p class="MsoNormal" align="center">{inner}</p></{tag}>'


def render_html(blocks: list[Block], meta: dict) -> bytes:
    h = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        f"<title>{escape(meta['title'])}</title>",
        f'<meta name="publisher" content="{escape(meta["agency"])}">',
        '</head><body><div class="article">',
    ]
    for b in blocks:
        if isinstance(b, Para):
            if b.style == "title":
                h.append(f'<h1 class="title">{escape(b.text)}</h1>')
            elif b.style == "sign":
                h.append(f'<p style="text-align:right">{escape(b.text)}</p>')
            else:
                h.append(f'<p class="MsoNormal" style="text-indent:2em">{escape(b.text)}</p>')
        else:
            h.append('<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0"><tbody>')
            h += ["<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in b.rows]
            h.append("</tbody></table>")
    h.append("</div></body></html>")
    return "\n".join(h).encode("utf-8")


# ---------------------------------------------------------------- docx

_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed entry timestamps, so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, _ZIP_DATE), src.read(info.filename), zipfile.ZIP_DEFLATED)
    return out.getvalue()


@lru_cache(maxsize=1)
def _docx_template() -> bytes:
    """An empty python-docx document with a CJK body font, built once."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TWIPS = 9000  # table width in twentieths of a point
_BORDERS = "".join(
    f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    for side in ("top", "left", "bottom", "right", "insideH", "insideV")
)


def _docx_runs(cell) -> str:
    text = cell.text
    if cell.split and len(text) >= 2 and text.isdigit():
        parts = [text[: len(text) // 2], text[len(text) // 2 :]]
    else:
        parts = [text] if text else []
    return "".join(f'<w:r><w:t xml:space="preserve">{escape(p, quote=False)}</w:t></w:r>' for p in parts)


def _docx_table(grid: Grid) -> str:
    """WordprocessingML of one table; merged cells as Word writes them (``gridSpan``, ``vMerge``)."""
    n_rows, width, cells = place(grid)
    unit = _TWIPS / sum(grid.widths)
    col_w = [round(w * unit) for w in grid.widths]
    origin = {(r, c): cell for r, c, cell in cells}
    below: dict[tuple[int, int], object] = {}  # positions continuing a vertical merge -> its origin cell
    for r, c, cell in cells:
        for dr in range(1, cell.rowspan):
            below[(r + dr, c)] = cell
    rows = []
    for r in range(n_rows):
        tcs, c = [], 0
        while c < width:
            cell = origin.get((r, c)) or below.get((r, c))
            if cell is None:
                c += 1
                continue
            span = cell.colspan
            props = f'<w:tcW w:w="{sum(col_w[c : c + span])}" w:type="dxa"/>' + (
                f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
            )
            if (r, c) in origin:
                props += '<w:vMerge w:val="restart"/>' if cell.rowspan > 1 else ""
                body = f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr>{_docx_runs(cell)}</w:p>'
            else:
                props += "<w:vMerge/>"
                body = "<w:p/>"
            tcs.append(f'<w:tc><w:tcPr>{props}<w:vAlign w:val="center"/></w:tcPr>{body}</w:tc>')
            c += span
        rows.append("<w:tr>" + "".join(tcs) + "</w:tr>")
    return (
        f'<w:tbl xmlns:w="{_W}"><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{_TWIPS}" w:type="dxa"/>'
        f'<w:tblBorders>{_BORDERS}</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>'
        + "".join(f'<w:gridCol w:w="{w}"/>' for w in col_w)
        + "</w:tblGrid>"
        + "".join(rows)
        + "</w:tbl>"
    )


def render_docx(blocks: list[Block], meta: dict) -> bytes:
    import datetime as dt

    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml

    d = docx.Document(io.BytesIO(_docx_template()))
    body = d.element.body
    for b in blocks:
        if isinstance(b, Para):
            p = d.add_paragraph(b.text)
            if b.style in ("title", "sign"):
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER if b.style == "title" else WD_ALIGN_PARAGRAPH.RIGHT
        else:
            body.sectPr.addprevious(parse_xml(_docx_table(b)))
    props = d.core_properties
    props.title, props.author = meta["title"], meta["agency"]
    stamp = dt.datetime.fromisoformat(meta["published"]).replace(hour=9)
    props.created = props.modified = stamp
    props.last_modified_by = meta["agency"]
    props.revision = 1
    buf = io.BytesIO()
    d.save(buf)
    return _fixed_zip(buf.getvalue())


# ---------------------------------------------------------------- pdf

PDF_FONT = "STSong-Light"
_MARGIN = 56


@lru_cache(maxsize=1)
def _pdf_styles():
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10.5, leading=17, firstLineIndent=21)
    return {
        "body": body,
        "note": body,
        "marker": ParagraphStyle("marker", parent=body, fontSize=9, leading=13, firstLineIndent=0),
        "title": ParagraphStyle(
            "title", parent=body, fontSize=16, leading=26, alignment=TA_CENTER, firstLineIndent=0, spaceAfter=8
        ),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=22, firstLineIndent=0, spaceBefore=4),
        "sign": ParagraphStyle("sign", parent=body, alignment=TA_RIGHT, firstLineIndent=0),
    }


@lru_cache(maxsize=4096)
def _wrap(text: str, width: float, size: float) -> str:
    """Break a cell's text into lines that fit ``width`` points (reportlab does not wrap plain cells)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for ch in text:
        if line and stringWidth(line + ch, PDF_FONT, size) > width:
            lines.append(line)
            line = ""
        line += ch
    lines.append(line)
    return "\n".join(lines)


def _pdf_table(b: Grid, frame_width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    size = 8
    n_rows, width, cells = place(b)
    unit = frame_width / sum(b.widths)
    col_w = [w * unit for w in b.widths]
    data = [[""] * width for _ in range(n_rows)]
    style = [
        ("FONTNAME", (0, 0), (-1, -1), PDF_FONT),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), size + 2),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for r, c, cell in cells:
        w = sum(col_w[c : c + cell.colspan]) - 6
        data[r][c] = _wrap(cell.text, w, size) if cell.text else ""
        if cell.rowspan > 1 or cell.colspan > 1:
            style.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
    return Table(data, colWidths=col_w, style=TableStyle(style))


def render_pdf(blocks: list[Block], meta: dict) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    styles = _pdf_styles()
    frame_width = A4[0] - 2 * _MARGIN
    pub = meta["published"].replace("-", "")
    story = []
    pending_heading = None
    for b in blocks:
        if isinstance(b, Para):
            if pending_heading is not None:
                story.append(pending_heading)
            para = Paragraph(escape(b.text), styles[b.style])
            pending_heading = para if b.style == "heading" else None
            if pending_heading is None:
                story.append(para)
        else:
            group = ([pending_heading] if pending_heading is not None else []) + [
                Spacer(1, 4),
                _pdf_table(b, frame_width),
                Spacer(1, 6),
            ]
            story.append(KeepTogether(group))
            pending_heading = None
    if pending_heading is not None:
        story.append(pending_heading)

    def page(canvas, doc):
        canvas.setDateFormatter(lambda *_: f"D:{pub}090000+08'00'")
        canvas.saveState()
        canvas.setFont(PDF_FONT, 10)
        canvas.drawCentredString(A4[0] / 2, 30, f"— {doc.page} —")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=meta["title"],
        author=meta["agency"],
        creator="Microsoft Word",
        invariant=1,
    )
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buf.getvalue()


RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "docx": render_docx,
    "pdf": render_pdf,
}


def render(fmt: str, blocks: list[Block], meta: dict) -> bytes:
    return RENDERERS[fmt](blocks, meta)
