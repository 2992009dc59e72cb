"""The warehouse opens in DuckDB 1.x: the CLI and BI tools that bundle DuckDB 1.x read it.

The check installs the `duckdb` 1.x Python package from PyPI into a throwaway environment with uv
(cached after the first run) and reads every mart through it, read-only."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

READER = r"""
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
print(json.dumps({"version": duckdb.__version__, "counts": counts}))
"""


@pytest.fixture(scope="module")
def duckdb1_python(tmp_path_factory):
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not beside the interpreter; run through `make test`")
    env = tmp_path_factory.mktemp("duckdb1") / "venv"
    made = subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(env)], capture_output=True, text=True)
    inst = subprocess.run(
        [str(uv), "pip", "install", "-q", "--python", str(env / "bin" / "python"), "duckdb>=1.1,<2"],
        capture_output=True,
        text=True,
    )
    if made.returncode or inst.returncode:
        pytest.skip(f"could not install duckdb 1.x from PyPI: {(made.stderr + inst.stderr).strip()[-300:]}")
    return env / "bin" / "python"


def test_duckdb_1x_reads_every_mart(synthetic_home, duckdb1_python, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(synthetic_home["home"].db, db)
    proc = subprocess.run([str(duckdb1_python), "-c", READER, str(db)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["version"].startswith("1.")
    assert {"agency_year", "dim_report", "fct_applications", "national_year"} <= set(got["counts"])
    assert got["counts"]["dim_report"] > 0
