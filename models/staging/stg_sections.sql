-- Text of parts 五 (problems and improvements) and 六 (other matters), for search.
select report_id, cast(report_year as integer) as report_year, section, text
from {{ lake_table('sections') }}
