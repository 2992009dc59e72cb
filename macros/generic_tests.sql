{#
  Generic tests of the project (no dbt packages can be installed here).
  Each returns the failing groups; zero rows is a pass.
#}

{# Per group: sum of value over keys in `lhs` = sum over keys in `rhs`.
   Used for 一 + 二 = （七）总计 + 四 per applicant column. #}
{% test identity_holds(model, group_by, key_column, value_column, lhs, rhs) %}
select
    {{ group_by | join(', ') }},
    sum(case when {{ key_column }} in ('{{ lhs | join("', '") }}') then {{ value_column }} else 0 end) as lhs_total,
    sum(case when {{ key_column }} in ('{{ rhs | join("', '") }}') then {{ value_column }} else 0 end) as rhs_total
from {{ model }}
group by {{ group_by | join(', ') }}
having count(distinct case when {{ key_column }} in ('{{ (lhs + rhs) | join("', '") }}') then {{ key_column }} end)
       = {{ (lhs + rhs) | length }}
   and lhs_total <> rhs_total
{% endtest %}

{# Per group: the value at `total_key` = the sum of the values at every other key in `part_keys`. #}
{% test sum_equals(model, group_by, key_column, value_column, total_key, part_keys) %}
select
    {{ group_by | join(', ') }},
    sum(case when {{ key_column }} = '{{ total_key }}' then {{ value_column }} else 0 end) as total,
    sum(case when {{ key_column }} in ('{{ part_keys | join("', '") }}') then {{ value_column }} else 0 end) as parts
from {{ model }}
group by {{ group_by | join(', ') }}
having count(case when {{ key_column }} = '{{ total_key }}' then 1 end) > 0
   and total <> parts
{% endtest %}

{# Exactly one row flagged current per combination of `partition_by`. #}
{% test one_current_per(model, partition_by, flag) %}
select {{ partition_by | join(', ') }}, count(*) filter (where {{ flag }}) as n_current
from {{ model }}
group by {{ partition_by | join(', ') }}
having count(*) filter (where {{ flag }}) <> 1
{% endtest %}

{# Combination of columns is unique. #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
