-- Cells of current report versions, with the report's keys and provenance attached.
-- Incremental by report (macros/incremental.sql).
{{ by_report_config() }}
select
    c.*,
    r.agency_id,
    r.source_sha256,
    r.is_synthetic
from {{ ref('stg_cells') }} as c
join {{ ref('int_reports_versioned') }} as r using (report_id)
where r.is_current
{{ only_new_reports() }}
