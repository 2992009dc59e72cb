"""Compare OCR engines on scans of the real PDFs: numeric table cells read exactly, and CPU seconds per page.

Each page of every PDF in ../shared/corpus/raw is rendered at 200 dpi, tilted,
noised and JPEG'd (tests/scans.py), cleaned and deskewed, and its ruled grids
found (ingest/readers/ocr_table.py). The truth is the digital PDF's own table
on that page where the grid has the same shape. Engines:

* rapidocr: the project's reader (each row's cells read as one line);
* tesseract: ``tesseract -l chi_sim --psm 11`` on the whole cleaned page, words
  assigned to cells by their centre (the usual way to use it on a table).

    .venv/bin/python bench/ocr_compare.py [--pages N]
"""

from __future__ import annotations

import argparse
import io
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pdfplumber  # noqa: E402

from ingest.model import Table  # noqa: E402
from ingest.readers import ocr, ocr_table  # noqa: E402
from ingest.readers.pdf import _read_page  # noqa: E402
from scans import degrade, render_pages  # noqa: E402

RAW = ROOT.parent / "shared" / "corpus" / "raw"
NUM = re.compile(r"^\d+(\.\d+)?$")


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tesseract_grid(grey: np.ndarray, grid: ocr_table.Grid) -> list[list[str]]:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, "PNG")
    out = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", "chi_sim", "--psm", "11", "tsv"],
        input=buf.getvalue(),
        capture_output=True,
        check=True,
        env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
    ).stdout.decode()
    nr, nc = grid.shape
    rows = [[""] * nc for _ in range(nr)]
    for line in out.splitlines()[1:]:
        f = line.split("\t")
        if len(f) < 12 or not f[11].strip():
            continue
        x, y, w, h = map(int, f[6:10])
        cx, cy = x + w / 2, y + h / 2
        for r0, c0, r1, c1 in grid.spans:
            x0, y0, x1, y1 = grid.cell_box((r0, c0, r1, c1))
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                rows[r0][c0] += f[11].strip()
                break
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=0, help="at most this many pages (0: all)")
    args = ap.parse_args()
    have_tess = shutil.which("tesseract") is not None
    stats = {e: {"cells": 0, "exact": 0, "cpu": 0.0, "pages": 0} for e in ("rapidocr", "tesseract")}
    ocr.engine()
    n_pages = 0
    for pdf_path in sorted(RAW.glob("*.pdf")):
        raw = pdf_path.read_bytes()
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            truth = [[b for _, b in _read_page(pg, i + 1)[0] if isinstance(b, Table)] for i, pg in enumerate(pdf.pages)]
        for i, img in enumerate(render_pages(raw, 200)):
            if args.pages and n_pages >= args.pages:
                break
            n_pages += 1
            page = np.array(degrade(img, seed=i).convert("RGB"))
            t = time.process_time()
            ocr.read_page_image(page, i + 1)  # the whole page, as the reader reads it
            stats["rapidocr"]["cpu"] += time.process_time() - t
            stats["rapidocr"]["pages"] += 1
            grey, _ = ocr_table.deskew(ocr_table.prepare(page))
            grids = ocr_table.find_grids(grey)
            tess_rows = None
            if have_tess:
                c = _child_cpu()
                tess_rows = [tesseract_grid(grey, g) for g in grids[:1]]  # timing: one whole-page run
                stats["tesseract"]["cpu"] += _child_cpu() - c
                stats["tesseract"]["pages"] += 1
            for gi, g in enumerate(grids):
                digital = [tb for tb in truth[i] if (len(tb.rows), tb.width) == g.shape]
                if not digital:
                    continue
                want = digital[0].rows
                got = {"rapidocr": ocr._read_grid(grey, g, i + 1).rows}
                if have_tess:
                    got["tesseract"] = tess_rows[0] if gi == 0 else tesseract_grid(grey, g)
                for r, row in enumerate(want):
                    for c, text in enumerate(row):
                        if NUM.match(text) and (digital[0].covered is None or not digital[0].covered[r][c]):
                            for e, rows in got.items():
                                stats[e]["cells"] += 1
                                stats[e]["exact"] += rows[r][c] == text
    print("| engine | numeric cells | exact | exact % | CPU s/page (whole page) |")
    print("|---|---|---|---|---|")
    for e, s in stats.items():
        if s["pages"]:
            pct = 100 * s["exact"] / s["cells"] if s["cells"] else 0
            print(f"| {e} | {s['cells']} | {s['exact']} | {pct:.1f} | {s['cpu'] / s['pages']:.2f} |")


if __name__ == "__main__":
    main()
