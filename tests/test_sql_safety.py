"""`xxgk sql` is safe to hand to anyone: denied statements, engine lock-down, limits, outputs, examples, prompt."""
from __future__ import annotations

import io
import json

import duckdb
import pyarrow.parquet as pq
import pytest

from warehouse.cli import main
from warehouse.serve import connect, list_examples, load_examples, query, repl
from warehouse.sqlguard import Denied, check_sql

DENIED = [
    ("select * from read_csv('/etc/passwd')", "read_csv() is not allowed"),
    ("select * from read_csv_auto('/etc/passwd')", "read_csv_auto() is not allowed"),
    ("select * from '/etc/passwd'", "looks like a file path"),
    ("with t as (select * from read_text('/etc/passwd')) select * from t", "read_text() is not allowed"),
    ("select (select count(*) from glob('/etc/*'))", "glob() is not allowed"),
    ("select * from read_parquet('/tmp/x.parquet')", "read_parquet() is not allowed"),
    ("from query('select 1')", "query() is not allowed"),
    ("select getenv('HOME')", "getenv() is not allowed"),
    ("copy dim_report to '/tmp/out.csv'", "COPY"),
    ("copy (select 1) to '/tmp/out.parquet' (format parquet)", "COPY"),
    ("copy dim_report from '/etc/passwd'", "COPY"),
    ("export database '/tmp/dump'", "EXPORT"),
    ("attach '/tmp/other.duckdb' as other", "ATTACH"),
    ("detach xxgk", "DETACH"),
    ("install httpfs", "INSTALL and LOAD"),
    ("force install httpfs", "INSTALL and LOAD"),
    ("load httpfs", "INSTALL and LOAD"),
    ("load '/tmp/evil.duckdb_extension'", "INSTALL and LOAD"),
    ("set enable_external_access = true", "SET"),
    ("set threads = 1", "SET"),
    ("set lock_configuration = false", "SET"),
    ("reset allowed_directories", "SET"),
    ("set variable x = 1", "SET"),
    ("use memory", "SET"),
    ("pragma version", "PRAGMA"),
    ("call checkpoint()", "CALL"),
    ("checkpoint", "CALL"),
    ("insert into dim_report (report_id) values ('x')", "INSERT"),
    ("update dim_report set agency_name = 'x'", "UPDATE"),
    ("delete from dim_report", "DELETE"),
    ("create table x as select 1", "CREATE"),
    ("create temp table x as select 1", "CREATE"),
    ("create macro m() as 1", "CREATE"),
    ("drop table dim_report", "DROP"),
    ("alter table dim_report add column x int", "ALTER"),
    ("vacuum", "VACUUM"),
    ("begin transaction", "transactions"),
    ("explain copy dim_report to '/tmp/x.csv'", "COPY"),
    ("explain analyze select * from read_csv('/etc/passwd')", "read_csv() is not allowed"),
    ("select 1; copy dim_report to '/tmp/x.csv'", "COPY"),
    ("pivot dim_report on report_year using count(*)", "PIVOT"),
    ("update extensions", "not allowed"),
]


