-- Live runs also archive the documents figures were read in (outcome 'archived' / 'archive_failed').
COMMENT ON COLUMN meta.fetches.outcome IS 'loaded | unchanged | failed_fetch | failed_extract for a source''s document; archived | archive_failed for a document a figure was read in (live mode), kept so the figure traces to its exact bytes';
