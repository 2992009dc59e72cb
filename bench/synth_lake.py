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
    return (
        "select * from (values "
        + ", ".join(f"('{a}','{b}','{c}','{d}')" for a, b, c, d in rows)
        + ") as k(layout, table_id, row_key, col_key)"
    )


def main(home: Path, n: int) -> None:
    lake = Lake(home / "lake")
    lake.init()
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    per_year = n // len(YEARS)
    con.execute(f"create temp table k as {keys_sql()}")
    # Agency names as real ones read: a county-level division and a department (resolvable by dim_agency).
    con.execute(f"""create temp table names as
        select row_number() over () - 1 as n, coalesce(prefecture_name, '') || name || dept as agency_name
        from read_csv('{ROOT / "seeds" / "admin_divisions.csv"}', all_varchar = true) d
        cross join (values ('人民政府'), ('人民政府办公室'), ('教育局'), ('公安局'), ('民政局'), ('财政局'),
            ('人力资源和社会保障局'), ('自然资源局'), ('生态环境局'), ('住房和城乡建设局'), ('交通运输局'),
            ('农业农村局'), ('卫生健康局'), ('市场监督管理局'), ('应急管理局'), ('医疗保障局'), ('审计局'),
            ('统计局'), ('文化和旅游局'), ('水利局'), ('商务局'), ('司法局'), ('退役军人事务局'), ('林业局'),
            ('发展和改革局'), ('科学技术局'), ('工业和信息化局'), ('城市管理局'), ('行政审批局'), ('信访局'),
            ('档案局'), ('地方志办公室'), ('机关事务管理局'), ('数据局'), ('体育局'), ('粮食和物资储备局'),
            ('国有资产监督管理局'), ('民族宗教事务局'), ('人民防空办公室'), ('政务服务管理局'), ('金融工作局'),
            ('外事办公室'), ('乡村振兴局'), ('公共资源交易中心'), ('住房公积金管理中心'), ('融媒体中心'),
            ('供销合作社'), ('残疾人联合会'), ('红十字会'), ('总工会')) t(dept)
        where d.level = 'county'""")
    n_names = con.execute("select count(*) from names").fetchone()[0]
    for year in YEARS:
        layout = "2019" if year <= 2020 else "2021"
        con.execute(f"""
            create or replace temp table r as
            select printf('syn{year}%010d', i) as report_id, {year} as report_year,
                   sha256(printf('syn{year}%010d', i)) as source_sha256,
                   printf('synthetic/{year}/%d.txt', i) as source_path, 'text' as source_format,
                   cast(12000 as bigint) as source_bytes, 'utf-8' as encoding,
                   names.agency_name, 'title' as agency_source,
                   'statistical_period' as year_source, null as title, '{layout}' as template_version,
                   '{layout}' as t2_layout, '{layout}' as t3_layout, '2021' as t4_layout,
                   date '{year + 1}-02-01' + cast(i % 60 as integer) as published_on, 'signature' as published_source,
                   'bench' as parser_version, 'parsed' as status, true as is_synthetic, 200 as n_cells,
                   42 as rules_passed, 0 as rules_failed, now() as ingested_at, 'bench' as batch_id, i
            from range({per_year}) t(i) join names on names.n = i % {n_names}""")
        out = home / "lake" / "reports" / f"report_year={year}"
        out.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"copy (select * exclude (i, report_year) from r) to '{out}/bench.parquet' (format parquet, compression zstd)"
        )
        (home / "lake" / "sources").mkdir(parents=True, exist_ok=True)
        con.execute(f"""copy (select source_sha256, source_path, 'parsed' as outcome, now() as seen_at, 'bench' as batch_id from r)
                        to '{home / "lake" / "sources" / f"bench-{year}.parquet"}' (format parquet)""")
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
    # commit markers: the lake keeps only files of committed batches (ingest.lake)
    for batch in ["bench", *(f"bench-{y}" for y in YEARS)]:
        (home / "lake" / "_batches" / f"{batch}.json").write_text("{}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
