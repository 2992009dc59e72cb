{#
  Build scope: what an incremental refresh has to re-check.

  `xxgk refresh` builds from a copy of the current warehouse and passes
  `--vars '{scope: changed}'`. Before any model runs, `snapshot_prior_reports`
  keeps the report ids of that copy's dim_report in `main._prior_reports`
  (dropped again at the end of the run). Then:
  - tests configured with `where: "__new_reports__"` check only the rows of
    reports new since the previous build (their keys hold a report id, so a
    per-report test on new reports is the whole test for them; the older rows
    were tested when they arrived);
  - models can ask `changed_agency_years()` for the agency-years whose reports
    changed.
  A full build (`xxgk build`, `xxgk refresh --full`, `xxgk check`) runs with
  the default scope `all` and tests every row.
#}

{% macro build_scope_is_changed() -%}
  {{ return(var('scope', 'all') == 'changed') }}
{%- endmacro %}

{# The hooks write nothing in an unscoped run (an empty hook is not executed). #}
{% macro snapshot_prior_reports() -%}
  {%- if build_scope_is_changed() -%}
    create or replace table main._prior_reports as
    select report_id, agency_id, report_year from main.dim_report
  {%- endif -%}
{%- endmacro %}

{% macro drop_prior_reports() -%}
  {%- if build_scope_is_changed() -%}
    drop table if exists main._prior_reports
  {%- endif -%}
{%- endmacro %}

{# The where clause a scoped test stands for. #}
{% macro new_reports_condition() -%}
  report_id not in (select report_id from main._prior_reports)
{%- endmacro %}

{# Agency-years with a report that is new since the previous build, as (agency_id, report_year) rows;
   in an unscoped build, none (callers rebuild everything then). #}
{% macro changed_agency_years(reports_relation) -%}
  select distinct agency_id, report_year
  from {{ reports_relation }}
  where {{ new_reports_condition() }}
{%- endmacro %}

{# dbt calls this for every test: the tested relation, filtered by the test's `where` config.
   `__new_reports__` is replaced by the new-report condition in a scoped build and by true otherwise. #}
{% macro get_where_subquery(relation) -%}
  {%- set where = config.get('where') -%}
  {%- if where -%}
    {%- if '__new_reports__' in where -%}
      {%- if not build_scope_is_changed() and where | trim == '__new_reports__' -%}
        {{ return(relation) }}
      {%- endif -%}
      {%- set where = where | replace('__new_reports__', new_reports_condition() if build_scope_is_changed() else 'true') -%}
    {%- endif -%}
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
  select agency_id, report_year from ({{ changed_agency_years(ref('int_reports_versioned')) }})
  union
  select agency_id, report_year + 1 from ({{ changed_agency_years(ref('int_reports_versioned')) }})
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
