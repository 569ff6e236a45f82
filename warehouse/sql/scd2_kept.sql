-- Current versions, within the snapshot's scope, that the snapshot lacks but that stay current
-- because their row was quarantined (snapshot_kept holds the quarantined rows' keys).
SELECT count(*)
FROM {table} AS h
WHERE h.recorded_to IS NULL
  AND EXISTS (SELECT 1 FROM snapshot_incoming AS s WHERE {scope_match})
  AND NOT EXISTS (SELECT 1 FROM snapshot_incoming AS i WHERE i.key_hash = h.key_hash)
  AND EXISTS (SELECT 1 FROM snapshot_kept AS k WHERE {kept_match});
