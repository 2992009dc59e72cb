"""PDF files with a text layer, read with pdfplumber.

pdfplumber's objects of a page (characters, rectangles, lines, curves) come from PDFium's compiled
parser through :mod:`.pdf_geometry` where it reproduces pdfminer's layout faithfully, and from pdfminer's
layout otherwise (:data:`PAGES_READ` counts both); pdfplumber's table finder and text extraction read
them unchanged, so both routes give the same Document.

Per page, ruled tables (``find_tables``) become :class:`Table` grids and the
text outside them becomes one :class:`Paragraph` per line, interleaved top to
bottom. Positions that pdfplumber reports as ``None`` continue a merged
cell: they repeat that cell's text and are marked ``covered``. Rows that span
the full width at the top or bottom of a ruled region (body text drawn inside
a frame, a single-column "table") are read as text lines instead. Page headers and
footers (``- 5 -``, ``— 5 —``, ``第 5 页``, ``5/12``) are dropped.

A file without a text layer (a scan) is handed to :data:`OCR_FALLBACK` when
one is installed and quarantined as ``no_text_layer`` otherwise; encrypted and
corrupt files are quarantined as ``encrypted`` and ``corrupt_pdf``. A file with only an owner password
(printing or copying restricted) opens with the empty user password and is read.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import itertools
import logging
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from operator import itemgetter

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import decode_text
from pdfplumber.table import Table as _PlumberTable
from pdfplumber.table import TableFinder, TableSettings, cells_to_tables, edges_to_intersections
from pdfplumber.utils import extract_text, obj_to_bbox
from pdfplumber.utils.exceptions import PdfminerException
from pdfplumber.utils.text import LIGATURES

from .. import limits
from ..model import Document, Paragraph, Quarantine, SpanCell, Table, build_grid, join_lines
from . import pdf_geometry, register

# Hooks for scanned reports, installed by the OCR reader: OCR_FALLBACK takes the
# PDF bytes and returns a Document (or raises Quarantine); it is tried before a
# file is quarantined as ``no_text_layer``. OCR_PAGE reads one page without
# any glyph (a scanned page, also inside an otherwise digital PDF) as
# (top, block) items like ``_read_page``'s.
OCR_FALLBACK: Callable[[bytes], Document] | None = None
OCR_PAGE: Callable[[bytes, int], list[tuple[float, object]]] | None = None

MIN_TEXT_CHARS = 20  # fewer non-space characters in the whole file: no text layer
_MARGIN = 0.08  # share of the page height treated as header/footer band

_FOOTER = re.compile(
    r"^(?:[-—–―─－~〜]+\s*\d{1,4}\s*[-—–―─－~〜]+"  # - 5 -  — 5 —
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"  # 第 5 页 (共 12 页)
    r"|\d{1,4}\s*/\s*\d{1,4}"  # 5/12
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)$",  # Page 5 of 12
    re.I,
)
_BARE_NUMBER = re.compile(r"^\d{1,4}$")  # a page number, only inside the margin bands


# ---------------------------------------------------------------- page headers and footers


def is_footer(text: str, top: float, bottom: float, height: float) -> bool:
    compact = text.replace(" ", "")
    if _FOOTER.match(compact) or _FOOTER.match(text):
        return True
    in_margin = top < height * _MARGIN or bottom > height * (1 - _MARGIN)
    return in_margin and bool(_BARE_NUMBER.match(compact))


# ---------------------------------------------------------------- metadata


def _decode_meta(value) -> str | None:
    """A metadata value as clean text, or None where it cannot be decoded cleanly."""
    if isinstance(value, PSLiteral):
        value = value.name
    if isinstance(value, bytes):
        text = None
        if value.startswith((b"\xfe\xff", b"\xff\xfe")):
            try:
                text = value.decode("utf-16")
            except UnicodeDecodeError:
                return None
        elif value.startswith(b"\xef\xbb\xbf"):
            text = value[3:].decode("utf-8", "replace")
        else:
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = decode_text(value)
        value = text
    if not isinstance(value, str):
        return None
    value = value.strip().strip("\x00")
    if not value or "\ufffd" in value or any(unicodedata.category(ch) in ("Cc", "Cs", "Co") for ch in value):
        return None
    return value


_PDF_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?")


def _pdf_date(text: str) -> str | None:
    m = _PDF_DATE.match(text.strip())
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)).isoformat()
    except ValueError:
        return None


def _metadata(pdf) -> dict[str, str]:
    meta: dict[str, str] = {}
    try:
        infos = pdf.doc.info
    except Exception:  # noqa: BLE001 - metadata is optional
        return meta
    for info in infos:
        for key, raw in info.items():
            try:
                raw = resolve1(raw)
            except Exception:  # noqa: BLE001
                continue
            text = _decode_meta(raw)
            if text is None:
                continue
            if key in ("CreationDate", "ModDate") or text.startswith("D:"):
                text = _pdf_date(text)  # PDF dates as ISO dates (YYYY-MM-DD)
                if text is None:
                    continue
            meta[f"pdf:{key}"] = text
    return meta


# ---------------------------------------------------------------- page reading


def _frame_row(table, rows, r: int) -> bool:
    """True where row ``r`` of ``rows`` (``table.rows``) is one cell spanning the table's full width (a line of framed
    body text)."""
    cells = rows[r].cells
    first = cells[0]
    return first is not None and all(c is None for c in cells[1:]) and first[2] >= table.bbox[2] - 1


def _resolve_merges(table, trows, rows: list[list[str | None]]) -> tuple[list[list[str]], list[list[bool]]]:
    """Grid texts with each merged cell's text repeated over the positions it covers.

    pdfplumber gives ``None`` where no cell starts; a cell spans the rows and columns after its own whose
    centres lie inside its bbox. A position no cell reaches stays empty and covered.
    """
    width = max(len(r) for r in rows)
    x0, top, x1, bottom = table.bbox
    row_tops = [r.bbox[1] for r in trows] + [bottom]
    col_lefts = [c.bbox[0] for c in table.columns] + [x1]
    geometry = len(row_tops) == len(rows) + 1 and len(col_lefts) == width + 1
    row_mid = [(a + b) / 2 for a, b in zip(row_tops, row_tops[1:])]
    col_mid = [(a + b) / 2 for a, b in zip(col_lefts, col_lefts[1:])]
    cells = []
    for r, row in enumerate(rows):
        for c, raw in enumerate(row):
            if raw is None:
                continue
            rs = cs = 1
            bbox = trows[r].cells[c] if geometry else None
            if bbox is not None:
                rs += _run_inside(row_mid[r + 1 :], bbox[1], bbox[3])
                cs += _run_inside(col_mid[c + 1 :], bbox[0], bbox[2])
            cells.append(SpanCell(r, c, join_lines(raw.splitlines()), rs, cs))
    grid = build_grid(cells, len(rows), width, holes_covered=True)
    return grid.rows, grid.covered


def _run_inside(mids: list[float], lo: float, hi: float) -> int:
    """How many of the leading ``mids`` lie in [lo, hi]."""
    n = 0
    while n < len(mids) and lo <= mids[n] <= hi:
        n += 1
    return n


def _table_part(
    table, mids: tuple[list, list]
) -> tuple[list[list[str]], list[list[bool]], tuple[float, float, float, float]] | None:
    """The grid of a ruled region and the bbox it covers; None when the region is only framed text.

    Leading and trailing rows that span the full width are body text in a
    frame (or a single-column "table"), not table rows: they are left to the
    text-line reader. ``mids``: :func:`_char_mids` of the page's characters.
    """
    trows = table.rows  # computed anew on each access
    rows = _extract(table, trows, mids)
    if not rows or max(len(r) for r in rows) < 2:
        return None
    start, end = 0, len(rows)
    while start < end and _frame_row(table, trows, start):
        start += 1
    while end > start and _frame_row(table, trows, end - 1):
        end -= 1
    if start >= end:
        return None
    # never cut through a merged cell: a wholly covered row stays with the row it continues
    while start > 0 and all(c is None for c in rows[start]):
        start -= 1
    while end < len(rows) and all(c is None for c in rows[end]):
        end += 1
    grid, covered = _resolve_merges(table, trows, rows)
    x0, top, x1, bottom = table.bbox
    if start:
        top = trows[start].bbox[1]
    if end < len(rows):
        bottom = trows[end].bbox[1]
    return grid[start:end], covered[start:end], (x0, top, x1, bottom)


def _extract(table, trows, mids: tuple[list, list]) -> list[list[str | None]]:
    """The texts of ``table.extract()`` (``trows`` is ``table.rows``): per cell, pdfplumber's ``extract_text`` of
    the characters whose midpoint lies in the cell (left and top edges in, right and bottom out), in the
    page's order; ``None`` where no cell starts, ``""`` for an empty cell. A row's bbox encloses its cells,
    so pdfplumber's test against the row first changes nothing; here each cell looks only at the characters
    between its top and bottom instead of every character of the page (``mids``: :func:`_char_mids`)."""
    v_mids, by_v_mid = mids
    out = []
    for row in trows:
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            x0, top, x1, bottom = cell
            inside = [
                (k, ch)
                for _, k, h_mid, ch in by_v_mid[bisect_left(v_mids, top) : bisect_left(v_mids, bottom)]
                if x0 <= h_mid < x1
            ]
            inside.sort(key=_FIRST)
            texts.append(_cell_text([ch for _, ch in inside]))
        out.append(texts)
    return out


_FIRST = itemgetter(0)


def _char_mids(chars: list[dict]) -> tuple[list, list]:
    """The characters' vertical midpoints, sorted, and beside them (midpoint, index, horizontal midpoint, char)."""
    by_v_mid = sorted(((ch["top"] + ch["bottom"]) / 2, k, (ch["x0"] + ch["x1"]) / 2, ch) for k, ch in enumerate(chars))
    return [m[0] for m in by_v_mid], by_v_mid


