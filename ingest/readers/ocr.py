"""Scanned and photographed reports: page images read by OCR.

The engine is RapidOCR (PP-OCR detection and recognition models shipped
inside the ``rapidocr-onnxruntime`` wheel, run by onnxruntime); nothing is
downloaded. Per page: red seal ink is whitened and the tilt removed
(:mod:`.ocr_table`); ruled tables are found by their lines and each cell's
text lines are recognised on their own, so a lone ``0`` in a cell is read
even where a page-wide text detector would miss it; the text outside the
tables is detected and read line by line. Lines whose boxes stand apart in
columns (an unruled table) become one paragraph with the parts separated by
spaces, which the layout mapping reads as a label followed by values.

Every OCR'd table cell and paragraph carries the engine's confidence
(``Table.confidence``, ``Paragraph.confidence``), and the document lists the
pages it read by OCR in ``meta["ocr:pages"]``.

Image files (JPG, PNG, TIFF, multi-page TIFF) are read here as format
``image``; PDF pages without a text layer are handed over by the PDF reader
(:data:`.pdf.OCR_PAGE`).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterable, Iterator

import numpy as np

from ..model import Block, Document, Paragraph, Quarantine, SpanCell, Table, build_grid
from . import ocr_table, pdf, register

DPI = 200  # PDF pages are rendered at this resolution
THREADS = int(os.environ.get("XXGK_OCR_THREADS", "1"))  # onnxruntime threads per process
_ENGINE = None
_LOCK = threading.Lock()

IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def image_kind(data: bytes) -> str | None:
    """``png``, ``jpeg`` or ``tiff`` by the magic bytes, else None."""
    for magic, kind in IMAGE_MAGIC:
        if data.startswith(magic):
            return kind
    return None


def engine():
    """The shared recogniser, loaded once per process from the models inside the package."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:  # the engine is an optional install
                raise Quarantine(
                    "no_text_layer", f"the file needs OCR and the OCR engine is not installed ({exc})"
                ) from None
            _ENGINE = RapidOCR(
                text_score=0.0, intra_op_num_threads=THREADS, inter_op_num_threads=1, print_verbose=False
            )
            _faster_sessions(_ENGINE)
        return _ENGINE


