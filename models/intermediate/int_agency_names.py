"""One row per distinct agency name as printed: identity, level, kind and region (ingest/agency.py)."""
import pyarrow as pa

from ingest.agency import FIELDS, resolve_names


def _rows(relation):
    cols = relation.columns
    return [{c: (None if v is None else str(v)) for c, v in zip(cols, r)} for r in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="table")
    names = [r[0] for r in dbt.ref("stg_reports").filter("agency_name is not null").project("agency_name")
             .order("agency_name").fetchall()]
    rows = resolve_names(names, _rows(dbt.ref("admin_divisions")), _rows(dbt.ref("agency_kinds")),
                         _rows(dbt.ref("agency_aliases")))
    schema = pa.schema([(f, pa.bool_() if f == "unresolved" else pa.string()) for f in FIELDS])
    return pa.Table.from_pylist(rows, schema=schema)
