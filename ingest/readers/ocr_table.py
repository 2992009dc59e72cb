"""Page-image geometry for the OCR reader: clean-up, deskew, ruled-table grids.

Pure image work with OpenCV and NumPy; no text recognition here. The OCR
reader (:mod:`ingest.readers.ocr`) asks this module where the tables and
their cells are, then recognises the text inside each cell.

* :func:`prepare` turns a colour or grey page into grey, with seal ink
  removed (red-dominant pixels; thick mid-grey bands divided out) so stamps
  do not hide the text under them or pass for rules.
* :func:`deskew` finds the tilt (within ±``MAX_SKEW`` degrees) that makes the
  ink rows sharpest and rotates it away.
* :func:`find_grids` finds ruled tables by morphology (long horizontal and
  vertical strokes), their row and column lines, and merged cells (a missing
  stretch of line between two grid positions joins them).
* :func:`erase_rules` whitens the ruling strokes, so a cell's crop holds only text.
* :func:`text_lines` splits the ink of one cell into text-line crops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

MAX_SKEW = 1.5  # degrees searched either way
SKEW_STEP = 0.05


@dataclass
class Grid:
    """A ruled table: line positions in page pixels and its cells as (r0, c0, r1, c1) spans."""

    ys: list[int]  # horizontal rule positions, top to bottom
    xs: list[int]  # vertical rule positions, left to right
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1 (excl), c1 (excl)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.ys) - 1, len(self.xs) - 1

    def cell_box(self, span: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        r0, c0, r1, c1 = span
        return self.xs[c0], self.ys[r0], self.xs[c1], self.ys[r1]


SEAL_GREY = (90, 210)  # a seal scanned in grey: a thick band of mid-grey ink (black text stays darker)


def prepare(img: np.ndarray) -> np.ndarray:
    """A grey page with seal ink removed: red ink on a colour page, thick mid-grey ink on a grey one."""
    grey = img if img.ndim == 2 else _without_red(img)
    return _without_grey_bands(grey)


def _without_grey_bands(grey: np.ndarray) -> np.ndarray:
    """Bands of mid-grey ink thicker than a text stroke (a seal or stamp scanned in grey, a shaded cell,
    a shadow) divided out: the page's background level is taken by a closing wider than any stroke of
    text, and each pixel is scaled by it, so the band turns white and the text in it stays dark."""
    h, w = grey.shape
    k = max(7, round(min(h, w) / 236))  # 7 pixels at 200 dpi: wider than a stroke of text or a rule
    smooth = cv2.medianBlur(grey, 3)  # so the closing takes the band's level, not its grain's peaks
    background = cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    background = cv2.erode(background, np.ones((5, 5), np.uint8))  # over the band's blurred edges too
    band = (background >= SEAL_GREY[0]) & (background < SEAL_GREY[1])  # black fills and bold strokes stay
    if not band.any():
        return grey
    # a pixel's share of its background, stretched: the band's own grain goes white, text under it stays dark
    ratio = grey[band].astype(np.float32) / np.maximum(background[band], 1)
    out = grey.copy()
    out[band] = (255.0 * (ratio - 0.45) / 0.5).clip(0, 255).astype(np.uint8)
    return out


def _without_red(img: np.ndarray) -> np.ndarray:
    rgb = img[..., :3].astype(np.int16)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    grey = cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2GRAY)
    red = r - np.maximum(g, b) > 40
    # seal ink over black text: keep the darkest channel where the red dominates, so text beneath survives
    grey = np.where(red, np.maximum(g, b).clip(0, 255).astype(np.uint8), grey)
    return grey.astype(np.uint8)


def binarize(grey: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0; adaptive, so uneven lighting in photos does not swamp it."""
    blur = cv2.GaussianBlur(grey, (3, 3), 0)
    return cv2.adaptiveThreshold(blur, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)


PAGE_RATIO = 1.414  # a page's height over its width (A4)
TALL_RATIO = 1.8  # an image taller than this over its width holds pages one above the other


