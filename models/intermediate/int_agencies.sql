-- Agency identities: one id per normalised agency name (whitespace and full-width forms folded).
with names as (
    select distinct agency_name,
        coalesce(nullif(regexp_replace(nfc_normalize(agency_name), '\s+', '', 'g'), ''), '(unknown)') as agency_key
    from {{ ref('stg_reports') }}
)
select
    agency_name,
    agency_key,
    'ag_' || substr(md5(agency_key), 1, 12) as agency_id
from names
