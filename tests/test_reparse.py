"""A fixed parser re-reads old files: the parser version is a hash of the parse code and seeds; files read by
another version, or quarantined for a program error, are parsed again, and the marts show the newest parse only."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

import ingest.pipeline
import ingest.versions
from fixtures.reports import good_report
from helpers import ROOT, db
from ingest.batch import ingest_paths
from ingest.lake import Lake
from ingest.versions import ParseState, parse_reason, parse_states

BUMP = 1000.0  # what the "fixed" parser adds to one cell, so its reading is told from the old one


def _version(monkeypatch, v: str) -> None:
    monkeypatch.setattr(ingest.versions, "parser_version", lambda: v)


def _fixed_parser(monkeypatch) -> None:
    """A parser that reads table 三's new_received|total differently (as a fix would)."""
    real = ingest.pipeline.map_document

    def mapped(doc, year):
        mapping, rows = real(doc, year)
        for i, c in enumerate(mapping.cells):
            if (c.table_id, c.row_key, c.col_key) == ("t3", "new_received", "total") and c.parsed.value is not None:
                mapping.cells[i] = replace(c, parsed=replace(c.parsed, value=c.parsed.value + BUMP))
        return mapping, rows

    monkeypatch.setattr(ingest.pipeline, "map_document", mapped)


def _broken_parser(monkeypatch) -> None:
    def boom(*args):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr(ingest.pipeline, "_run_stages", boom)


# -- the version -------------------------------------------------------------------------------------


