-- Table 二: proactive disclosure (documents, decisions, fees), one row per cell, values as printed.
-- Incremental by report (macros/incremental.sql).
-- depends_on: {{ ref('int_reports_versioned') }}
{{ by_report_config() }}
select
    report_id,
    agency_id,
    report_year,
    layout as template_version,
    row_key as item,
    col_key as measure,
    value,
    unit,
    is_blank,
    raw_text,
    source_sha256,
    src_table_index,
    src_row,
    src_col,
    is_synthetic
from {{ ref('int_cells_current') }}
where table_id = 't2'
{{ only_new_reports() }}
