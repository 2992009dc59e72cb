"""pdfminer's per-token debug calls are skipped while a PDF is read, unless debug logging is on."""

from __future__ import annotations

import logging

from fixtures_build import report_pdf
from ingest.readers import pdf as pdf_reader


class _Keep(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_debug_calls_skipped_and_restored():
    data = report_pdf(n_rows=8)
    calls = []
    log = logging.getLogger("pdfminer.psparser")
    real = logging.Logger.debug
    try:
        logging.Logger.debug = lambda self, *a, **k: calls.append(self.name)  # counts the calls that get through
        doc = pdf_reader.read_pdf(data)
        assert doc.tables
        assert not [n for n in calls if n.startswith(("pdfminer", "pdfplumber"))]
        assert "debug" not in log.__dict__, "the logger is left as it was"
        pdf_reader._read_pdf(data)  # without the guard the calls happen
        assert [n for n in calls if n.startswith("pdfminer")]
    finally:
        logging.Logger.debug = real


def test_debug_records_kept_when_debug_is_on():
    log = logging.getLogger("pdfminer.psparser")
    keep = _Keep()
    level = log.level
    log.addHandler(keep)
    log.setLevel(logging.DEBUG)
    try:
        pdf_reader.read_pdf(report_pdf(n_rows=4))
    finally:
        log.removeHandler(keep)
        log.setLevel(level)
    assert keep.records
