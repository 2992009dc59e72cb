-- Fees in yuan: administrative fees from table 二 (printed in 万元) and the
-- information-processing fee stated in part 六.
select
    report_id,
    agency_id,
    report_year,
    'admin_fees' as fee_type,
    round(case when unit = '元' then value else value * 10000 end, 2) as amount_yuan,
    cast(null as bigint) as cases,
    is_blank,
    raw_text,
    source_sha256,
    is_synthetic
from {{ ref('int_cells_current') }}
where table_id = 't2' and row_key = 'admin_fees' and col_key = 'amount_10k_yuan'
union all
select
    s.report_id,
    r.agency_id,
    r.report_year,
    'info_processing_fee' as fee_type,
    s.amount_yuan,
    s.cases,
    s.amount_yuan is null as is_blank,
    s.stated as raw_text,
    r.source_sha256,
    r.is_synthetic
from {{ ref('stg_statements') }} as s
join {{ ref('int_reports_versioned') }} as r using (report_id)
where r.is_current and s.kind = 'info_processing_fee'
