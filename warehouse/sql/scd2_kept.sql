-- Current versions, within the snapshot's scope, that the snapshot lacks but that stay current
-- because their row was quarantined (snapshot_kept: the quarantined rows' keys, kept_row = the
-- row's label): how many, and which quarantined rows kept one.
SELECT count(DISTINCT h.key_hash), coalesce(list(DISTINCT k.kept_row), [])
FROM {table} AS h
JOIN snapshot_kept AS k ON {kept_match}
WHERE h.recorded_to IS NULL
  AND EXISTS (SELECT 1 FROM snapshot_incoming AS s WHERE {scope_match})
  AND NOT EXISTS (SELECT 1 FROM snapshot_incoming AS i WHERE i.key_hash = h.key_hash);
