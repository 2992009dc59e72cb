-- One row per agency: the years its current reports cover, the years missing between, and the
-- continuity breaks (carry-over mismatches between consecutive years).
with cur as (
    select * from {{ ref('int_reports_versioned') }} where is_current
),

span as (
    select
        agency_id,
        any_value(agency_name order by report_year desc) as agency_name,
        min(report_year) as first_year,
        max(report_year) as last_year,
        count(*) as n_years,
        string_agg(report_year::varchar, ',' order by report_year) as years_covered,
        bool_and(is_synthetic) as is_synthetic
    from cur
    group by agency_id
),

expected_years as (
    select agency_id, unnest(range(first_year, last_year + 1)) as report_year from span
),

gaps as (
    select e.agency_id, count(*) as n_missing_years,
           string_agg(e.report_year::varchar, ',' order by e.report_year) as missing_years
    from expected_years as e
    anti join cur as c on c.agency_id = e.agency_id and c.report_year = e.report_year
    group by e.agency_id
),

versions as (
    select agency_id, count(*) as n_reports,
           count(distinct report_year) filter (where n_versions > 1) as n_revised_years
    from {{ ref('int_reports_versioned') }}
    group by agency_id
),

checks as (
    select
        agency_id,
        count(distinct report_year) filter (where rule_id = 't3_carried_over_matches_prior_year' and not passed) as carryover_breaks,
        count(distinct report_year) filter (where rule_id = 't2_in_force_chain' and not passed) as in_force_breaks,
        count(*) filter (where passed) as cross_year_passed,
        count(*) filter (where not passed) as cross_year_failed
    from {{ ref('dq_cross_year_checks') }}
    group by agency_id
),

findings as (
    select
        agency_id,
        count(*) filter (where dq_status = 'error') as reports_error,
        count(*) filter (where dq_status = 'warn') as reports_warn,
        sum(n_error) as n_error,
        sum(n_warn) as n_warn,
        sum(n_info) as n_info
    from {{ ref('dq_report_scorecard') }}
    where is_current
    group by agency_id
)

select
    s.agency_id,
    s.agency_name,
    s.first_year,
    s.last_year,
    s.n_years,
    s.years_covered,
    coalesce(g.n_missing_years, 0) as n_missing_years,
    coalesce(g.missing_years, '') as missing_years,
    coalesce(c.carryover_breaks, 0) as carryover_breaks,
    coalesce(c.in_force_breaks, 0) as in_force_breaks,
    coalesce(g.n_missing_years, 0) + coalesce(c.carryover_breaks, 0) as continuity_breaks,
    coalesce(c.cross_year_passed, 0) as cross_year_passed,
    coalesce(c.cross_year_failed, 0) as cross_year_failed,
    v.n_reports,
    v.n_revised_years,
    f.reports_error,
    f.reports_warn,
    f.n_error,
    f.n_warn,
    f.n_info,
    case when f.reports_error > 0 then 'error'
         when f.reports_warn > 0 or coalesce(c.carryover_breaks, 0) > 0 then 'warn'
         else 'ok' end as dq_status,
    s.is_synthetic
from span as s
left join gaps as g using (agency_id)
left join checks as c using (agency_id)
left join versions as v using (agency_id)
left join findings as f using (agency_id)
