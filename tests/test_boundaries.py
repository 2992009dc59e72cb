"""Boundaries read from the source: one owner for the home layout and the lake's commit markers, no private
names across modules, ``ingest`` free of ``warehouse``, and the ingest code dbt runs fingerprinted as dbt's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ingest", "warehouse")
# the names of the home's folders and files (ingest/home.py); the common words among them are also names of
# lake tables and columns, so only a path joined onto a home with them counts
HOME_NAMES = {
    "inbox",
    "lake",
    "quarantine",
    ".state",
    ".refresh.lock",
    "xxgk.duckdb",
    ".build",
    ".dbt-target",
    "sources.csv",
}
COMMON_NAMES = {"logs", "reports", "synthetic", "docs"}


def _modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py") if "__pycache__" not in p.parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_ingest_never_imports_warehouse():
    found = [
        f"{_rel(p)}:{n.lineno}"
        for p in _modules("ingest")
        for n in ast.walk(_tree(p))
        if (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "warehouse" and not n.level)
        or (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "warehouse" for a in n.names))
    ]
    assert found == []


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_name_is_used_from_another_module():
    """Neither ``from .x import _helper`` nor ``x._helper`` on a module or name imported from the project."""
    found = []
    for p in _modules(*PACKAGES, "models"):
        tree = _tree(p)
        ours: set[str] = set()
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").split(".")[0] in PACKAGES):
                found += [f"{_rel(p)}:{n.lineno} {a.name}" for a in n.names if _private(a.name)]
                ours |= {a.asname or a.name for a in n.names}
            elif isinstance(n, ast.Import):
                ours |= {(a.asname or a.name).split(".")[0] for a in n.names if a.name.split(".")[0] in PACKAGES}
        found += [
            f"{_rel(p)}:{n.lineno} {n.value.id}.{n.attr}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)
            and n.value.id in ours
            and _private(n.attr)
        ]
    assert found == []


def _joined_onto_home(n: ast.AST) -> bool:
    """``<x>.root / "reports"``, ``home / "logs"``: a home's path built by hand."""
    return (
        isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Div)
        and isinstance(n.right, ast.Constant)
        and n.right.value in COMMON_NAMES
        and (
            (isinstance(n.left, ast.Attribute) and n.left.attr == "root")
            or (isinstance(n.left, ast.Name) and n.left.id in ("home", "root"))
        )
    )


def test_only_the_home_layout_names_the_homes_folders():
    owner = ROOT / "ingest" / "home.py"
    found = [
        f"{_rel(p)}:{n.lineno}"
        for p in _modules(*PACKAGES)
        if p != owner
        for n in ast.walk(_tree(p))
        if (isinstance(n, ast.Constant) and n.value in HOME_NAMES) or _joined_onto_home(n)
    ]
    assert found == []


def test_lake_commit_markers_have_one_writer():
    owner = ROOT / "ingest" / "lake.py"
    found = [
        f"{_rel(p)}:{n.lineno}"
        for p in _modules(*PACKAGES)
        if p != owner
        for n in ast.walk(_tree(p))
        if isinstance(n, ast.Constant) and n.value == "_batches"
    ]
    assert found == []
    writes = [n for n in ast.walk(_tree(owner)) if isinstance(n, ast.Constant) and n.value == "_batches"]
    assert len(writes) == 1, "the marker folder is named once, in Lake.__init__"


def _ingest_imports(path: Path) -> set[str]:
    out = set()
    for n in ast.walk(_tree(path)):
        if isinstance(n, ast.ImportFrom) and n.module and n.module.split(".")[0] == "ingest":
            out |= {n.module} if n.module != "ingest" else {f"ingest.{a.name}" for a in n.names}
        elif isinstance(n, ast.Import):
            out |= {a.name for a in n.names if a.name.split(".")[0] == "ingest"}
    return out


def test_ingest_code_run_by_dbt_is_part_of_the_dbt_project():
    """A dbt Python model imports only modules listed as shared with dbt; their files are in the project
    fingerprint (a change rebuilds the warehouse), and they import nothing else from ingest (only each other)."""
    from warehouse.refresh import DBT_PYTHON_MODULES, PROJECT_CODE

    shared = {m.__name__ for m in DBT_PYTHON_MODULES}
    used = set().union(*(_ingest_imports(p) for p in _modules("models")))
    assert used and used <= shared
    for m in DBT_PYTHON_MODULES:
        path = Path(m.__file__).resolve()
        assert PROJECT_CODE[_rel(path)] == Path(m.__file__)
        assert "shared with dbt" in (ast.get_docstring(_tree(path)) or "").lower()
        relative = [n for n in ast.walk(_tree(path)) if isinstance(n, ast.ImportFrom) and n.level]
        assert relative == [] and _ingest_imports(path) <= shared


@pytest.mark.parametrize("name", sorted(HOME_NAMES | COMMON_NAMES))
def test_the_layout_has_each_name(name, tmp_path):
    from ingest.home import HomeLayout

    layout = HomeLayout(tmp_path)
    paths = {getattr(layout, a) for a in dir(HomeLayout) if isinstance(getattr(HomeLayout, a), property)}
    assert tmp_path / name in paths


def test_fetch_and_refresh_run_one_fetch_step(tmp_path, monkeypatch):
    """`xxgk fetch` and the first step of `xxgk refresh` are one function (warehouse.refresh.fetch)."""
    import warehouse.refresh
    from ingest.fetch import FetchSummary
    from warehouse.cli import main
    from warehouse.errors import XxgkError
    from warehouse.home import Home

    calls = []

    def fetch(home, sources, policy, required=True, progress=None):
        calls.append((home.root, str(sources), required))
        return FetchSummary(ok=1, failed=1)

    def no_build(*args, **kwargs):
        raise XxgkError("not built in this test")

    monkeypatch.setattr(warehouse.refresh, "fetch", fetch)
    monkeypatch.setattr(warehouse.refresh, "build", no_build)
    home = Home.resolve(tmp_path / "home")
    assert main(["fetch", "--home", str(home.root), "--sources", "s.csv", "--quiet"]) == warehouse.refresh.EXIT_PARTIAL
    run = warehouse.refresh.refresh(home, sources="s.csv")
    assert calls == [(home.root, "s.csv", True), (home.root, "s.csv", False)]
    assert (run.downloads_ok, run.downloads_failed, run.status) == (1, 1, "failed")