def _session(model: str | bytes):
    """An onnxruntime CPU session: ``THREADS`` threads, memory arena on (crops of many widths), full graph optimisation."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.enable_cpu_mem_arena = True
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def _faster_sessions(eng) -> None:
    """Detection and recognition run on the wheel's models with their element-wise chains folded
    (:mod:`.ocr_model`: same arithmetic, about half the CPU); unchanged where ``onnx`` is not installed
    or the models cannot be folded."""
    try:
        from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
        from rapidocr_onnxruntime.utils import read_yaml
        from rapidocr_onnxruntime.utils.parse_parameters import update_model_path

        from . import ocr_model

        paths = update_model_path(read_yaml(DEFAULT_CFG_PATH))
        det = _session(ocr_model.optimise(paths["Det"]["model_path"]))
        rec = _session(ocr_model.optimise(paths["Rec"]["model_path"]))
    except Exception:  # noqa: BLE001 - onnx not installed, or a model it cannot fold: the engine's own sessions read
        return
    eng.text_det.infer.session = det
    eng.text_rec.session.session = rec


REC_BATCH = 1  # crops per onnxruntime run: with one thread a batch is no faster, and its padding costs
ZERO_LIKE = frozenset("〇Oo○Ｏｏ")  # round glyphs the recogniser also reads a printed zero as
# the digit each digit-like output stands for: ASCII and full-width digits, and the round zero glyphs
DIGIT_OF = {
    **{d: d for d in "0123456789"},
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    **dict.fromkeys(ZERO_LIKE, "0"),
}
STRAY_MARKS = ".,。，·、'`"  # specks the recogniser reads beside a number
SHORT_CELL = 6  # a one-line cell at most this many times as wide as high is read with its row
DET_SCALE = 0.5  # text is found on a half-size page (about 100 dpi), then read at full size


def _decode(images: list[np.ndarray]) -> list[list[tuple[str, float, float]]]:
    """Per image, the recognised characters as (char, probability, x centre in image pixels).

    Each image is run at its own width (``REC_BATCH`` 1): nothing is padded,
    so a crop reads the same whatever else is on the page (the engine's own
    batching pads every crop to at least 320 pixels, which makes a table of
    short numbers several times slower to read). The CTC output is decoded here so each character keeps its own probability
    and position. A digit's probability is its share of the probability
    of all ten digits: how sure the engine is which digit it saw (a 0 it
    also finds like the letter O is still surely no 8). Full-width digits
    and the round glyphs a printed zero is also read as (:data:`ZERO_LIKE`)
    count as their digit in that share and carry it: in a cell of digits
    they are the digits printed in the report's font (:func:`_cell_text`).
    """
    rec = engine().text_rec
    charset = rec.postprocess_op.character
    rgb = [np.stack([c] * 3, axis=-1) if c.ndim == 2 else c for c in images]
    ratios = [c.shape[1] / c.shape[0] for c in rgb]
    order = sorted(range(len(rgb)), key=ratios.__getitem__)
    out: list[list[tuple[str, float, float]]] = [[] for _ in rgb]
    height = rec.rec_image_shape[1]
    digit_of = np.array([int(DIGIT_OF[ch]) if ch in DIGIT_OF else -1 for ch in charset])
    digit_like = digit_of >= 0
    for start in range(0, len(order), REC_BATCH):
        idx = order[start : start + REC_BATCH]
        max_ratio = max(max(ratios[i] for i in idx), 1.0)
        batch = np.stack([rec.resize_norm_img(rgb[i], max_ratio) for i in idx]).astype(np.float32)
        preds = rec.session(batch)[0]
        width_in = batch.shape[-1]
        steps = preds.shape[1]
        best_all = preds.argmax(axis=2)
        prob_all = np.take_along_axis(preds, best_all[..., None], axis=2)[..., 0]
        for k, i in enumerate(idx):
            resized_w = min(width_in, int(np.ceil(height * ratios[i])))
            scale = rgb[i].shape[1] / max(resized_w, 1)
            best, prob = best_all[k], prob_all[k]
            chars: list[list] = []
            prev = 0
            for t in np.flatnonzero(best | np.r_[0, best[:-1]]).tolist():  # steps with a character or right after one
                a = int(best[t])
                p = float(prob[t])
                if digit_like[a]:  # its digit's share among the ten digits (each with its look-alikes)
                    step = preds[k][t]
                    p = float(step[digit_of == digit_of[a]].sum())
                    p = p / max(float(step[digit_like].sum()), p)
                if a and a == prev and chars:
                    chars[-1][1] = max(chars[-1][1], p)
                elif a:
                    chars.append([charset[a], p, (t + 0.5) * width_in / steps * scale])
                prev = a
            out[i] = [(c, p, x) for c, p, x in chars if c.strip()]
    return out


def _cell_text(chars: list[tuple[str, float]]) -> tuple[str, float]:
    """Text and lowest probability of recognised characters. Where every one is digit-like (a digit,
    a full-width digit, a round zero glyph such as ``〇``), the text is a number and each is its digit
    (its probability already is that of its digit, see :func:`_decode`). A stray mark read after the
    digits (``0.``) is dropped from the text, the value being the same, but its probability still
    counts: a mark the engine is unsure of leaves the number doubtful. A mark before them is kept
    (``.5`` is not 5)."""
    text = "".join(c for c, _ in chars)
    core = text.rstrip(STRAY_MARKS)
    if core and all(c in DIGIT_OF for c in core):
        text = "".join(DIGIT_OF[c] for c in core)
    return text, min((p for _, p in chars), default=0.0)


def recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Text of each single-line crop, with the lowest probability among its characters."""
    if not crops:
        return []
    return [_cell_text([(c, p) for c, p, _ in chars]) for chars in _decode(crops)]