def _cell_text(chars: list[dict]) -> str:
    """pdfplumber's ``extract_text`` of a cell's characters; a cell of one character (about half of a report's
    cells) is that character, ligatures expanded, or empty where it is blank, without the word machinery."""
    if not chars:
        return ""
    if len(chars) == 1:
        text = chars[0]["text"]
        return "" if text.isspace() else LIGATURES.get(text, text)
    return upright_text(chars)


_X_TOLERANCE = _Y_TOLERANCE = 3  # pdfplumber's defaults


def upright_text(chars: list[dict]) -> str:
    """``extract_text(chars)`` (pdfplumber's defaults) for upright characters, with the same steps on plain
    lists (see :func:`_words`); words are clustered into lines by their top. Other characters go to
    ``extract_text``."""
    words = _words(chars)
    if words is None:
        return extract_text(chars)
    lines = _clusters(words, _FIRST, _Y_TOLERANCE)
    return "\n".join(" ".join(w[1] for w in line) for line in lines)


def text_lines(chars: list[dict], plumber_lines: Callable[[], list[dict]]) -> list[tuple[str, float, float]]:
    """The text, top and bottom of each line ``page.extract_text_lines()`` gives for a page of ``chars``: for
    upright characters, pdfplumber's steps on plain lists (see :func:`_words`), words in that order cut into
    lines where their top leaves its cluster; others from ``plumber_lines`` (pdfplumber's lines)."""
    words = _words(chars)
    if words is None:
        return [(line["text"], line["top"], line["bottom"]) for line in plumber_lines()]
    ids = _cluster_ids(words, _FIRST, _Y_TOLERANCE)
    out = []
    for _, group in itertools.groupby(words, lambda w: ids[w[0]]):
        line = list(group)
        line_chars = [ch for w in line for ch in w[2]]
        top = min(ch["top"] for ch in line_chars)
        bottom = max(ch["bottom"] for ch in line_chars)
        out.append((" ".join(w[1] for w in line), top, bottom))
    return out


