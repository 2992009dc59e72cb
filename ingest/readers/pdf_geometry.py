"""A PDF page's characters and ruling paths read with PDFium (compiled), as pdfplumber's objects.

pdfplumber builds its objects from pdfminer's layout, whose content-stream interpreter is written in Python
and dominates the time to read a report. This module builds the same objects from PDFium's text page and
path objects, in pdfplumber's conventions (top-left origin; ``x0``/``x1``/``top``/``bottom``/``doctop``), so
that pdfplumber's own table finder and text extraction run unchanged on them:

* a character's box is pdfminer's: from its origin, its advance width wide, one font size high from the
  font's descent; characters come in content-stream order; PDFium's generated spaces and line breaks are
  left out;
* a painted path becomes a ``line`` (one segment), a ``rect`` (an axis-aligned closed box) or a ``curve``
  (its points), one per subpath, as pdfminer classifies them.

:func:`page_objects` returns ``None`` for a page it cannot model faithfully (rotated page, offset boxes,
non-upright text, vertical writing with other than the default advance, glyphs without a Unicode mapping
or width, text under an ``/ActualText`` replacement, form XObjects); :func:`font_descents` is ``None`` for a
page with a Type 3 font.
The caller reads those pages with pdfminer.
"""

from __future__ import annotations

import ctypes
import re
import threading

import pypdfium2
import pypdfium2.raw as pdfium_c
from pdfminer.fontmetrics import FONT_METRICS
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral

_SURROGATE = re.compile("[\ud800-\udfff]")
_SEGMENT_MOVE = pdfium_c.FPDF_SEGMENT_MOVETO
_SEGMENT_BEZIER = pdfium_c.FPDF_SEGMENT_BEZIERTO


