-- Province and prefecture rollups of agency_year per year, by agency level and kind.
-- Rates are pooled (sum of numerators over sum of denominators). Agencies without a resolved
-- province (central agencies, unresolved names) are only in national_year; the prefecture rollup
-- leaves out agencies with no prefecture (provincial agencies, districts of the four municipalities,
-- county-level divisions directly under a province).
with rolled as (
    select
        report_year,
        case when grouping(prefecture_code) = 1 then 'province' else 'prefecture' end as rollup,
        province_code,
        any_value(province_name) as province_name,
        prefecture_code,
        any_value(prefecture_name) as prefecture_name,
        level,
        kind,
        {{ rollup_measures() }}
    from {{ ref('agency_year') }}
    where province_code is not null
    group by grouping sets (
        (report_year, province_code, level, kind),
        (report_year, province_code, prefecture_code, level, kind)
    )
)

select
    report_year,
    rollup,
    case when rollup = 'province' then province_code else prefecture_code end as region_code,
    case when rollup = 'province' then province_name else prefecture_name end as region_name,
    * exclude (report_year, rollup)
from rolled
where rollup = 'province' or prefecture_code is not null
