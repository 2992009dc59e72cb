"""HTML pages, including Word-pasted markup (``<font>``, ``<span>``, ``<o:p>``).

Leaf tables (tables without a nested table) become :class:`Table` grids with
rowspan and colspan resolved; all other text becomes paragraphs at block
boundaries. Text inside a cell is joined without separators, so digits split
across inline elements (``20</span><span>23``) read as one number.
"""

from __future__ import annotations

import re

import lxml.etree as etree

from .. import limits
from ..encoding import BIG5_CODECS, decode
from ..model import Document, Paragraph, Quarantine, Table, build_row_grid
from . import register

_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
    "title",
    "dt",
    "dd",
}
_SKIP_TAGS = {"script", "style", "noscript", "head", "template", "iframe", "object", "svg"}


def _clean(text: str) -> str:
    """White space runs as one space, none at the ends (str.split knows the white space re's \\s knows)."""
    return " ".join(text.split())


def _cell_text(el) -> str:
    """All text inside a cell, inline elements joined without separators (scripts were stripped)."""
    if len(el) == 0:
        return _clean(el.text or "")
    return _clean(etree.tostring(el, method="text", encoding="unicode", with_tail=False))


_SEP = "\ue000"  # a private-use character stands between the cells of a row read in one pass


def _row_cells(tr) -> list:
    """(cell, text) for the cells of a row. The row is serialised once, with each cell's tail (text
    between cells, never part of one) replaced by a separator; a row holding anything besides cells,
    or a separator of its own, is read cell by cell."""
    cells = list(tr)
    if any(c.tag not in ("td", "th") for c in cells):
        return [(td, _cell_text(td)) for td in tr.iterchildren("td", "th")]
    for c in cells:
        c.tail = _SEP
    parts = etree.tostring(tr, method="text", encoding="unicode", with_tail=False).split(_SEP)
    lead = tr.text or ""
    if len(parts) != len(cells) + 1 or not parts[0].startswith(lead):
        return [(td, _cell_text(td)) for td in cells]
    parts[0] = parts[0][len(lead) :]
    return [(td, _clean(text)) for td, text in zip(cells, parts)]


def _span(raw: str | None, most: int) -> int:
    if raw is None:
        return 1
    if raw.isdigit():
        return max(1, min(most, int(raw[:9])))
    digits = re.sub(r"[^\d]", "", raw)
    return max(1, min(most, int(digits[:9]))) if digits else 1


def table_grid(table, total: int = 0) -> tuple[list[list[str]], list[list[bool]]]:
    """Resolve rowspan/colspan into a rectangular grid of cell texts, and which positions repeat a span.

    A rowspan ends at the table's last row, spans are clamped (:data:`limits.MAX_ROWSPAN`,
    :data:`limits.MAX_COLSPAN`), and a grid past the cell limits (``total`` cells read before it) is
    quarantined ``too_many_cells`` before it is built."""
    rows = []
    for child in table.iterchildren("tr", "thead", "tbody", "tfoot"):  # document order
        rows.extend([child] if child.tag == "tr" else child.iterchildren("tr"))
    n = len(rows)
    texts = _table_texts(rows, table) or [_row_cells(tr) for tr in rows]
    spans = []
    for r, row in enumerate(texts):
        most = min(limits.MAX_ROWSPAN, n - r)
        spans.append(
            [
                (
                    text,
                    1 if (rs := td.get("rowspan")) is None else _span(rs, most),
                    1 if (cs := td.get("colspan")) is None else _span(cs, limits.MAX_COLSPAN),
                )
                for td, text in row
            ]
        )
    return build_row_grid(spans, check=lambda n_rows, width: limits.check_cells(n_rows, width, total))


_ROW = "\ue003"  # stands before the cells of each row of a table read in one pass


def _table_texts(rows: list, table) -> list | None:
    """(cell, text) for the cells of each row, the table serialised once: each row's own text replaced by a
    row mark, each cell's tail by a separator. None (read row by row) where a row holds anything besides
    cells, or the marks do not fall as placed (a mark character of the page's own)."""
    cells = [list(tr.iterchildren("td", "th")) for tr in rows]  # tags matched in C
    if any(len(row) != len(tr) for tr, row in zip(rows, cells)):
        return None
    for tr, row in zip(rows, cells):
        tr.text = _ROW
        for c in row:
            c.tail = _SEP
    pieces = etree.tostring(table, method="text", encoding="unicode", with_tail=False).split(_ROW)
    if len(pieces) != len(rows) + 1:
        return None
    out = []
    for row, piece in zip(cells, pieces[1:]):
        parts = piece.split(_SEP)
        if len(parts) != len(row) + 1:
            return None
        # white space collapsed and trimmed as _clean does it (str.split and re's \s know the same white space)
        out.append([(td, _clean(t)) for td, t in zip(row, parts)])
    return out


