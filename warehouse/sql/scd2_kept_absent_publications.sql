-- Current figures of publications the loaded sources no longer carry that stay current because
-- their rows were quarantined (see scd2_close_absent_publications.sql): how many, and which
-- quarantined rows (kept_row) kept one.
SELECT count(DISTINCT h.key_hash), coalesce(list(DISTINCT k.kept_row), [])
FROM history.figures AS h
JOIN snapshot_kept AS k ON {kept_match}
WHERE h.recorded_to IS NULL
  AND h.source_id IN (SELECT source_id FROM loaded_publications)
  AND NOT EXISTS (SELECT 1 FROM loaded_publications AS l
                  WHERE l.source_id = h.source_id AND l.publication_id = h.publication_id);