def _words(chars: list[dict]) -> list[tuple[float, str, list[dict]]] | None:
    """pdfplumber's words (top, text, characters) of upright characters in its order: lines of characters
    clustered by top, each sorted by x0 and cut into words at blanks and gaps wider than the tolerance. None
    where a character is not upright or its text is empty or holds a blank among other letters."""
    for ch in chars:
        text = ch["text"]
        if ch["upright"] is not True or not text or (len(text) > 1 and not text.isspace() and _BLANK.search(text)):
            return None
    words: list[tuple[float, str, list[dict]]] = []
    for line in _clusters(chars, _TOP, _Y_TOLERANCE):
        line.sort(key=_X0)
        word: list[dict] = []
        for ch in line:
            if ch["text"].isspace():
                if word:
                    words.append(_word(word))
                    word = []
                continue
            if word:
                prev = word[-1]
                x0 = ch["x0"]
                if x0 < prev["x0"] or x0 > prev["x1"] + _X_TOLERANCE or abs(ch["top"] - prev["top"]) > _Y_TOLERANCE:
                    words.append(_word(word))
                    word = []
            word.append(ch)
        if word:
            words.append(_word(word))
    return words


_BLANK = re.compile(r"\s")


def _word(chars: list[dict]) -> tuple[float, str, list[dict]]:
    return min([ch["top"] for ch in chars]), "".join([LIGATURES.get(ch["text"], ch["text"]) for ch in chars]), chars


