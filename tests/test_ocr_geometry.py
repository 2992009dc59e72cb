"""OCR page geometry on small drawn pages (no recognition engine): seals, rules, native-resolution images."""

from __future__ import annotations

import io

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless not installed: `make setup` installs the dev group")

from ingest.readers import ocr_table  # noqa: E402


def _ruled_table(h: int = 2339, w: int = 1654, rows: int = 6, cols: int = 4) -> tuple[np.ndarray, list, list]:
    """A ruled table on a white page (A4 at 200 dpi by default), with its rule positions."""
    page = np.full((h, w), 255, np.uint8)
    ys = [100 + 60 * i for i in range(rows + 1)]
    xs = [80 + 130 * i for i in range(cols + 1)]
    for y in ys:
        cv2.line(page, (xs[0], y), (xs[-1], y), 0, 2)
    for x in xs:
        cv2.line(page, (x, ys[0]), (x, ys[-1]), 0, 2)
    return page, ys, xs


def _seal(page: np.ndarray, centre: tuple[int, int], radius: int, level: int = 125) -> np.ndarray:
    """A seal scanned in grey: a thick mid-grey ring over the page (darkening it, as ink does)."""
    ring = np.full_like(page, 255)
    cv2.circle(ring, centre, radius, level, 13)
    return np.minimum(page.astype(np.int16) * ring // 255, 255).astype(np.uint8)


def test_grey_seal_ring_is_removed_and_the_text_under_it_kept():
    page, ys, xs = _ruled_table()
    cv2.putText(page, "7", (xs[1] + 50, ys[2] + 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    sealed = _seal(page, (xs[1] + 60, ys[2] + 120), 95)
    out = ocr_table.prepare(sealed)
    ring_only = (sealed < 200) & (page > 200)  # pixels dark only because of the seal
    assert ring_only.sum() > 2000
    assert (out[ring_only] > 200).mean() > 0.95, "the seal's ring is whitened"
    text = page < 100
    assert (out[text] < 150).mean() > 0.9, "text and rules stay dark, under the seal too"


def test_thick_seal_arc_is_no_column_rule():
    page, ys, xs = _ruled_table()
    sealed = _seal(page, (xs[2] + 10, ys[3]), 120, level=60)  # dark enough to pass as ink
    (grid,) = ocr_table.find_grids(ocr_table.prepare(sealed))
    assert len(grid.xs) == len(xs), (grid.xs, xs)
    assert len(grid.ys) == len(ys), (grid.ys, ys)


def test_a_slightly_tilted_rule_does_not_reach_into_the_cell_crops():
    page, ys, xs = _ruled_table()
    for x in xs[1:-1]:  # inner column rules 2 pixels off at the top and thicker, as a scan leaves them
        cv2.line(page, (x, ys[0]), (x, ys[-1]), 255, 2)
        cv2.line(page, (x + 2, ys[0]), (x, ys[-1]), 0, 4)
    grid = ocr_table.find_grids(page)[0]
    clean = ocr_table.erase_rules(page)
    for span in grid.spans:
        assert ocr_table.text_lines(clean, grid.cell_box(span)) == [], span


def test_a_scanned_page_is_read_from_its_own_image_at_its_resolution():
    pytest.importorskip("pypdfium2", reason="pypdfium2 not installed")
    from PIL import Image

    from ingest.readers.ocr import pdf_page_image

    img = Image.fromarray(_ruled_table(h=3508, w=2480)[0]).convert("RGB")  # A4 at 300 dpi
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=300.0)
    arr, dpi = pdf_page_image(buf.getvalue(), 1)
    assert dpi == pytest.approx(300, abs=1)
    assert arr.shape[:2] == (3508, 2480)
    small = io.BytesIO()
    img.resize((620, 877)).save(small, "PDF", resolution=75.0)  # below the native range: rendered at 200 dpi
    arr, dpi = pdf_page_image(small.getvalue(), 1)
    assert dpi == 200 and arr.shape[0] == pytest.approx(842 * 200 / 72, abs=3)


@pytest.mark.parametrize(
    ("chars", "text"),
    [
        ("1〇", "10"),
        ("〇", "0"),
        ("O", "0"),
        ("２０", "20"),
        ("O型", "O型"),  # not a number: left as read
        ("No", "No"),
        ("12", "12"),
        ("0.", "0"),  # a stray mark beside the digits: dropped, its probability still counts
        ("1.5", "1.5"),
        (".5", ".5"),  # a mark before the digits may be a decimal point: kept
        ("7。", "7"),
    ],
)
def test_digit_like_glyphs_are_digits_only_in_a_cell_of_digits(chars, text):
    from ingest.readers.ocr import _cell_text

    got, conf = _cell_text([(c, 0.97) for c in chars])
    assert got == text and conf == 0.97
    got, conf = _cell_text([(c, 0.97 if c.isalnum() or c in "〇" else 0.4) for c in chars])
    assert got == text and conf == (0.4 if any(not (c.isalnum() or c in "〇") for c in chars) else 0.97)


@pytest.mark.parametrize("open_side", ["bottom", "top"])
def test_a_table_broken_across_pages_keeps_its_open_row(open_side):
    """A page break leaves a table without its last (or first) rule: the row is closed where the column rules end."""
    page, ys, xs = _ruled_table()
    y = ys[-1] if open_side == "bottom" else ys[0]
    cv2.line(page, (xs[0] - 5, y), (xs[-1] + 5, y), 255, 4)
    (grid,) = ocr_table.find_grids(page)
    assert len(grid.ys) == len(ys), (grid.ys, ys)
    assert abs(grid.ys[-1 if open_side == "bottom" else 0] - y) <= 4
    assert all(s[2] - s[0] == 1 for s in grid.spans), "no row merged into its neighbour"


def _text_page(h: int = 1414, w: int = 1000, table_from: int | None = None) -> np.ndarray:
    """A page of text lines (blank margins top and bottom); a ruled table filling it from ``table_from`` down."""
    page = np.full((h, w), 255, np.uint8)
    for y in range(120, h - 120, 40):
        cv2.putText(page, "xxgk 2024 report line", (80, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    if table_from is not None:
        page[table_from:] = 255
        for y in range(table_from, h, 50):
            cv2.line(page, (60, y), (w - 60, y), 0, 2)
        for x in (60, 400, w - 60):
            cv2.line(page, (x, table_from), (x, h - 1), 0, 2)
    return page


def test_a_tall_picture_of_stacked_pages_is_cut_between_them():
    """A long screenshot of three pages is read as three pages, cut in the blank margins between them; a
    table running over a page's end is not cut where its rules run (its rows keep their column rules)."""
    pages = [_text_page(), _text_page(table_from=900), _text_page()]
    tall = np.vstack(pages)
    parts = ocr_table.split_tall(tall)
    assert len(parts) == 3
    bounds = np.cumsum([p.shape[0] for p in parts])[:-1]
    for cut, page_end in zip(bounds, (1414, 2828)):
        assert page_end - 130 < cut < page_end + 130, (cut, page_end)  # within the margins around the join
    assert np.array_equal(np.vstack(parts), tall), "nothing is lost or doubled"
    # the first page's table runs to its very end: the cut falls after it, in the next page's top margin
    table = np.vstack([_text_page(table_from=200), _text_page()])
    first, _ = ocr_table.split_tall(np.vstack([table, _text_page()]))[:2]
    assert 1414 <= first.shape[0] < 1414 + 120
    assert len(ocr_table.split_tall(pages[0])) == 1  # a page is one page
    assert len(ocr_table.split_tall(np.vstack(pages[:1] + [pages[0][:300]]))) == 1  # a page and a bit: still one


def test_a_doubtful_number_two_readings_disagree_on_is_not_kept(monkeypatch):
    """A doubtful number is read again spaced wider: where the readings agree it is kept (as sure as the surer
    reading), where they disagree its confidence is 0, so the review stores it unreadable with a finding."""
    from ingest.readers import ocr

    readings = {1.0: [("18", 0.95), ("7", 0.999), ("5", 0.93)], 2.0: [("16", 0.96), ("1", 0.5), ("5", 0.97)]}
    monkeypatch.setattr(ocr, "recognise_strip", lambda crops, spacing=1.0: list(readings[spacing]))
    crops = [np.full((20, 30), 255, np.uint8)] * 3
    assert ocr._read_row(crops) == [("18", 0.0), ("7", 0.999), ("5", 0.97)]
    from ingest.ocr_review import MIN_CONFIDENCE

    assert 0.0 < MIN_CONFIDENCE


def test_black_fills_and_bold_strokes_are_not_taken_for_a_grey_seal():
    """Only mid-grey bands are divided out: a black filled header cell and a bold heading stroke keep their ink."""
    page, ys, xs = _ruled_table()
    page[ys[0] : ys[1], xs[0] : xs[-1]] = 10  # a reverse-video header row
    cv2.line(page, (200, 40), (900, 40), 0, 24)  # a heading stroke far wider than a text stroke
    out = ocr_table.prepare(page)
    assert (out[ys[0] + 10 : ys[1] - 10, xs[0] + 10 : xs[-1] - 10] < 60).mean() > 0.95
    assert (out[35:46, 250:850] < 60).mean() > 0.95
