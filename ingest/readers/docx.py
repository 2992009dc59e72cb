"""Word ``.docx`` files, read with python-docx.

The body is walked in order, so paragraphs and tables stay interleaved as in
the source. Each table becomes a :class:`Table` grid with horizontal
(``gridSpan``) and vertical (``vMerge``) merges resolved: a merged cell's text
stands at its first grid position and is repeated, marked ``covered``, at the
others. A table nested in a cell becomes its own Table after the outer one,
and its text is not part of the outer cell. Paragraphs in a cell are joined
without separator, as are lines broken inside a paragraph; body paragraphs
are split at line breaks.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.oxml.ns import qn
from lxml import etree

from .. import limits
from ..model import Document, Paragraph, Quarantine, SpanCell, Table, build_grid, join_lines
from . import register

_W_P, _W_TBL, _W_TR, _W_TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_W_NBH = qn("w:noBreakHyphen")
_W_SDT, _W_SDT_CONTENT, _W_CUSTOM_XML = qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")
_W_TCPR, _W_TRPR = qn("w:tcPr"), qn("w:trPr")
_W_VAL = qn("w:val")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WORD_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# ---------------------------------------------------------------- text


def _runs_text(el) -> str:
    """Text of a paragraph element; line breaks as '\\n'. Alternate-content fallbacks are skipped."""
    parts: list[str] = []
    stack = [el]
    while stack:
        node = stack.pop()
        tag = node.tag
        if tag == _MC_FALLBACK or tag == _W_TBL:
            continue
        if tag == _W_T:
            parts.append(node.text or "")
        elif tag == _W_TAB:
            parts.append(" ")
        elif tag in (_W_BR, _W_CR):
            parts.append("\n")
        elif tag == _W_NBH:
            parts.append("-")
        elif tag == _W_P and node is not el:
            parts.append("\n")  # a paragraph in a text box
        stack.extend(reversed(list(node)))
    return "".join(parts)


def _block_children(el):
    """Child paragraphs and tables of a body or cell, looking through content controls and custom XML."""
    for child in el:
        tag = child.tag
        if tag in (_W_P, _W_TBL):
            yield child
        elif tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _block_children(content)
        elif tag == _W_CUSTOM_XML:
            yield from _block_children(child)


def _children(el, tag: str):
    """Child elements with ``tag`` (rows of a table, cells of a row), looking through content controls and custom XML."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in (_W_SDT, _W_CUSTOM_XML):
            content = child.find(_W_SDT_CONTENT) if child.tag == _W_SDT else child
            if content is not None:
                yield from (x for x in content if x.tag == tag)


def _int_prop(parent, name: str, default: int) -> int:
    if parent is None:
        return default
    el = parent.find(qn(name))
    if el is None:
        return default
    try:
        return max(0, min(limits.MAX_COLSPAN, int(el.get(_W_VAL, default))))
    except ValueError:
        return default


def _vmerge_continues(tc) -> bool:
    tc_pr = tc.find(_W_TCPR)
    if tc_pr is None:
        return False
    vm = tc_pr.find(qn("w:vMerge"))
    return vm is not None and vm.get(_W_VAL, "continue") == "continue"


# ---------------------------------------------------------------- tables


def _table(tbl, nested: list, total: int = 0) -> tuple[list[list[str]], list[list[bool]]]:
    """Grid texts and covered flags of one ``w:tbl``; nested tables are appended to ``nested``.

    Each ``w:tc`` is a cell one row high and ``gridSpan`` wide; one continuing a vertical merge is a part
    of the cell above it. A grid past the cell limits (``total`` cells read before it) is quarantined
    ``too_many_cells``."""
    cells: list[SpanCell] = []
    texts: dict[int, str] = {}  # id(first w:tc of a merged cell) -> cell text
    alive: list = []  # those w:tc, held so that no id is reused
    above: dict[int, object] = {}  # grid column -> the w:tc filling it in the row above
    n_rows = width = 0
    for r, tr in enumerate(_children(tbl, _W_TR)):
        n_rows = r + 1
        here: dict[int, object] = {}
        c = _int_prop(tr.find(_W_TRPR), "w:gridBefore", 0)
        for tc in _children(tr, _W_TC):
            span = max(1, _int_prop(tc.find(_W_TCPR), "w:gridSpan", 1))
            owner = above.get(c, tc) if _vmerge_continues(tc) else tc
            if id(owner) not in texts:
                parts = []
                for block in _block_children(tc):
                    if block.tag == _W_TBL:
                        nested.append(block)
                    else:
                        parts.append(_runs_text(block))
                texts[id(owner)] = join_lines(line for p in parts for line in p.split("\n"))
                alive.append(owner)
            cells.append(SpanCell(r, c, texts[id(owner)], colspan=span, merge=id(owner)))
            for dc in range(span):
                here[c + dc] = owner
            c += span
        above = here
        width = max(width, c)
        limits.check_cells(n_rows, width, total)
    grid = build_grid(cells, n_rows, width, drop_cols=_sliver_columns(tbl, width))
    return grid.rows, grid.covered


