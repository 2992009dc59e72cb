"""One file in, one parsed report (or a quarantine reason) out: a pure function.

``parse_report(data, source_path)`` runs reader → document model → layout
mapping → metadata → rules and returns plain rows for the lake tables. It
does no I/O, so it can be mapped over files by any executor (a process pool
here; Ray, Dask or Spark at national scale).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from . import limits, versions
from .layout import map_document
from .metadata import extract_metadata, info_processing_fee, section_texts
from .model import Quarantine, normalise_text
from .ocr_review import review as ocr_review
from .readers import read, sniff
from .rules import Finding, evaluate
from .screen import screen
from .template import layout_for

# Reports made by the project's generator carry this marker; real reports never do.
SYNTHETIC_MARKER = "XXGK-SYNTHETIC"
MAX_BYTES = limits.MAX_BYTES
# columns of the cells table taken from each mapped cell, after report_id and report_year
CELL_COLUMNS = ("table_id", "layout", "row_key", "col_key", "value", "is_blank", "raw_text", "unit", "note",
                "src_table_index", "src_row", "src_col", "match_method", "src_page", "ocr_confidence")


@dataclass
class Parsed:
    """Rows for the lake tables from one source file."""

    sha256: str
    source_path: str
    status: str                               # parsed | parsed_with_findings | quarantined
    report: dict | None = None
    # the cells table column by column (name -> values): a report has hundreds of cells
    cell_columns: dict[str, list] = field(default_factory=dict)
    sections: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    statements: list[dict] = field(default_factory=list)
    reject: dict | None = None

    @property
    def cells(self) -> list[dict]:
        """The cells as one dict per cell."""
        names = list(self.cell_columns)
        return [dict(zip(names, values)) for values in zip(*self.cell_columns.values())]


def report_id_for(sha256: str) -> str:
    """Report ids are derived from the content hash: the same bytes are the same report."""
    return sha256[:16]


def parse_report(data: bytes, source_path: str, sha256: str | None = None) -> Parsed:
    """Parse one file; ``sha256`` may be passed when the caller has already hashed the bytes."""
    sha = sha256 or hashlib.sha256(data).hexdigest()
    try:
        return _parse(data, source_path, sha)
    except Quarantine as q:
        return _reject(sha, source_path, q.reason, q.message)
    except RecursionError:
        return _reject(sha, source_path, "too_deep", "the document is nested too deeply to read")
    except MemoryError:
        return _reject(sha, source_path, "too_much_memory", limits.memory_message())
    except Exception as exc:  # a reader bug must not stop the batch; the file is kept with the reason
        return _reject(sha, source_path, "reader_error", f"{type(exc).__name__}: {exc}")


def _reject(sha: str, path: str, reason: str, message: str) -> Parsed:
    return Parsed(sha, path, "quarantined", reject={
        "source_sha256": sha, "source_path": path, "reason_code": reason, "message": message,
        "parser_version": versions.parser_version(),
    })


def _parse(data: bytes, source_path: str, sha: str) -> Parsed:
    if len(data) > limits.MAX_BYTES:
        raise Quarantine("too_large", f"the file is {len(data) / 2**20:.0f} MB; reports are far smaller "
                                      f"(limit {limits.MAX_BYTES // 2**20} MB)")
    fmt = sniff(data, source_path)
    doc = read(data, fmt)
    meta = extract_metadata(doc)
    mapping, rows = map_document(doc, meta.report_year)
    screen(mapping)
    if not mapping.cells:
        raise Quarantine("no_tables", "none of the tables 二, 三 or 四 was found in the document")
    if meta.report_year is None:
        raise Quarantine("no_report_year", "the report year could not be determined from the text")
    confidences, ocr_findings = ocr_review(mapping, doc)
    findings, passed, failed = evaluate(mapping, doc)
    findings = ocr_findings + findings
    findings += [Finding(rule, severity, None, None, None, None, None, message) for rule, severity, message in meta.notes]
    rid = report_id_for(sha)
    is_synthetic = any(SYNTHETIC_MARKER in b for b in doc.lines()[:5] + doc.lines()[-5:])
    template = mapping.layouts.get("t2") or mapping.layouts.get("t3") or layout_for("t2", None)
    status = "parsed_with_findings" if any(f.severity in ("warn", "error") for f in findings) else "parsed"
    report = {
        "report_id": rid,
        "report_year": meta.report_year,
        "source_sha256": sha,
        "source_path": source_path,
        "source_format": fmt,
        "source_bytes": len(data),
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
        "status": status,
        "is_synthetic": is_synthetic,
        "n_cells": len(mapping.cells),
        "rules_passed": passed,
        "rules_failed": failed,
        "ocr_pages": doc.meta.get("ocr:pages"),
    }
    n = len(mapping.cells)
    page_of = _page_finder(doc)
    printed = _printed_finder(doc)
    per_cell = zip(*[(c.table_id, c.layout, c.row_key, c.col_key, c.parsed.value, c.parsed.is_blank, printed(c),
                      c.parsed.unit, c.parsed.note, c.src_table, c.src_row, c.src_col, c.match,
                      page_of(c.src_table, c.src_row), conf) for c, conf in zip(mapping.cells, confidences)])
    cells = {"report_id": [rid] * n, "report_year": [meta.report_year] * n,
             **{name: list(values) for name, values in zip(CELL_COLUMNS, per_cell)}}
    sections = [{"report_id": rid, "report_year": meta.report_year, "section": sec, "text": text}
                for sec, text in section_texts(doc, mapping.regions, rows).items()]
    fee_amount, fee_cases, fee_text = info_processing_fee(doc)
    statements = []
    if fee_text is not None:
        statements.append({"report_id": rid, "report_year": meta.report_year, "kind": "info_processing_fee",
                           "amount_yuan": fee_amount, "cases": fee_cases, "stated": fee_text})
    finding_rows = [{
        "report_id": rid, "report_year": meta.report_year, "rule_id": f.rule_id, "severity": f.severity,
        "table_id": f.table_id, "row_key": f.row_key, "col_key": f.col_key, "expected": f.expected,
        "actual": f.actual, "message": f.message,
    } for f in findings]
    return Parsed(sha, source_path, status, report, cells, sections, finding_rows, statements)


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
        return text if normalise_text(text) == c.parsed.raw_text else c.parsed.raw_text

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
