"""OCR of scanned reports: scans are made here from the real PDFs (never stored), read back, scored against the goldens.

Every rendered scan and its parse is cached for the module: OCR is the
slowest thing the suite does.
"""

from __future__ import annotations

import io
import json

import pytest

pytest.importorskip("cv2", reason="opencv-python-headless not installed: `make setup` installs the dev group")
pytest.importorskip(
    "rapidocr_onnxruntime", reason="rapidocr-onnxruntime not installed: `make setup` installs the dev group"
)

from helpers import SHARED, golden_files, load_golden  # noqa: E402
from ingest.model import Document, Paragraph, Table  # noqa: E402
from ingest.pipeline import parse_report  # noqa: E402
from scans import compare, degrade, long_png, png, render_pages, scanned_pdf  # noqa: E402

# Scans of the real PDFs (issue 17's targets): 200 dpi tilted (±1°), noisy, JPEG'd pages keep at least 99% of
# the golden cells exact per report; clean 300 dpi scans all of them. A cell OCR doubts is null with a finding,
# never a wrong number (see docs/ocr.md).
MIN_EXACT_NOISY = 99.0
MIN_EXACT_CLEAN = 100.0
# A generated report scanned in grey with a seal over table 三: its cells under the seal may be unreadable
# (null), never wrong; at least this share of its cells is read exactly.
MIN_EXACT_GENERATED = 95.0


def _pdf_goldens() -> list:
    return [g for g in golden_files() if load_golden(g)["source"].endswith(".pdf")]


_cache: dict = {}


def _parsed(golden, kind: str):
    """The parse of one real PDF scanned as ``kind`` (noisy200 | clean300), made once per session."""
    key = (golden.stem, kind)
    if key not in _cache:
        raw = (SHARED / load_golden(golden)["source"]).read_bytes()
        data = scanned_pdf(raw, 200, seed=7) if kind == "noisy200" else scanned_pdf(raw, 300, clean=True)
        _cache[key] = (data, parse_report(data, f"{golden.stem}-{kind}.pdf"))
    return _cache[key]


def _score(golden, kind):
    data, p = _parsed(golden, kind)
    assert p.status != "quarantined", p.reject
    assert p.report["source_format"] == "pdf"
    assert p.report["ocr_pages"], "the scan's pages are recorded as OCR'd"
    n, exact, wrong, invented = compare(p.cells, load_golden(golden))
    return p, n, exact, wrong, invented


@pytest.mark.parametrize("golden", _pdf_goldens() or [None], ids=lambda g: g.stem if g else "no-corpus")
def test_noisy_200dpi_scan_fidelity_99_pct(shared_corpus, golden):
    """Tilted (±1°), noisy, JPEG'd 200 dpi scans: ≥ 99% golden cells exact, no invented non-zero cell."""
    if golden is None:
        pytest.skip("no PDF in ../shared/corpus")
    p, n, exact, wrong, invented = _score(golden, "noisy200")
    assert not invented, invented
    # a cell OCR doubted is null and named in a finding, never a wrong number
    wrong_numbers = [w for w in wrong if w[2] is not None and w[2][1] is not None]
    assert not wrong_numbers, wrong_numbers
    assert 100.0 * exact / n >= MIN_EXACT_NOISY, (exact, n, wrong)
    assert all(c["ocr_confidence"] is not None for c in p.cells), "every OCR'd cell carries its confidence"


@pytest.mark.parametrize("golden", _pdf_goldens() or [None], ids=lambda g: g.stem if g else "no-corpus")
def test_clean_300dpi_scan_fidelity_100_pct(shared_corpus, golden):
    """Clean 300 dpi scans (read at their own resolution): every golden cell exact, nothing invented."""
    if golden is None:
        pytest.skip("no PDF in ../shared/corpus")
    p, n, exact, wrong, invented = _score(golden, "clean300")
    assert not invented, invented
    assert not [w for w in wrong if w[2] is not None and w[2][1] is not None], wrong
    assert 100.0 * exact / n >= MIN_EXACT_CLEAN, (exact, n, wrong)


