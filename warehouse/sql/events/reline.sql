-- Same values, written differently in the new release: keep the version, remember the new line's hash.
UPDATE history.ucdp_ged_events AS h
SET line_hash = x.line_hash
FROM (SELECT id, line_hash FROM events_changes WHERE change = 'relined') AS x
WHERE h.source_id = $source_id AND h.recorded_to IS NULL AND h.id = x.id;
