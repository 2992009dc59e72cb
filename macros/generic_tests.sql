{#
  Generic tests of the project (no dbt packages can be installed here).
  Each returns the failing groups; zero rows is a pass.
#}

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
