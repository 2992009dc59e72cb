"""The data behind every page: read queries over the marts, each a named table (columns, rows).

Every function takes an open read-only connection and returns plain Python values, so the
same result feeds the HTML page, its JSON API and its CSV/Parquet downloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Measures a person can compare: name -> (numerator, denominator) for rates, None for counts.
MEASURES: dict[str, tuple[str, str] | None] = {
    "received": None,
    "handled": None,
    "granted": None,
    "partially_granted": None,
    "disclosed": None,
    "denied": None,
    "unable": None,
    "not_processed": None,
    "carried_forward": None,
    "disclosure_rate": ("disclosed", "handled"),
    "denial_rate": ("denied", "handled"),
    "unable_rate": ("unable", "handled"),
    "reconsiderations": None,
    "reconsiderations_corrected": None,
    "lawsuits": None,
    "lawsuits_corrected": None,
    "reconsideration_correction_rate": ("reconsiderations_corrected", "reconsiderations_concluded"),
    "lawsuit_correction_rate": ("lawsuits_corrected", "lawsuits_concluded"),
    "info_fee_yuan": None,
    "documents_issued": None,
    "findings": None,
}
RATES = {k for k, v in MEASURES.items() if v}
AGENCY_MEASURES = [
    "report_year",
    "received",
    "carried_over",
    "handled",
    "granted",
    "partially_granted",
    "denied",
    "unable",
    "not_processed",
    "other",
    "carried_forward",
    "disclosed",
    "disclosure_rate",
    "reconsiderations",
    "lawsuits",
    "info_fee_yuan",
    "findings",
    "error_findings",
    "is_synthetic",
    "report_id",
]
TABLE_IDS = ("t2", "t3", "t4")
# Which reports a national view counts: real only, synthetic only, or all (never mixed silently).
SCOPES = {"real": "not is_synthetic", "synthetic": "is_synthetic", "all": "true"}


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, r)) for r in self.rows]

    def column(self, name: str) -> list:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


def fetch(con, sql: str, params: list | None = None) -> Table:
    cur = con.execute(sql, params or [])
    return Table([d[0] for d in cur.description], [tuple(r) for r in cur.fetchall()])


def has_table(con, name: str) -> bool:
    return bool(
        con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0]
    )


# --- home ----------------------------------------------------------------------------------------------


def default_scope(con) -> str:
    """Real reports when there are any, else the synthetic ones."""
    real = con.execute("select count(*) from agency_year where not is_synthetic").fetchone()[0]
    return "real" if real else "synthetic"


def home(con, scope: str) -> dict[str, Table]:
    where = SCOPES[scope]
    coverage_year = fetch(
        con,
        """
        select report_year, count(*) as reports, count(*) filter (where not is_synthetic) as real,
               count(*) filter (where is_synthetic) as synthetic, count(distinct agency_id) as agencies
        from agency_year group by report_year order by report_year""",
    )
    coverage_province = fetch(
        con,
        """
        select coalesce(province_name, '—') as province_name, report_year, count(*) as reports,
               count(*) filter (where is_synthetic) as synthetic
        from agency_year group by all order by province_name, report_year""",
    )
    trends = fetch(
        con,
        f"""
        select report_year, count(*) as reports, sum(received) as received, sum(handled) as handled,
               sum(disclosed) as disclosed, sum(denied) as denied,
               round(sum(disclosed) / nullif(sum(handled) filter (where disclosed is not null), 0), 4) as disclosure_rate,
               sum(reconsiderations) as reconsiderations, sum(lawsuits) as lawsuits
        from agency_year where {where} group by report_year order by report_year""",
    )
    refusals = fetch(
        con,
        f"""
        select a.outcome, sum(a.requests) as requests
        from fct_applications a
        where a.applicant_type = 'total' and a.outcome_group = 'denied' and {where.replace("is_synthetic", "a.is_synthetic")}
        group by a.outcome order by requests desc, a.outcome""",
    )
    return {
        "coverage_by_year": coverage_year,
        "coverage_by_province": coverage_province,
        "trends": trends,
        "refusal_reasons": refusals,
    }


def search(con, q: str, limit: int = 50) -> Table:
    q = q.strip()
    return fetch(
        con,
        """
        select agency_id, agency_name, level, kind, province_name, prefecture_name, first_year, last_year, n_years, is_synthetic
        from dim_agency
        where agency_name ilike ? or names_seen ilike ? or agency_id = ?
        order by agency_name limit ?""",
        [f"%{q}%", f"%{q}%", q, limit],
    )


# --- agency --------------------------------------------------------------------------------------------


def agency(con, agency_id: str) -> dict[str, Table] | None:
    info = fetch(con, "select * from dim_agency where agency_id = ?", [agency_id])
    if not info.rows:
        return None
    a = info.dicts()[0]
    measures = fetch(
        con,
        f"select {', '.join(AGENCY_MEASURES)} from agency_year where agency_id = ? order by report_year",
        [agency_id],
    )
    findings = fetch(
        con,
        """
        select r.report_year, f.rule_id, f.severity, f.table_id, f.row_key, f.col_key, f.expected, f.actual, f.message, f.report_id
        from stg_findings f join dim_report r using (report_id)
        where r.agency_id = ? and r.is_current
        order by r.report_year, f.severity, f.rule_id""",
        [agency_id],
    )
    reports = fetch(
        con,
        """
        select report_year, report_id, agency_name, source_format, report_version, is_current, published_on,
               parse_status, is_synthetic
        from dim_report where agency_id = ? order by report_year, report_version""",
        [agency_id],
    )
    region_col, region = (
        ("prefecture_code", a["prefecture_code"])
        if a.get("prefecture_code")
        else ("province_code", a.get("province_code"))
    )
    peers = Table(["agency_id", "agency_name", "report_year", "received", "disclosure_rate"])
    if region and a.get("level") and a.get("kind"):
        peers = fetch(
            con,
            f"""
            select d.agency_id, d.agency_name, y.report_year, y.received, y.disclosure_rate
            from dim_agency d left join agency_year y on y.agency_id = d.agency_id and y.report_year = d.last_year
            where d.{region_col} = ? and d.level = ? and d.kind = ? and d.agency_id <> ?
              {"and d.prefecture_code is null" if region_col == "province_code" else ""}
            order by d.agency_name limit 30""",
            [region, a["level"], a["kind"], agency_id],
        )
    return {"agency": info, "measures": measures, "findings": findings, "reports": reports, "peers": peers}


# --- report --------------------------------------------------------------------------------------------


def labels_table(con) -> Table:
    """Row and column labels of the three tables (template_keys seed), when the warehouse has it."""
    if not has_table(con, "template_keys"):
        return Table(["template", "table", "kind", "key", "label_zh", "label_en", "ordinal"])
    return fetch(con, 'select template, "table", kind, key, label_zh, label_en, ordinal from template_keys')


def report(con, report_id: str) -> dict[str, Table] | None:
    info = fetch(con, "select * from dim_report where report_id = ?", [report_id])
    if not info.rows:
        return None
    year = info.dicts()[0]["report_year"]  # the lake is partitioned by year: read one partition
    cells = fetch(
        con,
        """
        select table_id, layout, row_key, col_key, value, is_blank, raw_text, unit, note,
               src_table_index, src_row, src_col, match_method
        from stg_cells where report_year = ? and report_id = ?
        order by table_id, src_table_index, src_row, src_col""",
        [year, report_id],
    )
    findings = fetch(
        con,
        """
        select rule_id, severity, table_id, row_key, col_key, expected, actual, message
        from stg_findings where report_year = ? and report_id = ? order by severity, rule_id""",
        [year, report_id],
    )
    return {"report": info, "cells": cells, "findings": findings}


def has_column(con, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns where table_name = ? and column_name = ?", [table, column]
        ).fetchone()[0]
    )


def cell(con, report_id: str, table_id: str, row_key: str, col_key: str) -> dict[str, Table] | None:
    # the page number, where the warehouse records one (stg_cells.src_page, 1-based)
    page = "c.src_page" if has_column(con, "stg_cells", "src_page") else "cast(null as integer)"
    found = fetch(
        con,
        f"""
        select {page} as src_page, c.report_id, r.agency_id, r.agency_name, r.report_year, c.table_id, c.layout, c.row_key, c.col_key,
               c.value, c.is_blank, c.raw_text, c.unit, c.note, c.src_table_index, c.src_row, c.src_col, c.match_method,
               r.source_path, r.source_sha256, r.source_format, r.is_synthetic
        from stg_cells c join dim_report r on r.report_id = c.report_id and r.report_year = c.report_year
        where c.report_year = (select report_year from dim_report where report_id = ?)
          and c.report_id = ? and c.table_id = ? and c.row_key = ? and c.col_key = ?""",
        [report_id, report_id, table_id, row_key, col_key],
    )
    if not found.rows:
        return None
    paths = fetch(
        con,
        """
        select distinct source_path, outcome as parse_status, seen_at as ingested_at
        from stg_sources where source_sha256 = ? order by ingested_at""",
        [found.dicts()[0]["source_sha256"]],
    )
    return {"cell": found, "paths": paths}


def source_paths(con, report_id: str) -> tuple[str, list[str]] | None:
    """(sha256, every path the report's file was seen at), or None for an unknown report."""
    row = con.execute("select source_sha256, source_path from dim_report where report_id = ?", [report_id]).fetchone()
    if not row:
        return None
    sha, first = row
    others = [
        r[0]
        for r in con.execute("select distinct source_path from stg_sources where source_sha256 = ?", [sha]).fetchall()
    ]
    return sha, [p for p in [first, *others] if p]


# --- compare -------------------------------------------------------------------------------------------


def compare(con, measure: str, agency_ids: list[str], region_codes: list[str], scope: str = "all") -> Table:
    """Long table (series_id, series, report_year, value, n): one series per agency or region; ``n`` is a rate's
    denominator (null for counts)."""
    out = Table(["series_id", "series", "report_year", "value", "n"])
    ratio = MEASURES[measure]
    if agency_ids:
        marks = ", ".join("?" * len(agency_ids))
        out.rows += fetch(
            con,
            f"""
            select y.agency_id, d.agency_name, y.report_year, y.{measure}, {f"y.{ratio[1]}" if ratio else "null"}
            from agency_year y join dim_agency d using (agency_id)
            where y.agency_id in ({marks}) order by d.agency_name, y.report_year""",
            agency_ids,
        ).rows
    if region_codes:
        n = f"sum({ratio[1]}) filter (where {ratio[0]} is not null)" if ratio else "null"
        value = f"sum({ratio[0]}) / nullif({n}, 0)" if ratio else f"sum({measure})"
        for code in region_codes:
            out.rows += fetch(
                con,
                f"""
                select ? as series_id,
                       coalesce(any_value(case when prefecture_code = ? then prefecture_name else province_name end), ?) as series,
                       report_year, {value} as value, {n} as n
                from agency_year
                where (province_code = ? or prefecture_code = ?) and {SCOPES[scope]}
                group by report_year order by report_year""",
                [code, code, code, code, code],
            ).rows
    return out


def regions(con) -> Table:
    return fetch(
        con,
        """
        select distinct province_code as code, province_name as name from dim_agency where province_code is not null
        union select distinct prefecture_code, prefecture_name from dim_agency where prefecture_code is not null
        order by code""",
    )


# --- downloads -----------------------------------------------------------------------------------------

MARTS = (
    "agency_year",
    "national_year",
    "region_year",
    "dim_agency",
    "dim_report",
    "fct_applications",
    "fct_disclosures",
    "fct_appeals",
    "fct_fees",
    "dq_findings",
)
