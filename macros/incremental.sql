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
      post_hook = "delete from {{ this }} where report_id not in (select report_id from {{ ref('int_reports_versioned') }} where is_current)"
  ) }}
{%- endmacro %}

{# In the where clause of an incremental-by-report model: only reports not yet in the table. #}
{% macro only_new_reports() -%}
  {%- if is_incremental() %}
    and report_id not in (select distinct report_id from {{ this }})
  {%- endif -%}
{%- endmacro %}