def _clusters(objs: list, key: Callable, tolerance: float) -> list[list]:
    """pdfplumber's ``cluster_objects``: the objects grouped by key values chained within ``tolerance``, groups in
    the order of their values, objects in their own order."""
    ids = _cluster_ids(objs, key, tolerance)
    groups: list[list] = [[] for _ in range(len(set(ids.values())))]
    for obj in objs:
        groups[ids[key(obj)]].append(obj)
    return groups


def _cluster_ids(objs: list, key: Callable, tolerance: float) -> dict:
    """pdfplumber's ``make_cluster_dict``: each key value's cluster, values sorted and chained within ``tolerance``."""
    ids: dict = {}
    last = None
    n = -1
    for v in sorted(set(map(key, objs))):
        if last is None or not v <= last + tolerance:
            n += 1
        ids[v] = n
        last = v
    return ids


_TOP = itemgetter("top")


def dedupe_chars(chars: list[dict], tolerance: float = 1) -> list[dict]:
    """pdfplumber's ``dedupe_chars`` (same text, upright, font and size, positions chained within ``tolerance``
    as its ``cluster_objects`` chains them: the first of each cluster by position is kept) in the characters'
    order, without its quadratic final sort."""
    groups: dict[tuple, list[dict]] = {}
    for ch in chars:
        key = _DEDUPE_KEY(ch)
        group = groups.get(key)
        if group is None:
            groups[key] = [ch]
        else:
            group.append(ch)
    if len(groups) == len(chars):
        return list(chars)
    drop: set[int] = set()  # all but the first of each cluster
    for group in groups.values():
        if len(group) == 1:
            continue
        for row in _chain(sorted(group, key=_DOCTOP), "doctop", tolerance):
            if len(row) == 1:
                continue
            for cluster in _chain(sorted(row, key=_X0), "x0", tolerance):
                if len(cluster) > 1:
                    first = min(cluster, key=_POS)
                    drop.update(id(ch) for ch in cluster if ch is not first)
    return [ch for ch in chars if id(ch) not in drop] if drop else list(chars)


def _chain(objs: list[dict], key: str, tolerance: float) -> list[list[dict]]:
    """Objects sorted by ``key`` cut where a value exceeds the one before it by more than ``tolerance``."""
    out: list[list[dict]] = []
    last = None
    for obj in objs:
        value = obj[key]
        if last is None or value > last + tolerance:
            out.append([])
        out[-1].append(obj)
        last = value
    return out


_DOCTOP, _X0, _POS = itemgetter("doctop"), itemgetter("x0"), itemgetter("doctop", "x0")
_DEDUPE_KEY = itemgetter("upright", "text", "fontname", "size")


def _deduped(page):
    """The page with duplicate characters dropped (glyphs overprinted for a bold effect), as ``page.dedupe_chars()``."""
    return _with_chars(page, dedupe_chars(page.chars))


def _with_chars(page, chars: list[dict]):
    """The page with ``chars`` for its characters, its other objects kept (a pdfplumber page)."""
    out = page.filter(_keep_all)
    out._objects = {**page.objects, "char": chars}
    return out


def _keep_all(obj) -> bool:
    return True


