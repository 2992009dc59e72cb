-- Every current report per year: national totals of agency_year with pooled rates.
select
    report_year,
    {{ rollup_measures() }},
    count(distinct agency_id) filter (where agency_unresolved) as unresolved_agencies
from {{ ref('agency_year') }}
group by report_year
