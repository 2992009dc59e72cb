"""The attack corpus (tests/attacks.py): one hostile file never stops a batch, costs bounded memory and time,
leaks nothing out of its place, and is counted with a reason."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

import attacks
import ingest.batch
import ingest.lake
import ingest.pipeline
from ingest import limits
from ingest.batch import NAME_BYTES, expand, ingest_paths, path_text, quarantine_name, text_path
from ingest.pipeline import parse_report
from warehouse.cli import main

ROOT = Path(__file__).resolve().parents[1]
GB = 2**30


def lake_rows(home: Path, table: str) -> list[dict]:
    files = [str(p) for p in (home / "lake" / table).rglob("*.parquet") if not p.name.startswith("_empty")]
    if not files:
        return []
    with duckdb.connect() as con:
        cur = con.execute("select * from read_parquet(?, union_by_name = true)", [files])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


# ---------------------------------------------------------------- one batch of names, links and special files


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("attacks")
    folder = root / "in"
    good = attacks.good_files(folder)
    made = {
        "long_bad": attacks.long_name(folder),
        "long_good": attacks.long_name(folder / "sub", good=True),
        "non_utf8_good": attacks.non_utf8_name(folder),
        "non_utf8_bad": attacks.non_utf8_name(folder, good=False),
        "dangling": attacks.dangling_link(folder),
        "fifo": attacks.fifo(folder),
        "sparse": attacks.sparse_file(folder / "sparse.bin"),
    }
    made["link"], made["secret"] = attacks.secret_outside(folder, root / "elsewhere")
    home = attacks.home_inside(folder)
    start = time.monotonic()
    summary = ingest_paths([folder], home)
    return {
        "summary": summary,
        "home": home,
        "good": good,
        "made": made,
        "folder": folder,
        "seconds": time.monotonic() - start,
    }


def test_every_file_counted_and_the_good_ones_land(batch):
    s = batch["summary"]
    assert s.balanced() and s.files_in == 8 and batch["seconds"] < 60
    assert s.reports == 4  # two good files, the long-named and the non-UTF-8-named reports
    reasons = {Path(text_path(p)).name: reason for p, reason, _ in s.rejects}
    m = batch["made"]
    assert reasons == {
        m["long_bad"].name: "binary",
        m["non_utf8_bad"].name: "binary",
        m["sparse"].name: "too_large",
        m["link"].name: "link_outside",
    }
    paths = {text_path(r["source_path"]) for r in lake_rows(batch["home"], "reports")}
    assert {str(p) for p in batch["good"]} | {str(m["long_good"]), str(m["non_utf8_good"])} == paths


def test_names_are_stored_losslessly_and_quarantine_names_fit(batch):
    m = batch["made"]
    stored = {r["source_path"] for r in lake_rows(batch["home"], "sources")}
    assert path_text(m["non_utf8_bad"]) in stored and "\\xb1\\xa8" in path_text(m["non_utf8_bad"])
    assert text_path(path_text(m["non_utf8_bad"])) == str(m["non_utf8_bad"])
    kept = [
        Path(text_path(r["quarantined_path"])) for r in lake_rows(batch["home"], "rejects") if r["quarantined_path"]
    ]
    assert len(kept) == 3 and all(p.exists() and len(os.fsencode(p.name)) <= 255 for p in kept)
    assert any(p.name.endswith(".bin") and "年" in p.name for p in kept)  # cut, its extension kept


@pytest.mark.parametrize("name", ["plain.txt", "a\\b.txt", "tab\tand\nnewline\x1b[31m", "年" * 100])
def test_path_text_round_trips(name, tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), name.encode() + b"\xff\xfe")
    text = path_text(raw)
    assert text.isprintable() and text_path(text) == os.fsdecode(raw)
    assert len(quarantine_name("0" * 64, text).encode()) <= NAME_BYTES + 17


def test_link_out_of_the_folder_is_refused_and_nothing_of_its_target_leaks(batch):
    m, home = batch["made"], batch["home"]
    (rej,) = [r for r in lake_rows(home, "rejects") if r["reason_code"] == "link_outside"]
    assert rej["quarantined_path"] is None and rej["source_path"] == str(m["link"])
    secret = m["secret"].read_bytes()
    for p in (home / "quarantine").iterdir():
        assert secret[:40] not in p.read_bytes()
    rows = lake_rows(home, "sources") + lake_rows(home, "rejects")
    assert not any(str(m["secret"]) in json.dumps(r, default=str) for r in rows)


def test_entries_that_are_not_files_are_counted(batch):
    s = batch["summary"]
    assert {k: s.skipped.get(k) for k in ("dangling_links", "special", "home")} == {
        "dangling_links": 1,
        "special": 1,
        "home": 1,
    }
    assert s.skipped["folders"] == 2  # the folder and sub/; the home inside it is not walked
    assert "1 dangling links" in s.skipped_line() and "FIFO" in s.skipped_line()


def test_home_is_not_ingested_into_itself(batch):
    stored = {text_path(r["source_path"]) for r in lake_rows(batch["home"], "sources")}
    assert not any(p.startswith(str(batch["home"]) + "/") for p in stored)
    assert ingest_paths([batch["home"]], batch["home"]).skipped == {"home": 1}


def test_sparse_file_is_kept_as_a_stub_not_copied(batch):
    (stub,) = [p for p in (batch["home"] / "quarantine").iterdir() if p.name.endswith("sparse.bin.stub")]
    assert stub.stat().st_size < limits.STUB_HEAD + 1024
    assert b"size: 1073741824" in stub.read_bytes() and b"2022 report header" in stub.read_bytes()
    used = sum(p.stat().st_blocks * 512 for p in (batch["home"] / "quarantine").iterdir())
    assert used < 2**20


def test_cli_prints_the_balance_and_what_was_not_a_file(tmp_path, capsys):
    folder = tmp_path / "in"
    attacks.good_files(folder, 1)
    attacks.dangling_link(folder)
    attacks.fifo(folder)
    assert main(["ingest", str(folder), "--home", str(tmp_path / "home"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "files in: 1  =  reports: 1" in out
    assert "not files: 1 folders walked, 1 dangling links, 1 FIFOs, devices or sockets" in out


# ---------------------------------------------------------------- files that cannot be read; a home that cannot be written


def _unprivileged() -> list[str] | None:
    """A command prefix running as an unprivileged user (root reads every file whatever its mode)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def open_tmp():
    """A temporary folder every user may enter (pytest's are private to root)."""
    d = Path(tempfile.mkdtemp(prefix="xxgk-attack-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _xxgk_as_user(prefix: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "warehouse.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": "/tmp"},
    )


def test_unreadable_file_is_a_reject_and_the_rest_lands(open_tmp):
    prefix = _unprivileged()
    if prefix is None:
        pytest.skip("setpriv not installed: cannot drop root to make a file unreadable")
    folder = open_tmp / "in"
    good = attacks.good_files(folder, 1)
    bad = attacks.unreadable(folder)
    home = open_tmp / "home"
    home.mkdir()
    if prefix:
        os.chown(home, 65534, 65534)
    proc = _xxgk_as_user(prefix, "ingest", str(folder), "--home", str(home), "--quiet")
    assert proc.returncode == 4, proc.stderr  # partial: one file quarantined
    assert "files in: 2  =  reports: 1" in proc.stdout and "quarantined: 1" in proc.stdout
    assert f"quarantined {bad}: unreadable: the file could not be read: Permission denied" in proc.stdout
    assert {r["source_path"] for r in lake_rows(home, "reports")} == {str(good[0])}


def test_home_that_cannot_be_written_is_one_clear_line(open_tmp):
    prefix = _unprivileged()
    if prefix is None:
        pytest.skip("setpriv not installed: cannot drop root to make the home read-only")
    folder = open_tmp / "in"
    attacks.good_files(folder, 1)
    home = open_tmp / "home"
    assert main(["ingest", str(folder), "--home", str(home), "--quiet"]) == 0  # a home, then made read-only
    for p in [home, *home.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    attacks.good_files(folder / "more", 2)
    proc = _xxgk_as_user(prefix or [], "ingest", str(folder / "more"), "--home", str(home), "--quiet")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("xxgk: error: cannot write the home") and "ermission denied" in line


def test_disk_full_during_ingest_is_one_clear_line(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "in"
    attacks.good_files(folder)
    real = ingest.lake._atomic_write

    def full(table, path):
        if "cells" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(table, path)

    monkeypatch.setattr(ingest.lake, "_atomic_write", full)  # inherited by the worker process
    assert main(["ingest", str(folder), "--home", str(tmp_path / "home"), "--quiet"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("xxgk: error: disk full") and len(err.splitlines()) == 1
    monkeypatch.undo()
    assert not [r for r in lake_rows(tmp_path / "home", "reports")]  # nothing half-committed
    s = ingest_paths([folder], tmp_path / "home")  # and the next ingest completes
    assert s.reports == 2


# ---------------------------------------------------------------- budgets: time per file, a worker that dies


def test_slow_file_is_stopped_and_the_batch_continues(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    good = attacks.good_files(folder, 2)
    slow = folder / "slow.txt"
    slow.write_text("2022 report\n" * 10, encoding="utf-8")
    real = ingest.batch.parse_report

    def parse(data, path, *args, **kwargs):
        if path.endswith("slow.txt"):
            time.sleep(120)
        return real(data, path, *args, **kwargs)

    monkeypatch.setattr(ingest.batch, "parse_report", parse)  # inherited by the worker process
    monkeypatch.setattr(limits, "FILE_SECONDS", 1.0)
    start = time.monotonic()
    s = ingest_paths([folder], tmp_path / "home")
    assert time.monotonic() - start < 60
    assert (
        s.balanced() and s.reports == 2 and [(Path(p).name, r) for p, r, _ in s.rejects] == [("slow.txt", "too_slow")]
    )
    assert {r["source_path"] for r in lake_rows(tmp_path / "home", "reports")} == {str(p) for p in good}
    (rej,) = lake_rows(tmp_path / "home", "rejects")
    assert rej["reason_code"] == "too_slow" and Path(rej["quarantined_path"]).read_bytes() == slow.read_bytes()


def test_worker_that_dies_on_a_file_loses_only_that_file(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    attacks.good_files(folder, 2)
    (folder / "crash.txt").write_text("2022 report\n", encoding="utf-8")
    real = ingest.batch.parse_report

    def parse(data, path, *args, **kwargs):
        if path.endswith("crash.txt"):
            os._exit(9)
        return real(data, path, *args, **kwargs)

    monkeypatch.setattr(ingest.batch, "parse_report", parse)
    ticks: list[int] = []
    s = ingest_paths([folder], tmp_path / "home", progress=ticks.append)
    assert s.balanced() and s.reports == 2 and [r for _, r, _ in s.rejects] == ["worker_died"]
    assert sum(ticks) == 3  # the progress bar counts the lost file too, once


# ---------------------------------------------------------------- budgets inside the readers


def test_docx_bomb_is_refused_by_its_declared_size(tmp_path):
    bomb = attacks.docx_bomb(tmp_path / "bomb.docx", expanded_mb=120)
    assert bomb.stat().st_size < 400_000
    r = parse_report(bomb.read_bytes(), str(bomb))
    assert r.reject["reason_code"] == "too_large_unzipped" and "word/document.xml" in r.reject["message"]


def test_docx_of_too_many_elements_is_refused_while_streaming(tmp_path, monkeypatch):
    bomb = attacks.docx_bomb(tmp_path / "bomb.docx", expanded_mb=4)
    monkeypatch.setattr(limits, "MAX_ELEMENTS", 500_000)  # the 4 MB part holds 700,000 tags
    r = parse_report(bomb.read_bytes(), str(bomb))
    assert r.reject["reason_code"] == "too_many_elements"


def test_span_bomb_html_is_refused_quickly(tmp_path):
    page = attacks.span_bomb_html(tmp_path / "span.html")
    assert page.stat().st_size < 70_000
    start = time.monotonic()
    r = parse_report(page.read_bytes(), str(page))
    assert r.reject["reason_code"] == "too_many_cells" and time.monotonic() - start < 10


def test_rowspan_ends_at_the_last_row():
    from lxml import etree

    from ingest.readers.html import table_grid

    t = etree.fromstring(
        '<table><tr><td rowspan="900">a</td><td>1</td></tr><tr><td>2</td></tr></table>', etree.HTMLParser()
    ).find(".//table")
    assert table_grid(t) == ([["a", "1"], ["a", "2"]], [[False, False], [True, False]])


def test_pdf_of_many_pages_is_refused_before_reading_them(tmp_path):
    pdf = attacks.many_pages_pdf(tmp_path / "pages.pdf")
    start = time.monotonic()
    r = parse_report(pdf.read_bytes(), str(pdf))
    assert r.reject["reason_code"] == "too_many_pages" and "2000" in r.reject["message"]
    assert time.monotonic() - start < 20


def test_text_of_too_many_lines_is_refused(tmp_path):
    data = ("2022年报告\n" + "x\n" * (limits.MAX_LINES + 10)).encode()
    assert parse_report(data, "many.txt").reject["reason_code"] == "too_many_lines"


# ---------------------------------------------------------------- peak memory, measured in a child process

PEAK = """
import json, resource, sys
from pathlib import Path
from ingest.batch import ingest_paths
s = ingest_paths([Path(sys.argv[1])], Path(sys.argv[2]))
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"peak_kb": peak, "reports": s.reports, "balanced": s.balanced(),
                  "rejects": {Path(p).name: r for p, r, _ in s.rejects}}))
"""


def test_bombs_cost_under_a_gigabyte_and_the_good_files_land(tmp_path):
    folder = tmp_path / "bombs"
    attacks.good_files(folder, 2)
    attacks.docx_bomb(folder / "bomb.docx")
    attacks.span_bomb_html(folder / "span.html")
    attacks.big_html_report(folder / "big.html")
    attacks.many_pages_pdf(folder / "pages.pdf")
    attacks.sparse_file(folder / "sparse.bin")
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", PEAK, str(folder), str(tmp_path / "home")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["rejects"] == {
        "bomb.docx": "too_large_unzipped",
        "span.html": "too_many_cells",
        "big.html": "too_many_elements",
        "pages.pdf": "too_many_pages",
        "sparse.bin": "too_large",
    }
    assert res["reports"] == 2 and res["balanced"]
    assert res["peak_kb"] * 1024 < GB, f"peak {res['peak_kb'] // 1024} MB"
    assert time.monotonic() - start < 120


def test_inbox_manifest_keeps_odd_names_and_refreshes_again(tmp_path):
    """What `xxgk refresh` does with its inbox: scan, ingest, commit the manifest; twice, the second a no-op."""
    from ingest.manifest import Manifest

    home = tmp_path / "home"
    inbox = home / "inbox"
    odd = attacks.non_utf8_name(inbox)
    link, _ = attacks.secret_outside(inbox, tmp_path / "elsewhere")
    attacks.dangling_link(inbox)
    manifest = Manifest(home / "state" / "inbox_manifest.json")
    for run in range(2):
        files = expand([inbox], home)
        scan = manifest.scan(files)
        s = ingest_paths(files.only(scan.todo), home, hashes={k: e["sha256"] for k, e in scan.entries.items()})
        manifest.commit(scan)
        assert s.balanced() and files.skipped["dangling_links"] == 1
        if run == 0:
            assert (s.reports, s.quarantined, [r for _, r, _ in s.rejects]) == (1, 1, ["link_outside"])
        else:  # nothing new: the link is refused again, as a duplicate of its reject
            assert (scan.todo, s.reports, s.quarantined, s.duplicates_of_rejects) == ([], 0, 0, 1)
    assert path_text(os.path.realpath(odd)) in Manifest(home / "state" / "inbox_manifest.json").entries


def test_file_past_the_memory_budget_is_quarantined_and_the_batch_continues(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    attacks.good_files(folder, 2)
    (folder / "greedy.txt").write_text("GREEDY 2022 report\n", encoding="utf-8")
    real = ingest.pipeline.read

    def read(data, fmt):
        if data.startswith(b"GREEDY"):  # a reader asking for 16 times the budget (address space only)
            return bytearray(limits.MEMORY_BYTES * 16)
        return real(data, fmt)

    monkeypatch.setattr(ingest.pipeline, "read", read)  # inherited by the worker process
    monkeypatch.setattr(limits, "MEMORY_BYTES", 256 * 2**20)
    s = ingest_paths([folder], tmp_path / "home")
    assert s.balanced() and s.reports == 2
    assert [(Path(p).name, r) for p, r, _ in s.rejects] == [("greedy.txt", "too_much_memory")]
