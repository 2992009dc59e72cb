-- Every cross-year check between an agency's current reports of consecutive years, held or not: the
-- rules of span prior_year in the seed reconciliation_rules (macros/reconciliation.sql), e.g.
--   t3_carried_over_matches_prior_year (warn): this year's 二、上年结转 = last year's 四、结转下年度, per column.
--   t2_in_force_chain (info, where both years print 现行有效): last year's 现行有效 + 本年制发 − 本年废止 = this year's.
-- A blank counts as 0; a check with an unreadable or missing cell is not made.
-- Incremental by agency-year (macros/build_scope.sql): a refresh recomputes only the agency-years
-- with a new report and the years after them.
-- depends_on: {{ ref('int_reports_versioned') }}
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    pre_hook = "{{ delete_cross_year_targets() }}"
) }}
{%- set scoped = is_incremental() and build_scope_is_changed() %}
with
{%- if scoped %}
targets as (
    {{ cross_year_targets() }}
),

-- the target agency-years and the years before them
needed as (
    select agency_id, report_year from targets
    union
    select agency_id, report_year - 1 from targets
),
{%- endif %}

cells as (
    select c.report_id, c.agency_id, c.report_year, c.table_id, c.layout, c.row_key, c.col_key,
           coalesce(c.value, 0) as v,
           c.value is null and not c.is_blank as unreadable,
           c.is_blank
    from {{ ref('int_cells_current') }} as c
    {%- if scoped %}
    semi join needed as n on n.agency_id = c.agency_id and n.report_year = c.report_year
    {%- endif %}
),

checks as (
    {{ reconciliation_checks('cells', 'prior_year') }}
)

select checks.report_id, checks.agency_id, checks.report_year, checks.prior_report_id, checks.rule_id,
       checks.severity, checks.table_id, checks.row_key, checks.col_key, checks.expected, checks.actual,
       checks.message, checks.passed
from checks
{%- if scoped %}
semi join targets as t on t.agency_id = checks.agency_id and t.report_year = checks.report_year
{%- endif %}
