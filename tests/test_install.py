"""`pip install .`: a built wheel, installed into a fresh virtual environment, is a working `xxgk`.

The wheel is built from this checkout and installed with uv (its cache; versions pinned by uv.lock), then
ingest, build and sql run from a folder outside the checkout, so nothing can be read from the checkout.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT
from ingest.synthetic import generate

pytestmark = pytest.mark.slow
UV = Path(sys.executable).with_name("uv")
# Other interpreters to install into (e.g. XXGK_TEST_PYTHONS="/usr/bin/python3.12 /usr/bin/python3.13"; their
# dependencies come from PyPI or uv's cache); by default only the one running the tests.
PYTHONS = [sys.executable, *os.environ.get("XXGK_TEST_PYTHONS", "").split()]


def _run(cmd, cwd, timeout=300, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module", params=PYTHONS)
def installed(tmp_path_factory, request):
    """The `xxgk` script of a fresh venv holding only the built wheel and its dependencies."""
    if not UV.exists():
        pytest.skip(f"uv not installed beside {sys.executable} (make setup installs it)")
    tmp = tmp_path_factory.mktemp("install")
    _run([UV, "build", "--wheel", "--out-dir", tmp / "dist", ROOT], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("xxgk-*.whl")
    pins = _run(
        [UV, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--project", ROOT], cwd=tmp
    ).stdout
    (tmp / "pins.txt").write_text(pins)
    _run([UV, "venv", "--quiet", "--python", request.param, tmp / "venv"], cwd=tmp)
    python = tmp / "venv" / "bin" / "python"
    _run([UV, "pip", "install", "--quiet", "--python", python, "-c", tmp / "pins.txt", wheel], cwd=tmp)
    return {"bin": tmp / "venv" / "bin", "python": python, "wheel": wheel}


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XXGK_HOME", "VIRTUAL_ENV")}
    return {**env, "DO_NOT_TRACK": "1"}


def test_the_wheel_carries_the_project_files(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for required in (
        "warehouse/_project/dbt_project.yml",
        "warehouse/_project/profiles.yml",
        "warehouse/_project/seeds/template_keys.csv",
        "warehouse/_project/macros/lake.sql",
        "warehouse/_project/tests/dbt/fixtures/key_harmonisation.csv",
        "warehouse/serve.py",
        "ingest/project.py",
    ):
        assert required in names, required
    for folder in ("seeds", "models", "macros", "notebooks"):
        shipped = {n.split("_project/", 1)[1] for n in names if n.startswith(f"warehouse/_project/{folder}/")}
        in_checkout = {
            str(p.relative_to(ROOT))
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
        }
        assert shipped == in_checkout, folder


def test_installed_xxgk_ingests_builds_and_queries_outside_the_checkout(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    generate(work / "corpus", n_agencies=1, years=range(2023, 2025), seed=11)
    xxgk, env = installed["bin"] / "xxgk", _env()
    where = _run(
        [
            installed["python"],
            "-c",
            "import ingest.project as p, warehouse; print(p.PROJECT_ROOT); print(warehouse.__file__)",
        ],
        cwd=work,
        env=env,
    ).stdout.split()
    assert all(not Path(w).is_relative_to(ROOT) for w in where), where
    assert where[0].endswith("warehouse/_project")
    assert _run([xxgk, "--version"], cwd=work, env=env).stdout.strip().endswith("0.1.0")

    out = _run([xxgk, "ingest", "corpus/reports", "--home", "h", "--quiet"], cwd=work, env=env).stdout
    assert "reports: 2 (parsed 2" in out and "quarantined: 0" in out, out
    _run([xxgk, "build", "--home", "h"], cwd=work, env=env)
    out = _run(
        [xxgk, "sql", "select count(*) as n, min(report_year) as y from dim_report", "--home", "h", "--format", "csv"],
        cwd=work,
        env=env,
    ).stdout
    assert out.splitlines() == ["n,y", "2,2023"]
    assert not (work / "target").exists() and not (work / "logs").exists()  # dbt writes inside the home only
    shutil.rmtree(work / "h")