def _fast(func, restype, *argtypes):
    """PDFium's ``func`` taking and returning handles as plain addresses (ints): without pypdfium2's typed
    pointers a ctypes call costs about a third less, which counts in the per-character and per-object loops."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(func, ctypes.c_void_p).value)


def _address(handle) -> int:
    """The address of a pypdfium2 handle (a typed pointer), for the functions made by :func:`_fast`."""
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


_P, _I = ctypes.c_void_p, ctypes.c_int
_count_objects = _fast(pdfium_c.FPDFPage_CountObjects, _I, _P)
_get_object = _fast(pdfium_c.FPDFPage_GetObject, _P, _P, _I)
_object_type = _fast(pdfium_c.FPDFPageObj_GetType, _I, _P)
_is_generated = _fast(pdfium_c.FPDFText_IsGenerated, _I, _P, _I)
_map_error = _fast(pdfium_c.FPDFText_HasUnicodeMapError, _I, _P, _I)
_text_object = _fast(pdfium_c.FPDFText_GetTextObject, _P, _P, _I)
_char_origin = _fast(pdfium_c.FPDFText_GetCharOrigin, _I, _P, _I, _P, _P)
_font_size = _fast(pdfium_c.FPDFText_GetFontSize, ctypes.c_double, _P, _I)
_char_matrix = _fast(pdfium_c.FPDFText_GetMatrix, _I, _P, _I, _P)
_text_font = _fast(pdfium_c.FPDFTextObj_GetFont, _P, _P)
_font_base_name = _fast(pdfium_c.FPDFFont_GetBaseFontName, ctypes.c_size_t, _P, _P, ctypes.c_size_t)
_glyph_width = _fast(pdfium_c.FPDFFont_GetGlyphWidth, _I, _P, ctypes.c_uint32, ctypes.c_float, _P)
_count_marks = _fast(pdfium_c.FPDFPageObj_CountMarks, _I, _P)
_get_mark = _fast(pdfium_c.FPDFPageObj_GetMark, _P, _P, ctypes.c_ulong)
_mark_param_type = _fast(pdfium_c.FPDFPageObjMark_GetParamValueType, _I, _P, ctypes.c_char_p)
_draw_mode = _fast(pdfium_c.FPDFPath_GetDrawMode, _I, _P, _P, _P)
_object_matrix = _fast(pdfium_c.FPDFPageObj_GetMatrix, _I, _P, _P)
_count_segments = _fast(pdfium_c.FPDFPath_CountSegments, _I, _P)
_get_segment = _fast(pdfium_c.FPDFPath_GetPathSegment, _P, _P, _I)
_segment_type = _fast(pdfium_c.FPDFPathSegment_GetType, _I, _P)
_segment_point = _fast(pdfium_c.FPDFPathSegment_GetPoint, _I, _P, _P, _P)
_segment_close = _fast(pdfium_c.FPDFPathSegment_GetClose, _I, _P)


def font_descents(fonts, cache: dict | None = None) -> dict[str, float | None] | None:
    """The descent (per 1000 units of text space, at most 0) pdfminer gives each font of a page's font
    resources (a dict of font dictionaries), by base font name; ``None`` for a name two fonts with different
    descents share. The whole result is None where a font is Type 3 (pdfminer boxes its glyphs from the font's
    own matrix) or the resources cannot be read: that page is read with pdfminer. ``cache`` (one per
    document) keeps each referenced font's reading for the pages that share it.

    pdfminer takes the descent from the font descriptor (a composite font's: its descendant's), from the
    built-in metrics for the standard 14 names, and 0 without either; PDFium's own value differs for fonts
    it substitutes."""
    out: dict[str, float | None] = {}
    cache = {} if cache is None else cache
    try:
        for spec in fonts.values():
            key = getattr(spec, "objid", None)  # a font referenced, not written inline, is shared by pages
            if key is not None and key in cache:
                font = cache[key]
            else:
                font = _font_descent(resolve1(spec))
                if key is not None:
                    cache[key] = font
            if font is None:
                return None
            names, descent = font
            for name in names:
                out[name] = descent if out.get(name, descent) == descent else None
    except Exception:  # noqa: BLE001 - unreadable font resources: read the page with pdfminer
        return None
    return out


def _font_descent(spec) -> tuple[list[str], float] | None:
    """A font dictionary's base font names (a composite font's and its descendant's) and its descent; None
    for a Type 3 font."""
    subtype = _name(spec.get("Subtype"))
    if subtype == "Type3":
        return None
    names = [_name(spec.get("BaseFont"))]
    if subtype == "Type0":
        spec = resolve1(resolve1(spec["DescendantFonts"])[0])
        names.append(_name(spec.get("BaseFont")))
        descent = _descriptor_descent(spec)
    elif names[0] in FONT_METRICS:
        descent = float(FONT_METRICS[names[0]][0].get("Descent", 0))  # type: ignore[arg-type]
    else:
        descent = _descriptor_descent(spec)
    return names, -abs(descent)


def _descriptor_descent(spec) -> float:
    descriptor = resolve1(spec.get("FontDescriptor")) or {}
    return float(resolve1(descriptor.get("Descent", 0)) or 0)


def _name(value) -> str:
    value = resolve1(value)
    if not isinstance(value, PSLiteral):
        return ""
    return _text(value.name)


def _text(name: str | bytes) -> str:
    if isinstance(name, str):
        return name
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError:
        return name.decode("latin-1")


# PDFium is not thread-safe: one thread at a time calls it from here (worker processes each have their own).
LOCK = threading.Lock()


def open_document(data: bytes) -> pypdfium2.PdfDocument | None:
    """The file opened with PDFium, or None where PDFium cannot open it."""
    with LOCK:
        try:
            return pypdfium2.PdfDocument(data)
        except Exception:  # noqa: BLE001 - PdfiumError: the caller reads the file with pdfminer
            return None


def close_document(doc: pypdfium2.PdfDocument) -> None:
    with LOCK:
        doc.close()


def _font_name(font: int) -> str:
    buf = ctypes.create_string_buffer(256)
    n = _font_base_name(font, ctypes.addressof(buf), 256)
    return _text(buf.raw[: max(n - 1, 0)]) if n else ""


class _Unsupported(Exception):
    """The page holds something this model does not reproduce."""


def page_objects(
    doc: pypdfium2.PdfDocument,
    index: int,
    page_number: int,
    doctop: float,
    descents: dict[str, float | None],
    size: tuple[float, float] | None = None,
) -> dict | None:
    """pdfplumber's ``objects`` of page ``index`` (chars, rects, lines, curves), or None where not modelled;
    ``descents`` is :func:`font_descents` of the page's fonts. ``size``: the page's width and height as
    pdfplumber sees it; a page PDFium sizes otherwise (two parsers that repaired a damaged file
    differently) is not modelled."""
    with LOCK:
        page = doc[index]
        try:
            if size is not None and any(abs(a - b) > 0.01 for a, b in zip(page.get_size(), size)):
                return None
            return _page_objects(page, page_number, doctop, descents)
        except _Unsupported:
            return None
        finally:
            page.close()


def _page_objects(page, page_number: int, doctop: float, descents: dict[str, float | None]) -> dict:
    raw = page.raw
    if pdfium_c.FPDFPage_GetRotation(raw) != 0:
        raise _Unsupported
    media = page.get_mediabox()
    if tuple(media[:2]) != (0, 0) or tuple(page.get_cropbox()) != tuple(media):
        raise _Unsupported
    height = media[3]
    order: dict[int, int] = {}  # text object (its address) -> its place in the content stream
    paths = []
    address = _address(raw)
    get_object, object_type = _get_object, _object_type
    text, path, form = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    for k in range(_count_objects(address)):
        obj = get_object(address, k)
        kind = object_type(obj)
        if kind == text:
            order[obj] = k
        elif kind == path:
            paths.append(obj)
        elif kind == form:
            raise _Unsupported
    objects: dict[str, list[dict]] = {}
    chars = _chars(page, order, height, page_number, doctop, descents)
    if chars:
        objects["char"] = chars
    for obj in paths:
        for item in _path_items(obj, height, page_number, doctop):
            objects.setdefault(item["object_type"], []).append(item)
    return objects


_GENERATED_CANDIDATES = frozenset(range(0x21)) | {0xFFFE}  # PDFium's generated characters are among these


def _codes(raw, n: int) -> list[int]:
    """The Unicode code of every character of the text page, in one call where the text has no surrogates."""
    buf = ctypes.create_string_buffer((n + 1) * 2)
    got = pdfium_c.FPDFText_GetText(raw, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    text = buf.raw[: max(got - 1, 0) * 2].decode("utf-16-le", "surrogatepass")
    if len(text) == n and not _SURROGATE.search(text):
        return list(map(ord, text))
    return [pdfium_c.FPDFText_GetUnicode(raw, i) for i in range(n)]


def _chars(
    page, order: dict[int, int], height: float, page_number: int, doctop: float, descents: dict[str, float | None]
) -> list[dict]:
    textpage = page.get_textpage()
    try:
        n = pdfium_c.FPDFText_CountChars(textpage.raw)
        codes = _codes(textpage.raw, n) if n > 0 else []
        raw = _address(textpage.raw)
        ox, oy = ctypes.c_double(), ctypes.c_double()
        ox_at, oy_at = ctypes.addressof(ox), ctypes.addressof(oy)
        facts = _ObjectFacts(raw, order, descents)
        objects: dict[int, tuple] = {}
        is_generated, map_error, text_object, char_origin = _is_generated, _map_error, _text_object, _char_origin
        rows = []
        for i, code in enumerate(codes):
            if code in _GENERATED_CANDIDATES and is_generated(raw, i):
                continue
            if map_error(raw, i) == 1:
                raise _Unsupported
            obj = text_object(raw, i)
            known = objects.get(obj)
            if known is None:  # font, size and matrix belong to the text object
                known = objects[obj] = facts.of(obj, i)
            rank, name, desc, size, a, d, widths, font = known
            adv = widths.get(code)
            if adv is None:
                adv = widths[code] = facts.width(font, code, size)
            char_origin(raw, i, ox_at, oy_at)
            x0 = ox.value
            if adv >= 0:  # horizontal writing: from the origin, advance wide, one size high from the descent
                x1 = x0 + adv * a
                y0 = oy.value + desc * d
                y1 = y0 + size * d
                char_size = size * d
            elif abs(adv + size) <= 1e-6 * size:
                # vertical writing with the default advance (one em down): PDFium's origin is the box's lower
                # left corner (displaced by the glyph's vertical origin), one size wide, one advance high
                x1 = x0 + size * a
                y0 = oy.value
                y1 = y0 - adv * d
                char_size = size * a
            else:
                raise _Unsupported  # vertical writing with other advances
            top = height - y1
            rows.append(
                (
                    rank,
                    i,
                    {
                        "fontname": name,
                        "adv": adv,
                        "upright": True,
                        "x0": x0,
                        "y0": y0,
                        "x1": x1,
                        "y1": y1,
                        "width": x1 - x0,
                        "height": y1 - y0,
                        "size": char_size,
                        "object_type": "char",
                        "page_number": page_number,
                        "text": chr(code),
                        "top": top,
                        "bottom": height - y0,
                        "doctop": doctop + top,
                    },
                )
            )
    finally:
        textpage.close()
    rows.sort()  # content-stream order (rank, then index: never equal): PDFium orders a line's objects by position
    return [r[2] for r in rows]


class _ObjectFacts:
    """What a text page's text objects tell about their characters, each object read once (most objects of a
    report's page hold one or two characters)."""

    def __init__(self, raw: int, order: dict[int, int], descents: dict[str, float | None]) -> None:
        self.raw, self.order, self.descents = raw, order, descents
        self.matrix = pdfium_c.FS_MATRIX()
        self.matrix_at = ctypes.addressof(self.matrix)
        self.width_out = ctypes.c_float()
        self.width_at = ctypes.addressof(self.width_out)
        self.fonts: dict[int, tuple[str, float]] = {}  # font -> its base name and descent per unit of size
        self.widths: dict[tuple[int, float], dict[int, float]] = {}  # (font, size) -> advance by code

    def of(self, obj: int, i: int) -> tuple:
        """Character ``i``'s text object ``obj``: its rank in the content stream, font name, descent, size,
        horizontal and vertical scale, its font's advances at that size (filled by :meth:`width`), font."""
        rank = self.order.get(obj)
        if rank is None:
            raise _Unsupported  # a glyph outside the page's own objects
        if _count_marks(obj) and _actual_text(obj):
            raise _Unsupported  # PDFium reads the replacement text, pdfminer the glyphs
        raw, matrix = self.raw, self.matrix
        font = _text_font(obj)
        size = _font_size(raw, i)
        _char_matrix(raw, i, self.matrix_at)
        a, d = matrix.a, matrix.d
        if matrix.b != 0 or matrix.c != 0 or a <= 0 or d <= 0:
            raise _Unsupported  # rotated, skewed or mirrored text
        if not font:
            raise _Unsupported
        named = self.fonts.get(font)
        if named is None:
            name = _font_name(font)
            units = self.descents.get(name)
            if units is None:
                raise _Unsupported  # a font not among the page's resources, or two with one name
            named = self.fonts[font] = (name, units * 0.001)
        widths = self.widths.get((font, size))
        if widths is None:
            widths = self.widths[font, size] = {}
        return rank, named[0], named[1] * size, size, a, d, widths, font

    def width(self, font: int, code: int, size: float) -> float:
        if not _glyph_width(font, code, size, self.width_at):
            raise _Unsupported
        return self.width_out.value


