-- Every path each file content was seen at, with what became of it.
select source_sha256, source_path, outcome, seen_at, batch_id
from {{ lake_table('sources', partitioned=false) }}
