-- Withdrawn events: a current version whose line is not in the release (events_release_lines holds the
-- hash of every line) and whose id is not among the rows staged.
INSERT INTO events_changes
SELECT c.id, 'withdrawn' AS change, NULL AS line_hash
FROM history.ucdp_ged_events AS c
WHERE c.source_id = $source_id AND c.recorded_to IS NULL
  AND (c.line_hash IS NULL OR c.line_hash NOT IN (SELECT line_hash FROM events_release_lines))
  AND c.id NOT IN (SELECT id FROM events_staged WHERE id IS NOT NULL);
