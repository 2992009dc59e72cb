{#
  Data-quality tests of the project (no dbt packages can be installed here).
  Each returns the failing rows; zero rows is a pass.
#}

{# The rule `rule` of the seed reconciliation_rules (macros/reconciliation.sql) holds in a fact table of
   one template table: its rows are read as cells (row_column, col_column, value_column); a failing check
   is a failing row. For a prior_year rule, the year before is the agency's row of report_year - 1. A check with an
   unreadable cell (null, not blank) is not made, as ingest does not make it. #}
{% test reconciles(model, rule, table_id, layout_column, row_column, col_column, value_column) %}
with cells as (
    select report_id, agency_id, report_year, '{{ table_id }}' as table_id, {{ layout_column }} as layout,
           {{ row_column }} as row_key, {{ col_column }} as col_key, coalesce({{ value_column }}, 0) as v,
           {{ value_column }} is null and not is_blank as unreadable, is_blank
    from {{ model }}
),

checks as (
    {{ reconciliation_checks('cells', rule_id=rule) }}
)

select report_id, report_year, row_key, col_key, expected, actual, message
from checks
where not passed
{% endtest %}

{# The column names a layout of the seed layouts (of `table_id` where given) or, with `kind`, a key of that
   kind of table `table_id` in template_keys for the row's layout (`layout_column`). #}
{% test in_template(model, column_name, table_id=none, kind=none, layout_column=none) %}
select m.{{ column_name }}
from (select * from {{ model }}) as m
where m.{{ column_name }} is not null and not exists (
    {%- if kind %}
    select 1 from {{ ref('template_keys') }} as k
    where k."table" = '{{ table_id }}' and k.kind = '{{ kind }}' and k.key = m.{{ column_name }}
      and k.template in (m.{{ layout_column }}, 'both')
    {%- else %}
    select 1 from {{ ref('layouts') }} as l
    where l.layout = m.{{ column_name }} {%- if table_id %} and l.table_id = '{{ table_id }}'{% endif %}
    {%- endif %}
)
{% endtest %}

{# Each layout's n_rows and n_columns equal the rows and columns template_keys gives it
   (a key of template both belongs to every layout of its table). #}
{% test layout_shape_matches_keys(model) %}
select l.layout, l.table_id, l.n_rows, l.n_columns,
       count(*) filter (where k.kind = 'row') as key_rows,
       count(*) filter (where k.kind = 'column') as key_columns
from (select * from {{ model }}) as l
left join {{ ref('template_keys') }} as k on k."table" = l.table_id and k.template in (l.layout, 'both')
group by all
having key_rows <> l.n_rows or key_columns <> l.n_columns
{% endtest %}

{# Every value of the column names a row of `to` whose `flag` is true (facts reference current reports). #}
{% test references_current(model, column_name, to, field, flag) %}
select m.{{ column_name }}
from {{ model }} as m
left join {{ to }} as t on t.{{ field }} = m.{{ column_name }} and t.{{ flag }}
where m.{{ column_name }} is not null and t.{{ field }} is null
{% endtest %}

{# Files in = reports + rejects + duplicates: every content hash seen (`sources`) ended as a report
   or a reject (the model: one row per rejected content), and every report and reject was seen. #}
{% test every_source_accounted(model, sources, reports) %}
select s.source_sha256, 'seen but neither a report nor a reject' as problem
from (select distinct source_sha256 from {{ sources }}) as s
where s.source_sha256 not in (select source_sha256 from {{ reports }})
  and s.source_sha256 not in (select source_sha256 from {{ model }})
union all
select x.source_sha256, 'report or reject never seen' as problem
from (select source_sha256 from {{ reports }} union select source_sha256 from {{ model }}) as x
where x.source_sha256 not in (select source_sha256 from {{ sources }})
{% endtest %}