def test_generated_report_scanned_grey_with_a_seal_reads_table_three_and_no_wrong_number(tmp_path):
    """A generated PDF report, scanned (tilted, noisy, JPEG'd, greyscale, with a red seal), reads back its own truth."""
    from ingest.synthetic import generate

    truth = generate(tmp_path / "c", n_agencies=1, years=range(2024, 2025), seed=21, formats=("pdf",), quirk_rates={})[
        0
    ]
    raw = (tmp_path / "c" / truth.file).read_bytes()
    pages = [degrade(pg, seed=i, seal=True, grey=True) for i, pg in enumerate(render_pages(raw, 200))]
    from scans import image_pdf

    p = parse_report(image_pdf(pages, 200), "generated-scan.pdf")
    assert p.status != "quarantined", p.reject
    gold: dict = {"t2": {}, "t3": {}, "t4": {}}
    for key, v in truth.cells.items():
        table, rk, ck = key.split("|")
        gold[table][f"{rk}|{ck}"] = v
    n, exact, wrong, invented = compare(p.cells, gold)
    assert not invented, invented
    assert not [w for w in wrong if w[2] is not None and w[2][1] is not None], wrong
    assert 100.0 * exact / n >= MIN_EXACT_GENERATED, (exact, n, wrong)
    # table 三, under the seal, is found and read
    t3_missed = [w for w in wrong if w[0].startswith("t3|")]
    assert len(t3_missed) <= len(gold["t3"]) * (100 - MIN_EXACT_GENERATED) / 100, t3_missed


# ---------------------------------------------------------------- image files, mixed PDFs, the CLI


@pytest.fixture(scope="module")
def table_page(shared_corpus):
    """The page image (200 dpi, tilted, noisy, with a red seal) of a real PDF that holds table 三's start."""
    import pdfplumber

    golden = _pdf_goldens()[0] if _pdf_goldens() else pytest.skip("no PDF in ../shared/corpus")
    raw = (SHARED / load_golden(golden)["source"]).read_bytes()
    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        pno = next(
            i
            for i, pg in enumerate(pdf.pages)
            if "本年新收政府信息公开申请数量" in (pg.extract_text() or "").replace(" ", "")
        )
    page = degrade(render_pages(raw, 200)[pno], seed=3, seal=True)
    return raw, pno, page


def test_png_and_multipage_tiff_are_read_as_images(table_page):
    from ingest.readers import read, sniff

    _, _, page = table_page
    data = png(page)
    assert sniff(data, "scan.png") == "image"
    doc = read(data, "image")
    assert doc.format == "image" and doc.meta["ocr:pages"] == "1"
    big = max(doc.tables, key=lambda t: len(t.rows))
    assert len(big.rows) >= 10 and big.confidence is not None
    flat = "".join("".join(r) for r in big.rows)
    assert "本年新收政府信息公开申请数量" in flat
    buf = io.BytesIO()
    page.convert("L").save(buf, "TIFF", save_all=True, append_images=[page.convert("L")])
    assert sniff(buf.getvalue(), "scan.tif") == "image"
    assert [b.page for b in read(buf.getvalue(), "image").tables][-1] == 2


