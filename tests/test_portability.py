"""Portability: of the SQL (every compiled model transpiles to Trino and Spark SQL) and of a home.

The models are written for DuckDB; docs/scaling.md lists what would change on a distributed engine.
This test keeps that list honest: sqlglot must parse each compiled model as DuckDB SQL and write it
in the other dialects without an unsupported construct.

A home is portable: the warehouse names no absolute path, so a moved home works without a rebuild
and a copied one reads its own lake (warehouse/home.py), also under a path with a quote in it.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

DIALECTS = ("trino", "spark")
# The one documented DuckDB-only piece: staging reads the Parquet lake of committed batches with
# read_parquet(...) (macros/lake.sql). On another engine the lake tables are external tables, so the macro
# would emit a table name instead.
_READ_PARQUET = re.compile(
    r"\(select \* exclude \(filename\)\s+from read_parquet\('lake/(\w+)/.*?"
    r"from glob\('lake/_batches/\*\.json'\)\)\)",
    re.S,
)


def as_external_tables(sql: str) -> str:
    return _READ_PARQUET.sub(lambda m: f"lake.{m.group(1)}", sql)


def _compiled(home) -> list[Path]:
    root = home.root / ".dbt-target" / "compiled" / "xxgk" / "models"
    return sorted(p for p in root.rglob("*.sql") if p.parent.name in ("staging", "intermediate", "marts", "quality"))


def test_compiled_models_exist(synthetic_home):
    names = {p.stem for p in _compiled(synthetic_home["home"])}
    assert {"stg_cells", "stg_reports", "fct_applications", "dim_report", "agency_year"} <= names


@pytest.mark.parametrize("dialect", DIALECTS)
def test_models_transpile(synthetic_home, dialect):
    failures = []
    files = _compiled(synthetic_home["home"])
    for path in files:
        sql = as_external_tables(path.read_text(encoding="utf-8"))
        try:
            out = sqlglot.transpile(sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE)
            assert out and all(o.strip() for o in out)
        except Exception as exc:  # collect every model that does not transpile
            failures.append(f"{path.stem}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    assert len(files) > 20
    assert not failures, "\n".join(failures)


def test_only_the_lake_reader_is_duckdb_specific(synthetic_home):
    """Without the swap, the staging models are the only ones Spark rejects, and only for read_parquet."""
    for path in _compiled(synthetic_home["home"]):
        sql = path.read_text(encoding="utf-8")
        try:
            sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)
        except Exception as exc:
            assert path.parent.name == "staging" and "READ_PARQUET" in str(exc), (path.stem, exc)


# --- portable homes -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quoted_home(tmp_path_factory):
    """A small home built under a path with a quote and a space in it."""
    from ingest.batch import ingest_paths
    from ingest.synthetic import generate
    from warehouse.build import build
    from warehouse.home import Home

    root = tmp_path_factory.mktemp("portable")
    generate(root / "corpus", n_agencies=2, years=range(2022, 2024), seed=5, formats=("text",))
    home = Home.resolve(root / "it's a home")
    ingest_paths([root / "corpus" / "reports"], home.root)
    build(home)
    return home


def _objects(home) -> list[str]:
    from warehouse.home import connect_db

    with connect_db(home) as con:
        return [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where not internal and schema_name = 'main' "
                "union all select view_name from duckdb_views() where not internal and schema_name = 'main' "
                "order by 1"
            ).fetchall()
        ]


def _counts(home) -> dict[str, int]:
    """Rows of every table and view, read through the locked-down `xxgk sql` connection."""
    from warehouse.serve import query

    return {name: query(home, f'select count(*) from "{name}"')[1][0][0] for name in _objects(home)}


def test_no_absolute_path_in_the_warehouse(quoted_home):
    from warehouse.home import connect_db

    with connect_db(quoted_home) as con:
        sql = "\n".join(r[0] for r in con.execute("select sql from duckdb_views() where not internal").fetchall())
    assert "read_parquet('lake/cells/" in sql and "_batches" in sql
    assert str(quoted_home.root.parent) not in sql and "read_parquet('/" not in sql


def test_moved_and_copied_homes_read_their_own_lake(quoted_home, tmp_path, capsys):
    from ingest.lake import Lake
    from warehouse.cli import main
    from warehouse.home import Home

    before = _counts(quoted_home)
    assert {"stg_cells", "stg_reports", "meta_fetches", "meta_refresh_runs", "fct_cells_history", "agency_year"} <= set(
        before
    )
    assert before["stg_cells"] > 0 and before["stg_reports"] == 4

    moved = Home.resolve(tmp_path / "moved 'again'" / "home")
    moved.root.parent.mkdir()
    shutil.copytree(quoted_home.root, tmp_path / "original")  # the fixture's home stays for other tests
    os.rename(tmp_path / "original", moved.root)
    assert _counts(moved) == before
    assert main(["check", "--home", str(moved.root)]) == 0
    assert "Counts by status" in capsys.readouterr().out

    copy = Home.resolve(tmp_path / "copy")
    shutil.copytree(moved.root, copy.root)
    shutil.rmtree(moved.root / "lake" / "refresh_runs")  # the copy must not read the moved home's lake
    Lake(copy.lake).write_batch({"refresh_runs": [{"run_id": "r-copy", "status": "ok"}]})
    after = _counts(copy)
    assert after["meta_refresh_runs"] == before["meta_refresh_runs"] + 1
    assert {k: v for k, v in after.items() if k != "meta_refresh_runs"} == {
        k: v for k, v in before.items() if k != "meta_refresh_runs"
    }


def test_views_show_only_committed_batches(quoted_home, tmp_path):
    """A killed ingest leaves data files without a commit marker: no view shows their rows."""
    import pyarrow.parquet as pq

    from ingest.lake import Lake
    from warehouse.home import Home

    home = Home.resolve(tmp_path / "home")
    shutil.copytree(quoted_home.root, home.root)
    before = _counts(home)
    lake = Lake(home.lake)
    batch = lake.write_batch({"refresh_runs": [{"run_id": "r-orphan", "status": "ok"}]})
    reports = next(p for p in home.lake.glob("reports/report_year=*/b*.parquet"))
    cells = next(reports.parent.parent.parent.glob(f"cells/{reports.parent.name}/b*.parquet"))
    for src in (reports, cells):  # same rows, as a batch never committed
        shutil.copyfile(src, src.with_name("b20990101T000000-deadbeef.parquet"))
    (home.lake / "_batches" / f"{batch}.json").unlink()  # and a batch whose marker is gone
    assert pq.read_table(reports).num_rows > 0
    assert _counts(home) == before


def test_meta_fetches_redacts_secrets_recorded_before_fetch_did(quoted_home, tmp_path):
    from ingest.lake import Lake
    from warehouse.home import Home
    from warehouse.serve import query

    home = Home.resolve(tmp_path / "home")
    shutil.copytree(quoted_home.root, home.root)
    Lake(home.lake).write_batch(
        {
            "fetches": [
                {
                    "url": "https://user:pw-4444@x.gov.cn/r.pdf?token=tok-5555&page=2",
                    "final_url": "https://x.gov.cn/r.pdf?sig=sig-6666",
                    "error": "http_404: not at https://x.gov.cn/?key=key-7777",
                }
            ]
        }
    )
    rows = query(home, "select url, final_url, error, error_code from meta_fetches")[1]
    assert rows == [
        (
            "https://***@x.gov.cn/r.pdf?token=***&page=2",
            "https://x.gov.cn/r.pdf?sig=***",
            "http_404: not at https://x.gov.cn/?key=***",
            "http_404",
        )
    ]


@pytest.mark.parametrize("command", [["build"], ["refresh"], ["check"], ["docs"], ["sql", "select 1"]])
def test_no_command_creates_a_home_it_was_not_given(tmp_path, monkeypatch, capsys, command):
    """Without --home or XXGK_HOME, ./data must exist; build, check, docs and sql never create a named one either."""
    from warehouse.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XXGK_HOME", raising=False)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "data") in err  # no xxgk home / no warehouse at it
    assert not (tmp_path / "data").exists()
    if command != ["refresh"]:  # a named home is created by ingest, fetch and refresh only
        assert main([command[0], "--home", str(tmp_path / "typo"), *command[1:]]) == 2
        assert not (tmp_path / "typo").exists()
