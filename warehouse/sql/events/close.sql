-- Close the current versions of revised and withdrawn events (set-based: one UPDATE for the release).
UPDATE history.ucdp_ged_events AS h
SET recorded_to = $recorded_at, closed_by_run = $run_id, superseded_on = $published_on,
    closed_reason = CASE x.change WHEN 'revised' THEN 'revised' ELSE 'removed_from_source' END
FROM (SELECT id, change FROM events_changes WHERE change IN ('revised', 'withdrawn')) AS x
WHERE h.source_id = $source_id AND h.recorded_to IS NULL AND h.id = x.id;
