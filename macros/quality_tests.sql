{#
  Data-quality tests of the project (no dbt packages can be installed here).
  Each returns the failing rows; zero rows is a pass.
#}

{# Per agency and column: this year's carried-over value = last year's carried-forward value
   (二、上年结转 = last year's 四、结转下年度), for consecutive years present in the model. #}
{% test carryover_matches_prior_year(model, agency_column, year_column, key_column, column_key, value_column,
                                     carried_over_key, carried_forward_key) %}
select
    cur.{{ agency_column }}, cur.{{ year_column }}, cur.{{ column_key }},
    cur.{{ value_column }} as carried_over,
    prev.{{ value_column }} as prior_carried_forward
from {{ model }} as cur
join {{ model }} as prev
    on prev.{{ agency_column }} = cur.{{ agency_column }}
    and prev.{{ year_column }} = cur.{{ year_column }} - 1
    and prev.{{ column_key }} = cur.{{ column_key }}
    and prev.{{ key_column }} = '{{ carried_forward_key }}'
where cur.{{ key_column }} = '{{ carried_over_key }}'
  and cur.{{ value_column }} <> prev.{{ value_column }}
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
