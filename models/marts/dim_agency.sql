-- One row per agency: identity, level, kind and region resolved from its name (int_agency_names),
-- with the years it has reports for. Reports without an agency name are agencies of their own,
-- flagged unresolved.
with reports as (
    select * from {{ ref('int_reports_versioned') }}
),

names as (
    select * from {{ ref('int_agency_names') }}
),

-- The attributes follow from the identity key, so any name of an agency gives them; prefer a
-- current name over an old one mapped by an alias, a name printed in full over one read through an
-- abbreviation or a lookalike character, and the longest (with its enclosing divisions).
resolved as (
    select * exclude (agency_name, normalised_name, alias_of, name_note)
    from names
    qualify row_number() over (
        partition by agency_id
        order by alias_of is not null, name_note is not null, length(canonical_name) desc, agency_name
    ) = 1
),

notes as (
    select agency_id, string_agg(distinct agency_name || ': ' || name_note, ' | ') as name_notes
    from names
    where name_note is not null
    group by agency_id
),

years as (
    select
        agency_id,
        any_value(agency_name order by report_year desc, report_version desc) as agency_name,
        string_agg(distinct agency_name, ' | ' order by agency_name) as names_seen,
        min(report_year) as first_year,
        max(report_year) as last_year,
        count(distinct report_year) as n_years,
        bool_and(is_synthetic) as is_synthetic
    from reports
    group by agency_id
),

renames as (
    select agency_id, string_agg(distinct agency_name, ' | ' order by agency_name) as renamed_from
    from names
    where alias_of is not null
    group by agency_id
)

select
    y.agency_id,
    y.agency_name,
    coalesce(r.canonical_name, y.agency_name) as canonical_name,
    coalesce(r.agency_key, 'unknown|' || y.agency_id) as agency_key,
    y.names_seen,
    n.renamed_from,
    nn.name_notes,
    r.level,
    r.kind,
    r.division_code,
    r.division_name,
    r.province_code,
    r.province_name,
    r.prefecture_code,
    r.prefecture_name,
    r.county_code,
    r.county_name,
    r.township_name,
    r.parent_agency_name,
    r.parent_agency_id,
    coalesce(r.unresolved, true) as unresolved,
    case when r.agency_id is null then 'no_name: the report names no agency' else r.unresolved_reason end
        as unresolved_reason,
    y.first_year,
    y.last_year,
    y.n_years,
    y.is_synthetic
from years as y
left join resolved as r on r.agency_id = y.agency_id
left join renames as n on n.agency_id = y.agency_id
left join notes as nn on nn.agency_id = y.agency_id