def recognise_strip(crops: list[np.ndarray], spacing: float = 1.0) -> list[tuple[str, float]]:
    """Single-line crops read side by side as one line (a table row), each crop's characters kept apart.

    A lone digit read alone gives the recogniser no context and a poor
    confidence; read in a line with its neighbours it is read as printed.
    The crops stand ``spacing`` line heights apart.
    """
    if not crops:
        return []
    h = max(c.shape[0] for c in crops)
    parts, bounds, x = [], [], 0
    gap = np.full((h, max(1, round(h * spacing))), 255, np.uint8)
    for c in crops:
        top = (h - c.shape[0]) // 2
        part = np.full((h, c.shape[1]), 255, np.uint8)
        part[top : top + c.shape[0]] = c
        if parts:
            parts.append(gap)
            x += gap.shape[1]
        bounds.append((x, x + c.shape[1]))
        parts.append(part)
        x += c.shape[1]
    (chars,) = _decode([np.hstack(parts)])
    got: list[list[tuple[str, float]]] = [[] for _ in crops]
    for ch, p, cx in chars:
        k = min(
            range(len(bounds)),
            key=lambda j: (
                0 if bounds[j][0] <= cx <= bounds[j][1] else min(abs(cx - bounds[j][0]), abs(cx - bounds[j][1]))
            ),
        )
        got[k].append((ch, p))
    return [_cell_text(g) for g in got]


DET_MARGIN = 24  # blank rows (at detection scale) kept above and below each band of ink