SLIVER_TWIPS = 20  # a grid column narrower than this (1/72 inch) is an artefact of misaligned cell edges


def _sliver_columns(tbl, width: int) -> set[int]:
    """Grid columns too narrow to hold a cell (converters emit them where cell edges of rows differ by a hair)."""
    grid_el = tbl.find(qn("w:tblGrid"))
    if grid_el is None:
        return set()
    widths = []
    for col in grid_el.iterchildren(qn("w:gridCol")):
        try:
            widths.append(int(col.get(qn("w:w"), "")))
        except ValueError:
            return set()
    if len(widths) != width or width < 2:
        return set()
    return {c for c, w in enumerate(widths) if w < SLIVER_TWIPS}


def parse_body(body) -> list:
    blocks: list = []
    n_tables = n_cells = 0
    for el in _block_children(body):
        if el.tag == _W_P:
            for line in _runs_text(el).split("\n"):
                line = line.strip()
                if line:
                    blocks.append(Paragraph(line))
            continue
        pending = [el]
        while pending:  # the table, then the tables nested in it, in document order
            tbl = pending.pop(0)
            nested: list = []
            grid, covered = _table(tbl, nested, n_cells)
            n_cells += len(grid) * (len(grid[0]) if grid else 0)
            pending[0:0] = nested
            if grid and any(any(c for c in row) for row in grid):
                blocks.append(Table(rows=grid, index=n_tables, covered=covered))
                n_tables += 1
    return blocks


# ---------------------------------------------------------------- entry point


def _core_meta(document) -> dict[str, str]:
    meta: dict[str, str] = {}
    try:
        props = document.core_properties
        for key in ("title", "subject", "author", "keywords"):
            value = getattr(props, key, None)
            if value and isinstance(value, str) and value.strip():
                meta[f"docx:{key}"] = value.strip()
        for key in ("created", "modified"):
            value = getattr(props, key, None)
            if value is not None:
                meta[f"docx:{key}"] = value.date().isoformat()
    except Exception:  # noqa: BLE001 - metadata is optional; a bad core.xml must not lose the body
        pass
    return meta


def _raw_body(data: bytes):
    """The body of ``word/document.xml`` read directly (macro-enabled and template packages)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("word/document.xml")
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    body = root.find(f"{{{_WORD_MAIN}}}body")
    if body is None:
        raise ValueError("word/document.xml has no body")
    return body


def check_package(data: bytes) -> None:
    """Refuse a package whose parts decompress past :data:`limits.MAX_PART_BYTES` each or
    :data:`limits.MAX_UNZIPPED_BYTES` together, or whose XML holds over :data:`limits.MAX_ELEMENTS` tags.

    Sizes are checked as declared, then as actually read: each part is streamed with a limit, never
    decompressed whole, so a zip bomb costs a bounded read and no memory."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        big = max(infos, key=lambda i: i.file_size, default=None)
        if big is not None and big.file_size > limits.MAX_PART_BYTES:
            raise _too_large_part(big.filename, big.file_size)
        if declared > limits.MAX_UNZIPPED_BYTES:
            raise _too_large_part("all parts", declared)
        total = tags = 0
        for info in infos:
            xml = info.filename.endswith((".xml", ".rels"))
            with zf.open(info) as part:
                size = 0
                while chunk := part.read(1 << 20):
                    size += len(chunk)
                    total += len(chunk)
                    if xml:
                        tags += chunk.count(b"<")
                    if size > limits.MAX_PART_BYTES:
                        raise _too_large_part(info.filename, size)
                    if total > limits.MAX_UNZIPPED_BYTES:
                        raise _too_large_part("all parts", total)
            limits.check_elements(tags, "the DOCX's XML")


def _too_large_part(name: str, size: int) -> Quarantine:
    return Quarantine(
        "too_large_unzipped",
        f"{name} decompresses to over {size / 2**20:.0f} MB (limits "
        f"{limits.MAX_PART_BYTES // 2**20} MB a part, {limits.MAX_UNZIPPED_BYTES // 2**20} MB in all)",
    )


@register("docx")
def read_docx(data: bytes) -> Document:
    meta: dict[str, str] = {}
    try:
        check_package(data)
        try:
            document = docx.Document(io.BytesIO(data))
            body = document.element.body
            meta = _core_meta(document)
        except ValueError as exc:
            if "content type" not in str(exc):
                raise
            body = _raw_body(data)
        blocks = parse_body(body)
    except Quarantine:
        raise
    except Exception as exc:  # noqa: BLE001 - zip, package and XML errors alike
        raise Quarantine("corrupt_docx", f"the DOCX could not be read: {type(exc).__name__}: {exc}") from None
    return Document(blocks=blocks, format="docx", meta=meta)
