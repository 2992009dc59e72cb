-- Single-report data-quality findings recorded at ingest. Newest parse of each file only.
select
    report_id, cast(report_year as integer) as report_year, rule_id, severity, table_id,
    row_key, col_key, expected, actual, message
from {{ newest_parse_rows('findings') }}
