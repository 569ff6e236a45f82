-- Failing rows to meta.quarantine: at most $cap rows per check (the ledger counts them all); an event id
-- that appears twice is kept once, its reason says how many times it appears. kept_current: the event's
-- current version stays current (a quarantined row never closes it); a version this run opened is not one.
INSERT INTO meta.quarantine (run_id, source_id, stage, source_row, row_json, column_name, check_name, reason, quarantined_at,
                             kept_current)
SELECT $run_id, $source_id, r.stage, NULL, to_json(s)::JSON, r.column_name, r.check_name, r.reason, $recorded_at,
       r.id IN (SELECT id FROM history.ucdp_ged_events WHERE source_id = $source_id AND recorded_to IS NULL
                AND opened_by_run <> $run_id)
FROM (SELECT *, row_number() OVER (PARTITION BY check_name ORDER BY id) AS n
      FROM (SELECT DISTINCT ON (id, check_name) * FROM events_rejected)) AS r
JOIN (SELECT * EXCLUDE (line_hash, row_hash, line_aligned), row_number() OVER (PARTITION BY id) AS copy
      FROM events_staged
      WHERE id IN (SELECT id FROM events_rejected)
         OR (id IS NULL AND EXISTS (SELECT 1 FROM events_rejected WHERE id IS NULL))) AS s ON s.id IS NOT DISTINCT FROM r.id AND s.copy = 1
WHERE r.n <= $cap;
