"""One CLI contract: the README's command, option and exit-code tables match the Click command tree; help,
--version and suggestions; refused --out formats and empty lakes; DuckDB's error text in full; the prompt's
dot commands."""

import re

import click
import duckdb
import pytest

from helpers import ROOT
from warehouse import errors
from warehouse.cli import cli, main


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Command line\n")
    return text[start : text.index("\n## ", start + 1)]


def _table(first_header: str) -> list[list[str]]:
    """The rows of the README table (in the Command line section) whose first header cell is ``first_header``."""
    lines = _section().splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[head + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def _tree() -> dict[str, dict[str, click.Option]]:
    """command -> {option name: option} of every visible option (not --help)."""
    return {
        name: {
            o: p
            for p in cmd.params
            if isinstance(p, click.Option) and not p.hidden
            for o in p.opts
            if o.startswith("--") and o != "--help"
        }
        for name, cmd in cli.commands.items()
        if not cmd.hidden
    }


def test_readme_commands_match_the_cli():
    documented = [row[0].strip("`").split()[0] for row in _table("command")]
    assert documented == list(_tree())


def test_readme_options_match_the_cli():
    tree = _tree()
    documented = {}
    for row in _table("option"):
        name = row[0].strip("`").split()[0]
        documented[name] = set(tree) if row[1] == "all" else {c.strip() for c in row[1].split(",")}
        assert row[2], name
    actual: dict[str, set[str]] = {}
    for command, options in tree.items():
        for name in options:
            actual.setdefault(name, set()).add(command)
    assert documented == actual
    assert "`xxgk --version`" in _section()


def test_readme_exit_codes_match_errors_py():
    documented = {int(row[0]): row[1] for row in _table("exit")}
    assert set(documented) == set(errors.EXIT_CODES)
    for code, meaning in errors.EXIT_CODES.items():  # same kind of outcome: the first word agrees
        assert documented[code].split(":")[0].split()[0] == meaning.split(":")[0].split()[0], code


def test_one_meaning_per_option_name():
    """An option name shared by commands has one help text (up to a per-command note in brackets)."""
    meanings: dict[str, set[str]] = {}
    for options in _tree().values():
        for name, option in options.items():
            meanings.setdefault(name, set()).add((option.help or "").split(" (")[0])
    assert {n: m for n, m in meanings.items() if len(m) > 1} == {}


def test_exit_codes_are_one_table():
    from warehouse.lock import LockHeld
    from warehouse.refresh import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE

    assert (EXIT_OK, EXIT_USAGE, EXIT_FAILED, EXIT_PARTIAL, EXIT_LOCKED) == (0, 2, 3, 4, 5)
    assert LockHeld.exit_code == errors.EXIT_LOCKED and errors.XxgkError.exit_code == errors.EXIT_USAGE
    assert errors.BuildError.exit_code == errors.StorageError.exit_code == errors.EXIT_FAILED


def test_help_version_and_suggestions(capsys):
    from ingest import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"xxgk {__version__}"
    assert main(["--help"]) == 0 and "refresh" in capsys.readouterr().out
    assert main(["sql", "-h"]) == 0 and "--timeout" in capsys.readouterr().out
    assert main(["biuld"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xxgk: error: ") and "Did you mean build" in err and err.count("\n") == 1
    assert main(["ingest", "x", "--quite"]) == 2
    assert "Did you mean '--quiet'" in capsys.readouterr().err
    assert main(["check", "--format", "xlsx"]) == 2
    assert "xlsx" in capsys.readouterr().err


def test_parser_compat_and_old_timeout_of_fetch(capsys):
    from warehouse.cli import _fetch_policy, parser

    args = parser().parse_args(["refresh", "--home", "h", "--quiet", "--timeout", "7"])
    assert (args.command, args.home, args.quiet, args.legacy_timeout, args.net_timeout) == ("refresh", "h", True, 7, 30)
    assert _fetch_policy(args).timeout_s == 7 and "--net-timeout" in capsys.readouterr().err
    assert _fetch_policy(parser().parse_args(["fetch", "--net-timeout", "4"])).timeout_s == 4
    assert parser().parse_args(["sql", "--format", "table", "q"]).format == "text"  # the old word still works
    with pytest.raises(SystemExit):
        parser().parse_args(["refresh", "--no-such-option"])


@pytest.fixture
def tiny_home(tmp_path):
    """A home whose warehouse is a plain DuckDB file: one commented table and a view."""
    from warehouse.home import Home

    home = Home.resolve(tmp_path / "home")
    home.root.mkdir()
    con = duckdb.connect(str(home.db))
    con.execute("create table agency_year(report_year integer, agency varchar)")
    con.execute("comment on column agency_year.report_year is 'Year of the report. 报告年度。'")
    con.execute("insert into agency_year values (2023, '甲局')")
    con.execute("create view v_years as select report_year from agency_year")
    con.close()
    return home


@pytest.mark.parametrize("out,fmt", [("x.xlsx", None), ("noext", None), ("x.csv", "json")])
def test_unknown_or_contradicting_out_format_is_usage(tiny_home, tmp_path, capsys, out, fmt):
    argv = ["sql", "--home", str(tiny_home.root), "--out", str(tmp_path / out), "select 1 as n"]
    assert main(argv + (["--format", fmt] if fmt else [])) == 2
    assert "--out" in capsys.readouterr().err and not (tmp_path / out).exists()
    assert (
        main(
            ["sql", "--home", str(tiny_home.root), "--out", str(tmp_path / "x.dat"), "--format", "csv", "select 1 as n"]
        )
        == 0
    )  # an explicit --format takes any extension
    assert (tmp_path / "x.dat").read_text() == "n\n1\n"


def test_duckdb_errors_keep_hints_candidates_and_caret(tiny_home, capsys):
    assert main(["sql", "--home", str(tiny_home.root), "select report_yeer from agency_year"]) == 2
    err = capsys.readouterr().err
    assert 'Candidate bindings: "report_year"' in err and "Traceback" not in err
    lines = err.rstrip("\n").split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("LINE 1: "))
    col = lines[i + 1].index("^") - len("LINE 1: ")
    assert lines[i][len("LINE 1: ") + col :].startswith("report_yeer")
    assert main(["sql", "--home", str(tiny_home.root), "select * from agency_yea"]) == 2
    assert 'Did you mean "agency_year"' in capsys.readouterr().err


def test_error_text_escapes_each_line_and_keeps_layout():
    from warehouse.sqlguard import error_text

    msg = "Binder Error: x\x1b[31m\n\tCandidate functions:\n\tsum(a)\n\n\n\nLINE 1: select\n        ^^^^^^"
    assert error_text(msg) == (
        "Binder Error: x\\x1b[31m\n    Candidate functions:\n    sum(a)\n\nLINE 1: select\n        ^^^^^^"
    )


def test_prompt_dot_commands(tiny_home):
    from warehouse.serve import repl

    lines = iter(
        [
            ".help",
            ".tables",
            ".schema agency_year",
            ".schema agency_yea",
            ".schema",
            "select count(*) as n from v_years;",
        ]
    )

    def read(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    out = []
    assert repl(tiny_home, read, out.append) == 0
    text = "".join(out)
    assert ".tables" in text and ".schema [NAME]" in text
    assert re.search(r"agency_year\s+table", text) and re.search(r"v_years\s+view", text)
    assert re.search(r"report_year\s+INTEGER\s+Year of the report\. 报告年度。", text)
    assert "error: no table or view named 'agency_yea'; did you mean agency_year" in text
    assert text.count("report_year ") >= 3  # .schema alone shows both relations
    assert "(1 rows)" in text


def test_build_and_docs_refuse_an_empty_lake(tmp_path, capsys, monkeypatch):
    import warehouse.build

    home = tmp_path / "typo"
    home.mkdir()
    for command in ("build", "docs"):
        assert main([command, "--home", str(home)]) == 2
        assert "holds no report" in capsys.readouterr().err
    assert not (home / "xxgk.duckdb").exists()
    built = []
    monkeypatch.setattr(warehouse.build, "build", lambda h, **kw: built.append(h) or warehouse.build.BuildResult(h.db))
    assert main(["build", "--home", str(home), "--allow-empty"]) == 0 and built