def _ink_bands(small: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges of a page holding ink, each with ``DET_MARGIN`` blank rows around it; bands that touch are one."""
    rows = (small < 128).sum(axis=1) >= 2
    near = np.convolve(rows.astype(np.int32), np.ones(2 * DET_MARGIN + 1, np.int32), mode="same") > 0
    edges = np.flatnonzero(np.diff(np.r_[0, near.astype(np.int8), 0]))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _det_boxes(small: np.ndarray) -> list[np.ndarray]:
    """PP-OCR detection run only on the bands of the page that hold ink (the tables are already
    whitened out), each padded with white to the model's multiple of 32 rather than resized; the
    boxes (4 corner points) in page coordinates at detection scale."""
    det = engine().text_det
    out: list[np.ndarray] = []
    w = small.shape[1]
    for y0, y1 in _ink_bands(small):
        h = y1 - y0
        pad = np.full((-(-h // 32) * 32, -(-w // 32) * 32), 255, np.uint8)
        pad[:h, :w] = small[y0:y1]
        x = (pad.astype(np.float32) / 255.0 - 0.5) / 0.5
        preds = det.infer(np.ascontiguousarray(np.broadcast_to(x, (1, 3, *x.shape))))[0]
        boxes, _ = det.postprocess_op(preds, pad.shape)
        if boxes is None or not len(boxes):
            continue
        for box in det.filter_tag_det_res(boxes, (h, w)):
            box[:, 1] += y0
            out.append(box)
    return out


def detect(grey: np.ndarray, scale: float = DET_SCALE) -> list[tuple[tuple[float, float, float, float], str, float]]:
    """Text boxes (x0, y0, x1, y1), texts and confidences of a page (found on the page scaled by ``scale``)."""
    import cv2

    if (grey < 128).mean() < 1e-4:  # nothing printed outside the tables
        return []
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    boxes = _det_boxes(small)
    if not len(boxes):
        return []
    h, w = grey.shape
    rects, crops = [], []
    for box in boxes:
        xs, ys = box[:, 0] / scale, box[:, 1] / scale
        x0, y0 = max(0, int(xs.min()) - 2), max(0, int(ys.min()) - 2)
        x1, y1 = min(w, int(xs.max()) + 3), min(h, int(ys.max()) + 3)
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        rects.append((float(x0), float(y0), float(x1), float(y1)))
        crops.append(grey[y0:y1, x0:x1])
    return [(r, t, s) for r, (t, s) in zip(rects, recognise(crops)) if t]


# ---------------------------------------------------------------- page reading


def _join(parts: list[str]) -> str:
    """Lines of one cell joined without separator; a space between two Latin letters or digits (unlike
    :func:`~ingest.model.join_lines`, digits on two lines stay apart)."""
    out = ""
    for p in parts:
        if out and out[-1].isascii() and out[-1].isalnum() and p[:1].isascii() and p[:1].isalnum():
            out += " "
        out += p
    return out  # normalised when the Document is made


REREAD_BELOW = 0.98  # a row with a cell read less surely than this is read a second time


def _read_row(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """A table row's one-line cells read as a strip; where a number is doubtful, the row is read again
    spaced wider. A doubtful number the second reading agrees with is as sure as the surer of the two;
    one it does not agree with keeps its text but confidence 0, so it is stored unreadable with a
    finding (:mod:`ingest.ocr_review`), never kept as a number. Cells
    read surely the first time are kept as read. A cell whose ink gave no text in the strip (its
    characters lost between its neighbours') is read on its own, with that reading's confidence."""
    first = recognise_strip(crops)
    empty = [i for i, (t, _) in enumerate(first) if not t]
    for i, res in zip(empty, recognise([crops[i] for i in empty])):
        first[i] = res
    doubtful = [i for i, (t, p) in enumerate(first) if t.isdigit() and p < REREAD_BELOW]
    if not doubtful:
        return first
    again = recognise_strip(crops, spacing=2.0)
    for i in doubtful:
        (t, p), (u, q) = first[i], again[i]
        first[i] = (t, max(p, q) if t == u else 0.0)  # two readings of one number disagree: not a number
    return first


def _cut_glyphs(grey: np.ndarray, grid: ocr_table.Grid) -> dict[tuple, tuple | None]:
    """One-row cells whose glyphs a rule cuts in two: the left cell maps to the joined box, the right one to None.

    Some reports draw a rule through a column of numbers; the digital reader
    sees the digits split over two cells and the layout joins them. Here the
    two halves are read as one, into the left cell, the right left empty.
    """
    by_pos = {(s[0], s[1]): s for s in grid.spans if s[2] - s[0] == 1}
    out: dict[tuple, tuple | None] = {}
    for (r, _c), left in by_pos.items():
        right = by_pos.get((r, left[3]))
        if right is None or left in out or not ocr_table.cut_by_rule(grey, grid, r, left[3] - 1):
            continue
        out[left] = (r, left[1], r + 1, right[3])
        out[right] = None
    return out


def _read_grid(grey: np.ndarray, clean: np.ndarray, grid: ocr_table.Grid, pno: int) -> Table:
    """A ruled table's cells read from the page (``clean``: the page with its rules whitened)."""
    nr, nc = grid.shape
    texts: dict[tuple, list[tuple[str, float]]] = {}
    singles: dict[int, list[tuple[tuple, np.ndarray]]] = {}  # grid row -> one-line cells starting there
    crops, owners = [], []
    joined = _cut_glyphs(grey, grid)
    for span in grid.spans:
        if span in joined and joined[span] is None:
            continue  # its ink is read with the cell to its left
        if span in joined:
            box = grid.cell_box(joined[span])
            lines = ocr_table.text_lines(ocr_table.without_rules(grey, box), box)
        else:
            lines = ocr_table.text_lines(clean, grid.cell_box(span))
        # short one-line cells (numbers) are read in their row; long text (labels) and cells over several
        # rows (labels) alone, so the language of a label does not turn the digits beside it into letters
        if len(lines) == 1 and span[2] - span[0] == 1 and lines[0].shape[1] <= SHORT_CELL * lines[0].shape[0]:
            singles.setdefault(span[0], []).append((span, lines[0]))
            continue
        for line in lines:
            crops.append(line)
            owners.append(span)
    for span, res in zip(owners, recognise(crops)):
        texts.setdefault(span, []).append(res)
    for cells in singles.values():
        cells.sort(key=lambda sc: sc[0][1])
        for (span, _), res in zip(cells, _read_row([c for _, c in cells])):
            texts[span] = [res]
    cells, scores = [], []
    for span in grid.spans:
        r0, c0, r1, c1 = span
        parts = [t for t in texts.get(span, []) if t[0]]
        cells.append(SpanCell(r0, c0, _join([t for t, _ in parts]), r1 - r0, c1 - c0))
        scores.append(min((s for _, s in parts), default=None))
    out = build_grid(cells, nr, nc, holes_covered=True)
    conf = [[None if i is None else scores[i] for i in row] for row in out.owners]
    return Table(rows=out.rows, page=pno, covered=out.covered, confidence=conf)


def _lines(boxes: list[tuple[tuple[float, float, float, float], str, float]]) -> list[list[tuple]]:
    """Boxes grouped into text lines by vertical overlap, each line left to right."""
    lines: list[list[tuple]] = []
    for b in sorted(boxes, key=lambda b: (b[0][1] + b[0][3]) / 2):
        cy = (b[0][1] + b[0][3]) / 2
        if lines:
            last = lines[-1]
            top = min(x[0][1] for x in last)
            bottom = max(x[0][3] for x in last)
            if top <= cy <= bottom:
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b[0][0]) for line in lines]


