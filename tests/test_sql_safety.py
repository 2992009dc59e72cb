"""`xxgk sql` is safe to hand to anyone: denied statements, engine lock-down, limits, outputs, examples, prompt."""

from __future__ import annotations

import io
import json

import duckdb
import pyarrow.parquet as pq
import pytest

from warehouse.cli import main
from warehouse.errors import XxgkError
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
    for sql in [
        "select count(*) from dim_report",
        "with a as (select * from fct_applications) select count(*) from a",
        "from dim_agency limit 1",
        "describe dim_report",
        "show tables",
        "summarize dim_agency",
        "explain select * from dim_report",
        "select * from range(3)",
        "select count(*) from duckdb_tables()",
        "values (1, 2)",
        "select count(*) from stg_reports",
        "select count(*) from meta_refresh_runs",
    ]:
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
    assert (
        main(["sql", "--home", str(home.root), "--timeout", "0.3", "select sum(i) from range(10000000000) t(i)"]) == 2
    )
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
    lines = iter(
        [
            "select 40 + 2 as answer",
            ";",
            "copy dim_report to '/tmp/x.csv';",
            ".examples",
            ".example fees",
            "select * from nope;",
            ".quit",
            "select 'never';",
        ]
    )
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


# --- hardening: parser errors, limits, terminal escapes, one check per statement, locks ----------------


def _reader(lines: list[str]):
    """A prompt's input: the lines, then end of input."""
    it = iter(lines)

    def read(prompt):
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return read


PARSER_ERRORS = ["selec 1", "select 'unterminated", "explain /* c */ analyze selec 1", "select (((1", "explain (", "/*"]


