-- One row per agency, with the years it has reports for.
select
    agency_id,
    any_value(agency_name order by report_year desc) as agency_name,
    min(report_year) as first_year,
    max(report_year) as last_year,
    count(distinct report_year) as n_years,
    bool_and(is_synthetic) as is_synthetic
from {{ ref('int_reports_versioned') }}
group by agency_id
