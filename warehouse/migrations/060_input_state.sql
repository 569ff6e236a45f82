-- No-op runs: a run records the input state it built from (flows/state.py), and each mart the
-- state it was last built from, so a run with nothing new rebuilds nothing (status 'unchanged')
-- and a run with one changed source rebuilds only the marts that read it.
ALTER TABLE meta.runs ADD COLUMN input_state VARCHAR;
COMMENT ON COLUMN meta.runs.input_state IS 'SHA-256 of what the run built from: each source''s document, review decisions and catalog entry, and the code of the marts, report and publish (flows/state.py); NULL for backfill runs';
COMMENT ON COLUMN meta.runs.status IS 'running | completed | partial (some sources failed) | failed | unchanged (nothing new since the published bundle: marts, report and publish skipped)';

CREATE TABLE meta.mart_builds (
    mart          VARCHAR PRIMARY KEY,
    input_state   VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    built_at      TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE meta.mart_builds IS 'The input state each mart was last built from (its code and the sources of the kinds it reads): a mart whose state is unchanged is not rebuilt';
