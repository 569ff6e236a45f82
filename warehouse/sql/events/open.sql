-- Open a version for every new or revised event of the release.
INSERT INTO history.ucdp_ged_events BY NAME
SELECT s.* EXCLUDE (line_aligned),
       $source_id AS source_id, $published_on AS published_on, $recorded_at AS recorded_from,
       $run_id AS opened_by_run
FROM events_staged AS s
WHERE s.id IN (SELECT id FROM events_changes WHERE change IN ('new', 'revised'));