def parse_html(text: str) -> Document:
    limits.check_elements(text.count("<"), "the HTML")  # the tree costs memory by the tag
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    parser = etree.HTMLParser(huge_tree=True, recover=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise Quarantine("unparseable_html", f"the HTML could not be parsed: {exc}") from None
    if root is None:
        raise Quarantine("unparseable_html", "the HTML has no elements")
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        # libxml2 stops descending past its depth limit and drops what lies deeper
        raise Quarantine("too_deep", "the HTML is nested too deeply to read in full (parser depth limit reached)")
    meta: dict[str, str] = {}
    title = root.find(".//title")
    if title is not None and title.text:
        meta["title"] = _clean(title.text)
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip()
        if name and m.get("content"):
            meta[f"meta:{name}"] = _clean(m.get("content"))

    etree.strip_elements(root, *_SKIP_TAGS, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    body = root.find("body")
    start = body if body is not None else root
    blocks = _blocks(start, text)
    return Document(blocks=blocks, format="html", meta=meta)


_BREAK = "\ue001"  # stands at each block boundary in the page's text
_TABLE = "\ue002"  # a leaf table's place in the page's text, followed by its number


def _blocks(start, source: str) -> list:
    """Paragraphs (text between block boundaries) and leaf tables (tables without a nested table), in order.

    Leaf tables are read whole and each replaced by a placeholder; every block element then gets a
    boundary mark before its text and before its tail, and the page's text is serialised once (in C)
    and split at the marks. A page that itself holds a mark character is walked element by element."""
    if _BREAK in source or _TABLE in source:
        return _walk(start)
    leaf = [t for t in start.iter("table") if next(t.iterdescendants("table"), None) is None]
    tables: list[Table | None] = []
    n_cells = 0
    for t in leaf:
        grid, covered = table_grid(t, n_cells)
        n_cells += len(grid) * (len(grid[0]) if grid else 0)
        tables.append(Table(rows=grid, covered=covered) if grid else None)
    for k, t in enumerate(leaf):
        mark = etree.Element("xxgk-table")
        mark.text = f"{_BREAK}{_TABLE}{k}{_BREAK}"
        mark.tail = _BREAK + (t.tail or "")
        t.getparent().replace(t, mark)
    for el in start.iter(*_BLOCK_TAGS):
        el.text = _BREAK + (el.text or "")
        if el is not start:
            el.tail = _BREAK + (el.tail or "")
    blocks: list = []
    n_tables = 0
    text = etree.tostring(start, method="text", encoding="unicode", with_tail=False)
    for piece in text.split(_BREAK):
        if not piece:
            continue
        if piece[0] == _TABLE:
            table = tables[int(piece[1:])]
            if table is not None:
                table.index = n_tables
                n_tables += 1
                blocks.append(table)
            continue
        line = _clean(piece)
        if line:
            blocks.append(Paragraph(line))
    return blocks


def _walk(start) -> list:
    """The same blocks as :func:`_blocks`, by an element-by-element walk (lxml's iterwalk)."""
    blocks: list = []
    buf: list[str] = []
    n_tables = n_cells = 0

    def flush() -> None:
        if buf:
            line = _clean("".join(buf))
            if line:
                blocks.append(Paragraph(line))
            buf.clear()

    leaf_tables = {t for t in start.iter("table") if next(t.iterdescendants("table"), None) is None}
    walker = etree.iterwalk(start, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if el in leaf_tables:
                flush()
                grid, covered = table_grid(el, n_cells)
                n_cells += len(grid) * (len(grid[0]) if grid else 0)
                if grid:
                    blocks.append(Table(rows=grid, index=n_tables, covered=covered))
                    n_tables += 1
                walker.skip_subtree()
                continue
            if tag in _BLOCK_TAGS:
                flush()
            if el.text:
                buf.append(el.text)
        else:
            if tag in _BLOCK_TAGS:
                flush()
            if el.tail and el is not start:
                buf.append(el.tail)
    flush()
    return blocks


@register("html")
def read_html(data: bytes) -> Document:
    text, enc = decode_html(data)
    doc = parse_html(text)
    doc.encoding = enc
    return doc


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Honour a declared charset (given, or in a ``<meta>``) when it decodes cleanly; otherwise detect."""
    if declared is None:
        m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", data[:4096], re.I)
        declared = m.group(1).decode("ascii", "replace") if m else None
    if declared:
        declared = declared.strip().lower()
        if declared in _CHARSET_ALIASES and not data.isascii():
            try:  # a crawler re-encoded the page to UTF-8 and kept its old declaration
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
        for enc in _CHARSET_ALIASES.get(declared, (declared,)):
            try:
                return data.decode(enc), enc
            except (LookupError, UnicodeDecodeError):
                continue
    return decode(data)


# declared names and the codecs that read them, wider ones after the exact one
_CHARSET_ALIASES = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "gb18030": ("gb18030",),
    "x-gbk": ("gb18030",),
    "big5": BIG5_CODECS,
    "x-x-big5": BIG5_CODECS,
    "big5-hkscs": ("big5hkscs",),
}
