{#
  Build scope: what an incremental refresh has to re-check.

  `xxgk refresh` builds from a copy of the current warehouse with
  `XXGK_BUILD_SCOPE=changed` in dbt's environment (an environment variable, not a
  `--vars` value: dbt parses the whole project again whenever its vars change, but
  re-parses only the files that read a changed environment variable; `--vars
  '{scope: changed}'` still works for a hand-run dbt). Before any model runs, `snapshot_prior_reports`
  keeps the report ids of that copy's dim_report in `main._prior_reports`
  (dropped again at the end of the run). Then:
  - tests configured with `where: "__new_reports__"` check only the rows of
    reports new since the previous build (their keys hold a report id, so a
    per-report test on new reports is the whole test for them; the older rows
    were tested when they arrived);
  - the fact tables read only new reports from the lake (macros/incremental.sql),
    and cross-year models recompute only `cross_year_targets()`.
  A full build (`xxgk build`, `xxgk refresh --full`) runs with the default
  scope `all` and tests every row.
#}

{% macro build_scope_is_changed() -%}
  {{ return(var('scope', env_var('XXGK_BUILD_SCOPE', 'all')) == 'changed') }}
{%- endmacro %}

{# The hooks write nothing in an unscoped run (an empty hook is not executed). #}
{% macro snapshot_prior_reports() -%}
  {%- if build_scope_is_changed() -%}
    create or replace table main._prior_reports as
    select report_id from main.dim_report
  {%- endif -%}
{%- endmacro %}

{% macro drop_prior_reports() -%}
  {%- if build_scope_is_changed() -%}
    drop table if exists main._prior_reports
  {%- endif -%}
{%- endmacro %}

{# The where clause a scoped test stands for. #}
{# A row without a report id counts as new, so a scoped not_null test still sees it. #}
{% macro new_reports_condition() -%}
  coalesce(report_id not in (select report_id from main._prior_reports), true)
{%- endmacro %}

{# dbt calls this for every test: the tested relation, filtered by the test's `where` config.
   `__new_reports__` is replaced by the new-report condition in a scoped build and by true otherwise. #}
{% macro get_where_subquery(relation) -%}
  {%- set where = config.get('where') -%}
  {%- if where -%}
    {%- set where = where | replace('__new_reports__', new_reports_condition() if build_scope_is_changed() else 'true') -%}
    {%- set filtered -%}
      (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
  {%- else -%}
    {{ return(relation) }}
  {%- endif -%}
{%- endmacro %}

{#
  Cross-year models (one row per check between an agency's reports of consecutive years) are
  incremental by agency-year: in a scoped build they recompute the checks of every agency-year
  with a new report and of the year after it, and delete those agency-years' old rows first
  (pre_hook `delete_cross_year_targets`). Any other incremental run recomputes everything.
#}
{% macro cross_year_targets() -%}
  select distinct r.agency_id, r.report_year + s.shift as report_year
  from {{ ref('int_reports_versioned') }} as r, (values (0), (1)) as s(shift)
  where {{ new_reports_condition() }}
{%- endmacro %}

{% macro delete_cross_year_targets() -%}
  {%- if is_incremental() and build_scope_is_changed() -%}
    delete from {{ this }} as d
    using ({{ cross_year_targets() }}) as t
    where d.agency_id = t.agency_id and d.report_year = t.report_year
  {%- elif is_incremental() -%}
    delete from {{ this }}
  {%- endif -%}
{%- endmacro %}
