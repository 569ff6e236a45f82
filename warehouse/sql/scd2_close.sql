-- SCD2 step 1: close the open versions, within the snapshot's scope, that the incoming
-- snapshot does not carry unchanged (revised, or missing from a dataset's newer vintage).
-- {table} and {scope_match} are identifiers from warehouse/snapshots.py; values are bound.
UPDATE {table} AS h
SET valid_to = $valid_from, closed_by_run = $run_id
WHERE h.valid_to IS NULL
  AND EXISTS (SELECT 1 FROM snapshot_incoming AS s WHERE {scope_match})
  AND NOT EXISTS (
      SELECT 1 FROM snapshot_incoming AS i
      WHERE i.key_hash = h.key_hash AND i.row_hash = h.row_hash
  );
