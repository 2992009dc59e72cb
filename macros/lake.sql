{#
  Read one lake table: hive-partitioned Parquet, schemas unioned by name, only files of committed
  batches (a file's batch id is its name; ingest/lake.py writes <home>/lake/_batches/<batch>.json last).
  Paths are relative to the home: every connection sets file_search_path to it (warehouse/home.py),
  so the warehouse names no absolute path and a moved or copied home reads its own lake.
#}
{% macro lake_table(name, partitioned=true) -%}
  (select * exclude (filename)
   from read_parquet('lake/{{ name }}/{{ "*/" if partitioned else "" }}*.parquet',
                     hive_partitioning = {{ "true" if partitioned else "false" }}, union_by_name = true, filename = true)
   where parse_filename(filename, true) in (select parse_filename(file, true) from glob('lake/_batches/*.json')))
{%- endmacro %}