def _mixed_pdf(raw: bytes, pno: int, page) -> bytes:
    """The digital PDF with page ``pno`` replaced by its scan."""
    import pypdfium2

    from scans import image_pdf

    digital = pypdfium2.PdfDocument(raw)
    scan = pypdfium2.PdfDocument(image_pdf([page.convert("RGB")], 200))
    out = pypdfium2.PdfDocument.new()
    n = len(digital)
    if pno:
        out.import_pages(digital, list(range(pno)))
    out.import_pages(scan, [0])
    if pno + 1 < n:
        out.import_pages(digital, list(range(pno + 1, n)))
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def test_image_pdf_png_and_mixed_pdf_through_the_cli(table_page, tmp_path):
    """`xxgk ingest` reads each as a report; `xxgk inspect` shows the OCR'd pages and confidences; the lake
    records them. The PNG is a whole report in one tall picture (a long screenshot): read page by page."""
    import contextlib

    import pyarrow.parquet as pq

    from warehouse.cli import main

    raw, pno, page = table_page
    golden = _pdf_goldens()[0]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "scan.png").write_bytes(long_png((SHARED / load_golden(golden)["source"]).read_bytes(), 200, seed=5))
    (inbox / "mixed.pdf").write_bytes(_mixed_pdf(raw, pno, page))
    (inbox / "scan.pdf").write_bytes(_parsed(golden, "noisy200")[0])
    out = io.StringIO()  # inspect shows the trace whatever the format: the one-page OCR of the mixed PDF will do
    with contextlib.redirect_stdout(out):
        assert main(["inspect", str(inbox / "mixed.pdf")]) == 0
    text = out.getvalue()
    assert "read by OCR" in text, text[:2000]
    assert " ~0." in text or " ~1.00" in text, "values show their OCR confidence"
    home = tmp_path / "home"
    assert main(["ingest", str(inbox), "--home", str(home), "--quiet"]) == 0
    reports = pq.read_table(home / "lake" / "reports").to_pylist()
    by_name = {r["source_path"].rsplit("/", 1)[-1]: r for r in reports if r["report_id"]}
    assert set(by_name) == {"scan.png", "mixed.pdf", "scan.pdf"}
    assert by_name["mixed.pdf"]["ocr_pages"] == str(pno + 1)
    assert by_name["scan.pdf"]["ocr_pages"].startswith("1,2")
    assert by_name["mixed.pdf"]["source_format"] == "pdf"
    assert by_name["scan.png"]["source_format"] == "image"
    assert by_name["scan.png"]["ocr_pages"].startswith("1,2,3")  # the tall picture cut into its pages
    cells = pq.read_table(home / "lake" / "cells").to_pylist()
    mixed = [c for c in cells if c["report_id"] == by_name["mixed.pdf"]["report_id"]]
    assert any(c["ocr_confidence"] is not None for c in mixed) and any(c["ocr_confidence"] is None for c in mixed)
    tall = [c for c in cells if c["report_id"] == by_name["scan.png"]["report_id"]]
    n, exact, wrong, invented = compare(tall, load_golden(golden))
    assert not invented and not [w for w in wrong if w[2] is not None and w[2][1] is not None], wrong
    assert 100.0 * exact / n >= MIN_EXACT_NOISY, (exact, n, wrong)


def test_low_confidence_digit_becomes_null_with_a_finding(table_page, monkeypatch):
    """Force the engine's confidence down for one number: the cell is null (not blank) with a finding naming it."""
    from ingest.readers import ocr

    raw, pno, page = table_page
    real = ocr.recognise_strip
    hit: dict = {}

    def doubtful(crops, *args, **kw):
        """The engine unsure of one number however often its row is read."""
        res = real(crops, *args, **kw)
        for i, (text, _conf) in enumerate(res):
            if not hit and text.isdigit() and len(text) >= 2:
                hit.update(text=text, i=i, n=len(crops))
            if hit and (i, len(crops), text) == (hit["i"], hit["n"], hit["text"]):
                res[i] = (text, 0.42)
        return res

    monkeypatch.setattr(ocr, "recognise_strip", doubtful)
    p = parse_report(_mixed_pdf(raw, pno, page), "mixed.pdf")
    assert hit, "a number was read"
    low = [c for c in p.cells if c["ocr_confidence"] == pytest.approx(0.42)]
    assert low, "the doubted cell was mapped"
    for c in low:
        assert c["value"] is None and c["is_blank"] is False and c["raw_text"] == hit["text"]
    named = [f for f in p.findings if f["rule_id"] == "ocr_low_confidence"]
    assert {(f["table_id"], f["row_key"], f["col_key"]) for f in named} == {
        (c["table_id"], c["row_key"], c["col_key"]) for c in low
    }
    assert all(hit["text"] in f["message"] and "0.42" in f["message"] for f in named)


# ---------------------------------------------------------------- honesty rules without the engine


