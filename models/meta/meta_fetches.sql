-- One row per download attempt by `xxgk fetch` (provenance of the inbox files). Secrets in URLs are
-- redacted when fetch records them, and again here for rows recorded before it did.
{{ config(materialized = 'view') }}
select
    {{ redact_urls('url') }} as url,
    {{ redact_urls('final_url') }} as final_url,
    status,
    fetched_at,
    sha256,
    bytes,
    {{ redact_urls('error') }} as error,
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
