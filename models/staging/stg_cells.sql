-- One row per table cell of every report, with the printed text and its source position. Newest parse of each file only.
select
    report_id,
    cast(report_year as integer) as report_year,
    table_id,
    layout,
    row_key,
    col_key,
    value,
    is_blank,
    raw_text,
    unit,
    note,
    src_table_index,
    src_row,
    src_col,
    src_page,
    match_method,
    ocr_confidence
from {{ newest_parse_rows('cells') }}