def _synthetic_doc(tmp_path):
    from ingest.readers import read, sniff
    from ingest.synthetic import generate

    truth = generate(tmp_path / "c", n_agencies=1, years=range(2024, 2025), seed=5, formats=("html",), quirk_rates={})[
        0
    ]
    data = (tmp_path / "c" / truth.file).read_bytes()
    return read(data, sniff(data, truth.file)), truth


def _as_ocr(doc: Document, conf: float) -> None:
    for b in doc.blocks:
        if isinstance(b, Table):
            b.confidence = [[conf] * len(r) for r in b.rows]
        elif isinstance(b, Paragraph):
            b.confidence = conf


def test_single_digit_conflict_is_unreadable_not_corrected(tmp_path):
    """A misread digit that breaks a sum, where one digit different would make it hold, is nulled with a finding."""
    from ingest.layout import map_document
    from ingest.ocr_review import review

    doc, truth = _synthetic_doc(tmp_path)
    _as_ocr(doc, 0.95)
    mapping, _ = map_document(doc, 2024)
    target = next(
        c for c in mapping.cells if c.table_id == "t3" and c.row_key == "granted" and c.col_key == "natural_person"
    )
    printed = target.parsed.value
    assert printed and printed >= 10
    wrong = printed + 10 if str(int(printed))[-2] != "9" else printed - 10  # one digit changed
    from dataclasses import replace

    target.parsed = replace(target.parsed, value=wrong, raw_text=f"{wrong:g}")
    confs, findings = review(mapping, doc)
    assert target.parsed.value is None and not target.parsed.is_blank
    (f,) = [
        f
        for f in findings
        if f.rule_id == "ocr_digit_conflict" and f.row_key == "granted" and f.col_key == "natural_person"
    ]
    assert f.actual == wrong and f"{wrong:g}" in f.message and "0.95" in f.message
    # confident cells elsewhere are untouched
    others = [c for c in mapping.cells if c is not target and c.parsed.value is None and not c.parsed.is_blank]
    assert len(others) <= 3


def test_confident_or_digital_cells_are_kept(tmp_path):
    from ingest.layout import map_document
    from ingest.ocr_review import review

    doc, _ = _synthetic_doc(tmp_path)
    mapping, _ = map_document(doc, 2024)
    confs, findings = review(mapping, doc)
    assert findings == [] and all(c is None for c in confs)
    _as_ocr(doc, 0.999)
    mapping, _ = map_document(doc, 2024)
    confs, findings = review(mapping, doc)
    assert findings == [] and all(c == 0.999 for c in confs)
    _as_ocr(doc, 0.5)
    mapping, _ = map_document(doc, 2024)
    confs, findings = review(mapping, doc)
    numeric = [c for c in mapping.cells if c.parsed.raw_text.strip().isdigit()]
    assert numeric and all(c.parsed.value is None and not c.parsed.is_blank for c in numeric)
    assert len([f for f in findings if f.rule_id == "ocr_low_confidence"]) == len(numeric)


def test_engine_loads_from_the_package_without_network(monkeypatch):
    """The models ship inside the wheel: loading and reading work with sockets refused."""
    import socket

    import numpy as np

    from ingest.readers import ocr

    def refuse(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(ocr, "_ENGINE", None)
    img = np.full((60, 200), 255, np.uint8)
    import cv2

    cv2.putText(img, "2024", (20, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
    ((text, conf),) = ocr.recognise([img])
    assert text == "2024" and conf > 0.5
    assert json.dumps(conf)


def test_a_fresh_process_reads_a_scanned_pdf_by_ocr(table_page, tmp_path):
    """The PDF reader is imported at its first use; it brings the OCR reader, whose hooks read scanned pages,
    in a process that has met no image file before (as `xxgk ingest` of PDFs only)."""
    import subprocess
    import sys

    from scans import image_pdf

    _, _, page = table_page
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(image_pdf([page], 200))
    code = (
        "import sys; from ingest.readers import read; "
        "doc = read(open(sys.argv[1], 'rb').read(), 'pdf'); print(doc.meta['ocr:pages'], len(doc.blocks) > 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(scan)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["1", "True"]