def find_tables(page) -> list:
    """``page.find_tables()`` (pdfplumber's default settings): its edges, intersections and tables, with the
    cells found by :func:`intersections_to_cells`."""
    finder = TableFinder.__new__(TableFinder)
    finder.page, finder.settings = page, TableSettings.resolve(None)
    finder.edges = table_edges(page)
    finder.intersections = edges_to_intersections(
        finder.edges, finder.settings.intersection_x_tolerance, finder.settings.intersection_y_tolerance
    )
    finder.cells = intersections_to_cells(finder.intersections)
    finder.tables = [_PlumberTable(page, group) for group in cells_to_tables(finder.cells)]
    return finder.tables


_SNAP = _JOIN = 3  # pdfplumber's default snap and join tolerances
_MIN_PREFILTER, _MIN_LENGTH = 1, 3  # and its edge lengths kept before and after merging


def table_edges(page) -> list[dict]:
    """``TableFinder.get_edges()`` with pdfplumber's default settings (ruling lines): the page's line, rectangle
    and curve edges, those at least 1 long, snapped to their cluster's mean position, joined along each line and
    kept where at least 3 long; the same positions and lengths from the same arithmetic, in the same order, on
    plain dicts of the fields the table finder reads (position, length, orientation)."""
    edges = []
    for line in page.lines:
        top, bottom = line["top"], line["bottom"]
        edges.append(_edge(line["x0"], line["x1"], top, bottom, line["width"], line["height"], top == bottom))
    for r in page.rects:
        x0, x1, top, bottom, width, height = r["x0"], r["x1"], r["top"], r["bottom"], r["width"], r["height"]
        edges.append(_edge(x0, x1, top, top, width, 0, True))
        edges.append(_edge(x0, x1, top + height, bottom, width, 0, True))
        edges.append(_edge(x0, x0, top, bottom, 0, height, False))
        edges.append(_edge(x1, x1, top, bottom, 0, height, False))
    for curve in page.curves:
        pts = curve["pts"]
        for (px, py), (qx, qy) in zip(pts, pts[1:]):
            orientation = "v" if px == qx else ("h" if py == qy else None)
            edges.append(
                {
                    "x0": min(px, qx),
                    "x1": max(px, qx),
                    "top": min(py, qy),
                    "bottom": max(py, qy),
                    "width": abs(px - qx),
                    "height": abs(py - qy),
                    "orientation": orientation,
                }
            )
    v = [e for e in edges if e["orientation"] == "v" and e["height"] >= _MIN_PREFILTER]
    h = [e for e in edges if e["orientation"] == "h" and e["width"] >= _MIN_PREFILTER]
    snapped = _snap(v, "x0", "x1") + _snap(h, "top", "bottom")
    snapped.sort(key=_edge_group)
    merged = []
    for (orientation, _), group in itertools.groupby(snapped, key=_edge_group):
        if orientation == "h":
            merged += _join(group, "x0", "x1", "width")
        else:
            merged += _join(group, "top", "bottom", "height")
    return [e for e in merged if e["height" if e["orientation"] == "v" else "width"] >= _MIN_LENGTH]


def _edge(x0, x1, top, bottom, width, height, horizontal: bool) -> dict:
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": width,
        "height": height,
        "orientation": "h" if horizontal else "v",
    }


def _snap(edges: list[dict], low: str, high: str) -> list[dict]:
    """pdfplumber's ``snap_objects``: edges clustered by ``low`` (chained within the tolerance) and moved by the
    cluster's mean less their own ``low``, cluster by cluster."""
    out = []
    for cluster in _clusters(edges, itemgetter(low), _SNAP):
        mean = sum(e[low] for e in cluster) / len(cluster)
        for e in cluster:
            shift = mean - e[low]
            out.append({**e, low: e[low] + shift, high: e[high] + shift})
    return out


def _edge_group(edge: dict) -> tuple:
    return ("h", edge["top"]) if edge["orientation"] == "h" else ("v", edge["x0"])


