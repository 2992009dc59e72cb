{# Measures of the analytics marts. #}

{# numerator / denominator as a double; null when either is null or the denominator is 0. #}
{% macro safe_ratio(numerator, denominator) -%}
    case when {{ denominator }} is null or {{ denominator }} = 0 then null
         else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{# Sum of `value` over the printed (non-blank) cells matching `condition`; null when there are none,
   so a measure whose cells are all blank is unknown, not 0. #}
{% macro printed_sum(value, condition) -%}
    sum({{ value }}) filter (where not is_blank and ({{ condition }}))
{%- endmacro %}

{# a + b + …, null only when every term is null. #}
{% macro sum_known(terms) -%}
    case when {% for t in terms %}{{ t }} is null{% if not loop.last %} and {% endif %}{% endfor %} then null
         else {% for t in terms %}coalesce({{ t }}, 0){% if not loop.last %} + {% endif %}{% endfor %} end
{%- endmacro %}

{# Sums of the agency_year measures and the rates recomputed from them (ratio of sums), for rollups. #}
{% macro rollup_measures() -%}
    count(*) as reports,
    count(distinct agency_id) as agencies,
    count(*) filter (where is_synthetic) as synthetic_reports,
    {%- for m in ['received', 'carried_over', 'handled', 'granted', 'partially_granted', 'denied', 'unable',
                  'not_processed', 'other', 'carried_forward', 'reconsiderations', 'reconsiderations_corrected',
                  'reconsiderations_concluded', 'lawsuits', 'lawsuits_corrected', 'lawsuits_concluded',
                  'admin_fees_yuan', 'info_fee_yuan', 'info_fee_cases', 'documents_issued', 'documents_in_force',
                  'findings', 'error_findings'] %}
    sum({{ m }}) as {{ m }},
    {%- endfor %}
    sum(disclosed) as disclosed,
    {{ pooled_rate('disclosed', 'handled') }} as disclosure_rate,
    {{ pooled_rate('denied', 'handled') }} as denial_rate,
    {{ pooled_rate('unable', 'handled') }} as unable_rate,
    {{ pooled_rate('reconsiderations_corrected', 'reconsiderations_concluded') }} as reconsideration_correction_rate,
    {{ pooled_rate('lawsuits_corrected', 'lawsuits_concluded') }} as lawsuit_correction_rate
{%- endmacro %}

{# Rate over a group of agency-years: sum(numerator) / sum(denominator), over the rows where both are known. #}
{% macro pooled_rate(numerator, denominator) -%}
    {{ safe_ratio('sum(' ~ numerator ~ ') filter (where ' ~ numerator ~ ' is not null and ' ~ denominator ~ ' is not null)',
                  'sum(' ~ denominator ~ ') filter (where ' ~ numerator ~ ' is not null and ' ~ denominator ~ ' is not null)') }}
{%- endmacro %}

{# Rates lie between 0 and 1 (nulls pass). A warning, not an error: a report that breaks its own
   arithmetic can give a rate above 1. #}
{% test range_0_1(model, column_name) %}
{{ config(severity='warn') }}
select {{ column_name }} from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
