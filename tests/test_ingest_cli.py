"""The xxgk CLI: ingest quarantines unreadable files and carries on; sql output; one-line errors; inspect."""

import json
import subprocess
import sys

import pytest

from fixtures_build import blank_pdf, encrypted_pdf
from ingest.synthetic import generate
from warehouse.cli import main


def _xxgk(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warehouse.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def mixed_home(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    truth = generate(root / "corpus", n_agencies=2, years=range(2023, 2025), seed=5)
    batch = root / "corpus" / "reports"
    (batch / "scanned.pdf").write_bytes(blank_pdf())
    (batch / "locked.pdf").write_bytes(encrypted_pdf())
    (batch / "mystery.bin").write_bytes(bytes(range(256)) * 40)
    proc = _xxgk("ingest", str(batch), "--home", str(root / "home"), "--quiet")
    return {"root": root, "home": root / "home", "truth": truth, "ingest": proc}


def test_ingest_quarantines_with_reasons_and_carries_on(mixed_home):
    proc = mixed_home["ingest"]
    assert proc.returncode == 4, proc.stderr  # partial: files were quarantined (as `refresh` exits)
    out = proc.stdout
    assert "files in: 7" in out and "reports: 4" in out and "quarantined: 3" in out
    assert "scanned.pdf: no_text_layer" in out
    assert "locked.pdf: encrypted" in out
    assert "mystery.bin: binary" in out
    kept = sorted(p.name.split("-", 1)[1] for p in (mixed_home["home"] / "quarantine").iterdir())
    assert kept == ["locked.pdf", "mystery.bin", "scanned.pdf"]


def test_quarantined_bytes_are_unchanged(mixed_home):
    import hashlib

    src = mixed_home["root"] / "corpus" / "reports" / "mystery.bin"
    (copy,) = [p for p in (mixed_home["home"] / "quarantine").iterdir() if p.name.endswith("mystery.bin")]
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest()


def test_build_and_sql_formats(mixed_home, capsys):
    home = str(mixed_home["home"])
    assert main(["build", "--home", home]) == 0
    counter = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    total = int(counter[0].split("/")[1].split("]")[0])
    assert total > 20 and [line.split("]")[0] for line in counter] == [f"[{i}/{total}" for i in range(1, total + 1)]
    assert any(line.endswith("] agency_year") for line in counter)
    assert main(["sql", "select count(*) as n from dim_report", "--home", home, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 4}]
    assert (
        main(
            [
                "sql",
                "select report_year, count(*) n from dim_report group by 1 order by 1",
                "--home",
                home,
                "--format",
                "csv",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["report_year,n", "2023,2", "2024,2"]
    assert main(["sql", "select count(*) n from stg_rejects", "--home", home]) == 0
    assert capsys.readouterr().out.split()[-1] == "3"


def test_sql_is_read_only_and_errors_are_one_line(mixed_home):
    proc = _xxgk("sql", "drop table dim_report", "--home", str(mixed_home["home"]))
    assert proc.returncode != 0
    assert proc.stderr.startswith("xxgk: error:") and len(proc.stderr.strip().splitlines()) == 1
    proc = _xxgk("sql", "select 1", "--home", str(mixed_home["root"] / "nowhere"))
    assert proc.returncode != 0 and "no warehouse" in proc.stderr and "Traceback" not in proc.stderr


def test_inspect_explains_rows(mixed_home, capsys):
    rep = next(r for r in mixed_home["truth"] if r.fmt == "text")
    assert main(["inspect", str(mixed_home["root"] / "corpus" / rep.file)]) == 0
    out = capsys.readouterr().out
    assert "format    text" in out and f"agency    {rep.agency}" in out
    assert "t3 2021 new_received" in out and "rules:" in out
    assert main(["inspect", str(mixed_home["root"] / "corpus" / "reports" / "locked.pdf")]) == 0
    assert "QUARANTINED  encrypted" in capsys.readouterr().out


def test_demo_refuses_a_home_with_real_reports(tmp_path, shared_corpus):
    from ingest.batch import ingest_paths

    ingest_paths([shared_corpus / "raw" / "2024_taian_xzspfwj.txt"], tmp_path)
    proc = _xxgk("demo", "--home", str(tmp_path), "--agencies", "2", "--years", "2024-2024")
    assert proc.returncode == 2 and "real reports" in proc.stderr
    assert any((tmp_path / "lake" / "reports").rglob("b*.parquet"))  # nothing deleted


def test_ingest_progress_advances_per_file_before_its_chunk_is_written(mixed_home, tmp_path):
    """All seven files go to one worker as one chunk, written to the lake at its end: every step of the bar comes
    while the chunk is still being read, one file at a time."""
    from ingest.batch import ingest_paths

    home = tmp_path / "home"
    steps = []

    def written():  # batch files of the lake's sources table (an empty lake holds a placeholder file)
        return [p for p in (home / "lake" / "sources").rglob("*.parquet") if p.name != "_empty.parquet"]

    def progress(n):
        steps.append((n, len(written())))

    s = ingest_paths([mixed_home["root"] / "corpus" / "reports"], home, workers=1, progress=progress)
    assert s.files_in == 7 and [n for n, _ in steps] == [1] * 7
    assert all(written == 0 for _, written in steps)  # nothing of the chunk was in the lake yet
    assert written()  # ... and it is now


def test_node_counter_overwrites_one_line_on_a_terminal():
    import io

    from warehouse.build import node_counter

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    lines, term = io.StringIO(), Terminal()
    for out in (lines, term):
        show = node_counter(out)
        for i, node in enumerate(["stg_cells", "agency_year", "a_test"], 1):
            show(i, 3, node)
    assert lines.getvalue().splitlines() == ["[1/3] stg_cells", "[2/3] agency_year", "[3/3] a_test"]
    assert term.getvalue().count("\r") == 3 and term.getvalue().count("\n") == 1 and term.getvalue().endswith("\n")
