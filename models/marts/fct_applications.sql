-- Table 三: applications received and how they were handled, one row per cell.
-- outcome / applicant_type are the layout-native keys; outcome_group and the harmonised keys
-- (seed key_harmonisation) compare across the 2019 and 2021 layouts.
-- Incremental by report (macros/incremental.sql).
-- depends_on: {{ ref('int_reports_versioned') }}
{{ by_report_config() }}
select
    report_id,
    agency_id,
    report_year,
    layout as template_version,
    row_key as outcome,
    col_key as applicant_type,
    hr.outcome_group,
    hr.harmonised_key as harmonised_outcome,
    hc.harmonised_key as harmonised_applicant_type,
    cast(coalesce(value, 0) as bigint) as requests,
    is_blank,
    raw_text,
    source_sha256,
    src_table_index,
    src_row,
    src_col,
    is_synthetic
from {{ ref('int_cells_current') }} as c
left join {{ ref('key_harmonisation') }} as hr
    on hr.table_id = 't3' and hr.axis = 'row' and hr.key = c.row_key and hr.template in (c.layout, 'both')
left join {{ ref('key_harmonisation') }} as hc
    on hc.table_id = 't3' and hc.axis = 'column' and hc.key = c.col_key and hc.template in (c.layout, 'both')
where c.table_id = 't3'
{{ only_new_reports() }}
