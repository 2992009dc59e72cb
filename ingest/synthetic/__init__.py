"""A deterministic generator of synthetic annual reports, with their truth.

Every generated report carries the marker ``XXGK-SYNTHETIC`` in its first
lines, so ingest flags it (``dim_report.is_synthetic``) and it can never pass
for a real report. ``generate`` builds agencies in a province → prefecture →
county → township hierarchy named after ``seeds/admin_divisions.csv``, draws
their figures year by year (``figures.py``), prints them in the official
layouts (2019 for 2019–2020, 2021 after) and renders each report as text,
Markdown, HTML, DOCX or PDF in stated proportions. The figures obey the
reconciliation rules and carry forward from year to year per agency; the truth
of every cell is written beside the files (``truth.jsonl``), with the agencies
(``agencies.csv``) and their renames (``renames.csv``).

Quirks seen in real reports are injected at given rates; each is recorded in
the truth of the report it affects (``quirks``, ``quirk_detail``), and the
inconsistencies among them in ``findings``:

* ``blank_zero``: zeros of the legal-person columns of table 三 printed blank;
* ``split_digits``: numbers split across ``<span>`` elements (HTML) or runs (DOCX);
* ``missing_labels``: four row labels of table 三 lost (position must decide);
* ``annotated``: a table 二 cell printed with a note, ``12（其中修订2件）``;
* ``broken_total``: a total printed wrong (table 四 block, or a 总计 cell of table 三);
* ``carry_break``: carried-over applications that differ from last year's carried-forward;
* ``revision``: a second, corrected version published later (the first is ``revised_later``);
* ``renamed`` (per agency): the name changes in a year after an institutional reform;
* ``missing_year`` (per agency): a year without a report (recorded on the next report);
* ``legacy_t3`` (per agency): table 三 keeps the 2019 row （六）其他处理 after 2021.
"""

from .corpus import DEFAULT_QUIRK_RATES, DEMO_FORMATS, MARKER, format_plan, generate
from .render import EXTENSIONS
from .truth import CARRY_BREAK_RULE, SynthReport, load_agencies, load_truth

__all__ = [
    "CARRY_BREAK_RULE",
    "DEFAULT_QUIRK_RATES",
    "DEMO_FORMATS",
    "EXTENSIONS",
    "MARKER",
    "SynthReport",
    "format_plan",
    "generate",
    "load_agencies",
    "load_truth",
]
