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
    layout as table_layout,
    row_key as proceeding,
    col_key as result,
    hr.outcome_group as proceeding_group,
    hc.outcome_group,
    hr.harmonised_key as harmonised_proceeding,
    hc.harmonised_key as harmonised_result,
    cast(coalesce(value, 0) as bigint) as cases,
    {{ cell_provenance() }}
{{ harmonised_cells('t4') }}
