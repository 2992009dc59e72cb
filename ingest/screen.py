"""Whole-document checks that decide a file cannot be read as one report.

A file holding two reports pasted together would otherwise be read as its
first report, and the second silently lost; it is quarantined instead.
"""
from __future__ import annotations

from .layout import Row, _is_heading
from .model import Quarantine
from .template import section_markers

TABLE_SECTIONS = ("s2", "s3", "s4")


def heading_counts(rows: list[Row]) -> dict[str, int]:
    """How often the heading of each table's section (二, 三, 四) stands as a heading line."""
    marks = section_markers()
    return {sec: sum(1 for r in rows if _is_heading(r, marks[sec])) for sec in TABLE_SECTIONS}


def screen(rows: list[Row]) -> None:
    """Raise :class:`Quarantine` when the document is more than one report."""
    repeated = sorted(sec for sec, n in heading_counts(rows).items() if n >= 2)
    if len(repeated) >= 2:
        raise Quarantine("multiple_reports", "the file holds more than one report (the headings of parts "
                         + ", ".join({"s2": "二", "s3": "三", "s4": "四"}[s] for s in repeated)
                         + " appear more than once); split it and ingest each report")
