-- One row per run of `xxgk refresh`: the latest record of each run wins (a run
-- writes one when it starts and one when it ends). A view over the lake, so a
-- run shows here as soon as it is recorded, even one that built nothing or failed.
{{ config(materialized = 'view') }}
select
    run_id,
    status,
    started_at,
    finished_at,
    duration_s,
    files_new,
    files_changed,
    files_unchanged,
    files_quarantined,
    files_duplicate,
    reports_added,
    reports_revised,
    downloads_ok,
    downloads_not_modified,
    downloads_failed,
    build,
    exit_code,
    error,
    pid,
    host
from {{ lake_table('refresh_runs', partitioned=false) }}
qualify row_number() over (partition by run_id order by recorded_at desc) = 1
