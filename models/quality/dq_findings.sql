-- Data-quality findings of current reports: those recorded at ingest (single-report rules and
-- completeness) and the cross-year checks that failed. One row per finding.
with findings as (
    select
        f.report_id, r.agency_id, r.agency_name, f.report_year, 'ingest' as origin,
        f.rule_id, f.severity, f.table_id, f.row_key, f.col_key, f.expected, f.actual, f.message,
        cast(null as varchar) as prior_report_id, r.is_synthetic
    from {{ ref('stg_findings') }} as f
    join {{ ref('int_reports_versioned') }} as r using (report_id)
    where r.is_current
    union all
    select
        x.report_id, x.agency_id, r.agency_name, x.report_year, 'cross_year' as origin,
        x.rule_id, x.severity, x.table_id, x.row_key, x.col_key, x.expected, x.actual, x.message,
        x.prior_report_id, r.is_synthetic
    from {{ ref('dq_cross_year_checks') }} as x
    join {{ ref('int_reports_versioned') }} as r using (report_id)
    where not x.passed
)
select
    report_id || '-' || lpad(row_number() over (
        partition by report_id order by origin, rule_id, table_id, row_key, col_key, message)::varchar, 4, '0') as finding_id,
    *
from findings
