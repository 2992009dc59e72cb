"""`xxgk inspect` prints the verdict and findings `xxgk ingest` writes: both run one parse (ingest.pipeline.Trace)."""

from __future__ import annotations

import contextlib
import io
import re

import pyarrow.parquet as pq

from fixtures.reports import good_report
from warehouse.cli import main

FINDING = re.compile(r"^  \[(?P<severity>\w+)\] (?P<rule>\S+?)(?: (?P<where>\S+))?: ")


def _files(folder) -> dict[str, str]:
    one = good_report()
    narrative = one.replace("一、总体情况\n", "一、总体情况\n本年共受理政府信息公开申请9999件。\n", 1)
    assert narrative != one
    no_tables = "\n".join(line for line in one.splitlines() if "|" not in line)
    texts = {"clean.txt": one, "twice.txt": one + one, "narrative.txt": narrative, "no_tables.txt": no_tables}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return texts


def _inspected(path) -> tuple[tuple[str, str | None], list[tuple[str, str, str]]]:
    """(verdict, quarantine reason) and the findings (severity, rule, where) `xxgk inspect` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["inspect", str(path)]) == 0
    lines = out.getvalue().splitlines()
    verdict = next(ln.split()[1] for ln in lines if ln.startswith("verdict   "))
    reason = next((ln.split()[1].rstrip(":") for ln in lines if ln.startswith("QUARANTINED  ")), None)
    tail = lines[next(i for i, ln in enumerate(lines) if ln.startswith("verdict   ")) :]
    findings = sorted((m["severity"], m["rule"], m["where"] or "") for ln in tail if (m := FINDING.match(ln)))
    return (verdict, reason), findings


def _ingested(home, name: str) -> tuple[tuple[str, str | None], list[tuple[str, str, str]]]:
    """(status, quarantine reason) and the findings (severity, rule, where) `xxgk ingest` wrote to the lake."""
    reports = [r for r in pq.read_table(home / "lake" / "reports").to_pylist() if r["source_path"].endswith("/" + name)]
    if not reports:
        (rej,) = [
            r for r in pq.read_table(home / "lake" / "rejects").to_pylist() if r["source_path"].endswith("/" + name)
        ]
        return ("quarantined", rej["reason_code"]), []
    (report,) = reports
    rows = [f for f in pq.read_table(home / "lake" / "findings").to_pylist() if f["report_id"] == report["report_id"]]
    return (report["status"], None), sorted(
        (f["severity"], f["rule_id"], "/".join(x for x in (f["table_id"], f["row_key"], f["col_key"]) if x))
        for f in rows
    )


def test_inspect_and_ingest_agree_on_verdicts_and_findings(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = _files(inbox)
    home = tmp_path / "home"
    assert main(["ingest", str(inbox), "--home", str(home), "--quiet"]) == 4  # partial: files were quarantined
    seen = {}
    for name in names:
        ingested, inspected = _ingested(home, name), _inspected(inbox / name)
        assert inspected == ingested, name
        seen[name] = ingested
    assert seen["clean.txt"] == (("parsed", None), [])
    # a file pasted twice is quarantined by both, not read as its first copy
    assert seen["twice.txt"] == (("quarantined", "multiple_reports"), [])
    # the narrative's total against table 三 is a finding in both
    assert seen["narrative.txt"][1] == [("info", "narrative_vs_t3", "t3/new_received/total")]
    assert seen["no_tables.txt"] == (("quarantined", "no_tables"), [])


def test_inspect_of_a_quarantined_file_still_shows_what_was_read(tmp_path):
    """The trace keeps the stages reached before the quarantine: the doubled file's metadata and regions."""
    _files(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["inspect", str(tmp_path / "twice.txt")]) == 0
    text = out.getvalue()
    assert "format    text" in text and "year      2023" in text and "regions   " in text
    assert "QUARANTINED  multiple_reports: " in text and "rules:" not in text
