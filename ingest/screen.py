"""Whole-document checks that decide a file cannot be read as one report.

A file holding two reports pasted together would otherwise be read as its
first report, and the second silently lost; it is quarantined instead.
"""

from __future__ import annotations

from .layout import Mapping
from .model import Quarantine

TABLE_SECTIONS = ("s2", "s3", "s4")


def screen(mapping: Mapping) -> None:
    """Raise :class:`Quarantine` when the document is more than one report: the headings of two or
    more of the table sections (二, 三, 四) each stand more than once, and table 三 is printed twice."""
    repeated = sorted(sec for sec in TABLE_SECTIONS if len(mapping.headings.get(sec, [])) >= 2)
    # headings repeated as the titles of tables printed in an appendix are one report: a second report
    # also prints a second table 三
    if len(repeated) >= 2 and mapping.copies.get("t3", 0) >= 2:
        raise Quarantine(
            "multiple_reports",
            "the file holds more than one report (the headings of parts "
            + ", ".join({"s2": "二", "s3": "三", "s4": "四"}[s] for s in repeated)
            + " appear more than once); split it and ingest each report",
        )
