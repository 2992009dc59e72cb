-- Table 四: administrative reconsideration and litigation, one row per cell.
-- proceeding_group (reconsideration, litigation) and outcome_group (the result) come from the
-- seed key_harmonisation, like the harmonised keys.
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
    hr.outcome_group as proceeding_group,
    hc.outcome_group,
    hr.harmonised_key as harmonised_proceeding,
    hc.harmonised_key as harmonised_result,
    cast(coalesce(value, 0) as bigint) as cases,
    is_blank,
    raw_text,
    source_sha256,
    src_table_index,
    src_row,
    src_col,
    is_synthetic
from {{ ref('int_cells_current') }} as c
left join {{ ref('key_harmonisation') }} as hr
    on hr.table_id = 't4' and hr.axis = 'row' and hr.key = c.row_key and hr.template in (c.layout, 'both')
left join {{ ref('key_harmonisation') }} as hc
    on hc.table_id = 't4' and hc.axis = 'column' and hc.key = c.col_key and hc.template in (c.layout, 'both')
where c.table_id = 't4'
{{ only_new_reports() }}
