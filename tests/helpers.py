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


def cell_score(parsed, golden: dict) -> tuple[int, int, list[str]]:
    """(exact, golden cells, problems) of one parsed report against its golden file, cell by cell, as the
    scorer counts them (warehouse.score): a wrong or missing cell, or a non-zero cell the golden lacks."""
    from warehouse.score import FACTS, _same

    got = {(c["table_id"], f"{c['row_key']}|{c['col_key']}"): (c["value"], c["is_blank"]) for c in parsed.cells}
    unknown = set(golden.get("unknown", []))
    exact, total, problems = 0, 0, []
    for table in FACTS:
        for key, expected in golden.get(table, {}).items():
            total += 1
            if (table, key) not in got:
                problems.append(f"missing {table}|{key}")
            elif _same(expected, *got[(table, key)]):
                exact += 1
            else:
                problems.append(f"wrong {table}|{key}: expected {expected!r}, got {got[(table, key)][0]!r}")
    for (table, key), (v, blank) in got.items():
        if key not in golden.get(table, {}) and f"{table}|{key}" not in unknown and not blank and v:
            problems.append(f"invented {table}|{key}: {v!r}")
    return exact, total, problems
