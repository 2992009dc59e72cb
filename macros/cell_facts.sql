{#
  Shared pieces of the cell fact marts (fct_applications, fct_appeals, fct_disclosures).
#}

{# The provenance every fact row carries: the printed text and where it stands in the source. #}
{% macro cell_provenance() -%}
    is_blank,
    raw_text,
    source_sha256,
    src_page,
    src_table_index,
    src_row,
    src_col,
    match_method,
    is_synthetic
{%- endmacro %}

{# Current cells of one table, with the harmonisation of their row key (hr) and column key (hc). #}
{% macro harmonised_cells(table_id) -%}
from {{ ref('int_cells_current') }} as c
left join {{ ref('key_harmonisation') }} as hr
    on hr.table_id = '{{ table_id }}' and hr.axis = 'row' and hr.key = c.row_key and hr.template in (c.layout, 'both')
left join {{ ref('key_harmonisation') }} as hc
    on hc.table_id = '{{ table_id }}' and hc.axis = 'column' and hc.key = c.col_key and hc.template in (c.layout, 'both')
where c.table_id = '{{ table_id }}'
{{ only_new_reports() }}
{%- endmacro %}