def split_tall(img: np.ndarray) -> list[np.ndarray]:
    """The pages of an image much taller than a page (a long screenshot, or scanned pages stacked into one
    picture), cut about a page apart where the rows hold least ink (the margins between pages; inside a
    ruled table its column rules keep every row inked), so each page is deskewed and read as a page. Where
    no blank row lies near a page's height, the rest is one page. Any other image is one page."""
    h, w = img.shape[:2]
    if h <= TALL_RATIO * w:
        return [img]
    grey = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    ink = (grey < 128).sum(axis=1)
    step, window = round(w * PAGE_RATIO), round(w * PAGE_RATIO / 4)
    noise = max(2, round(w * 0.002))  # specks a blank row of a scan may hold
    cuts = [0]
    while h - cuts[-1] > TALL_RATIO * w:
        lo = cuts[-1] + step - window
        seg = ink[lo : cuts[-1] + step + window]
        if seg.min() > noise:  # no blank row near a page's height: no margin to cut in, the rest is one page
            break
        quiet = np.r_[0, (seg <= seg.min() + noise).astype(np.int8), 0]
        edges = np.flatnonzero(np.diff(quiet))
        starts, ends = edges[::2], edges[1::2]
        k = int(np.argmax(ends - starts))  # the longest run of blank rows, cut in its middle
        cuts.append(lo + int(starts[k] + ends[k]) // 2)
    cuts.append(h)
    return [img[a:b] for a, b in zip(cuts, cuts[1:])]


def skew_angle(grey: np.ndarray) -> float:
    """The tilt in degrees (positive: counter-clockwise) that maximises the row-profile sharpness."""
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    ink = binarize(small)
    h, w = ink.shape
    centre = (w / 2, h / 2)
    best, best_score = 0.0, -1.0
    for angle in np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, SKEW_STEP):
        m = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        rot = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        prof = rot.sum(axis=1, dtype=np.float64)
        score = float(np.square(np.diff(prof)).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return best


def deskew(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """The page rotated upright, and the angle it was turned by."""
    angle = skew_angle(grey)
    if abs(angle) < SKEW_STEP / 2:
        return grey, 0.0
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255), angle


def _line_positions(profile: np.ndarray, min_count: float) -> list[int]:
    """Centres of runs of the profile at or above ``min_count``."""
    on = profile >= min_count
    out, start = [], None
    for i, v in enumerate(on):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    if start is not None:
        out.append((start + len(on) - 1) // 2)
    return out


def _merge_close(pos: list[int], gap: int) -> list[int]:
    out: list[int] = []
    for p in pos:
        if out and p - out[-1] <= gap:
            out[-1] = (out[-1] + p) // 2
        else:
            out.append(p)
    return out


def line_masks(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling strokes of a binarised page."""
    h, w = ink.shape
    # close one-pixel gaps left by JPEG and binarisation before looking for long strokes
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 40, 20), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(h // 50, 20)))  # taller than any digit
    hor = cv2.morphologyEx(cv2.dilate(ink, np.ones((3, 1), np.uint8)), cv2.MORPH_OPEN, hk)
    ver = cv2.morphologyEx(cv2.dilate(ink, np.ones((1, 3), np.uint8)), cv2.MORPH_OPEN, vk)
    thick = max(7, round(min(h, w) / 180))  # a rule is thin; a seal's ring is a thick curved band
    return _thin(hor, thick, hk), _thin(ver, thick, vk)


def _thin(mask: np.ndarray, thick: int, length: np.ndarray) -> np.ndarray:
    """The strokes of ``mask`` without the parts more than ``thick`` pixels across (a seal's band where
    it runs along a rule's direction), again at least as long as the kernel ``length``."""
    across = (thick + 1, 1) if length.shape[0] > 1 else (1, thick + 1)  # (width, height) across the stroke
    wide = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    if not wide.any():
        return mask
    thin = cv2.bitwise_and(mask, cv2.bitwise_not(cv2.dilate(wide, np.ones((3, 3), np.uint8))))
    return cv2.morphologyEx(thin, cv2.MORPH_OPEN, length)


def erase_rules(grey: np.ndarray) -> np.ndarray:
    """The page with its ruling strokes whitened, so a cell's crop holds only its text however the rules lie
    (a rule slightly tilted or thickened by the scan would otherwise reach into the cells beside it)."""
    hor, ver = line_masks(binarize(grey))
    mask = cv2.dilate(cv2.bitwise_or(hor, ver), np.ones((3, 3), np.uint8))
    out = grey.copy()
    out[mask > 0] = 255
    return out


def _coverage(mask: np.ndarray) -> float:
    return float((mask > 0).mean()) if mask.size else 0.0


def find_grids(grey: np.ndarray) -> list[Grid]:
    """Ruled tables on an upright page, top to bottom."""
    ink = binarize(grey)
    hor, ver = line_masks(ink)
    h, w = ink.shape
    frame = cv2.dilate(cv2.bitwise_or(hor, ver), np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(frame, connectivity=8)
    grids = []
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if bw < w * 0.2 or bh < h * 0.02:
            continue
        sub_h, sub_v = hor[y : y + bh, x : x + bw], ver[y : y + bh, x : x + bw]
        tol = max(3, round(h / 400))
        ys = _merge_close(_line_positions((sub_h > 0).sum(axis=1), bw * 0.08), tol * 2)
        xs = _merge_close(_line_positions((sub_v > 0).sum(axis=0), bh * 0.08), tol * 2)
        if len(xs) < 2 or not ys:
            continue
        # a table cut by a page break has no rule above its first or below its last row: the columns' rules end there
        with_cols = np.where((sub_v > 0).sum(axis=1) >= max(2, len(xs) // 2))[0]
        if len(with_cols):
            if with_cols[-1] - ys[-1] > tol * 4:
                ys.append(int(with_cols[-1]))
            if ys[0] - with_cols[0] > tol * 4:
                ys.insert(0, int(with_cols[0]))
        if len(ys) < 2:
            continue
        grid = Grid([y + v for v in ys], [x + v for v in xs])
        if grid.shape[0] * grid.shape[1] < 2:
            continue
        grid.spans = _spans(grid, hor, ver, tol)
        grids.append(grid)
    grids.sort(key=lambda g: g.ys[0])
    return grids


def _spans(grid: Grid, hor: np.ndarray, ver: np.ndarray, tol: int) -> list[tuple[int, int, int, int]]:
    """Merged cells: a grid position joins its right or lower neighbour where the rule between them is missing."""
    nr, nc = grid.shape
    parent = list(range(nr * nc))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        parent[find(b)] = find(a)

    for r in range(nr):
        y0, y1 = grid.ys[r], grid.ys[r + 1]
        inset = max(tol, (y1 - y0) // 6)
        for c in range(nc - 1):
            x = grid.xs[c + 1]
            if _coverage(ver[y0 + inset : y1 - inset, x - tol : x + tol + 1].max(axis=1, initial=0)) < 0.5:
                union(r * nc + c, r * nc + c + 1)
    for c in range(nc):
        x0, x1 = grid.xs[c], grid.xs[c + 1]
        inset = max(tol, (x1 - x0) // 6)
        for r in range(nr - 1):
            y = grid.ys[r + 1]
            if _coverage(hor[y - tol : y + tol + 1, x0 + inset : x1 - inset].max(axis=0, initial=0)) < 0.5:
                union(r * nc + c, (r + 1) * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    spans = []
    for members in groups.values():
        rs = [m[0] for m in members]
        cs = [m[1] for m in members]
        spans.append((min(rs), min(cs), max(rs) + 1, max(cs) + 1))
    spans.sort()
    return spans


def text_lines(grey: np.ndarray, box: tuple[int, int, int, int], pad: int = 4) -> list[np.ndarray]:
    """Crops of the text lines of ink inside ``box`` (rules excluded), top to bottom; [] for an empty cell."""
    x0, y0, x1, y1 = box
    h, w = grey.shape
    m = max(3, round(min(x1 - x0, y1 - y0) * 0.04))
    xa, ya, xb, yb = max(0, x0 + m), max(0, y0 + m), min(w, x1 - m), min(h, y1 - m)
    if xb - xa < 4 or yb - ya < 4:
        return []
    crop = grey[ya:yb, xa:xb]
    ink = (crop < 150).astype(np.uint8)
    # specks of noise are no text: keep components of a few pixels or more
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 6
    ink = keep[labels]
    # a thin stroke (the bar of a 7) may fall apart from its digit: close small vertical gaps first
    rows = cv2.dilate(ink.astype(np.uint8), np.ones((5, 1), np.uint8)).sum(axis=1)
    if rows.sum() < 12:
        return []
    lines, start = [], None
    for i, v in enumerate(rows > 0):
        if v and start is None:
            start = i
        elif not v and start is not None:
            lines.append((start, i))
            start = None
    if start is not None:
        lines.append((start, len(rows)))
    # join bands split inside one line (a gap of a few pixels within a character)
    merged: list[list[int]] = []
    for a, b in lines:
        if merged and a - merged[-1][1] <= 2:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        if b - a < 6:
            continue
        inked = np.where(ink[a:b].any(axis=1))[0]  # tight to the ink: a 0 that fills little of its crop reads as o
        cols = np.where(ink[a:b].any(axis=0))[0]
        if not len(cols) or not len(inked):
            continue
        a, b = a + inked[0], a + inked[-1] + 1
        ca, cb = cols[0], cols[-1] + 1
        v = max(2, (b - a) // 8)
        part = crop[max(0, a - v) : b + v, max(0, ca - v) : cb + v]
        out.append(cv2.copyMakeBorder(part, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=255))
    return out


def cut_by_rule(grey: np.ndarray, grid: Grid, r: int, c: int) -> bool:
    """True where ink touches the rule between grid cells (r, c) and (r, c + 1) from both sides: one glyph cut by a rule."""
    x = grid.xs[c + 1]
    y0, y1 = grid.ys[r], grid.ys[r + 1]
    m = max(3, (y1 - y0) // 6)
    band = grey[y0 + m : y1 - m]
    if band.size == 0:
        return False
    cols = (band < 140).mean(axis=0)
    rule = [i for i in range(max(0, x - 6), min(grey.shape[1], x + 7)) if cols[i] > 0.8]
    if not rule:
        return False
    left, right = min(rule), max(rule)
    ink_l = band[:, max(0, left - 3) : left] < 140
    ink_r = band[:, right + 1 : right + 4] < 140
    # over a glyph's height, not a few rows: a tilted rule's soft edge on one side and a speck on the other
    # are no glyph
    both = ink_l.any(axis=1) & ink_r.any(axis=1)
    return int(both.sum()) >= max(3, len(band) // 8)


def without_rules(grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The page with the vertical rules inside ``box`` whitened (only the rule's own columns)."""
    x0, y0, x1, y1 = box
    m = max(3, (y1 - y0) // 6)
    out = grey.copy()
    band = grey[y0 + m : y1 - m, x0:x1]
    cols = (band < 140).mean(axis=0)
    for i in np.where(cols > 0.8)[0]:
        out[y0:y1, x0 + i] = 255
    return out
