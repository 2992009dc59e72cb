{{ config(materialized="view") }}
-- Every table cell of every report version, current or superseded: how a figure changed when a
-- report was corrected and republished. The fct_* marts hold current versions only. A view: history
-- is read rarely, and a table would store every cell twice.
select
    c.report_id,
    r.agency_id,
    r.agency_name,
    c.report_year,
    r.report_version,
    r.n_versions,
    r.is_current,
    r.published_on,
    r.ingested_at,
    c.table_id,
    c.layout as table_layout,
    c.row_key,
    c.col_key,
    c.value,
    c.is_blank,
    c.raw_text,
    r.source_sha256,
    c.src_page,
    c.src_table_index,
    c.src_row,
    c.src_col,
    c.match_method,
    r.is_synthetic
from {{ ref('stg_cells') }} as c
join {{ ref('int_reports_versioned') }} as r using (report_id)
