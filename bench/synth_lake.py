"""Write a lake of N synthetic reports directly as Parquet (for query benchmarks at national scale).

Parsing a million files is what the build benchmark measures; here only the
warehouse side is under test, so the `reports` and `cells` tables are made by
DuckDB in the lake's own schema (ingest.lake.SCHEMAS), one file per year, all
flagged synthetic. Usage: synth_lake.py HOME N_REPORTS
"""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.lake import Lake  # noqa: E402
from ingest.template import select, t2_columns_for  # noqa: E402

YEARS = list(range(2019, 2026))


def keys_sql() -> str:
    rows = []
    for layout in ("2019", "2021"):
        for r in select(layout, "t3", "row"):
            for c in select(layout, "t3", "column"):
                rows.append((layout, "t3", r.key, c.key))
        for r in select("2021", "t4", "row"):
            for c in select("2021", "t4", "column"):
                rows.append((layout, "t4", r.key, c.key))
        for r in select(layout, "t2", "row"):
            for c in t2_columns_for(layout, r):
                rows.append((layout, "t2", r.key, c.key))
    return "select * from (values " + ", ".join(f"('{a}','{b}','{c}','{d}')" for a, b, c, d in rows) + \
        ") as k(layout, table_id, row_key, col_key)"


def main(home: Path, n: int) -> None:
    lake = Lake(home / "lake")
    lake.init()
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    per_year = n // len(YEARS)
    con.execute(f"create temp table k as {keys_sql()}")
    for year in YEARS:
        layout = "2019" if year <= 2020 else "2021"
        con.execute(f"""
            create or replace temp table r as
            select printf('syn{year}%010d', i) as report_id, {year} as report_year,
                   sha256(printf('syn{year}%010d', i)) as source_sha256,
                   printf('synthetic/{year}/%d.txt', i) as source_path, 'text' as source_format,
                   cast(12000 as bigint) as source_bytes, 'utf-8' as encoding,
                   printf('合成省%d市第%d局', i % 31, i % 5000) as agency_name, 'title' as agency_source,
                   'statistical_period' as year_source, null as title, '{layout}' as template_version,
                   '{layout}' as t2_layout, '{layout}' as t3_layout, '2021' as t4_layout,
                   date '{year + 1}-02-01' + cast(i % 60 as integer) as published_on, 'signature' as published_source,
                   'bench' as parser_version, 'parsed' as status, true as is_synthetic, 200 as n_cells,
                   42 as rules_passed, 0 as rules_failed, now() as ingested_at, 'bench' as batch_id, i
            from range({per_year}) t(i)""")
        out = home / "lake" / "reports" / f"report_year={year}"
        out.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy (select * exclude (i, report_year) from r) to '{out}/bench.parquet' (format parquet, compression zstd)")
        out = home / "lake" / "cells" / f"report_year={year}"
        out.mkdir(parents=True, exist_ok=True)
        con.execute(f"""
            copy (
              select r.report_id, k.table_id, k.layout, k.row_key, k.col_key,
                     cast(hash(r.i, k.row_key, k.col_key) % 50 as double) as value, false as is_blank,
                     cast(hash(r.i, k.row_key, k.col_key) % 50 as varchar) as raw_text, null as unit, null as note,
                     1 as src_table_index, 0 as src_row, 0 as src_col, 'label' as match_method
              from r cross join k where k.layout = '{layout}'
            ) to '{out}/bench.parquet' (format parquet, compression zstd, row_group_size 1000000)""")
        print(f"year {year}: {per_year} reports", flush=True)
    (home / "lake" / "_batches" / "bench.json").write_text("{}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
