-- One row per report (every version): what was read, which checks held, and a status.
with cells as (
    select
        report_id,
        string_agg(distinct table_id, ',' order by table_id) as tables_found,
        count(distinct table_id) as n_tables,
        count(*) as cells_read,
        count(*) filter (where is_blank) as cells_blank,
        count(*) filter (where value is null and not is_blank) as cells_unreadable
    from {{ ref('stg_cells') }}
    group by report_id
),

findings as (
    select
        report_id,
        count(*) filter (where severity = 'error') as n_error,
        count(*) filter (where severity = 'warn') as n_warn,
        count(*) filter (where severity = 'info') as n_info
    from (
        select report_id, severity from {{ ref('stg_findings') }}
        union all
        select report_id, severity from {{ ref('dq_cross_year_checks') }} where not passed
    ) as f
    group by report_id
),

cross_year as (
    select report_id, count(*) filter (where passed) as passed, count(*) filter (where not passed) as failed
    from {{ ref('dq_cross_year_checks') }}
    group by report_id
),

paths as (
    select * from {{ ref('int_source_paths') }}
)

select
    r.report_id,
    r.agency_id,
    r.agency_name,
    r.report_year,
    r.report_version,
    r.is_current,
    r.is_synthetic,
    r.parse_status,
    coalesce(c.tables_found, '') as tables_found,
    3 - coalesce(c.n_tables, 0) as tables_missing,
    coalesce(c.cells_read, 0) as cells_read,
    coalesce(c.cells_blank, 0) as cells_blank,
    coalesce(c.cells_unreadable, 0) as cells_unreadable,
    r.rules_passed + coalesce(x.passed, 0) as rules_passed,
    r.rules_failed + coalesce(x.failed, 0) as rules_failed,
    coalesce(f.n_error, 0) as n_error,
    coalesce(f.n_warn, 0) as n_warn,
    coalesce(f.n_info, 0) as n_info,
    case when coalesce(f.n_error, 0) > 0 then 'error'
         when coalesce(f.n_warn, 0) > 0 then 'warn'
         else 'ok' end as dq_status,
    coalesce(p.n_paths, 1) as n_paths,
    coalesce(p.source_paths, r.source_path) as source_paths
from {{ ref('int_reports_versioned') }} as r
left join cells as c using (report_id)
left join findings as f using (report_id)
left join cross_year as x using (report_id)
left join paths as p on p.source_sha256 = r.source_sha256
