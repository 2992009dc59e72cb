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
    count(*) filter (where len(derived_from_parts) > 0) as reports_with_derived_totals,
    {%- for m in ['received', 'carried_over', 'handled', 'granted', 'partially_granted', 'denied', 'unable',
                  'not_processed', 'other', 'carried_forward', 'reconsiderations', 'reconsiderations_corrected',
                  'reconsiderations_concluded', 'lawsuits', 'lawsuits_corrected', 'lawsuits_concluded',
                  'admin_fees_yuan', 'info_fee_yuan', 'info_fee_cases', 'documents_issued', 'documents_in_force',
                  'findings', 'error_findings'] %}
    {%- if m.endswith('_yuan') %}
    sum({{ m }}) as {{ m }},
    {%- else %}
    cast(sum({{ m }}) as bigint) as {{ m }},
    {%- endif %}
    {%- endfor %}
    cast(sum(disclosed) as bigint) as disclosed,
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

{# One row per report and table row: the row's total as printed, or, where the printed total is blank
   (or absent) and every part of it is printed, the sum of the parts, with is_derived = true.
   `col` holds the harmonised column key; the parts are the table's columns other than 'total' in the
   seed key_harmonisation, so a row counts as complete only when each of them is printed. #}
{% macro total_from_parts(relation, value, row_key, col, keep, table_id) -%}
    select
        report_id,
        {%- for k in keep %}
        {{ k }},
        {%- endfor %}
        coalesce(printed_total, case when n_printed = n_parts then parts_sum end) as total_value,
        printed_total is null and n_printed = n_parts as is_derived
    from (
        select
            report_id,
            {%- for k in keep %}
            any_value({{ k }}) as {{ k }},
            {%- endfor %}
            max({{ value }}) filter (where {{ col }} = 'total' and not is_blank) as printed_total,
            count(distinct {{ col }}) filter (where {{ col }} <> 'total' and not is_blank) as n_printed,
            sum({{ value }}) filter (where {{ col }} <> 'total' and not is_blank) as parts_sum
        from {{ relation }}
        group by report_id, {{ row_key }}
    )
    cross join (
        select count(distinct harmonised_key) as n_parts
        from {{ ref('key_harmonisation') }}
        where table_id = '{{ table_id }}' and axis = 'column' and harmonised_key <> 'total'
    )
{%- endmacro %}

{# Sum of the row totals of total_from_parts matching `condition`, as BIGINT; null when none is known. #}
{% macro total_sum(condition) -%}
    cast(sum(total_value) filter (where total_value is not null and ({{ condition }})) as bigint)
{%- endmacro %}

{# The names (a VARCHAR[]) of the measures, given as {name: condition}, that use a derived row total. #}
{% macro derived_list(measures) -%}
    list_filter([
        {%- for name, condition in measures.items() %}
        case when bool_or(is_derived and ({{ condition }})) then '{{ name }}' end{% if not loop.last %},{% endif %}
        {%- endfor %}
    ], lambda x: x is not null)
{%- endmacro %}
