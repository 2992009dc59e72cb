{{ config(materialized="view") }}
-- Cells of current report versions, with the report's keys and provenance attached.
-- A view: the fct_* marts materialise these rows, incrementally by report.
select
    c.*,
    r.agency_id,
    r.source_sha256,
    r.is_synthetic
from {{ ref('stg_cells') }} as c
join {{ ref('int_reports_versioned') }} as r using (report_id)
where r.is_current
