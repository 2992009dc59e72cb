-- Text of parts 五 (problems and improvements) and 六 (other matters), for search. Newest parse of each file only.
select report_id, cast(report_year as integer) as report_year, section, text
from {{ newest_parse_rows('sections') }}