def _join(group, low: str, high: str, length: str) -> list[dict]:
    """pdfplumber's ``join_edge_group``: edges along one line sorted by ``low``; one that starts within the
    tolerance of the last joined edge's end extends it."""
    edges = sorted(group, key=itemgetter(low))
    joined = [edges[0]]
    for e in edges[1:]:
        last = joined[-1]
        if e[low] <= last[high] + _JOIN:
            if e[high] > last[high]:
                value = e[high]
                if not value >= last[low]:
                    raise AssertionError(f"edge {high} before its {low}")  # as pdfplumber's resize_object
                if high == "x1":
                    joined[-1] = {**last, "x1": value, "width": value - last["x0"]}
                else:
                    joined[-1] = {**last, "bottom": value, length: last[length] + (value - last["bottom"])}
        else:
            joined.append(e)
    return joined


def intersections_to_cells(intersections: dict) -> list[tuple]:
    """pdfplumber's ``intersections_to_cells``, the same cells in the same order: for each point (sorted), the
    first point below it and the first to its right, joined to it by a common edge, whose corner closes a
    rectangle. Each point's edges become sets once, not once for every pair of points tested, and the
    points below and to the right come from per-column and per-row lists instead of a scan of the rest."""
    v = {p: frozenset(map(obj_to_bbox, e["v"])) for p, e in intersections.items()}
    h = {p: frozenset(map(obj_to_bbox, e["h"])) for p, e in intersections.items()}

    def connects(p1, p2) -> bool:
        return (p1[0] == p2[0] and not v[p1].isdisjoint(v[p2])) or (p1[1] == p2[1] and not h[p1].isdisjoint(h[p2]))

    points = sorted(intersections)
    column: dict = {}
    row: dict = {}
    for k, p in enumerate(points):  # each list in the points' sorted order, with their indexes
        column.setdefault(p[0], []).append((k, p))
        row.setdefault(p[1], []).append((k, p))
    cells = []
    for k, pt in enumerate(points):
        below = [q for j, q in column[pt[0]] if j > k]
        right = [q for j, q in row[pt[1]] if j > k]
        cell = _smallest_cell(pt, below, right, intersections, connects)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest_cell(pt, below, right, intersections, connects) -> tuple | None:
    for below_pt in below:
        if not connects(pt, below_pt):
            continue
        for right_pt in right:
            if not connects(pt, right_pt):
                continue
            corner = (right_pt[0], below_pt[1])
            if corner in intersections and connects(corner, right_pt) and connects(corner, below_pt):
                return (pt[0], pt[1], corner[0], corner[1])
    return None


def _outside(chars: list[dict], boxes: list) -> list[dict]:
    """The characters whose centre lies in none of ``boxes``, in their order."""
    for x0, top, x1, bottom in boxes:
        chars = [
            c
            for c in chars
            if not (x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom)
        ]
    return chars


def _read_page(page, pno: int) -> tuple[list[tuple[float, object]], int, int, int]:
    """Blocks of one page with their top coordinate; counts of kept text characters, glyphs and unmapped glyphs."""
    chars = page.chars
    n_chars = sum(1 for c in chars if not c["text"].isspace())
    n_cid = sum(1 for c in chars if c["text"].startswith("(cid:"))
    if not n_chars:
        return [], 0, 0, 0
    page = _deduped(page)
    items: list[tuple[float, object]] = []
    boxes = []
    tables = find_tables(page)
    mids = _char_mids(page.chars) if tables else None
    for table in tables:
        part = _table_part(table, mids)
        if part is None:
            continue
        grid, covered, bbox = part
        boxes.append(bbox)
        items.append((bbox[1], Table(rows=grid, page=pno, covered=covered)))

    kept = _outside(page.chars, boxes)  # the text outside the tables

    def plumber_lines():  # pdfplumber's lines of those characters
        return (_with_chars(page, kept) if boxes else page).extract_text_lines(return_chars=False)

    height = float(page.height)
    text_chars = 0
    for raw, top, bottom in text_lines(kept, plumber_lines):
        text = " ".join(raw.split())
        if not text or is_footer(text, top, bottom, height):
            continue
        text_chars += len(text.replace(" ", ""))
        items.append((top, Paragraph(text, page=pno)))
    text_chars += sum(sum(len(c.replace(" ", "")) for c in r) for _, t in items if isinstance(t, Table) for r in t.rows)
    items.sort(key=lambda it: it[0])
    return items, text_chars, n_chars, n_cid


