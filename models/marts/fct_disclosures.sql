-- Table 二: proactive disclosure (documents, decisions, fees), one row per cell, values as printed.
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
