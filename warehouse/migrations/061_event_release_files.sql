-- Which file each event release was loaded from, and whether the current versions it left are exactly
-- that file's lines: the next release, stored as a line delta against that file (flows/line_delta.py),
-- is then loaded from its changed lines alone (warehouse/events.py).
CREATE TABLE meta.event_release_files (
    source_id  VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,
    sha256     VARCHAR NOT NULL,
    lines      BIGINT NOT NULL,
    clean      BOOLEAN NOT NULL,
    loaded_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_id, run_id)
);
COMMENT ON TABLE meta.event_release_files IS 'One row per event release loaded: the release file (raw store SHA-256), its line count and whether every line became a current version';
COMMENT ON COLUMN meta.event_release_files.source_id IS 'The event source (catalog id), e.g. ucdp_ged';
COMMENT ON COLUMN meta.event_release_files.run_id IS 'The run that loaded the release';
COMMENT ON COLUMN meta.event_release_files.sha256 IS 'SHA-256 of the release file read (the CSV, also when it came in a zip): raw/<sha[:2]>/<sha>';
COMMENT ON COLUMN meta.event_release_files.lines IS 'Data lines of the release file (without the header row)';
COMMENT ON COLUMN meta.event_release_files.clean IS 'True when no row failed a check and every record is one line: the current versions are then exactly the file''s lines, and a line delta of the next release against this file can be loaded from its changed lines alone';
COMMENT ON COLUMN meta.event_release_files.loaded_at IS 'Version time of the run that loaded it';
