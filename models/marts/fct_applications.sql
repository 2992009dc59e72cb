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
    layout as table_layout,
    row_key as outcome,
    col_key as applicant_type,
    hr.outcome_group,
    hr.harmonised_key as harmonised_outcome,
    hc.harmonised_key as harmonised_applicant_type,
    cast(coalesce(value, 0) as bigint) as requests,
    {{ cell_provenance() }}
{{ harmonised_cells('t3') }}
