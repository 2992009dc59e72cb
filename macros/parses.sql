{#
  A file parsed again (a newer parser version, a retried reader_error, `--reparse`) leaves its older
  rows in the lake; staging keeps the newest parse only. The rows of a report's cells, sections,
  findings and statements carry the batch of their parse (lake column batch_id); a row without one
  comes from a lake written before that column existed, when every file was parsed once.
#}

{# The newest report row of each file, unless a later parse of the same bytes was quarantined. #}
{% macro newest_reports() -%}
  (
    select *, count(*) over (partition by report_id) as n_parses
    from {{ lake_table('reports') }} as rep
    where not exists (
        select 1 from {{ lake_table('rejects', partitioned=false) }} as j
        where j.source_sha256 = rep.source_sha256 and j.rejected_at > rep.ingested_at
    )
    qualify row_number() over (partition by report_id order by ingested_at desc, batch_id desc) = 1
  )
{%- endmacro %}

{# In the from clause of a staging model over a per-report lake table: only rows of the newest parse. #}
{% macro newest_parse_rows(table) -%}
  {{ lake_table(table) }} as t
  semi join {{ newest_reports() }} as p
    on p.report_id = t.report_id and (t.batch_id = p.batch_id or (t.batch_id is null and p.n_parses = 1))
{%- endmacro %}
