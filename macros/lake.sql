{# Read one lake table: hive-partitioned Parquet, every batch file, schemas unioned by name. #}
{% macro lake_table(name, partitioned=true) -%}
  {%- if partitioned -%}
    read_parquet('{{ var("lake") }}/{{ name }}/*/*.parquet', hive_partitioning = true, union_by_name = true)
  {%- else -%}
    read_parquet('{{ var("lake") }}/{{ name }}/*.parquet', union_by_name = true)
  {%- endif -%}
{%- endmacro %}
