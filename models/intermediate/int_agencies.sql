-- Agency identities: one id per agency, however its name is printed (see int_agency_names).
select agency_name, agency_key, agency_id
from {{ ref('int_agency_names') }}
