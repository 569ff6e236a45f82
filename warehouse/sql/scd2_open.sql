-- SCD2 step 2: open a version for every incoming row that has no identical current version
-- (new keys and revised rows), recorded from the run's time.
INSERT INTO {table} (key_hash, row_hash, {columns}, recorded_from, recorded_to, opened_by_run, closed_by_run)
SELECT i.key_hash, i.row_hash, {incoming_columns}, $recorded_from, NULL, $run_id, NULL
FROM snapshot_incoming AS i
WHERE NOT EXISTS (
    SELECT 1 FROM {table} AS h
    WHERE h.recorded_to IS NULL AND h.key_hash = i.key_hash AND h.row_hash = i.row_hash
);
