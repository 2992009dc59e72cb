"""Honesty for OCR'd cells: a digit the engine may have misread never enters the lake as printed.

Every mapped cell whose text came from OCR carries the engine's confidence
(the lowest probability among its characters). A numeric OCR'd cell is
stored as unreadable (value null, not blank; its printed guess stays in
``raw_text``) with a finding naming the cell, the guess and the confidence when

* its confidence is below :data:`MIN_CONFIDENCE` (``ocr_low_confidence``), or
* its confidence is below :data:`DOUBT_CONFIDENCE` and changing one of its
  digits would make a broken reconciliation rule of its table hold
  (``ocr_digit_conflict``). The changed digit is named in the finding but
  never written: the number is unknown, not corrected.

Cells read from a text layer are untouched (their confidence is null).
"""

from __future__ import annotations

from dataclasses import replace

from .layout import Cell, Mapping
from .model import Document, Paragraph, Table
from .rules import Finding, Grid, Tally, check_t3, check_t4
from .template import shape

MIN_CONFIDENCE = 0.90
DOUBT_CONFIDENCE = 0.98
OCR_NOTE = "ocr_unreadable"


def cell_confidences(mapping: Mapping, doc: Document) -> list[float | None]:
    """The OCR confidence of each mapped cell's source text (None where it was not OCR'd)."""
    tables = {t.index: t for t in doc.tables}
    if not any(t.confidence for t in tables.values()) and not any(
        isinstance(b, Paragraph) and b.confidence is not None for b in doc.blocks
    ):
        return [None] * len(mapping.cells)  # nothing was OCR'd
    out: list[float | None] = []
    for c in mapping.cells:
        conf = None
        if c.src_table is None:
            block = doc.blocks[c.src_row] if 0 <= c.src_row < len(doc.blocks) else None
            if isinstance(block, Paragraph):
                conf = block.confidence
        else:
            t: Table | None = tables.get(c.src_table)
            if (
                t is not None
                and t.confidence
                and c.src_row < len(t.confidence)
                and 0 <= c.src_col < len(t.confidence[c.src_row])
            ):
                conf = t.confidence[c.src_row][c.src_col]
        out.append(conf)
    return out


def _unreadable(c: Cell) -> None:
    c.parsed = replace(c.parsed, value=None, is_blank=False, note=OCR_NOTE)


def _failed(g3: Grid, g4: Grid, layout: str) -> int:
    """Reconciliation checks of tables 三 and 四 that fail. The grids hold the cells themselves, so a
    trial value set on a cell is seen without building them again."""
    t = Tally([])
    check_t3(g3, layout, t)
    check_t4(g4, t)
    return t.failed


def _one_digit_variants(value: float) -> list[float]:
    if value != int(value) or value < 0:
        return []
    digits = str(int(value))
    out = []
    for i, d in enumerate(digits):
        for alt in "0123456789":
            if alt != d and not (alt == "0" and i == 0 and len(digits) > 1):
                out.append(float(digits[:i] + alt + digits[i + 1 :]))
    return out


def review(mapping: Mapping, doc: Document) -> tuple[list[float | None], list[Finding]]:
    """Mark doubtful OCR'd numbers unreadable (in place); return each cell's confidence and the findings."""
    confs = cell_confidences(mapping, doc)
    findings: list[Finding] = []
    if all(conf is None for conf in confs):  # nothing was OCR'd: nothing to review
        return confs, findings
    for c, conf in zip(mapping.cells, confs):
        if conf is not None and c.parsed.value is not None and conf < MIN_CONFIDENCE:
            findings.append(
                Finding(
                    "ocr_low_confidence",
                    "warn",
                    c.table_id,
                    c.row_key,
                    c.col_key,
                    None,
                    c.parsed.value,
                    f"OCR read {c.parsed.raw_text!r} with confidence {conf:.2f} (below {MIN_CONFIDENCE}); "
                    "stored as unreadable",
                )
            )
            _unreadable(c)
    g3, g4, layout = (
        Grid(mapping.cells, "t3"),
        Grid(mapping.cells, "t4"),
        mapping.layouts.get("t3") or shape("t3").layout,
    )
    base = _failed(g3, g4, layout) if any(conf is not None for conf in confs) else 0
    if base:
        doubtful = [
            (c, conf)
            for c, conf in zip(mapping.cells, confs)
            if conf is not None
            and conf < DOUBT_CONFIDENCE
            and c.parsed.value is not None
            and c.table_id in ("t3", "t4")
        ]
        conflicts = []
        for c, conf in doubtful:
            printed = c.parsed
            for alt in _one_digit_variants(printed.value):
                c.parsed = replace(printed, value=alt)
                fixed = _failed(g3, g4, layout) < base
                c.parsed = printed
                if fixed:
                    conflicts.append((c, conf, alt))
                    break
        for c, conf, alt in conflicts:
            findings.append(
                Finding(
                    "ocr_digit_conflict",
                    "warn",
                    c.table_id,
                    c.row_key,
                    c.col_key,
                    alt,
                    c.parsed.value,
                    f"OCR read {c.parsed.raw_text!r} with confidence {conf:.2f}; one digit different "
                    f"({alt:g}) would make the table's sums hold, so the number is stored as unreadable",
                )
            )
            _unreadable(c)
    return confs, findings
