{#
  Incremental by report, for the big cell tables. A refresh builds from a copy
  of the current warehouse, so these models only insert the rows of reports
  that became current since, then delete the rows of reports that stopped
  being current (a revision supersedes its predecessor). A build into an
  empty file (`xxgk build`, `xxgk refresh --full`) creates them whole.
  Models using these also name `-- depends_on: {{ ref('int_reports_versioned') }}`.
#}
{% macro by_report_config() -%}
  {{ config(
      materialized = 'incremental',
      incremental_strategy = 'append',
      on_schema_change = 'fail',
      post_hook = "{{ delete_superseded_reports() }}"
  ) }}
{%- endmacro %}

{#
  In the where clause of an incremental-by-report model: only reports not yet in the table.
  In a scoped refresh (macros/build_scope.sql) these are the current reports new since the
  previous build: a short list, which DuckDB pushes into the lake scan as a filter.
#}
{% macro only_new_reports() -%}
  {%- if is_incremental() and build_scope_is_changed() %}
    and report_id in (select report_id from {{ ref('int_reports_versioned') }}
                      where is_current and {{ new_reports_condition() }})
  {%- elif is_incremental() %}
    and report_id not in (select distinct report_id from {{ this }})
  {%- endif -%}
{%- endmacro %}

{# Rows of reports that stopped being current. In a scoped refresh every row's report was current
   at the previous build or is new, so these are the reports now marked not current. #}
{% macro delete_superseded_reports() -%}
  {%- if build_scope_is_changed() -%}
    delete from {{ this }} where report_id in (select report_id from {{ ref('int_reports_versioned') }} where not is_current)
  {%- else -%}
    delete from {{ this }} where report_id not in (select report_id from {{ ref('int_reports_versioned') }} where is_current)
  {%- endif -%}
{%- endmacro %}
