"""Bad input: every kind ends parsed with specific findings or quarantined with a reason, and the rest of its
batch is read exactly as if it were alone."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import duckdb
import pytest

import ingest.batch
from fixtures.bad import BY_NAME, HUGE_BYTES, KINDS, write
from fixtures.reports import good_report
from ingest.batch import ingest_paths
from ingest.pipeline import parse_report

README = Path(__file__).parent / "fixtures" / "bad" / "README.md"


def lake(home: Path, table: str, where: str = "true") -> list[dict]:
    """Rows of a lake table (every committed batch file)."""
    files = [p for p in (home / "lake" / table).rglob("*.parquet") if not p.name.startswith("_empty")]
    if not files:
        return []
    with duckdb.connect() as con:
        cur = con.execute(
            f"select * from read_parquet(?, union_by_name = true) where {where}", [[str(f) for f in files]]
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def good_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("good")
    files = [folder / "a.txt", folder / "b.html"]
    files[0].write_text(good_report("text", 2022, seed=8), encoding="utf-8")
    files[1].write_text(good_report("html", 2023, seed=9), encoding="utf-8")
    return files


def _key(f: dict) -> str:
    return ":".join(str(f[k]) for k in ("rule_id", "severity", "table_id", "row_key", "col_key") if f[k] is not None)


def test_at_least_fifteen_kinds_documented():
    assert len(KINDS) >= 15
    text = README.read_text(encoding="utf-8")
    assert all(f"`{k.name}`" in text for k in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_bad_file_outcome_and_batch_unaffected(kind, good_files, tmp_path):
    bad = write(kind, tmp_path / "in")
    home = tmp_path / "home"
    s = ingest_paths([good_files[0], bad, good_files[1]], home)
    assert s.files_in == 3 and s.balanced()

    sha = ingest.batch.file_hash(bad, bad.stat().st_size)
    if kind.status == "quarantined":
        assert s.quarantined == 1 and s.reports == 2
        (rej,) = lake(home, "rejects")
        assert (rej["reason_code"], rej["source_sha256"]) == (kind.reason, sha)
        assert rej["message"] and rej["parser_version"]
        kept = Path(rej["quarantined_path"])
        assert kept.parent == home / "quarantine"
        if kind.reason == "too_large":  # not read whole: a stub names it, never a copy of the whole file
            assert (
                kept.name.endswith(".stub") and kept.stat().st_size < 2048 and sha in kept.read_text(errors="replace")
            )
        else:
            assert kept.stat().st_size == bad.stat().st_size
        if kind.build is not None:
            assert kept.read_bytes() == bad.read_bytes()
        assert [p for p, _, _ in s.rejects] == [str(bad.resolve())]
    else:
        assert s.quarantined == 0 and s.reports == 3
        (rep,) = lake(home, "reports", f"source_sha256 = '{sha}'")
        assert rep["status"] == kind.status
        found = {_key(f) for f in lake(home, "findings", f"report_id = '{rep['report_id']}'")}
        for expected in kind.findings:
            assert any(k == expected or k.startswith(expected + ":") for k in found), (expected, found)
        if kind.status == "parsed":
            assert not any(k.split(":")[1] in ("warn", "error") for k in found)

    # the good files: parsed, and their rows the same as when each is read alone
    for f in good_files:
        alone = parse_report(f.read_bytes(), str(f.resolve()))
        (rep,) = lake(home, "reports", f"source_sha256 = '{alone.sha256}'")
        assert rep["status"] == "parsed"
        cells = lake(home, "cells", f"report_id = '{alone.report['report_id']}'")
        got = {(c["table_id"], c["row_key"], c["col_key"]): (c["value"], c["is_blank"], c["raw_text"]) for c in cells}
        want = {
            (c["table_id"], c["row_key"], c["col_key"]): (c["value"], c["is_blank"], c["raw_text"]) for c in alone.cells
        }
        assert got == want and len(got) == alone.report["n_cells"]


def test_gbk_text_reads_the_same_numbers_as_utf8(tmp_path):
    gbk = parse_report(BY_NAME["gbk_text"].build(), "gbk.txt")
    utf8 = parse_report(good_report().encode("utf-8"), "utf8.txt")
    assert gbk.report["encoding"] == "gb18030"
    strip = lambda cells: sorted((c["table_id"], c["row_key"], c["col_key"], c["value"]) for c in cells)
    assert strip(gbk.cells) == strip(utf8.cells) and len(gbk.cells) == 200


def test_huge_file_is_judged_by_size_without_being_parsed(tmp_path, monkeypatch):
    huge = write(BY_NAME["huge"], tmp_path / "in")
    assert huge.stat().st_size == HUGE_BYTES
    parsed: list[str] = []
    real = ingest.batch.parse_report
    monkeypatch.setattr(ingest.batch, "parse_report", lambda data, path: parsed.append(path) or real(data, path))
    start = time.monotonic()
    s = ingest_paths([huge], tmp_path / "home")
    assert time.monotonic() - start < 10
    assert parsed == [] and s.quarantined == 1
    assert s.rejects[0][1] == "too_large" and "51 MB" in s.rejects[0][2]
    # identified by size and first and last MiB: the same bytes again are a duplicate
    again = ingest_paths([huge], tmp_path / "home")
    assert again.duplicates == 1 and again.duplicates_of_rejects == 1


def test_mixed_batch_counts_add_up_and_every_bad_file_is_quarantined(good_files, tmp_path):
    folder = tmp_path / "in"
    bad = {k.name: write(k, folder / "bad") for k in KINDS}
    good = [shutil.copy(f, folder / f.name) for f in good_files]
    dup = shutil.copy(good_files[0], folder / "copy-of-a.txt")
    s = ingest_paths([folder], tmp_path / "home")

    quarantine_kinds = [k for k in KINDS if k.status == "quarantined"]
    assert s.files_in == len(KINDS) + len(good) + 1
    assert s.files_in == s.reports + s.quarantined + s.duplicates
    assert (s.quarantined, s.duplicates, s.reports) == (
        len(quarantine_kinds),
        1,
        len(KINDS) - len(quarantine_kinds) + 2,
    )
    reasons = {Path(p).name: reason for p, reason, _ in s.rejects}
    assert reasons == {bad[k.name].name: k.reason for k in quarantine_kinds}
    rejects = lake(tmp_path / "home", "rejects")
    assert sorted(r["reason_code"] for r in rejects) == sorted(k.reason for k in quarantine_kinds)
    assert all(r["message"] for r in rejects)
    # every file seen is recorded with its outcome, the duplicate under its own path
    sources = lake(tmp_path / "home", "sources")
    assert len(sources) == s.files_in
    dup_sha = hashlib.sha256(Path(dup).read_bytes()).hexdigest()
    assert sorted((Path(r["source_path"]).name, r["outcome"]) for r in sources if r["source_sha256"] == dup_sha) == [
        ("a.txt", "parsed"),
        ("copy-of-a.txt", "duplicate"),
    ]


def test_ingest_cli_prints_the_balance(good_files, tmp_path, capsys):
    from warehouse.cli import main

    bad = write(BY_NAME["zip"], tmp_path / "in")
    assert (
        main(["ingest", str(good_files[0]), str(good_files[0]), str(bad), "--home", str(tmp_path / "home"), "--quiet"])
        == 4
    )  # partial: one quarantined
    out = capsys.readouterr().out
    assert "files in: 3  =  reports: 1 (parsed 1, with findings 0)  +  quarantined: 1  +  duplicates: 1" in out
    assert f"quarantined {bad.resolve()}: archive:" in out


def test_reject_is_retried_when_the_parser_version_changes(tmp_path, monkeypatch):
    import ingest.versions

    bad = write(BY_NAME["tables_missing"], tmp_path / "in")
    home = tmp_path / "home"
    first = ingest_paths([bad], home)
    assert first.quarantined == 1
    same = ingest_paths([bad], home)
    assert (same.duplicates, same.duplicates_of_rejects, same.quarantined) == (1, 1, 0)

    before = ingest.versions.parser_version()
    monkeypatch.setattr(ingest.versions, "parser_version", lambda: "99.0.0")
    retried = ingest_paths([bad], home)
    assert (retried.duplicates, retried.quarantined) == (0, 1)
    versions = sorted(r["parser_version"] for r in lake(home, "rejects"))
    assert versions == sorted([before, "99.0.0"])
    # the copy in quarantine is kept once
    assert len(list((home / "quarantine").iterdir())) == 1


def test_reject_becomes_a_report_when_a_newer_parser_reads_it(tmp_path, monkeypatch):
    import ingest.pipeline
    import ingest.versions
    from ingest.model import Quarantine

    report = tmp_path / "in" / "r.txt"
    report.parent.mkdir()
    report.write_text(good_report(), encoding="utf-8")
    home = tmp_path / "home"

    def old_parser(*args):
        raise Quarantine("no_tables", "this parser version cannot read the tables")

    with monkeypatch.context() as m:
        m.setattr(ingest.pipeline, "_run_stages", old_parser)
        assert ingest_paths([report], home).quarantined == 1
    assert ingest_paths([report], home).duplicates == 1  # same version: not tried again
    monkeypatch.setattr(ingest.versions, "parser_version", lambda: "99.0.0")
    s = ingest_paths([report], home)
    assert (s.reports, s.quarantined, s.duplicates) == (1, 0, 0)
    assert ingest_paths([report], home).duplicates == 1  # now a known report


def test_lake_written_before_parser_version_existed_still_reads(tmp_path):
    """A rejects file without parser_version (an older lake) counts as another version: its files are retried."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ingest.lake import Lake

    lk = Lake(tmp_path / "lake")
    lk.init()
    old = pa.table({"source_sha256": ["ab" * 32], "source_path": ["x"], "reason_code": ["binary"]})
    pq.write_table(old, tmp_path / "lake" / "rejects" / "bold.parquet")
    assert lk.known_hashes() == {"ab" * 32: "reject"}
    assert lk.known_hashes("0.1.0") == {}
