-- One row per quarantined file content: its latest reason, every path it was seen at, and whether a
-- later parser version has since read it (is_resolved).
with attempts as (
    select
        *,
        row_number() over (partition by source_sha256 order by rejected_at desc, batch_id desc) as rn,
        count(*) over (partition by source_sha256) as attempts
    from {{ ref('stg_rejects') }}
),

paths as (
    select * from {{ ref('int_source_paths') }}
)

select
    a.source_sha256,
    a.source_path,
    a.reason_code,
    a.message,
    a.quarantined_path,
    a.parser_version,
    a.rejected_at,
    a.attempts,
    coalesce(p.n_paths, 1) as n_paths,
    coalesce(p.source_paths, a.source_path) as source_paths,
    exists (select 1 from {{ ref('stg_reports') }} as r where r.source_sha256 = a.source_sha256) as is_resolved
from attempts as a
left join paths as p using (source_sha256)
where a.rn = 1
