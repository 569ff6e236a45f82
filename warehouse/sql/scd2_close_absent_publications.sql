-- Close the current figures of publications that the loaded sources (loaded_publications: the
-- source_id, publication_id pairs of this load) no longer carry: 'removed_from_source'.
-- Another source's publications are never touched (a later edition's silence is not a withdrawal);
-- a figure whose row was quarantined (snapshot_kept) stays current.
UPDATE history.figures AS h
SET recorded_to = $recorded_at, closed_by_run = $run_id, closed_reason = 'removed_from_source'
WHERE h.recorded_to IS NULL
  AND h.source_id IN (SELECT source_id FROM loaded_publications)
  AND NOT EXISTS (SELECT 1 FROM loaded_publications AS l
                  WHERE l.source_id = h.source_id AND l.publication_id = h.publication_id)
  AND NOT EXISTS (SELECT 1 FROM snapshot_kept AS k WHERE {kept_match});
