"""Data quality on the real reports in ../shared/corpus: the findings are exactly the source inconsistencies
recorded in the golden files, with no false errors or warnings, and `xxgk check` shows them."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from helpers import db, golden_files, load_golden
from ingest.batch import ingest_paths
from warehouse.build import build
from warehouse.cli import main
from warehouse.home import Home
from warehouse.score import FACTS as FACT

# rules that compare printed numbers (勾稽); the others are completeness, narrative and cell checks
ARITHMETIC = {
    "t3_received_equals_handled_plus_carried",
    "t3_total_equals_sum_of_results",
    "t3_total_column_equals_sum",
    "t4_total_equals_sum",
    "blank_total",
    "t3_carried_over_matches_prior_year",
}
NAMES = [p.stem for p in golden_files()]


@pytest.fixture(scope="module")
def real_all(shared_corpus, tmp_path_factory):
    home = Home.resolve(tmp_path_factory.mktemp("real_all") / "home")
    files = sorted((shared_corpus / "raw").iterdir())
    summary = ingest_paths(files, home.root)
    result = build(home)
    return {"home": home, "files": files, "summary": summary, "build": result, "shared": shared_corpus}


def _inconsistencies(gold: dict) -> set[tuple[str, str]]:
    """(table, row) of each break a golden file records, e.g. 't4 reconsideration: … 总计 is printed 0.'"""
    out = set()
    for text in gold["source_inconsistencies"]:
        m = re.match(r"(t[234]) (\w+):", text)
        assert m, text
        out.add((m.group(1), m.group(2)))
    return out


def _report(con, shared, name):
    sha = hashlib.sha256(
        (shared / "raw" / load_golden(shared / "golden" / f"{name}.json")["source"].split("/", 1)[1]).read_bytes()
    ).hexdigest()
    return con.execute("select report_id from dim_report where source_sha256 = ?", [sha]).fetchone()[0]


def test_every_real_report_is_read(real_all):
    s = real_all["summary"]
    assert s.files_in == len(real_all["files"]) == s.reports and s.quarantined == 0


@pytest.mark.parametrize("name", NAMES)
def test_findings_equal_golden_source_inconsistencies(real_all, name):
    shared = real_all["shared"]
    gold = load_golden(shared / "golden" / f"{name}.json")
    with db(real_all["home"]) as con:
        rid = _report(con, shared, name)
        findings = con.execute(
            """select rule_id, severity, table_id, row_key, col_key from dq_findings
                                  where report_id = ?""",
            [rid],
        ).fetchall()
    breaks = {(t, r) for rule, sev, t, r, _ in findings if rule in ARITHMETIC and sev in ("warn", "error")}
    assert breaks == _inconsistencies(gold)
    assert not [f for f in findings if f[1] == "error"]
    # any other warning is a cell the source lacks, and the golden file says so
    others = [f for f in findings if f[1] == "warn" and f[0] not in ARITHMETIC]
    assert all(f[0].endswith(("_columns_missing", "_rows_missing", "_values_missing")) for f in others)
    unknown_rows = {u.split("|")[1] for u in gold["unknown"]}
    assert len(others) == len(unknown_rows)


@pytest.mark.parametrize("name", NAMES)
def test_marts_hold_golden_values(real_all, name):
    shared = real_all["shared"]
    gold = load_golden(shared / "golden" / f"{name}.json")
    with db(real_all["home"]) as con:
        rid = _report(con, shared, name)
        for table, (fct, rk, ck, val) in FACT.items():
            rows = con.execute(
                f"select f.{rk} || '|' || f.{ck}, {val}, f.is_blank from {fct} f where f.report_id = ?", [rid]
            ).fetchall()
            assert {k: (None if blank else v) for k, v, blank in rows} == gold[table], table


def test_narrative_disagreement_is_info_only_where_the_golden_notes_it(real_all):
    with db(real_all["home"]) as con:
        rows = con.execute("""select r.source_path, f.severity, f.expected, f.actual from dq_findings f
                              join dim_report r using (report_id) where f.rule_id = 'narrative_vs_t3'""").fetchall()
    assert [(p.rsplit("/", 1)[1], sev, exp, act) for p, sev, exp, act in rows] == [
        ("2024_hongzequ_zf.pdf", "info", 95, 17)
    ]


def test_build_warns_only_on_the_known_break(real_all):
    assert {w.split(":")[0] for w in real_all["build"].warnings} == {"t4_block_total_equals_parts"}


def test_scorecards(real_all):
    with db(real_all["home"]) as con:
        cards = {
            p.rsplit("/", 1)[1]: rest
            for p, *rest in con.execute(
                """select r.source_path, s.dq_status, s.tables_found, s.cells_read, s.cells_blank, s.rules_failed
               from dq_report_scorecard s join dim_report r using (report_id)"""
            ).fetchall()
        }
        agencies = con.execute("select count(*), sum(continuity_breaks) from dq_agency_scorecard").fetchone()
    assert cards["2023_hongzequ_zf.pdf"][:3] == ["warn", "t2,t3,t4", 186]
    assert cards["2023_hongzequ_zf.pdf"][4] == 2
    assert cards["2023_shuyangxian_fgj.html"] == ["ok", "t2,t3,t4", 200, 125, 0]
    assert cards["2025_shanghai_szfbgt.md"][:3] == ["warn", "t2,t3,t4", 198]
    assert {k: v[0] for k, v in cards.items() if v[0] != "warn"} == {
        "2023_shuyangxian_fgj.html": "ok",
        "2024_hongzequ_zf.pdf": "ok",
        "2024_huaianshi_zf.pdf": "ok",
        "2024_taian_xzspfwj.txt": "ok",
    }
    assert agencies[1] == 0


def test_check_shows_the_breaks_and_strict_passes(real_all, capsys):
    home = str(real_all["home"].root)
    assert main(["check", "--home", home, "--strict"]) == 0  # no error-severity finding
    text = capsys.readouterr().out
    assert "t4_total_equals_sum" in text and "洪泽区人民政府" in text and "总计 is 0" in text
    assert main(["check", "--home", home, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    t4 = {(f["row_key"], f["expected"], f["actual"]) for f in data["findings"] if f["rule_id"] == "t4_total_equals_sum"}
    assert t4 == {("reconsideration", 11, 0), ("litigation_after_reconsideration", 5, 0)}
