-- Figures stated in the narrative rather than a table (the information-processing fee of part 六).
select report_id, cast(report_year as integer) as report_year, kind, amount_yuan, cases, stated
from {{ lake_table('statements') }}
