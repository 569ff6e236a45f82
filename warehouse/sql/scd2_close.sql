-- SCD2 step 1: close the current versions, within the snapshot's scope, that the incoming
-- snapshot does not carry unchanged: revised keys ({revision_reason}: 'revised' or
-- 'rejected_in_review') and keys missing from the snapshot ('removed_from_source'), except a
-- missing key whose row was quarantined (snapshot_kept): it stays current.
-- {table}, {scope_match}, {kept_match}, {revision_reason} come from warehouse/snapshots.py; values are bound.
UPDATE {table} AS h
SET recorded_to = $recorded_from, closed_by_run = $run_id,
    closed_reason = coalesce((SELECT {revision_reason} FROM snapshot_incoming AS i WHERE i.key_hash = h.key_hash),
                             'removed_from_source')
WHERE h.recorded_to IS NULL
  AND EXISTS (SELECT 1 FROM snapshot_incoming AS s WHERE {scope_match})
  AND NOT EXISTS (
      SELECT 1 FROM snapshot_incoming AS i
      WHERE i.key_hash = h.key_hash AND i.row_hash = h.row_hash
  )
  AND (EXISTS (SELECT 1 FROM snapshot_incoming AS i WHERE i.key_hash = h.key_hash)
       OR NOT EXISTS (SELECT 1 FROM snapshot_kept AS k WHERE {kept_match}));