def _line_text(line: list[tuple]) -> str:
    """A line's text; parts that stand apart (columns of an unruled table) are kept apart by a space."""
    out = ""
    prev = None
    for (x0, y0, x1, y1), text, _ in line:
        if prev is not None:
            gap = x0 - prev
            out += " " if gap > (y1 - y0) * 0.8 else ""
        out += text
        prev = x1
    return " ".join(out.split())  # normalised further when the Document is made


def read_page_image(img: np.ndarray, pno: int, dpi: float = DPI) -> list[tuple[float, Block]]:
    """Blocks of one page image (of ``dpi``, if known) with their top coordinate."""
    grey = ocr_table.prepare(img)
    grey, _ = ocr_table.deskew(grey)
    grids = ocr_table.find_grids(grey)
    clean = ocr_table.erase_rules(grey) if grids else grey
    items: list[tuple[float, Block]] = []
    rest = grey.copy()
    for g in grids:
        x0, y0, x1, y1 = g.bbox
        rest[max(0, y0 - 3) : y1 + 4, max(0, x0 - 3) : x1 + 4] = 255
        items.append((float(y0), _read_grid(grey, clean, g, pno)))
    height = grey.shape[0]
    for line in _lines(detect(rest, DET_SCALE * DPI / dpi)):  # text is found at the same size at any dpi
        text = _line_text(line)
        top = min(b[0][1] for b in line)
        bottom = max(b[0][3] for b in line)
        if not text or pdf.is_footer(text, top, bottom, height):
            continue
        items.append((top, Paragraph(text, page=pno, confidence=min(b[2] for b in line))))
    items.sort(key=lambda it: it[0])
    return items


def document(
    pages: Iterable[tuple[int, np.ndarray]],
    fmt: str,
    meta: dict[str, str] | None = None,
    dpis: dict[int, float] | None = None,
) -> Document:
    """A Document from page images given as (page number, RGB or grey array), with their dpi where known
    (``dpis`` is read as each page comes, so a generator may fill it: one page image in memory at a time)."""
    blocks: list[Block] = []
    read: list[int] = []
    for pno, img in pages:
        blocks.extend(b for _, b in read_page_image(img, pno, DPI if dpis is None else dpis.get(pno, DPI)))
        read.append(pno)
    _number_tables(blocks)
    meta = dict(meta or {})
    meta["ocr:pages"] = ",".join(str(p) for p in read)
    return Document(blocks=blocks, format=fmt, meta=meta)


