"""Export every mart as Parquet or CSV files with their definitions, for tools that do not speak DuckDB.

``export(home, out_dir, fmt)`` writes ``<mart>.parquet`` (types kept) or ``<mart>.csv`` for each model in
``models/marts`` and ``models/quality``, plus ``schema.json`` (tables, columns, types, bilingual
descriptions, read from the warehouse's own comments) and a ``README.md`` that lists them.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import XxgkError
from .home import PROJECT_ROOT, Home
from .serve import connect

FORMATS = ("parquet", "csv")
MART_DIRS = ("marts", "quality")


def mart_names() -> list[str]:
    """The public marts: every model of models/marts and models/quality."""
    return sorted(p.stem for d in MART_DIRS for p in (PROJECT_ROOT / "models" / d).glob("*.sql"))


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export(home: Home, out_dir: Path, fmt: str) -> list[dict]:
    """Write every mart to ``out_dir`` in ``fmt``; return the schema entries written to schema.json."""
    if fmt not in FORMATS:
        raise XxgkError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
    schema = []
    with connect(home, lock_down=False) as con:
        present = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() union all "
                "select view_name from duckdb_views() where not internal"
            ).fetchall()
        }
        for name in mart_names():
            if name not in present:
                continue
            target = out_dir / f"{name}.{fmt}"
            con.execute(f'COPY (select * from "{name}") TO {_quote(target)} ({options})')
            rows = con.execute(f'select count(*) from "{name}"').fetchone()[0]
            comment = con.execute(
                """select comment from duckdb_tables() where table_name = ? union all
                                     select comment from duckdb_views() where view_name = ?""",
                [name, name],
            ).fetchone()
            columns = [
                {"name": c, "type": t, "description": d}
                for c, t, d in con.execute(
                    """select column_name, data_type, comment from duckdb_columns() where table_name = ?
                   order by column_index""",
                    [name],
                ).fetchall()
            ]
            schema.append(
                {
                    "table": name,
                    "file": target.name,
                    "rows": rows,
                    "description": comment[0] if comment else None,
                    "columns": columns,
                }
            )
    (out_dir / "schema.json").write_text(json.dumps(schema, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(_readme(schema, fmt), encoding="utf-8")
    return schema


def _readme(schema: list[dict], fmt: str) -> str:
    lines = [
        "# xxgk marts export",
        "",
        f"One {fmt} file per mart. Column types and the bilingual definitions are in `schema.json`.",
        "Blank printed cells are null (never 0); `is_synthetic` flags generated reports.",
        "",
    ]
    for t in schema:
        lines += [
            f"## {t['table']} ({t['rows']} rows, `{t['file']}`)",
            "",
            (t["description"] or "").strip(),
            "",
            "| column | type | description |",
            "|---|---|---|",
        ]
        lines += [
            f"| {c['name']} | {c['type']} | {(c['description'] or '').replace('|', '/').replace(chr(10), ' ')} |"
            for c in t["columns"]
        ]
        lines.append("")
    return "\n".join(lines)
