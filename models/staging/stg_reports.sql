-- One row per parsed source document, as written by `xxgk ingest`: the newest parse of each file
-- (macros/parses.sql).
select
    report_id,
    cast(report_year as integer) as report_year,
    source_sha256,
    source_path,
    source_format,
    source_bytes,
    encoding,
    nullif(trim(agency_name), '') as agency_name,
    agency_source,
    year_source,
    title,
    template_version,
    t2_layout,
    t3_layout,
    t4_layout,
    published_on,
    published_source,
    parser_version,
    status as parse_status,
    is_synthetic,
    n_cells,
    rules_passed,
    rules_failed,
    ingested_at,
    batch_id
from {{ newest_reports() }}
