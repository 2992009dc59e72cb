"""One row per distinct agency name as printed: identity, level, kind and region (ingest/agency_names.py).

Incremental by name: a name resolves the same way whatever other names exist, so a refresh
resolves only names it has not seen. A change of the agency seeds changes the project, and
`xxgk refresh` then builds everything anew.
"""

import pyarrow as pa

from ingest.agency_names import FIELDS, SEED_FILES, resolve_names


def _rows(relation):
    cols = relation.columns
    return [{c: (None if v is None else str(v)) for c, v in zip(cols, r)} for r in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append", on_schema_change="fail")
    names = dbt.ref("stg_reports").filter("agency_name is not null").project("agency_name").distinct()
    if dbt.is_incremental:
        names = names.except_(session.sql(f"select agency_name from {dbt.this}"))
    names = [r[0] for r in names.order("agency_name").fetchall()]
    schema = pa.schema([(f, pa.bool_() if f == "unresolved" else pa.string()) for f in FIELDS])
    if not names:
        return schema.empty_table()
    # the seeds in the order of SEED_FILES (dbt needs each ref spelled out)
    seeds = [
        dbt.ref("admin_divisions"),
        dbt.ref("agency_kinds"),
        dbt.ref("agency_aliases"),
        dbt.ref("agency_abbreviations"),
        dbt.ref("lookalike_chars"),
        dbt.ref("special_zones"),
    ]
    assert len(seeds) == len(SEED_FILES)
    rows = resolve_names(names, *map(_rows, seeds))
    return pa.Table.from_pylist(rows, schema=schema)