def _open_error(exc: Exception) -> Quarantine:
    """The quarantine for an error raised while opening; pdfplumber wraps pdfminer's errors."""
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return Quarantine(
            "encrypted", f"the PDF is encrypted and cannot be opened without a password ({type(cause).__name__})"
        )
    detail = f"{type(cause).__name__}: {cause}" if isinstance(cause, BaseException) else str(cause)
    return Quarantine("corrupt_pdf", f"the PDF could not be parsed: {detail}")


_NAME_LIKE = re.compile(rb"^[A-Za-z0-9 ._-]{1,32}\Z")


def _lenient_decryption(doc) -> None:
    """Read files encrypted with only an owner password whose short name-like strings were left in clear.

    Some producers encrypt streams but write strings such as a CID font's ``(Adobe)``/``(GB1)`` in clear;
    decrypting those yields bytes that lose the font's Unicode mapping. A string that is a plain token before
    decryption and not one after it is kept as written."""
    decipher = getattr(doc, "decipher", None)
    if decipher is None:
        return

    def lenient(objid, genno, data, *args, **kwargs):
        out = decipher(objid, genno, data, *args, **kwargs)
        if isinstance(data, bytes) and _NAME_LIKE.match(data) and not _NAME_LIKE.match(out):
            return data
        return out

    doc.decipher = lenient


