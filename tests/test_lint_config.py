"""Project hygiene: `make clean` spares every home; the readers' import contract names every ingest module."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# modules of ingest a reader may import: the document model and its pure helpers (see pyproject.toml)
READER_ALLOWED = {"ingest.model", "ingest.limits", "ingest.encoding", "ingest.numbers"}


def _clean_paths(home: Path) -> list[Path]:
    """Every path the `make clean` recipe would delete, resolved against the checkout."""
    if shutil.which("make") is None:
        pytest.skip("make not installed: cannot expand the clean recipe")
    env = {**os.environ, "XXGK_HOME": str(home)}
    out = subprocess.run(["make", "-n", "-s", "clean"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    paths = []
    for line in out.stdout.splitlines():
        words = shlex.split(line)
        if not words or words[0] != "rm":
            continue
        paths += [(ROOT / w).resolve() for w in words[1:] if not w.startswith("-")]
    return paths


def test_make_clean_never_deletes_a_home(tmp_path):
    home = tmp_path / "myhome"
    paths = _clean_paths(home)
    assert paths, "the clean recipe deletes nothing: it was not read"
    assert (ROOT / ".venv").resolve() in paths  # the recipe was read and resolved as the shell would
    homes = [(ROOT / "data").resolve(), (ROOT / "data" / "demo").resolve(), home.resolve()]
    for p in paths:
        for h in homes:
            assert p != h and p not in h.parents, f"`make clean` would delete {p}, which holds the home {h}"


def test_readers_contract_names_every_ingest_module():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(
        c for c in config["tool"]["importlinter"]["contracts"] if c.get("source_modules") == ["ingest.readers"]
    )
    forbidden = set(contract["forbidden_modules"])
    modules = {f"ingest.{p.stem}" for p in (ROOT / "ingest").glob("*.py") if p.stem != "__init__"}
    modules |= {f"ingest.{p.name}" for p in (ROOT / "ingest").iterdir() if (p / "__init__.py").exists()}
    modules.discard("ingest.readers")
    unclassified = modules - forbidden - READER_ALLOWED
    assert not unclassified, f"classify in the readers contract of pyproject.toml: {sorted(unclassified)}"
    assert not (forbidden & READER_ALLOWED)
    assert "warehouse" in forbidden


def test_slow_tier_names_existing_tests():
    """A renamed test must not fall silently out of the slow tier (`make test-fast` would then run it)."""
    import importlib

    import conftest

    for name in conftest.SLOW_MODULES:
        assert (ROOT / "tests" / f"{name}.py").exists(), name
    for name in conftest.SLOW_TESTS:
        module, function = name.split("::")
        assert hasattr(importlib.import_module(module), function), name
