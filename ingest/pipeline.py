"""One file in, one parsed report (or a quarantine reason) out: a pure function.

``parse_report(data, source_path)`` runs reader → document model → layout
mapping → metadata → rules (:func:`trace_report`, which records what each
stage gave and the verdict) and returns plain rows for the lake tables; the
trace is kept on request, for `xxgk inspect` to print, so ingest and inspect
run one code path. It does no I/O, so it can be mapped over files by any
executor (a process pool here; Ray, Dask or Spark at national scale).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from . import limits, versions
from .layout import Mapping, Row, map_document
from .metadata import Metadata, extract_metadata, info_processing_fee, section_texts
from .model import Document, Quarantine, normalise_short, normalise_text
from .ocr_review import review as ocr_review
from .readers import read, sniff
from .rules import Finding, evaluate
from .screen import screen
from .template import layout_for

# Reports made by the project's generator carry this marker; real reports never do.
SYNTHETIC_MARKER = "XXGK-SYNTHETIC"
MAX_BYTES = limits.MAX_BYTES
# columns of the cells table taken from each mapped cell, after report_id and report_year
CELL_COLUMNS = (
    "table_id",
    "layout",
    "row_key",
    "col_key",
    "value",
    "is_blank",
    "raw_text",
    "unit",
    "note",
    "src_table_index",
    "src_row",
    "src_col",
    "match_method",
    "src_page",
    "ocr_confidence",
)


@dataclass
class Trace:
    """One file through every stage: what each gave and the verdict. Ingest writes its rows
    (:func:`parse_report`); `xxgk inspect` prints it. Stages after a quarantine stay empty."""

    sha256: str
    source_path: str
    size: int
    format: str | None = None
    document: Document | None = None
    metadata: Metadata | None = None
    mapping: Mapping | None = None
    rows: list[Row] = field(default_factory=list)  # the flattened rows the mapping read
    confidences: list[float | None] = field(default_factory=list)  # OCR confidence of each mapped cell
    findings: list[Finding] = field(default_factory=list)
    passed: int = 0  # rule checks that held
    failed: int = 0
    verdict: str = "quarantined"  # parsed | parsed_with_findings | quarantined
    reason: str | None = None  # quarantine reason code
    message: str | None = None

    def quarantine(self, reason: str, message: str) -> None:
        self.verdict, self.reason, self.message = "quarantined", reason, message


@dataclass
class Parsed:
    """Rows for the lake tables from one source file."""

    sha256: str
    source_path: str
    status: str  # parsed | parsed_with_findings | quarantined
    report: dict | None = None
    # the cells table column by column (name -> values): a report has hundreds of cells
    cell_columns: dict[str, list] = field(default_factory=dict)
    sections: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    statements: list[dict] = field(default_factory=list)
    reject: dict | None = None
    trace: Trace | None = None  # what each stage gave (parse_report with keep_trace)

    @property
    def cells(self) -> list[dict]:
        """The cells as one dict per cell."""
        names = list(self.cell_columns)
        return [dict(zip(names, values)) for values in zip(*self.cell_columns.values())]


def report_id_for(sha256: str) -> str:
    """Report ids are derived from the content hash: the same bytes are the same report."""
    return sha256[:16]


def parse_report(data: bytes, source_path: str, sha256: str | None = None, keep_trace: bool = False) -> Parsed:
    """Parse one file into lake rows; ``sha256`` may be passed when the caller has already hashed the bytes.

    The rows are made from :func:`trace_report`'s trace, kept on ``Parsed.trace`` with ``keep_trace``
    (what `xxgk inspect` prints: the same stages, the same verdict)."""
    trace = trace_report(data, source_path, sha256)
    parsed = None
    if trace.verdict != "quarantined":
        parsed = _guarded(trace, _rows, trace)
    if parsed is None:
        parsed = rejected(trace.sha256, source_path, trace.reason, trace.message)
    if keep_trace:
        parsed.trace = trace
    return parsed


def trace_report(data: bytes, source_path: str, sha256: str | None = None) -> Trace:
    """Run every stage on one file and record what each gave and the verdict; a :class:`Quarantine` or
    a reader failure ends the run with its reason, the stages reached so far kept."""
    trace = Trace(sha256 or hashlib.sha256(data).hexdigest(), source_path, len(data))
    _guarded(trace, _run_stages, data, trace)
    return trace


def _guarded(trace: Trace, fn, *args):
    """``fn(*args)``; whatever stops it quarantines ``trace`` with its reason (None is returned then)."""
    try:
        return fn(*args)
    except Quarantine as q:
        trace.quarantine(q.reason, q.message)
    except RecursionError:
        trace.quarantine("too_deep", "the document is nested too deeply to read")
    except MemoryError:
        trace.quarantine("too_much_memory", limits.memory_message())
    except Exception as exc:  # a reader bug must not stop the batch; the file is kept with the reason
        trace.quarantine("reader_error", f"{type(exc).__name__}: {exc}")
    return None


def rejected(sha: str, path: str, reason: str, message: str) -> Parsed:
    """The result of a file quarantined for ``reason``."""
    return Parsed(
        sha,
        path,
        "quarantined",
        reject={
            "source_sha256": sha,
            "source_path": path,
            "reason_code": reason,
            "message": message,
            "parser_version": versions.parser_version(),
        },
    )


def _run_stages(data: bytes, trace: Trace) -> None:
    if len(data) > limits.MAX_BYTES:
        raise Quarantine(
            "too_large",
            f"the file is {len(data) / 2**20:.0f} MB; reports are far smaller (limit {limits.MAX_BYTES // 2**20} MB)",
        )
    trace.format = sniff(data, trace.source_path)
    trace.document = doc = read(data, trace.format)
    trace.metadata = meta = extract_metadata(doc)
    mapping, rows = map_document(doc, meta.report_year)
    trace.mapping, trace.rows = mapping, rows
    trace.confidences, ocr_findings = ocr_review(mapping, doc)
    screen(mapping)
    if not mapping.cells:
        raise Quarantine("no_tables", "none of the tables 二, 三 or 四 was found in the document")
    if meta.report_year is None:
        raise Quarantine("no_report_year", "the report year could not be determined from the text")
    findings, trace.passed, trace.failed = evaluate(mapping, doc)
    trace.findings = (
        ocr_findings
        + findings
        + [Finding(rule, severity, None, None, None, None, None, message) for rule, severity, message in meta.notes]
    )
    trace.verdict = "parsed_with_findings" if any(f.severity in ("warn", "error") for f in trace.findings) else "parsed"


def _rows(trace: Trace) -> Parsed:
    """The lake rows of a trace that ended parsed."""
    sha, doc, meta, mapping = trace.sha256, trace.document, trace.metadata, trace.mapping
    assert doc is not None and meta is not None and mapping is not None, "a parsed trace has every stage"
    rid = report_id_for(sha)
    lines = doc.lines()
    is_synthetic = any(SYNTHETIC_MARKER in b for b in lines[:5] + lines[-5:])
    template = mapping.layouts.get("t2") or mapping.layouts.get("t3") or layout_for("t2", None)
    report = {
        "report_id": rid,
        "report_year": meta.report_year,
        "source_sha256": sha,
        "source_path": trace.source_path,
        "source_format": trace.format,
        "source_bytes": trace.size,
        "encoding": doc.encoding,
        "agency_name": meta.agency_name,
        "agency_source": meta.agency_source,
        "year_source": meta.year_source,
        "title": meta.title,
        "template_version": template,
        "t2_layout": mapping.layouts.get("t2"),
        "t3_layout": mapping.layouts.get("t3"),
        "t4_layout": mapping.layouts.get("t4"),
        "published_on": meta.published_on,
        "published_source": meta.published_source,
        "parser_version": versions.parser_version(),
        "status": trace.verdict,
        "is_synthetic": is_synthetic,
        "n_cells": len(mapping.cells),
        "rules_passed": trace.passed,
        "rules_failed": trace.failed,
        "ocr_pages": doc.meta.get("ocr:pages"),
    }
    n = len(mapping.cells)
    page_of = _page_finder(doc)
    printed = _printed_finder(doc)
    per_cell = zip(
        *[
            (
                c.table_id,
                c.layout,
                c.row_key,
                c.col_key,
                c.parsed.value,
                c.parsed.is_blank,
                printed(c),
                c.parsed.unit,
                c.parsed.note,
                c.src_table,
                c.src_row,
                c.src_col,
                c.match,
                page_of(c.src_table, c.src_row),
                conf,
            )
            for c, conf in zip(mapping.cells, trace.confidences)
        ]
    )
    cells = {
        "report_id": [rid] * n,
        "report_year": [meta.report_year] * n,
        **{name: list(values) for name, values in zip(CELL_COLUMNS, per_cell)},
    }
    sections = [
        {"report_id": rid, "report_year": meta.report_year, "section": sec, "text": text}
        for sec, text in section_texts(doc, mapping.regions, trace.rows).items()
    ]
    fee_amount, fee_cases, fee_text = info_processing_fee(doc)
    statements = []
    if fee_text is not None:
        statements.append(
            {
                "report_id": rid,
                "report_year": meta.report_year,
                "kind": "info_processing_fee",
                "amount_yuan": fee_amount,
                "cases": fee_cases,
                "stated": fee_text,
            }
        )
    finding_rows = [
        {
            "report_id": rid,
            "report_year": meta.report_year,
            "rule_id": f.rule_id,
            "severity": f.severity,
            "table_id": f.table_id,
            "row_key": f.row_key,
            "col_key": f.col_key,
            "expected": f.expected,
            "actual": f.actual,
            "message": f.message,
        }
        for f in trace.findings
    ]
    return Parsed(sha, trace.source_path, trace.verdict, report, cells, sections, finding_rows, statements)


def _printed_finder(doc):
    """A mapped cell -> its text as the source prints it (before the document's normalisation).

    Only a table cell whose printed text normalises to the text the cell was read from takes it; any other
    cell (a paragraph line, a table rebuilt by the mapping) keeps the text it was read from."""
    by_table = {t.index: t.printed for t in doc.tables if t.printed is not None}

    def printed(c) -> str:
        grid = by_table.get(c.src_table) if c.src_table is not None else None
        if grid is None or not (0 <= c.src_row < len(grid) and 0 <= c.src_col < len(grid[c.src_row])):
            return c.parsed.raw_text
        text = grid[c.src_row][c.src_col]
        if text == c.parsed.raw_text:
            return text  # printed as read
        norm = normalise_short(text) if text and len(text) < 64 else normalise_text(text)
        return text if norm == c.parsed.raw_text else c.parsed.raw_text

    return printed


def _page_finder(doc):
    """(source table index, row) -> 1-based page of a mapped cell, None where the format has no pages.

    A cell from a table has its table's page; one read from a paragraph line (src_table None) has that
    paragraph's page, its row being the block index."""
    by_table = {t.index: t.page for t in doc.tables}

    def page(table: int | None, row: int) -> int | None:
        if table is not None:
            return by_table.get(table)
        block = doc.blocks[row] if 0 <= row < len(doc.blocks) else None
        return getattr(block, "page", None)

    return page
