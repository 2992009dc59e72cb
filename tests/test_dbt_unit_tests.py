"""The dbt unit tests (models/_unit_tests.yml): harmonisation, rates, current version, rollups.

`xxgk build` leaves them out (they test model logic, not data), so they run here, once, on a copy
of a built warehouse.
"""

import json
import shutil

from warehouse.build import run_dbt


def test_dbt_unit_tests_pass(synthetic_home, tmp_path):
    home = synthetic_home["home"]
    db = tmp_path / "unit.duckdb"
    shutil.copyfile(home.db, db)
    results = home.root / ".dbt-target" / "run_results.json"
    proc = run_dbt(["test", "--select", "test_type:unit"], home, db)
    # the project's on-run-start/-end hooks (macros/build_scope.sql) report as operations
    ran = [r for r in json.loads(results.read_text())["results"] if not r["unique_id"].startswith("operation.")]
    assert len(ran) >= 6, proc.stdout + proc.stderr
    failed = [r["unique_id"] for r in ran if r["status"] != "pass"]
    assert proc.returncode == 0 and not failed, (failed, proc.stdout[-2000:])


def test_reconciliation_macro_agrees_with_ingest(synthetic_home, tmp_path):
    """dbt's macro reconciliation_checks and ingest/rules.py read the same seed rows: over the built cells,
    the macro's broken single-report checks are exactly the findings ingest recorded for those rules."""
    from helpers import db

    home = synthetic_home["home"]
    copy = tmp_path / home.db.name  # same file name: the compiled SQL names the warehouse's catalog
    shutil.copyfile(home.db, copy)
    sql = (
        "with cells as (select report_id, agency_id, report_year, table_id, layout, row_key, col_key, "
        "coalesce(value, 0) as v, value is null and not is_blank as unreadable, is_blank "
        "from {{ ref('int_cells_current') }}) select * from ({{ reconciliation_checks('cells', 'report') }})"
    )
    proc = run_dbt(["compile", "--inline", sql, "--output", "json"], home, copy)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    compiled = json.loads(proc.stdout[proc.stdout.index("{") :])["compiled"]
    with db(home) as con:
        made = dict(con.execute(f"select rule_id, count(*) from ({compiled}) group by all").fetchall())
        broken = con.execute(f"""select report_id, rule_id, row_key, col_key, expected, actual from ({compiled})
                                 where not passed and not blank_total order by all""").fetchall()
        found = con.execute("""select report_id, rule_id, row_key, col_key, expected, actual from stg_findings
                               where rule_id in (select rule_id from reconciliation_rules where span = 'report')
                                 and report_id in (select report_id from int_cells_current) order by all""").fetchall()
    assert set(made) == {
        "t3_received_equals_handled_plus_carried",
        "t3_total_equals_sum_of_results",
        "t3_total_column_equals_sum",
        "t4_total_equals_sum",
    }
    assert broken and broken == found


def test_marts_reconciles_test_skips_an_unreadable_cell(synthetic_home, tmp_path):
    """The marts' `reconciles` test makes no check with an unreadable cell (null, not blank: e.g. a doubtful
    OCR digit), as ingest does, instead of reading it as 0 and reporting a break the source does not have."""
    import duckdb

    home = synthetic_home["home"]
    copy = tmp_path / home.db.name
    shutil.copyfile(home.db, copy)
    sql = (
        "{{ test_reconciles(model=ref('fct_applications'), rule='t3_total_equals_sum_of_results', table_id='t3', "
        "layout_column='table_layout', row_column='outcome', col_column='applicant_type', value_column='requests') }}"
    )
    proc = run_dbt(["compile", "--inline", sql, "--output", "json"], home, copy)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    compiled = json.loads(proc.stdout[proc.stdout.index("{") :])["compiled"]
    con = duckdb.connect(str(copy))
    try:
        con.execute(f"use {copy.stem}")
        before = con.execute(f"select count(*) from ({compiled})").fetchone()[0]
        # one printed, non-zero result cell of a report whose table 三 reconciles becomes unreadable
        rid, col = con.execute(f"""
            select report_id, applicant_type from fct_applications
            where outcome = 'granted' and requests > 0
              and report_id not in (select report_id from ({compiled}))
            order by all limit 1""").fetchone()
        con.execute(
            "update fct_applications set requests = null, is_blank = false "
            "where report_id = ? and applicant_type = ? and outcome = 'granted'",
            [rid, col],
        )
        after = con.execute(f"select count(*) from ({compiled})").fetchone()[0]
    finally:
        con.close()
    assert after == before