@pytest.mark.parametrize("sql,reason", DENIED, ids=[d[0][:40] for d in DENIED])
def test_denied_with_a_clear_one_line_message(synthetic_home, sql, reason, capsys):
    with pytest.raises(Denied, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_sql(sql)
    assert main(["sql", "--home", str(synthetic_home["home"].root), sql]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xxgk: error: denied: ") and reason in err and err.count("\n") == 1


ENGINE = [
    "select * from read_csv('/etc/passwd')",
    "select * from '/etc/passwd'",
    "attach '/tmp/xxgk-other.duckdb' as other",
    "install httpfs",
    "load httpfs",
    "set threads = 1",
    "set enable_external_access = true",
    "insert into dim_report (report_id) values ('x')",
    "copy dim_report to '/tmp/xxgk-out.csv'",
]


@pytest.mark.parametrize("sql", ENGINE)
def test_the_engine_refuses_too(synthetic_home, sql):
    """Second line: the same statements fail on the locked-down connection even without the checks."""
    with connect(synthetic_home["home"]) as con:
        with pytest.raises(duckdb.Error):
            con.execute(sql).fetchall()


def test_allowed_read_queries(synthetic_home):
    home = synthetic_home["home"]
    for sql in ["select count(*) from dim_report", "with a as (select * from fct_applications) select count(*) from a",
                "from dim_agency limit 1", "describe dim_report", "show tables", "summarize dim_agency",
                "explain select * from dim_report", "select * from range(3)", "select count(*) from duckdb_tables()",
                "values (1, 2)", "select count(*) from stg_reports", "select count(*) from meta_refresh_runs"]:
        cols, rows, _ = query(home, sql)
        assert cols and rows, sql
    assert query(home, "select count(*) from stg_reports")[1][0][0] == len(synthetic_home["truth"])


def test_row_limit_and_timeout(synthetic_home, capsys):
    home = synthetic_home["home"]
    cols, rows, truncated = query(home, "select * from range(100)", row_limit=7)
    assert len(rows) == 7 and truncated
    assert main(["sql", "--home", str(home.root), "--limit", "5", "--format", "csv", "select * from range(10)"]) == 0
    out = capsys.readouterr()
    assert out.out.split() == ["range", "0", "1", "2", "3", "4"] and "cut at 5 rows" in out.err
    assert main(["sql", "--home", str(home.root), "--timeout", "0.3",
                 "select sum(i) from range(10000000000) t(i)"]) == 2
    assert "stopped after 0.3 s" in capsys.readouterr().err


def test_outputs_to_files(synthetic_home, tmp_path, capsys):
    home = str(synthetic_home["home"].root)
    sql = "select report_id, report_year, published_on, is_current from dim_report order by report_id"
    for name in ("r.csv", "r.json", "r.parquet", "r.txt"):
        assert main(["sql", "--home", home, "--out", str(tmp_path / name), sql]) == 0
    n = len(synthetic_home["truth"])
    assert len((tmp_path / "r.csv").read_text().splitlines()) == n + 1
    rows = json.loads((tmp_path / "r.json").read_text())
    assert len(rows) == n and set(rows[0]) == {"report_id", "report_year", "published_on", "is_current"}
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.num_rows == n and str(table.schema.field("published_on").type) == "date32[day]"
    assert (tmp_path / "r.txt").read_text().startswith("report_id")
    assert main(["sql", "--home", home, "--format", "parquet", sql]) == 2
    assert "needs --out" in capsys.readouterr().err


def test_reads_stdin_when_not_a_terminal(synthetic_home, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("select 1 as a;\nselect 2 as b;\n"))
    assert main(["sql", "--home", str(synthetic_home["home"].root), "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["a", "1", "b", "2"]


def test_interactive_prompt(synthetic_home):
    lines = iter(["select 40 + 2 as answer", ";", "copy dim_report to '/tmp/x.csv';", ".examples",
                  ".example fees", "select * from nope;", ".quit", "select 'never';"])
    out: list[str] = []

    def read(prompt):
        return next(lines)

    assert repl(synthetic_home["home"], read, out.append) == 0
    text = "".join(out)
    assert "answer" in text and "42" in text
    assert "error: denied: COPY" in text
    assert "disclosure_rate" in text and "info_processing_fee" not in text and "agencies_charging" in text
    assert "error: Catalog Error" in text and "never" not in text


def test_named_examples_run(synthetic_home, capsys):
    home = str(synthetic_home["home"].root)
    examples = load_examples()
    assert {"disclosure_rate", "refusal_reasons", "trace_numbers", "refresh_runs"} <= set(examples)
    for name in examples:
        assert main(["sql", "--home", home, "--example", name, "--format", "csv"]) == 0, name
    capsys.readouterr()
    assert main(["sql", "--home", home, "--example", "disclosure_rate", "--format", "json"]) == 0
    years = [r["report_year"] for r in json.loads(capsys.readouterr().out)]
    assert years == sorted({t.year for t in synthetic_home["truth"]})
    assert main(["sql", "--home", home, "--example", "list"]) == 0
    assert capsys.readouterr().out == list_examples() and "trace_numbers" in list_examples()
    assert main(["sql", "--home", home, "--example", "nope"]) == 2
