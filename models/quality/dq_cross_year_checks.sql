-- Every cross-year check between an agency's current reports of consecutive years, held or not.
--   t3_carried_over_matches_prior_year (warn): this year's 二、上年结转 = last year's 四、结转下年度, per applicant column.
--   t2_in_force_chain (info, 2021 layout both years): last year's 现行有效 + 本年制发 − 本年废止 = this year's 现行有效.
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
           c.value is null and not c.is_blank as unreadable
    from {{ ref('int_cells_current') }} as c
    {%- if scoped %}
    semi join needed as n on n.agency_id = c.agency_id and n.report_year = c.report_year
    {%- endif %}
),

carry as (
    select
        cur.report_id,
        cur.agency_id,
        cur.report_year,
        prev.report_id as prior_report_id,
        't3_carried_over_matches_prior_year' as rule_id,
        'warn' as severity,
        't3' as table_id,
        'carried_over' as row_key,
        cur.col_key,
        prev.v as expected,
        cur.v as actual,
        'this year''s 上年结转 is ' || cur.v::bigint::varchar || ' but last year''s 结转下年度 was ' || prev.v::bigint::varchar
            || ' in column ' || cur.col_key as message
    from cells as cur
    join cells as prev
        on prev.agency_id = cur.agency_id
        and prev.report_year = cur.report_year - 1
        and prev.table_id = 't3' and prev.row_key = 'carried_forward' and prev.col_key = cur.col_key
    where cur.table_id = 't3' and cur.row_key = 'carried_over'
        and not cur.unreadable and not prev.unreadable
),

t2 as (
    select report_id, agency_id, report_year, row_key,
        max(v) filter (where col_key = 'issued') as issued,
        max(v) filter (where col_key = 'abolished') as abolished,
        max(v) filter (where col_key = 'in_force') as in_force,
        count(*) filter (where col_key in ('issued', 'abolished', 'in_force') and not unreadable) = 3 as complete,
        count(*) filter (where col_key = 'in_force' and not unreadable) = 1 as in_force_known
    from cells
    where table_id = 't2' and layout = '2021' and row_key in ('regulations', 'normative_documents')
    group by report_id, agency_id, report_year, row_key
),

in_force as (
    select
        cur.report_id,
        cur.agency_id,
        cur.report_year,
        prev.report_id as prior_report_id,
        't2_in_force_chain' as rule_id,
        'info' as severity,
        't2' as table_id,
        cur.row_key,
        'in_force' as col_key,
        prev.in_force + cur.issued - cur.abolished as expected,
        cur.in_force as actual,
        '现行有效 is ' || cur.in_force::bigint::varchar || ' but last year''s ' || prev.in_force::bigint::varchar || ' + 制发 '
            || cur.issued::bigint::varchar || ' − 废止 ' || cur.abolished::bigint::varchar || ' = '
            || (prev.in_force + cur.issued - cur.abolished)::bigint::varchar as message
    from t2 as cur
    join t2 as prev
        on prev.agency_id = cur.agency_id and prev.report_year = cur.report_year - 1 and prev.row_key = cur.row_key
    where cur.complete and prev.in_force_known
),

checks as (
    select *, abs(expected - actual) < 1e-6 as passed from carry
    union all by name
    select *, abs(expected - actual) < 1e-6 as passed from in_force
)

select checks.* from checks
{%- if scoped %}
semi join targets as t on t.agency_id = checks.agency_id and t.report_year = checks.report_year
{%- endif %}
