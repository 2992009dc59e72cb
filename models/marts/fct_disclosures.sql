-- Table 二: proactive disclosure (documents, decisions, fees), one row per cell, values as printed.
-- The 2019 and 2021 columns differ in meaning: harmonised_measure and measure_comparable
-- (seed key_harmonisation) say which compare across layouts.
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
    hr.harmonised_key as harmonised_item,
    hc.harmonised_key as harmonised_measure,
    hc.comparable = 'yes' and hr.comparable = 'yes' as measure_comparable,
    value,
    unit,
    is_blank,
    raw_text,
    source_sha256,
    src_table_index,
    src_row,
    src_col,
    is_synthetic
from {{ ref('int_cells_current') }} as c
left join {{ ref('key_harmonisation') }} as hr
    on hr.table_id = 't2' and hr.axis = 'row' and hr.key = c.row_key and hr.template in (c.layout, 'both')
left join {{ ref('key_harmonisation') }} as hc
    on hc.table_id = 't2' and hc.axis = 'column' and hc.key = c.col_key and hc.template in (c.layout, 'both')
where c.table_id = 't2'
{{ only_new_reports() }}
