-- Every path each file content was seen at, one row per content hash.
select
    source_sha256,
    count(distinct source_path) as n_paths,
    string_agg(distinct source_path, ' | ' order by source_path) as source_paths
from {{ ref('stg_sources') }}
group by source_sha256
