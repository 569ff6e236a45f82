-- What a release changes, one row per event id that needs anything:
--   new        staged, valid, no current version
--   revised    staged, valid, current version with other values
--   relined    staged, valid, same values written differently (only the current line_hash is updated)
--   withdrawn  current version whose line is gone and whose id is not in the release at all
--              (added by withdrawn.sql, or withdrawn_delta.sql for a release stored as a line delta)
-- A staged row that failed a check (events_rejected) changes nothing: its current version stays.
CREATE OR REPLACE TEMP TABLE events_changes AS
WITH current_versions AS (
    SELECT id, row_hash, line_hash FROM history.ucdp_ged_events
    WHERE source_id = $source_id AND recorded_to IS NULL
), valid AS (
    SELECT s.id, s.row_hash, s.line_hash FROM events_staged AS s
    WHERE s.id IS NOT NULL AND s.id NOT IN (SELECT id FROM events_rejected WHERE id IS NOT NULL)
)
SELECT v.id,
       CASE WHEN c.id IS NULL THEN 'new'
            WHEN c.row_hash <> v.row_hash THEN 'revised'
            ELSE 'relined' END AS change,
       v.line_hash
FROM valid AS v LEFT JOIN current_versions AS c USING (id)
WHERE c.id IS NULL OR c.row_hash <> v.row_hash OR c.line_hash IS DISTINCT FROM v.line_hash;
