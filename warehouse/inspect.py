"""`xxgk inspect FILE`: everything ingest sees in one file, to explain any number.

The file is read and parsed by ingest's own code (:func:`ingest.batch.parse_file`, which keeps the
parse's :class:`ingest.pipeline.Trace`); this module only prints it: the detected format, encoding and
metadata; each table's grid as read; the regions found and how each table was located (by heading or
by content); every row mapping with how it was matched (label, variant, position); the values; the
verdict ingest gives the file (parsed, with findings, or quarantined with its reason); and the findings
ingest writes. Nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from ingest.batch import parse_file
from ingest.pipeline import Parsed, Trace
from ingest.versions import parser_version


def inspect_file(path: Path, max_grid_rows: int = 60) -> str:
    parsed = parse_file(path, keep_trace=True)
    trace = parsed.trace
    out = [
        f"file      {path}",
        f"sha256    {parsed.sha256}",
        f"bytes     {trace.size if trace else '- (not read: ' + (parsed.reject or {}).get('reason_code', '?') + ')'}",
        f"parser    {parser_version()}",
    ]
    if trace is not None and trace.document is not None:
        out += _stages(trace, max_grid_rows)
    out += _verdict(parsed)
    return "\n".join(out) + "\n"


def _stages(trace: Trace, max_grid_rows: int) -> list[str]:
    """The document, metadata, mapping and row matches of a trace, as far as the parse got."""
    doc, meta, mapping = trace.document, trace.metadata, trace.mapping
    assert doc is not None, "called for a trace that read the document"
    out = [
        f"format    {trace.format} ({doc.meta.get('format_evidence') or 'no evidence recorded'})",
        f"encoding  {doc.encoding or '-'}" + (f"; script {doc.meta['script']}" if doc.meta.get("script") else ""),
    ]
    if meta is not None:
        out += [
            f"agency    {meta.agency_name} (from {meta.agency_source or 'nowhere: no valid name found'})"
            + _agency_detail(meta.agency_name),
            f"year      {meta.report_year} (from {meta.year_source or 'nowhere'})",
            f"published {meta.published_on} (from {meta.published_source or 'nowhere'})",
            *[f"  [{sev}] {rule}: {msg}" for rule, sev, msg in meta.notes],
        ]
    if mapping is not None:
        out += [
            "layouts   " + ", ".join(f"{t}={lay}" for t, lay in sorted(mapping.layouts.items())),
            "regions   " + ", ".join(f"{k}=rows {a}..{b - 1}" for k, (a, b) in sorted(mapping.regions.items())),
            "located   " + (", ".join(f"{t}=by {how}" for t, how in sorted(mapping.located.items())) or "no table"),
        ]
    if doc.meta.get("ocr:pages"):
        out.append(f"ocr       pages {doc.meta['ocr:pages']} read by OCR; each value shows its confidence as ~0.99")
    out.append("")
    for t in doc.tables:
        out.append(
            f"--- table {t.index}"
            + (f" (page {t.page})" if t.page else "")
            + f": {len(t.rows)} rows x {t.width} cols"
            + (" ragged" if t.ragged else "")
        )
        for ri, r in enumerate(t.rows[:max_grid_rows]):
            out.append(f"  r{ri:<3}| " + " | ".join(c.replace("\n", " ")[:18] for c in r))
        if len(t.rows) > max_grid_rows:
            out.append(f"  … {len(t.rows) - max_grid_rows} more rows")
    out.append("")
    if mapping is None:
        return out
    conf_of = {id(c): conf for c, conf in zip(mapping.cells, trace.confidences)}
    by_row: dict[tuple[str, str], list] = {}
    for c in mapping.cells:
        by_row.setdefault((c.table_id, c.row_key), []).append(c)
    for m in mapping.rows:
        src = f"table {m.src_table} row {m.src_row}" if m.src_table is not None else f"text line {m.src_row}"
        vals = ", ".join(
            f"{c.col_key}={'blank' if c.parsed.is_blank else c.parsed.value if c.parsed.value is not None else '?'}"
            + (f" [{c.parsed.raw_text}]" if c.parsed.raw_text.strip() not in ("", _plain(c.parsed.value)) else "")
            + (f" ~{conf_of[id(c)]:.2f}" if conf_of.get(id(c)) is not None else "")
            for c in by_row.get((m.table_id, m.row_key), [])
        )
        out.append(f"{m.table_id} {m.layout} {m.row_key:28} <- {m.method:8} {m.score:4.2f} {src:20} {m.label[:24]!r}")
        out.append(f"      {vals}")
    return out


def _verdict(parsed: Parsed) -> list[str]:
    """Ingest's verdict on the file and the finding rows it writes to the lake."""
    out = ["", f"verdict   {parsed.status}"]
    if parsed.reject is not None:
        out.append(f"QUARANTINED  {parsed.reject['reason_code']}: {parsed.reject['message']}")
        return out
    report = parsed.report
    assert report is not None, "a file not quarantined has its report row"
    out.append(
        f"rules: {report['rules_passed']} passed, {report['rules_failed']} failed; findings: {len(parsed.findings)}"
    )
    for f in parsed.findings:
        where = "/".join(x for x in (f["table_id"], f["row_key"], f["col_key"]) if x)
        out.append(f"  [{f['severity']}] {f['rule_id']}" + (f" {where}" if where else "") + f": {f['message']}")
    return out


def _agency_detail(name: str | None) -> str:
    """The canonical name and region the resolver gives a name read from the report."""
    if not name:
        return ""
    from ingest.agency_names import Resolver

    r = Resolver.from_seeds().resolve(name)
    where = "/".join(x for x in (r.province_name, r.prefecture_name, r.county_name or r.division_name) if x)
    return f"; canonical {r.canonical_name}" + (f"; region {where}" if where else f"; {r.unresolved_reason}")


def _plain(v) -> str:
    if v is None:
        return ""
    return str(int(v)) if v == int(v) else str(v)
