-- Every version of every GED event on the publication-time axis (what each release said), for marts:
-- marts start from core views, never from history tables directly.
CREATE VIEW core.ucdp_ged_event_versions AS
SELECT * EXCLUDE (line_hash, row_hash, recorded_from, recorded_to, opened_by_run, closed_by_run)
FROM history.ucdp_ged_events;
COMMENT ON VIEW core.ucdp_ged_event_versions IS 'Every version of every GED event with the publication dates it was current between (published_on, superseded_on)';
