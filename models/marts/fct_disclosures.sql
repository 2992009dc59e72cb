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
    layout as table_layout,
    row_key as item,
    col_key as measure,
    hr.harmonised_key as harmonised_item,
    hc.harmonised_key as harmonised_measure,
    hc.comparable = 'yes' and hr.comparable = 'yes' as measure_comparable,
    -- counts are integers; money is a double. A printed count that is not a whole number keeps
    -- quantity null (raw_text holds what was printed).
    case when hc.value_type = 'count' and value = round(value) then cast(value as bigint) end as quantity,
    case when hc.value_type = 'amount' then value end as amount,
    unit,
    {{ cell_provenance() }}
{{ harmonised_cells('t2') }}