@pytest.mark.parametrize("sql", PARSER_ERRORS)
def test_parser_errors_are_one_error_with_duckdbs_caret(synthetic_home, sql, capsys):
    """One error, exit 2, no traceback; DuckDB's text is whole: its LINE excerpt and the caret under the token."""
    assert main(["sql", "--home", str(synthetic_home["home"].root), sql]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xxgk: error: Parser Error: ") and err.count("xxgk: error:") == 1 and "Traceback" not in err
    lines = err.rstrip("\n").split("\n")
    (i,) = [i for i, line in enumerate(lines) if line.startswith("LINE 1: ")]
    assert lines[i] == "LINE 1: " + sql and set(lines[i + 1].strip()) == {"^"}
    assert 0 <= lines[i + 1].index("^") - len("LINE 1: ") < len(sql)


def test_comments_inside_explain(synthetic_home):
    home = synthetic_home["home"]
    for sql in ["explain /* c */ analyze select 1", "explain -- c\n select 1", "explain/**/select 1"]:
        assert query(home, sql)[1], sql
    with pytest.raises(Denied, match="COPY"):
        check_sql("explain /* c */ analyze /* d */ copy dim_report to '/tmp/x.csv'")


def test_the_prompt_survives_every_error(synthetic_home):
    lines = [*(f"{sql};" for sql in PARSER_ERRORS), "explain /* c */ analyze select 1;", "select 7 * 6 as n;"]
    out: list[str] = []
    assert repl(synthetic_home["home"], _reader(lines), out.append) == 0
    text = "".join(out)
    assert text.count("error: ") == len(PARSER_ERRORS) and "42" in text and "dummy scan" in text.lower()


def test_memory_and_thread_limits_on_every_connection(synthetic_home, capsys):
    from warehouse.serve import Limits

    home = synthetic_home["home"]
    sql = "select current_setting('memory_limit') as m, current_setting('threads') as t"
    assert query(home, sql)[1] == [("953.6 MiB", 2)]  # the 1GB default
    assert query(home, sql, limits=Limits(memory="256MB"))[1] == [("244.1 MiB", 2)]
    assert main(["sql", "--home", str(home.root), "--memory", "512MB", "--format", "csv", sql]) == 0
    assert capsys.readouterr().out.splitlines() == ["m,t", "488.2 MiB,2"]
    assert main(["sql", "--home", str(home.root), "--memory", "lots", "select 1"]) == 2
    assert "--memory takes a size" in capsys.readouterr().err
    with pytest.raises(Denied, match="SET"):
        check_sql("set memory_limit = '100GB'")
    with connect(home) as con, pytest.raises(duckdb.Error):
        con.execute("set memory_limit = '100GB'")


def test_results_are_bounded_in_bytes(synthetic_home, tmp_path, capsys):
    from warehouse.serve import Limits, query_arrow

    home = synthetic_home["home"]
    sql = "select i, repeat('x', 1000000) as big from range(50) t(i)"
    cols, rows, truncated = query(home, sql, limits=Limits(max_bytes=5_500_000))
    assert truncated and len(rows) == 5 and all(len(r[1]) == 1_000_000 for r in rows)
    table, truncated = query_arrow(home, sql, limits=Limits(max_bytes=5_500_000))
    assert truncated and table.num_rows < 50 and table.nbytes <= 5_500_000
    assert query(home, "select * from range(50)", limits=Limits(max_bytes=5_500_000))[2] is False
    assert (
        main(["sql", "--home", str(home.root), "--format", "csv", "select repeat('x', 1000000) from range(100)"]) == 0
    )
    out = capsys.readouterr()
    assert 0 < len(out.out.splitlines()) - 1 < 100 and "output cut at" in out.err


def test_control_characters_are_escaped_on_the_terminal(synthetic_home, monkeypatch, capsys, tmp_path):
    home = synthetic_home["home"]
    sql = "select chr(27) || '[2J' || chr(155) || 'x' || chr(10) || 'y' as \"h\x07\""
    assert main(["sql", "--home", str(home.root), sql]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert "\\x1b[2J\\x9bx\\ny" in out and "h\\x07" in out
    out_lines: list[str] = []
    repl(home, _reader([sql + ";"]), out_lines.append)
    assert "\\x1b[2J" in "".join(out_lines) and "\x1b" not in "".join(out_lines)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert main(["sql", "--home", str(home.root), "--format", "json", sql]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\x9b" not in shown and json.loads(shown)[0]["h\x07"] == "\x1b[2J\x9bx\ny"
    assert main(["sql", "--home", str(home.root), "--out", str(tmp_path / "r.csv"), sql]) == 0
    assert "\x1b[2J\x9bx" in (tmp_path / "r.csv").read_text(encoding="utf-8")  # files keep the data as it is


def test_each_statement_is_checked_once(synthetic_home, monkeypatch, capsys):
    import warehouse.serve
    import warehouse.sqlguard

    calls: list[str] = []
    real = warehouse.sqlguard.check_sql

    def counting(sql):
        calls.append(sql)
        return real(sql)

    monkeypatch.setattr(warehouse.sqlguard, "check_sql", counting)
    monkeypatch.setattr(warehouse.serve, "check_sql", counting)
    assert (
        main(["sql", "--home", str(synthetic_home["home"].root), "--format", "csv", "select 1 as a; select 2 as b"])
        == 0
    )
    assert calls == ["select 1 as a; select 2 as b"] and capsys.readouterr().out.split() == ["a", "1", "b", "2"]
    calls.clear()
    repl(synthetic_home["home"], _reader(["select 1; select 2;"]), lambda text: None)
    assert calls == ["select 1; select 2;"]


def test_a_writer_in_another_process_gives_one_line_and_exit_5(synthetic_home, tmp_path, capsys):
    import shutil
    import subprocess
    import sys

    home = tmp_path / "home"
    shutil.copytree(synthetic_home["home"].root, home)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(home / 'xxgk.duckdb')!r})\nprint('ready', flush=True)\n"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert main(["sql", "--home", str(home), "select 1"]) == 5
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "open for writing by another process" in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()


def test_one_huge_value_is_denied_not_given_the_machine(tmp_path):
    """DuckDB's memory limit does not govern one huge string; `xxgk sql` bounds its own address space
    (memory limit + headroom), so the query ends in one memory error and the process stays small."""
    import resource
    import subprocess
    import sys
    from pathlib import Path

    import duckdb

    home = tmp_path / "home"
    home.mkdir()
    duckdb.connect(str(home / "xxgk.duckdb")).close()
    xxgk = Path(sys.executable).with_name("xxgk")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [str(xxgk), "sql", "--home", str(home), "--memory", "512MB", "select length(repeat('x', 3000000000)) as n"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    assert proc.returncode == 2 and "memory" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert peak_mb < 2600, peak_mb
    ok = subprocess.run(
        [str(xxgk), "sql", "--home", str(home), "--memory", "512MB", "select 42 as n"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and "42" in ok.stdout, ok.stderr


def test_only_checked_statements_run(tmp_path):
    """The runner takes the statements check_sql made, never raw text: nothing runs unchecked."""
    from warehouse.home import Home
    from warehouse.serve import Limits, run_checked

    with pytest.raises(TypeError):
        run_checked(Home(tmp_path), "select 1", Limits())
    (checked,) = check_sql("select 1")
    with pytest.raises(XxgkError, match="no warehouse"):  # checked text gets as far as the connection
        run_checked(Home(tmp_path), checked, Limits())