def _number_tables(blocks: list[Block]) -> None:
    n = 0
    for b in blocks:
        if isinstance(b, Table):
            b.index = n
            n += 1


def image_pages(data: bytes) -> list[np.ndarray]:
    """Every frame of an image file as an RGB or grey array."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        im = Image.open(io.BytesIO(data))
        frames = []
        for frame in ImageSequence.Iterator(im):
            mode = "L" if frame.mode in ("1", "L", "I;16", "I") else "RGB"
            frames.append(np.array(frame.convert(mode)))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise Quarantine("corrupt_image", f"the image could not be decoded: {exc}") from None
    if not frames:
        raise Quarantine("corrupt_image", "the image has no frames")
    return frames


@register("image")
def read_image(data: bytes) -> Document:
    frames = [page for frame in image_pages(data) for page in ocr_table.split_tall(frame)]
    doc = document(list(enumerate(frames, start=1)), "image", {"image:kind": image_kind(data) or "unknown"})
    if not doc.blocks:
        raise Quarantine("no_text_layer", f"OCR found no text in the image ({len(frames)} page(s))")
    return doc


NATIVE_DPI = (100.0, 400.0)  # a page that is one image of this resolution is read at it, not re-rendered


def _native_image(page) -> tuple[np.ndarray, float] | None:
    """The page's only content, an upright image covering the page, at its own resolution, with its dpi."""
    import pypdfium2.raw as pdfium_c

    if page.get_rotation():
        return None
    objs = list(page.get_objects(max_depth=1))
    if len(objs) != 1 or objs[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    a, b, c, d, _, _ = objs[0].get_matrix().get()
    pw, ph = page.get_size()
    px_w, px_h = objs[0].get_px_size()
    if b or c or a < pw * 0.95 or d < ph * 0.95 or not px_w or not px_h:
        return None
    dpi = px_w / (a / 72)
    if not NATIVE_DPI[0] <= dpi <= NATIVE_DPI[1] or abs(px_h / (d / 72) - dpi) > dpi * 0.02:
        return None
    try:
        im = objs[0].get_bitmap(render=False).to_pil()
    except Exception:  # an image format pdfium cannot hand over raw: render the page instead
        return None
    return np.array(im.convert("L" if im.mode in ("1", "L") else "RGB")), dpi


def pdf_page_image(data: bytes, pno: int) -> tuple[np.ndarray, float]:
    """A PDF page (1-based) as an image and its dpi (:func:`_page_image`)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(data)
    try:
        return _page_image(doc[pno - 1])
    finally:
        doc.close()


def _page_image(page) -> tuple[np.ndarray, float]:
    """A PDFium page as an image and its dpi: a scanned page's own image at its own resolution
    (re-rendering it would resample it), any other page rendered at :data:`DPI`."""
    native = _native_image(page)
    if native is not None:
        return native
    return np.array(page.render(scale=DPI / 72).to_pil().convert("RGB")), float(DPI)


def ocr_pdf_page(data: bytes, pno: int) -> list[tuple[float, Block]]:
    """Blocks of a PDF page without a text layer, with tops in PDF points like the PDF reader's."""
    img, dpi = pdf_page_image(data, pno)
    return [(top * 72 / dpi, b) for top, b in read_page_image(img, pno, dpi)]


def ocr_pdf(data: bytes) -> Document:
    """A whole PDF read by OCR (its text layer is missing or unusable), opened once, one page image in
    memory at a time (a 400 dpi page is ~46 MB)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(data)
    try:
        n = len(doc)
        dpis: dict[int, float] = {}

        def pages() -> Iterator[tuple[int, np.ndarray]]:
            for p in range(1, n + 1):
                img, dpis[p] = _page_image(doc[p - 1])
                yield p, img

        out = document(pages(), "pdf", dpis=dpis)
    finally:
        doc.close()
    out.meta["pdf:pages"] = str(n)
    return out


pdf.OCR_PAGE = ocr_pdf_page
pdf.OCR_FALLBACK = ocr_pdf
