"""`xxgk inspect FILE`: everything ingest sees in one file, to explain any number.

Prints the detected format, encoding and metadata; each table's grid as read;
the regions found and how each table was located (by heading or by content); every row mapping with how it was matched (label, variant,
position); the values; and the findings. Nothing is written.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.layout import map_document
from ingest.metadata import extract_metadata
from ingest.model import Quarantine, Table
from ingest.ocr_review import review as ocr_review
from ingest.readers import read, sniff
from ingest.rules import evaluate


def inspect_file(path: Path, max_grid_rows: int = 60) -> str:
    data = path.read_bytes()
    from ingest.versions import parser_version

    out = [f"file      {path}", f"sha256    {hashlib.sha256(data).hexdigest()}", f"bytes     {len(data)}",
           f"parser    {parser_version()}"]
    try:
        fmt = sniff(data, str(path))
        doc = read(data, fmt)
    except Quarantine as q:
        out.append(f"QUARANTINED  {q.reason}: {q.message}")
        return "\n".join(out) + "\n"
    meta = extract_metadata(doc)
    mapping, rows = map_document(doc, meta.report_year)
    confidences, ocr_findings = ocr_review(mapping, doc)
    conf_of = {id(c): conf for c, conf in zip(mapping.cells, confidences)}
    out += [f"format    {fmt} ({doc.meta.get('format_evidence') or 'no evidence recorded'})",
            f"encoding  {doc.encoding or '-'}" + (f"; script {doc.meta['script']}" if doc.meta.get("script") else ""),
            f"agency    {meta.agency_name} (from {meta.agency_source or 'nowhere: no valid name found'})"
            + _agency_detail(meta.agency_name),
            f"year      {meta.report_year} (from {meta.year_source or 'nowhere'})",
            f"published {meta.published_on} (from {meta.published_source or 'nowhere'})",
            *[f"  [{sev}] {rule}: {msg}" for rule, sev, msg in meta.notes],
            "layouts   " + ", ".join(f"{t}={lay}" for t, lay in sorted(mapping.layouts.items())),
            "regions   " + ", ".join(f"{k}=rows {a}..{b - 1}" for k, (a, b) in sorted(mapping.regions.items())),
            "located   " + (", ".join(f"{t}=by {how}" for t, how in sorted(mapping.located.items())) or "no table")]
    if doc.meta.get("ocr:pages"):
        out.append(f"ocr       pages {doc.meta['ocr:pages']} read by OCR; each value shows its confidence as ~0.99")
    out.append("")
    for t in doc.tables:
        out.append(f"--- table {t.index}" + (f" (page {t.page})" if t.page else "") + f": {len(t.rows)} rows x {t.width} cols"
                   + (" ragged" if t.ragged else ""))
        for ri, r in enumerate(t.rows[:max_grid_rows]):
            out.append(f"  r{ri:<3}| " + " | ".join(c.replace("\n", " ")[:18] for c in r))
        if len(t.rows) > max_grid_rows:
            out.append(f"  … {len(t.rows) - max_grid_rows} more rows")
    out.append("")
    by_row: dict[tuple[str, str], list] = {}
    for c in mapping.cells:
        by_row.setdefault((c.table_id, c.row_key), []).append(c)
    for m in mapping.rows:
        src = f"table {m.src_table} row {m.src_row}" if m.src_table is not None else f"text line {m.src_row}"
        vals = ", ".join(f"{c.col_key}={'blank' if c.parsed.is_blank else c.parsed.value if c.parsed.value is not None else '?'}"
                         + (f" [{c.parsed.raw_text}]" if c.parsed.raw_text.strip() not in ("", _plain(c.parsed.value)) else "")
                         + (f" ~{conf_of[id(c)]:.2f}" if conf_of.get(id(c)) is not None else "")
                         for c in by_row.get((m.table_id, m.row_key), []))
        out.append(f"{m.table_id} {m.layout} {m.row_key:28} <- {m.method:8} {m.score:4.2f} {src:20} {m.label[:24]!r}")
        out.append(f"      {vals}")
    findings, passed, failed = evaluate(mapping)
    findings = ocr_findings + findings
    out.append("")
    out.append(f"rules: {passed} passed, {failed} failed; findings: {len(findings)}")
    for f in findings:
        where = "/".join(x for x in (f.table_id, f.row_key, f.col_key) if x)
        out.append(f"  [{f.severity}] {f.rule_id} {where}: {f.message}")
    return "\n".join(out) + "\n"


def _agency_detail(name: str | None) -> str:
    """The canonical name and region the resolver gives a name read from the report."""
    if not name:
        return ""
    from ingest.agency import Resolver

    r = Resolver.from_seeds().resolve(name)
    where = "/".join(x for x in (r.province_name, r.prefecture_name, r.county_name or r.division_name) if x)
    return f"; canonical {r.canonical_name}" + (f"; region {where}" if where else f"; {r.unresolved_reason}")


def _plain(v) -> str:
    if v is None:
        return ""
    return str(int(v)) if v == int(v) else str(v)
