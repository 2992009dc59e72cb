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
