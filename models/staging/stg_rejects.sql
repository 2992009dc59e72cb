-- Files that could not be read, kept in <home>/quarantine with the reason.
select source_sha256, source_path, reason_code, message, quarantined_path, rejected_at, batch_id, parser_version
from {{ lake_table('rejects', partitioned=false) }}