def _without_owner_security(data: bytes) -> bytes | None:
    """The PDF saved by PDFium without its security handler, where it opens with no password; else None.

    pdfminer does not implement every security handler; PDFium opens more of the files that only
    restrict printing or copying."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    try:
        doc = pypdfium2.PdfDocument(data)  # fails when a user password is needed
    except Exception:  # noqa: BLE001 - PdfiumError and friends: not openable without a password
        return None
    try:
        buf = io.BytesIO()
        doc.save(buf, flags=pdfium_c.FPDF_REMOVE_SECURITY)
        plain = buf.getvalue()
    except Exception:  # noqa: BLE001
        return None
    finally:
        doc.close()
    return plain if b"/Encrypt" not in plain else None


def _check_pages(pdf) -> None:
    """Refuse a PDF whose page tree declares more than :data:`limits.MAX_PAGES` pages, before any page is read."""
    try:
        count = int(resolve1(resolve1(pdf.doc.catalog.get("Pages")).get("Count")))
    except Exception:  # noqa: BLE001 - no usable count: the pages are counted as they are read
        return
    if count > limits.MAX_PAGES:
        raise _too_many_pages(str(count))


def _too_many_pages(count: str) -> Quarantine:
    return Quarantine("too_many_pages", f"the PDF has {count} pages (limit {limits.MAX_PAGES}); reports have tens")


def _no_text(data: bytes, message: str) -> Document:
    if OCR_FALLBACK is not None:
        return OCR_FALLBACK(data)
    raise Quarantine("no_text_layer", message)


# Pages read from PDFium's objects and pages read with pdfminer's layout, since the process started.
PAGES_READ = {"pdfium": 0, "pdfminer": 0}


def _use_pdfium(page, doc, pno: int, fonts: dict | None = None) -> None:
    """Give ``page`` the objects PDFium reads (compiled, several times faster than pdfminer's layout) where
    :mod:`.pdf_geometry` models the page faithfully; otherwise pdfplumber builds them with pdfminer. A page
    where PDFium finds no glyph is also left to pdfminer, which decides whether it goes to :data:`OCR_PAGE`
    (cheap on a scanned page: its image is not decoded). ``fonts``: the document's font readings so far."""
    objects = None
    try:
        descents = pdf_geometry.font_descents(_page_fonts(page), fonts) if doc is not None else None
        if descents is not None:
            objects = pdf_geometry.page_objects(
                doc, pno - 1, page.page_number, page.initial_doctop, descents, (page.width, page.height)
            )
    except Exception:  # noqa: BLE001 - anything PDFium or the resources refuse: the page is read with pdfminer
        objects = None
    if objects is None or not objects.get("char"):
        PAGES_READ["pdfminer"] += 1
        return
    PAGES_READ["pdfium"] += 1
    page._objects = objects  # pdfplumber's cache of the page's objects, filled instead of its layout


def _page_fonts(page) -> dict:
    resources = resolve1(page.page_obj.resources) or {}
    return resolve1(resources.get("Font")) or {}


def _silent(*args, **kwargs) -> None:
    return None


@contextlib.contextmanager
def _quiet_pdfminer():
    """While a PDF is read, pdfminer's and pdfplumber's loggers that would drop debug records anyway skip the
    call: pdfminer logs at debug level for every token of a content stream, and the calls alone cost about a
    tenth of the reading time. A logger enabled for debug keeps its records."""
    quiet = [
        lg
        for name, lg in list(logging.root.manager.loggerDict.items())
        if name.startswith(("pdfminer", "pdfplumber"))
        and isinstance(lg, logging.Logger)
        and not lg.isEnabledFor(logging.DEBUG)
    ]
    for lg in quiet:
        lg.debug = _silent
    try:
        yield
    finally:
        for lg in quiet:
            lg.__dict__.pop("debug", None)


@register("pdf")
def read_pdf(data: bytes) -> Document:
    with _quiet_pdfminer():
        return _read_pdf(data)


def _read_pdf(data: bytes, fast: bool = True) -> Document:
    """The Document of a PDF; ``fast`` reads pages from PDFium's objects where they are modelled faithfully
    (False: every page with pdfminer's layout, as pdfplumber does)."""
    if b"%%EOF" not in data[-4096:]:
        raise Quarantine("corrupt_pdf", "the file is truncated (no %%EOF marker at its end)")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds of parse errors
        q = _open_error(exc)
        plain = _without_owner_security(data) if q.reason == "encrypted" and b"/Encrypt" in data else None
        if plain is None:
            raise q from None
        return _read_pdf(plain, fast)  # saved without its security handler: no /Encrypt, no second retry
    with pdf:
        _lenient_decryption(pdf.doc)
        _check_pages(pdf)
        # encrypted files keep pdfminer's decryption (see _lenient_decryption)
        doc = pdf_geometry.open_document(data) if fast and pdf.doc.encryption is None else None
        if doc is not None and len(doc) != len(pdf.pages):  # the parsers see other pages: pdfminer reads all
            pdf_geometry.close_document(doc)
            doc = None
        try:
            blocks: list = []
            n_tables = 0
            total_text = total_glyphs = total_cid = 0
            n_pages = 0
            ocr_pages = []
            fonts: dict = {}  # each referenced font read once for the pages that share it
            for pno, page in enumerate(pdf.pages, start=1):
                if pno > limits.MAX_PAGES:
                    raise _too_many_pages(f"over {limits.MAX_PAGES}")
                n_pages += 1
                _use_pdfium(page, doc, pno, fonts)
                items, n_text, n_glyphs, n_cid = _read_page(page, pno)
                if not n_glyphs and OCR_PAGE is not None:
                    items = OCR_PAGE(data, pno)
                    ocr_pages.append(pno)
                    n_text = sum(
                        len(b.text) if isinstance(b, Paragraph) else sum(map(len, sum(b.rows, []))) for _, b in items
                    )
                total_text += n_text
                total_glyphs += n_glyphs
                total_cid += n_cid
                for _, block in items:
                    if isinstance(block, Table):
                        block.index = n_tables
                        n_tables += 1
                    blocks.append(block)
                page.close()  # frees the page's cached layout objects
            meta = _metadata(pdf)
        except Quarantine:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _open_error(exc) from None
        finally:
            if doc is not None:
                pdf_geometry.close_document(doc)
    if not n_pages:
        raise Quarantine("corrupt_pdf", "the PDF has no pages")
    if total_text < MIN_TEXT_CHARS and ocr_pages:
        raise Quarantine("no_text_layer", f"no text layer on {n_pages} page(s) and OCR found no text on them")
    if total_text < MIN_TEXT_CHARS:
        return _no_text(data, f"no text layer on {n_pages} page(s); the file needs OCR")
    if total_cid > total_glyphs / 2:
        return _no_text(data, "the text layer has no Unicode mapping (cid glyphs); the file needs OCR")
    meta["pdf:pages"] = str(n_pages)
    if ocr_pages:
        meta["ocr:pages"] = ",".join(map(str, ocr_pages))
    return Document(blocks=blocks, format="pdf", meta=meta)