def test_version_is_a_hash_of_parse_code_and_seeds(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    monkeypatch.setattr(ingest.versions, "SEEDS", seeds)

    def version():
        ingest.versions.parser_version.cache_clear()
        return ingest.versions.parser_version()

    try:
        v1 = version()
        assert v1 == version() and v1.startswith(ingest.__version__ + "+")
        inputs = {p.name for p in ingest.versions.parse_inputs()}
        assert {"layout.py", "metadata.py", "template_keys.csv", "agency_abbreviations.csv"} <= inputs
        assert not inputs & {"fetch.py", "batch.py", "lake.py", "key_harmonisation.csv"}
        (seeds / "key_harmonisation.csv").write_text("changed", encoding="utf-8")  # read by dbt only
        assert version() == v1
        with open(seeds / "agency_abbreviations.csv", "a", encoding="utf-8") as f:
            f.write("测试局,测试管理局,\n")
        assert version() != v1
    finally:
        ingest.versions.parser_version.cache_clear()


@pytest.mark.parametrize(
    "state,reparse,reason",
    [
        (None, False, "new"),
        (ParseState("report", "v1", None, None), False, None),
        (ParseState("report", "v0", None, None), False, "stale_version"),
        (ParseState("report", "v1", None, None), True, "forced"),
        (ParseState("reject", "v1", "no_tables", None), False, None),
        (ParseState("reject", "v0", "no_tables", None), False, "stale_version"),
        (ParseState("reject", "v1", "reader_error", None), False, "retry_reader_error"),
    ],
)
def test_parse_reason(state, reparse, reason):
    assert parse_reason(state, "v1", reparse) == reason


# -- ingest, then build: the marts hold the newest parse of each file only ---------------------------


@pytest.fixture(scope="module")
def reparsed(tmp_path_factory):
    """Three files through several parser versions, then one build."""
    root = tmp_path_factory.mktemp("reparse")
    inbox = root / "in"
    inbox.mkdir()
    fixed, retried, dropped = inbox / "fixed.txt", inbox / "retried.txt", inbox / "dropped.txt"
    fixed.write_text(good_report("text", 2023, seed=21), encoding="utf-8")
    retried.write_text(good_report("text", 2023, seed=22), encoding="utf-8")
    dropped.write_text(good_report("text", 2023, seed=23), encoding="utf-8")
    home = root / "home"
    runs = {}
    with pytest.MonkeyPatch.context() as m:
        _version(m, "v1")
        runs["v1"] = ingest_paths([fixed, dropped], home)
        with pytest.MonkeyPatch.context() as b:
            _broken_parser(b)
            runs["broken"] = ingest_paths([retried], home)
        runs["v1 again"] = ingest_paths([fixed, retried, dropped], home)  # same version: only the reader_error
        _version(m, "v2")
        _fixed_parser(m)
        runs["v2"] = ingest_paths([fixed], home)
        runs["v2 forced"] = ingest_paths([fixed], home, reparse=True)
        runs["v2 same"] = ingest_paths([fixed], home)
        m.setattr(
            ingest.pipeline,
            "map_document",
            lambda *a: (_ for _ in ()).throw(ingest.pipeline.Quarantine("no_tables", "this version reads no tables")),
        )
        runs["v2 drops"] = ingest_paths([dropped], home)
    from warehouse.build import build
    from warehouse.home import Home

    h = Home.resolve(home)
    build(h)
    return {
        "home": h,
        "runs": runs,
        "bytes": {f.name: f.read_bytes() for f in (fixed, retried, dropped)},
        "sha": {f.name: ingest.batch.file_hash(f, f.stat().st_size) for f in (fixed, retried, dropped)},
    }


def test_runs_parse_exactly_the_stale_files(reparsed):
    r = reparsed["runs"]
    assert (r["v1"].reports, r["v1"].reparsed) == (2, 0)
    assert r["broken"].rejects[0][1] == "reader_error"
    assert (r["v1 again"].reports, r["v1 again"].duplicates, r["v1 again"].reparsed) == (1, 2, 1)
    assert (r["v2"].reports, r["v2"].reparsed) == (1, 1)
    assert (r["v2 forced"].reports, r["v2 forced"].reparsed) == (1, 1)
    assert (r["v2 same"].duplicates, r["v2 same"].reparsed) == (1, 0)
    assert (r["v2 drops"].quarantined, r["v2 drops"].reparsed) == (1, 1)
    states = parse_states(Lake(reparsed["home"].lake))
    assert {k: (s.kind, s.parser_version) for k, s in states.items()} == {
        reparsed["sha"]["fixed.txt"]: ("report", "v2"),
        reparsed["sha"]["retried.txt"]: ("report", "v1"),
        reparsed["sha"]["dropped.txt"]: ("reject", "v2"),
    }


def test_marts_hold_the_newest_parse_only(reparsed):
    sha = reparsed["sha"]
    with db(reparsed["home"]) as con:
        lake_rows = con.execute(
            "select count(*) from read_parquet(?, union_by_name = true) where source_sha256 = ?",
            [str(reparsed["home"].lake / "reports" / "*" / "*.parquet"), sha["fixed.txt"]],
        ).fetchone()[0]
        assert lake_rows == 3  # v1, v2 and the forced v2 parse stay in the lake
        reports = dict(con.execute("select source_sha256, parser_version from dim_report").fetchall())
        assert reports == {sha["fixed.txt"]: "v2", sha["retried.txt"]: "v1"}
        rid = con.execute("select report_id from dim_report where source_sha256 = ?", [sha["fixed.txt"]]).fetchone()[0]
        # one row per cell, not one per parse
        for model in ("stg_cells", "fct_cells_history", "int_cells_current"):
            dup = con.execute(
                f"select count(*) - count(distinct (table_id, row_key, col_key)) from {model} where report_id = ?",
                [rid],
            ).fetchone()[0]
            assert dup == 0, model
        batch = con.execute("select batch_id from stg_reports where report_id = ?", [rid]).fetchone()[0]
        for table in ("cells", "findings", "sections", "statements"):
            lake = str(reparsed["home"].lake / table / "*" / "*.parquet")
            in_lake, newest = con.execute(
                "select count(*), count(*) filter (where batch_id = ?) from read_parquet(?, union_by_name = true) "
                "where report_id = ?",
                [batch, lake, rid],
            ).fetchone()
            staged = con.execute(f"select count(*) from stg_{table} where report_id = ?", [rid]).fetchone()[0]
            assert staged == newest, table
            if table == "findings":  # the bumped cell breaks a sum: only the new parse has findings
                assert newest and in_lake == 2 * newest
            else:  # three parses in the lake, one staged
                assert newest and in_lake == 3 * newest, table
        base = next(
            c["value"]
            for c in ingest.pipeline.parse_report(reparsed["bytes"]["fixed.txt"], "f.txt").cells
            if (c["table_id"], c["row_key"], c["col_key"]) == ("t3", "new_received", "total")
        )
        fixed = con.execute(
            """select requests from fct_applications where report_id = ?
                               and outcome = 'new_received' and applicant_type = 'total'""",
            [rid],
        ).fetchone()[0]
        assert fixed == base + BUMP  # the fixed reading, not the old one


def test_quarantine_by_a_newer_parse_removes_the_report(reparsed):
    sha = reparsed["sha"]
    with db(reparsed["home"]) as con:
        assert not con.execute(
            "select count(*) from dim_report where source_sha256 = ?", [sha["dropped.txt"]]
        ).fetchone()[0]
        assert not con.execute(
            "select count(*) from stg_cells c join stg_reports r using (report_id) where r.source_sha256 = ?",
            [sha["dropped.txt"]],
        ).fetchone()[0]
        rej = dict(con.execute("select source_sha256, is_resolved from dq_rejects").fetchall())
        assert rej == {sha["dropped.txt"]: False, sha["retried.txt"]: True}  # the reader_error was retried and read


# -- refresh: unchanged inbox files are parsed again when the parser changed ------------------------


def test_refresh_rereads_stale_and_failed_files(tmp_path, monkeypatch):
    from warehouse.home import Home
    from warehouse.refresh import refresh

    home = Home.resolve(tmp_path / "home").ensure()
    a, b = home.inbox / "a.txt", home.inbox / "b.txt"
    a.write_text(good_report("text", 2023, seed=31), encoding="utf-8")
    b.write_text(good_report("text", 2024, seed=32), encoding="utf-8")
    base = next(
        c["value"]
        for c in ingest.pipeline.parse_report(a.read_bytes(), "a.txt").cells
        if (c["table_id"], c["row_key"], c["col_key"]) == ("t3", "new_received", "total")
    )
    real_stages = ingest.pipeline._run_stages
    with monkeypatch.context() as m:
        _version(m, "v1")
        m.setattr(
            ingest.pipeline,
            "_run_stages",
            lambda data, trace: (
                (_ for _ in ()).throw(RuntimeError("bug"))
                if trace.source_path.endswith("b.txt")
                else real_stages(data, trace)
            ),
        )
        first = refresh(home)
    assert (first.status, first.files_new, first.files_quarantined, first.reports_added) == ("partial", 2, 1, 1)

    _version(monkeypatch, "v2")
    _fixed_parser(monkeypatch)
    second = refresh(home)
    assert (second.files_new, second.files_changed, second.files_unchanged) == (0, 0, 2)
    assert (second.parsed, second.reparsed, second.files_quarantined, second.build) == (2, 2, 0, "full")
    with db(home) as con:
        assert sorted(con.execute("select parser_version from dim_report").fetchall()) == [("v2",), ("v2",)]
        got = con.execute("""select f.requests from fct_applications f join dim_report d using (report_id)
                             where d.source_path like '%a.txt' and outcome = 'new_received' and applicant_type = 'total'""").fetchall()
        assert got == [(base + BUMP,)]
        assert con.execute("select bool_and(is_resolved) from dq_rejects").fetchone()[0]

    third = refresh(home)
    assert (third.parsed, third.reparsed, third.build) == (0, 0, "skipped")
    # --reparse picks every unchanged inbox file (the run itself is the ingest tests' case)
    from ingest.manifest import Manifest
    from warehouse.refresh import stale_files

    scan = Manifest(home.state / "inbox_manifest.json").scan([a, b])
    assert stale_files(Lake(home.lake), scan) == []
    assert sorted(stale_files(Lake(home.lake), scan, reparse=True)) == sorted([a, b])
