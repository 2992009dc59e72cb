"""Scans made in the tests: digital PDFs rendered to page images, tilted, noised, JPEG'd, rebuilt as image-only PDFs."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def render_pages(pdf_bytes: bytes, dpi: int) -> list[Image.Image]:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf_bytes)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in doc]
    finally:
        doc.close()


def degrade(
    img: Image.Image,
    seed: int,
    tilt: float = 1.0,
    noise: float = 12.0,
    quality: int = 60,
    seal: bool = False,
    grey: bool = False,
) -> Image.Image:
    """A scanner's page: tilted by up to ``tilt`` degrees, grain noise, optionally a red seal, JPEG artefacts."""
    rnd = random.Random(seed)
    if seal:
        img = img.copy()
        d = ImageDraw.Draw(img, "RGBA")
        w, h = img.size
        cx, cy, r = int(w * 0.62), int(h * 0.55), int(w * 0.11)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(220, 30, 30, 200), width=max(4, r // 14))
        d.regular_polygon((cx, cy, r // 3), 5, fill=(220, 30, 30, 170))
    angle = rnd.uniform(-tilt, tilt) if tilt else 0.0
    if angle:
        img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=(255, 255, 255))
    arr = np.asarray(img).astype(np.float32)
    if noise:
        gen = np.random.default_rng(seed)
        arr = arr + gen.normal(0, noise, arr.shape[:2])[..., None]
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.4))
    if grey:
        img = img.convert("L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def image_pdf(pages: list[Image.Image], dpi: int) -> bytes:
    """An image-only PDF of the pages."""
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi))
    return buf.getvalue()


def scanned_pdf(pdf_bytes: bytes, dpi: int = 200, seed: int = 0, clean: bool = False, **kw) -> bytes:
    pages = render_pages(pdf_bytes, dpi)
    if not clean:
        pages = [degrade(p, seed + i, **kw) for i, p in enumerate(pages)]
    return image_pdf(pages, dpi)


def long_png(pdf_bytes: bytes, dpi: int = 200, seed: int = 0) -> bytes:
    """Every page scanned (tilted, noisy) and stacked into one tall PNG, as a long screenshot of a report."""
    pages = [degrade(p, seed + i) for i, p in enumerate(render_pages(pdf_bytes, dpi))]
    tall = Image.new(pages[0].mode, (max(p.width for p in pages), sum(p.height for p in pages)), "white")
    top = 0
    for p in pages:
        tall.paste(p, (0, top))
        top += p.height
    return png(tall)


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def compare(cells: list[dict], golden: dict) -> tuple[int, int, list, list]:
    """(golden cells, exact, wrong [(key, expected, got)], invented non-zero cells) of parsed cells against a golden file."""
    got = {f"{c['table_id']}|{c['row_key']}|{c['col_key']}": c for c in cells}
    n = exact = 0
    wrong = []
    for table in ("t2", "t3", "t4"):
        for key, expected in golden.get(table, {}).items():
            n += 1
            c = got.get(f"{table}|{key}")
            value = None if c is None else c["value"]
            blank = c is not None and c["is_blank"]
            ok = (c is not None and blank and expected is None) or (
                expected is not None and value is not None and abs(value - expected) < 1e-9
            )
            exact += ok
            if not ok:
                wrong.append((f"{table}|{key}", expected, None if c is None else (c["raw_text"], value)))
    keys = {f"{t}|{k}" for t in ("t2", "t3", "t4") for k in golden.get(t, {})}
    invented = [(k, c["value"]) for k, c in got.items() if k not in keys and c["value"]]
    return n, exact, wrong, invented