def _actual_text(obj: int) -> bool:
    """True where the text object lies in marked content with an ``/ActualText`` replacement."""
    for k in range(_count_marks(obj)):
        mark = _get_mark(obj, k)
        if _mark_param_type(mark, b"ActualText") != pdfium_c.FPDF_OBJECT_UNKNOWN:
            return True
    return False


def _path_items(obj: int, height: float, page_number: int, doctop: float) -> list[dict]:
    """pdfminer's layout items for one painted path: one per subpath."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not _draw_mode(obj, ctypes.addressof(fill), ctypes.addressof(stroke)) or not (fill.value or stroke.value):
        return []
    m = pdfium_c.FS_MATRIX()
    _object_matrix(obj, ctypes.addressof(m))
    a, b, c, d, e, f = m.a, m.b, m.c, m.d, m.e, m.f
    x, y = ctypes.c_float(), ctypes.c_float()
    x_at, y_at = ctypes.addressof(x), ctypes.addressof(y)
    subpaths: list[tuple[list[str], list[tuple[float, float]]]] = []  # per subpath: its operators, its points
    ops: list[str] = []
    pts: list[tuple[float, float]] = []
    bezier = 0
    for k in range(_count_segments(obj)):
        seg = _get_segment(obj, k)
        kind = _segment_type(seg)
        _segment_point(seg, x_at, y_at)
        px, py = x.value, y.value
        pt = (a * px + c * py + e, b * px + d * py + f)
        if kind == _SEGMENT_MOVE:
            ops, pts = ["m"], [pt]
            subpaths.append((ops, pts))
            bezier = 0
            continue
        if not subpaths:
            continue
        if kind == _SEGMENT_BEZIER:
            bezier += 1
            if bezier % 3:
                continue  # control points: pdfminer keeps a curve segment's end point
            ops.append("c")
        else:
            ops.append("l")
        pts.append(pt)
        if _segment_close(seg):
            ops.append("h")
            pts.append(pts[0])
    items = []
    for ops, pts in subpaths:
        item = _classify(ops, pts, height, page_number, doctop)
        if item is not None:
            items.append(item)
    return items


def _classify(
    ops: list[str], pts: list[tuple[float, float]], height: float, page_number: int, doctop: float
) -> dict | None:
    shape = "".join(ops)
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if len(pts) < 2:
        return None
    kind = "curve"
    if shape in ("mlh", "ml"):
        kind = "line"
        pts = pts[:2]
    elif shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if pts[0] == pts[4] and square:
            kind = "rect"
            pts = [pts[0], pts[2]]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    item = {
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "width": x1 - x0,
        "height": y1 - y0,
        "object_type": kind,
        "page_number": page_number,
        "top": height - y1,
        "bottom": height - y0,
        "doctop": doctop + height - y1,
    }
    if kind == "curve":
        item["pts"] = [(px, height - py) for px, py in pts]
    return item
