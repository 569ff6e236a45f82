-- A first release: the rows that failed a check (or carry no event id) were inserted with the others;
-- delete them before the transaction commits. They are in meta.quarantine.
DELETE FROM history.ucdp_ged_events
WHERE source_id = $source_id AND opened_by_run = $run_id
  AND (id IS NULL OR id IN (SELECT id FROM events_rejected WHERE id IS NOT NULL));
