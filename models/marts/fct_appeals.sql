-- Table 四: administrative reconsideration and litigation, one row per cell.
-- Incremental by report (macros/incremental.sql).
-- depends_on: {{ ref('int_reports_versioned') }}
{{ by_report_config() }}
select
    report_id,
    agency_id,
    report_year,
    layout as template_version,
    row_key as proceeding,
    col_key as result,
    cast(coalesce(value, 0) as bigint) as cases,
    is_blank,
    raw_text,
    source_sha256,
    src_table_index,
    src_row,
    src_col,
    is_synthetic
from {{ ref('int_cells_current') }}
where table_id = 't4'
{{ only_new_reports() }}
