-- Figures stated in the narrative rather than a table (the information-processing fee of part 六). Newest parse of each file only.
select report_id, cast(report_year as integer) as report_year, kind, amount_yuan, cases, stated
from {{ newest_parse_rows('statements') }}
