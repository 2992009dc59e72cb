"""Data quality in the warehouse: cross-year findings, scorecards, revisions, duplicates, rejects, `xxgk check`.

One warehouse is built for the module from generated reports with known breaks:

* agency A, 2023: 上年结转 raised by 2 (and 新收 lowered by 2, so the report itself still adds up);
* agency B, 2022: a corrected report republished a month later; the first version (with a wrong
  table-四 total) is ingested after the correction;
* agency C, 2023: a second version with the same published date and one changed figure, ingested later;
* agency D: no 2022 report (a gap);
* A's 2021 file again under another path; three files to quarantine; one report with a negative count.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest

from fixtures.bad import BY_NAME, write
from fixtures.reports import republish, t3_shift, t4_set
from helpers import db
from ingest.batch import ingest_paths
from ingest.synthetic import generate
from warehouse.build import build
from warehouse.cli import main
from warehouse.home import Home

CARRIED_OVER = "二、上年结转政府信息公开申请数量"
NEW = "一、本年新收政府信息公开申请数量"


@pytest.fixture(scope="module")
def q(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    truth = generate(root / "corpus", n_agencies=4, years=range(2021, 2024), seed=21, formats=("text",), quirk_rates={})
    by = {(r.agency, r.year): r for r in truth}
    agencies = list(dict.fromkeys(r.agency for r in truth))
    a = next(ag for ag in agencies if by[(ag, 2023)].cells["t3|new_received|natural_person"] >= 2)
    b, c, d = [ag for ag in agencies if ag != a][:3]
    path = lambda ag, y: root / "corpus" / by[(ag, y)].file
    later = root / "later"
    later.mkdir()

    text = path(a, 2023).read_text(encoding="utf-8")
    path(a, 2023).write_text(
        t3_shift(t3_shift(text, CARRIED_OVER, "natural_person", 2), NEW, "natural_person", -2), encoding="utf-8"
    )

    original = path(b, 2022).read_text(encoding="utf-8")
    published = date.fromisoformat(by[(b, 2022)].published)
    corrected = republish(original, (published + timedelta(days=30)).isoformat())
    path(b, 2022).write_text(corrected, encoding="utf-8")
    first = t4_set(original, 4, "9")  # 行政复议 总计 printed as 9, the parts unchanged
    (later / "b_2022_first.txt").write_text(first, encoding="utf-8")

    c_text = path(c, 2023).read_text(encoding="utf-8")
    licensing = next(line for line in c_text.splitlines() if line.startswith("行政许可 | "))
    c_value = int(licensing.split("|")[1])
    (later / "c_2023_v2.txt").write_text(c_text.replace(licensing, f"行政许可 | {c_value + 5} |"), encoding="utf-8")

    path(d, 2022).unlink()
    dup = root / "mirror" / "copy.txt"
    dup.parent.mkdir()
    shutil.copy(path(a, 2021), dup)
    bad = [write(BY_NAME[k], root / "bad") for k in ("empty", "zip", "two_reports", "negative_counts")]

    home = Home.resolve(root / "home")
    s1 = ingest_paths([root / "corpus" / "reports", dup, *bad], home.root)
    s2 = ingest_paths([later], home.root)
    res = build(home)
    return {
        "home": home,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "by": by,
        "s1": s1,
        "s2": s2,
        "build": res,
        "dup": dup,
        "a2021": path(a, 2021),
        "c_value": c_value,
        "later": later,
        "bad": bad,
        "carry": (
            by[(a, 2022)].cells["t3|carried_forward|natural_person"],
            by[(a, 2022)].cells["t3|carried_forward|total"],
        ),
    }


def _agency_id(con, name):
    return con.execute("select agency_id from dim_agency where agency_name = ?", [name]).fetchone()[0]


def test_batches_balance(q):
    s1, s2 = q["s1"], q["s2"]
    assert s1.balanced() and s2.balanced()
    assert (s1.files_in, s1.quarantined, s1.duplicates) == (11 + 1 + 4, 3, 1)
    assert (s2.files_in, s2.reports) == (2, 2)


def test_carry_over_break_is_a_warn_finding_and_a_dbt_warning(q):
    with db(q["home"]) as con:
        rows = con.execute("""select agency_name, report_year, col_key, severity, expected, actual, origin
                              from dq_findings where rule_id = 't3_carried_over_matches_prior_year'
                              order by col_key""").fetchall()
    prior_np, prior_total = q["carry"]
    assert rows == [
        (q["a"], 2023, "natural_person", "warn", prior_np, prior_np + 2, "cross_year"),
        (q["a"], 2023, "total", "warn", prior_total, prior_total + 2, "cross_year"),
    ]
    assert any(w.startswith("t3_carried_over_matches_prior_year") for w in q["build"].warnings)


def test_cross_year_checks_hold_elsewhere(q):
    with db(q["home"]) as con:
        failed = con.execute(
            "select rule_id, count(*) from dq_cross_year_checks where not passed group by all"
        ).fetchall()
        passed = dict(
            con.execute("select rule_id, count(*) from dq_cross_year_checks where passed group by all").fetchall()
        )
    assert failed == [("t3_carried_over_matches_prior_year", 2)]
    # the in-force chain of table 二 holds in generated reports: every 2021-layout pair of years was checked
    assert passed["t2_in_force_chain"] > 0 and passed["t3_carried_over_matches_prior_year"] > 0


def test_revision_current_by_published_date_before_ingest_time(q):
    with db(q["home"]) as con:
        rows = con.execute(
            """select source_path like '%b_2022_first%', report_version, is_current, n_versions, published_on
                              from dim_report where agency_name = ? and report_year = 2022 order by report_version""",
            [q["b"]],
        ).fetchall()
        assert [r[:4] for r in rows] == [(True, 1, False, 2), (False, 2, True, 2)]
        assert rows[0][4] < rows[1][4]
        # the facts hold the corrected version; the history holds both
        facts = con.execute(
            """select cases from fct_appeals a join dim_report r using (report_id)
                               where r.agency_name = ? and a.report_year = 2022 and proceeding = 'reconsideration'
                               and result = 'total'""",
            [q["b"]],
        ).fetchall()
        history = con.execute(
            """select report_version, value from fct_cells_history where agency_name = ? and report_year = 2022
                                 and table_id = 't4' and row_key = 'reconsideration' and col_key = 'total' order by 1""",
            [q["b"]],
        ).fetchall()
        true_total = q["by"][(q["b"], 2022)].cells["t4|reconsideration|total"]
        assert facts == [(true_total,)]
        assert history == [(1, 9.0), (2, float(true_total))]
        # the first version's finding stays with it: not in dq_findings, visible in its scorecard
        in_findings = con.execute(
            """select count(*) from dq_findings where agency_name = ? and report_year = 2022""", [q["b"]]
        ).fetchone()[0]
        cards = con.execute(
            """select report_version, is_current, dq_status, n_warn from dq_report_scorecard
                               where agency_name = ? and report_year = 2022 order by 1""",
            [q["b"]],
        ).fetchall()
    assert true_total != 9
    assert in_findings == 0
    assert cards == [(1, False, "warn", 1), (2, True, "ok", 0)]


def test_revision_with_same_date_current_by_ingest_time(q):
    with db(q["home"]) as con:
        rows = con.execute(
            """select source_path like '%c_2023_v2%', report_version, is_current
                              from dim_report where agency_name = ? and report_year = 2023 order by report_version""",
            [q["c"]],
        ).fetchall()
        fact = con.execute(
            """select quantity from fct_disclosures where agency_id = ? and report_year = 2023
                              and item = 'licensing'""",
            [_agency_id(con, q["c"])],
        ).fetchone()[0]
        hist = con.execute(
            """select report_version, value from fct_cells_history where agency_name = ? and report_year = 2023
                              and row_key = 'licensing' order by 1""",
            [q["c"]],
        ).fetchall()
    assert rows == [(False, 1, False), (True, 2, True)]
    assert fact == q["c_value"] + 5
    assert hist == [(1, q["c_value"]), (2, q["c_value"] + 5)]


def test_same_content_from_two_paths_is_one_report(q):
    with db(q["home"]) as con:
        reports = con.execute(
            """select count(*) from dim_report where agency_name = ? and report_year = 2021""", [q["a"]]
        ).fetchone()[0]
        n_paths, paths = con.execute(
            """select n_paths, source_paths from dq_report_scorecard
                                        where agency_name = ? and report_year = 2021""",
            [q["a"]],
        ).fetchone()
        outcomes = sorted(
            con.execute(
                """select outcome from stg_sources s join dim_report r using (source_sha256)
                                         where r.agency_name = ? and r.report_year = 2021""",
                [q["a"]],
            ).fetchall()
        )
    assert reports == 1 and n_paths == 2
    assert set(paths.split(" | ")) == {str(q["a2021"].resolve()), str(q["dup"].resolve())}
    assert outcomes == [("duplicate",), ("parsed",)]


def test_agency_scorecard_years_gaps_and_breaks(q):
    with db(q["home"]) as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                """select agency_name, years_covered, missing_years, carryover_breaks, continuity_breaks, n_revised_years, dq_status
               from dq_agency_scorecard where is_synthetic"""
            ).fetchall()
        }
    assert rows[q["a"]] == ("2021,2022,2023", "", 1, 1, 0, "warn")
    assert rows[q["b"]] == ("2021,2022,2023", "", 0, 0, 1, "ok")
    assert rows[q["c"]] == ("2021,2022,2023", "", 0, 0, 1, "ok")
    assert rows[q["d"]] == ("2021,2023", "2022", 0, 1, 0, "ok")


def test_report_scorecard_counts(q):
    with db(q["home"]) as con:
        rows = con.execute("""select tables_found, cells_read, cells_unreadable, rules_passed, rules_failed, dq_status, n_error
                              from dq_report_scorecard where report_id in
                              (select report_id from dim_report where source_path like '%negative.txt')""").fetchall()
        ok = con.execute("""select count(*), min(rules_passed), max(rules_failed) from dq_report_scorecard
                            where is_synthetic and dq_status = 'ok' and is_current""").fetchone()
    ((tables, cells, unreadable, passed, failed, status, errors),) = rows
    assert (tables, cells, unreadable, status, errors) == ("t2,t3,t4", 200, 0, "error", 1)
    assert failed == 2 and passed > 30  # the -3 breaks its row's 总计 and its column's （七）总计
    # current generated reports: 4 agencies x 3 years - D's 2022 + the negative count = 12; A's 2023 warns, one errs
    assert ok[0] == 10 and ok[1] > 30 and ok[2] == 0


def test_rejects_mart(q):
    with db(q["home"]) as con:
        rows = con.execute(
            "select reason_code, attempts, is_resolved, parser_version, quarantined_path from dq_rejects order by 1"
        ).fetchall()
    assert [r[:3] for r in rows] == [("archive", 1, False), ("empty", 1, False), ("multiple_reports", 1, False)]
    assert all(r[3] and r[4] for r in rows)


def test_check_text_md_json_and_strict_exit(q, capsys):
    home = str(q["home"].root)
    assert main(["check", "--home", home]) == 0
    text = capsys.readouterr().out
    for needle in (
        "Counts by status",
        "Worst reports",
        "Rules by failure count",
        "Rejects",
        "Continuity breaks",
        "t3_carried_over_matches_prior_year",
        "negative_count",
        "multiple_reports",
        q["d"],
        "2022",
    ):
        assert needle in text, needle
    assert main(["check", "--home", home, "--strict"]) == 1  # the negative count is an error
    capsys.readouterr()
    assert main(["check", "--home", home, "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "## Continuity breaks" in md and "| reason_code |" in md
    assert main(["check", "--home", home, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["error_findings"] == 1
    assert {r["reason_code"] for r in data["rejects"]} == {"archive", "empty", "multiple_reports"}
    status = {r["status"]: r["n"] for r in data["status"]}
    assert status["quarantined"] == 3 and status["current: error"] == 1 and status["duplicate paths"] == 1
    assert {r["agency_name"] for r in data["continuity"]} == {q["a"], q["d"]}
    assert data["rules"][0]["rule_id"] == "negative_count"


def test_check_without_warehouse_is_a_one_line_error(tmp_path, capsys):
    assert main(["check", "--home", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("xxgk: error: no warehouse")
