"""Helpers for tests: where the real corpus is, golden files, read-only connections."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"


def golden_files() -> list[Path]:
    return sorted((SHARED / "golden").glob("*.json")) if SHARED.exists() else []


def load_golden(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def db(home):
    """A read-only DuckDB connection to a home's warehouse (lake views resolve in that home)."""
    from warehouse.home import connect_db

    return connect_db(home)
