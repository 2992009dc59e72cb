-- Reports with their agency, and revision order within each agency-year:
-- the newest by published date, then by ingest time, is current.
with r as (
    select
        rep.*,
        coalesce(a.agency_id, 'ag_unknown_' || rep.report_id) as agency_id
    from {{ ref('stg_reports') }} as rep
    left join {{ ref('int_agencies') }} as a
        on a.agency_name is not distinct from rep.agency_name and rep.agency_name is not null
)
select
    *,
    row_number() over (
        partition by agency_id, report_year
        order by published_on asc nulls first, ingested_at asc, report_id asc
    ) as report_version,
    row_number() over (
        partition by agency_id, report_year
        order by published_on desc nulls last, ingested_at desc, report_id desc
    ) = 1 as is_current,
    count(*) over (partition by agency_id, report_year) as n_versions
from r
