"""`xxgk check`: a data-quality report for a person, from the warehouse's dq_* marts.

Sections: counts by status, findings by severity, the worst reports, rules by
failure count, warn and error findings, rejects with reasons, continuity
breaks. Rendered as text, Markdown or JSON. The exit code is non-zero only
with ``strict`` and at least one error-severity finding, so a scheduled job
can alert on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from .errors import XxgkError
from .home import Home
from .serve import connect, plain, render

LIMIT = 20

SECTIONS: dict[str, tuple[str, str]] = {
    "status": (
        "Counts by status",
        """
        select 'files seen' as status, count(distinct source_path) as n from stg_sources
        union all select 'reports (every version)', count(*) from dq_report_scorecard
        union all select 'reports current', count(*) from dq_report_scorecard where is_current
        union all select 'parsed', count(*) from dq_report_scorecard where parse_status = 'parsed'
        union all select 'parsed with findings', count(*) from dq_report_scorecard where parse_status = 'parsed_with_findings'
        union all select 'quarantined', count(*) from dq_rejects where not is_resolved
        union all select 'duplicate paths', count(*) from stg_sources where outcome = 'duplicate'
        union all select 'current: ok', count(*) from dq_report_scorecard where is_current and dq_status = 'ok'
        union all select 'current: warn', count(*) from dq_report_scorecard where is_current and dq_status = 'warn'
        union all select 'current: error', count(*) from dq_report_scorecard where is_current and dq_status = 'error'
    """,
    ),
    "severity": (
        "Findings of current reports by severity",
        """
        select s.severity, count(f.severity) as findings, count(distinct f.report_id) as reports
        from (values ('error', 1), ('warn', 2), ('info', 3)) as s(severity, rank)
        left join dq_findings f using (severity)
        group by s.severity, s.rank order by s.rank
    """,
    ),
    "worst_reports": (
        "Worst reports",
        f"""
        select agency_name, report_year, dq_status, n_error, n_warn, n_info, rules_failed, cells_read, tables_found, report_id
        from dq_report_scorecard
        where is_current and (n_error + n_warn + n_info) > 0
        order by n_error desc, n_warn desc, n_info desc, agency_name, report_year
        limit {LIMIT}
    """,
    ),
    "rules": (
        "Rules by failure count",
        """
        select rule_id, severity, count(*) as failures, count(distinct report_id) as reports
        from dq_findings
        group by rule_id, severity
        order by case severity when 'error' then 1 when 'warn' then 2 else 3 end, failures desc, rule_id
    """,
    ),
    "findings": (
        "Error and warn findings",
        f"""
        select agency_name, report_year, severity, rule_id, table_id, row_key, col_key, expected, actual, message
        from dq_findings
        where severity in ('error', 'warn')
        order by case severity when 'error' then 1 else 2 end, agency_name, report_year, rule_id, table_id, row_key, col_key
        limit {LIMIT * 5}
    """,
    ),
    "rejects": (
        "Rejects (quarantined files)",
        f"""
        select reason_code, source_path, message, attempts, n_paths, parser_version
        from dq_rejects
        where not is_resolved
        order by reason_code, source_path
        limit {LIMIT * 5}
    """,
    ),
    "unresolved": (
        "Unresolved agency names: {n}",
        """
        select agency_id, agency_name, first_year, last_year, unresolved_reason
        from dim_agency where unresolved
        order by agency_name nulls last, agency_id
    """,
    ),
    "continuity": (
        "Continuity breaks",
        f"""
        select a.agency_name, a.years_covered, a.missing_years, a.continuity_breaks, a.carryover_breaks, a.in_force_breaks,
               coalesce(string_agg(distinct f.report_year::varchar || ' ' || f.col_key, ', '), '') as carryover_mismatches
        from dq_agency_scorecard a
        left join dq_findings f on f.agency_id = a.agency_id and f.rule_id = 't3_carried_over_matches_prior_year'
        where a.continuity_breaks > 0
        group by a.agency_id, a.agency_name, a.years_covered, a.missing_years, a.continuity_breaks, a.carryover_breaks,
                 a.in_force_breaks
        order by a.continuity_breaks desc, a.agency_name
        limit {LIMIT * 5}
    """,
    ),
}


@dataclass
class Check:
    sections: dict[str, tuple[list[str], list[tuple]]] = field(default_factory=dict)
    errors: int = 0

    def as_json(self) -> dict:
        return {
            "error_findings": self.errors,
            **{k: [{c: plain(v) for c, v in zip(cols, r)} for r in rows] for k, (cols, rows) in self.sections.items()},
        }


def gather(home: Home) -> Check:
    out = Check()
    with connect(home) as con:
        try:
            for key, (_, sql) in SECTIONS.items():
                cur = con.execute(sql)
                out.sections[key] = ([d[0] for d in cur.description], cur.fetchall())
            out.errors = con.execute("select count(*) from dq_findings where severity = 'error'").fetchone()[0]
        except duckdb.CatalogException:
            raise XxgkError(f"the warehouse has no data-quality marts; run `xxgk build --home {home.root}`") from None
    return out


def _md(cols: list[str], rows: list[tuple]) -> str:
    cell = lambda v: "" if v is None else str(plain(v)).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def format_check(check: Check, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(check.as_json(), ensure_ascii=False, indent=1) + "\n"
    parts = ["# xxgk data-quality check\n" if fmt == "md" else "xxgk data-quality check\n"]
    for key, (cols, rows) in check.sections.items():
        title = SECTIONS[key][0].format(n=len(rows))
        parts.append(f"\n## {title}\n\n" if fmt == "md" else f"\n{title}\n{'=' * len(title)}\n")
        if not rows:
            parts.append("(none)\n")
        else:
            parts.append(_md(cols, rows) if fmt == "md" else render(cols, rows, "table"))
    return "".join(parts)


def exit_code(check: Check, strict: bool) -> int:
    """Non-zero only with ``strict`` and at least one error-severity finding."""
    return 1 if strict and check.errors > 0 else 0
