-- Withdrawn events of a release stored as a line delta against the release last loaded (whose lines are
-- exactly the current versions): a current version whose line the release dropped (events_removed_lines)
-- and whose id is not among the rows staged (its changed and new lines).
INSERT INTO events_changes
SELECT c.id, 'withdrawn' AS change, NULL AS line_hash
FROM history.ucdp_ged_events AS c
WHERE c.source_id = $source_id AND c.recorded_to IS NULL
  AND c.line_hash IN (SELECT line_hash FROM events_removed_lines)
  AND c.id NOT IN (SELECT id FROM events_staged WHERE id IS NOT NULL);
