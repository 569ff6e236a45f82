-- Close, as 'withdrawn', the current versions of sources that are no longer in the catalog
-- ($catalog: the ids of every source the catalog declares). One row per closed version.
UPDATE {table} AS h
SET recorded_to = $recorded_at, closed_by_run = $run_id, closed_reason = 'withdrawn'
WHERE h.recorded_to IS NULL AND NOT list_contains($catalog, h.source_id)
RETURNING h.source_id;
