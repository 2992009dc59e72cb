-- One row per download attempt by `xxgk fetch` (provenance of the inbox files).
{{ config(materialized = 'view') }}
select
    url,
    final_url,
    status,
    fetched_at,
    sha256,
    bytes,
    error,
    split_part(error, ':', 1) as error_code,
    agency,
    year,
    format_hint,
    format,
    content_type,
    file,
    attempts,
    elapsed_s,
    batch_id
from {{ lake_table('fetches', partitioned=false) }}
