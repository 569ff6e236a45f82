-- Run bookkeeping: runs, fetches, quarantine, validation ledger.
CREATE TABLE meta.runs (
    run_id        VARCHAR PRIMARY KEY,
    flow_run_id   VARCHAR,
    deployment    VARCHAR,
    trigger       VARCHAR,
    parameters    JSON,
    mode          VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,
    sources       JSON,
    changed       BOOLEAN,
    message       VARCHAR
);
COMMENT ON TABLE meta.runs IS 'One row per pipeline run: Prefect lineage, parameters, status and per-source counts';
COMMENT ON COLUMN meta.runs.run_id IS 'Warehouse run id (UTC timestamp + random suffix); opens/closes versions in history.*';
COMMENT ON COLUMN meta.runs.flow_run_id IS 'Prefect flow-run id when the run went through Prefect';
COMMENT ON COLUMN meta.runs.deployment IS 'Prefect deployment name, if any';
COMMENT ON COLUMN meta.runs.trigger IS 'schedule | manual | cli | backfill | test';
COMMENT ON COLUMN meta.runs.parameters IS 'Run parameters as JSON (sources, mode, url overrides, force, publish)';
COMMENT ON COLUMN meta.runs.mode IS 'mirror (embedded copies) or live (publishers'' URLs)';
COMMENT ON COLUMN meta.runs.status IS 'running | completed | partial (some sources failed) | failed';
COMMENT ON COLUMN meta.runs.sources IS 'Per source: fetch status, rows extracted / loaded / quarantined, versions opened / closed, error';
COMMENT ON COLUMN meta.runs.changed IS 'Whether the run opened or closed any version';

CREATE TABLE meta.fetches (
    run_id        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    mode          VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    http_status   INTEGER,
    bytes         BIGINT,
    sha256        VARCHAR,
    etag          VARCHAR,
    last_modified VARCHAR,
    changed       BOOLEAN,
    fetched_at    TIMESTAMPTZ NOT NULL,
    error         VARCHAR,
    attempts      INTEGER,
    outcome       VARCHAR
);
COMMENT ON TABLE meta.fetches IS 'Every fetch of every source document, with its SHA-256 (the body is in data/raw/<sha[:2]>/<sha>)';
COMMENT ON COLUMN meta.fetches.status IS 'fetched (new content) | unchanged (same SHA-256 or HTTP 304) | failed';
COMMENT ON COLUMN meta.fetches.changed IS 'True when the body differs from the last successfully loaded one';
COMMENT ON COLUMN meta.fetches.outcome IS 'loaded | unchanged | failed_fetch | failed_extract: what the run did with the document';

CREATE TABLE meta.quarantine (
    run_id         VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,
    stage          VARCHAR NOT NULL,
    source_row     INTEGER,
    row_json       JSON NOT NULL,
    column_name    VARCHAR,
    check_name     VARCHAR NOT NULL,
    reason         VARCHAR NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE meta.quarantine IS 'Rows that failed a check: kept with the check and reason, never silently dropped';
COMMENT ON COLUMN meta.quarantine.stage IS 'raw (document structure), harmonise (country names), canonical (figure meaning), key (duplicates)';
COMMENT ON COLUMN meta.quarantine.source_row IS 'Line number of the row in the source document, where known';
COMMENT ON COLUMN meta.quarantine.row_json IS 'The row as read, as JSON';

CREATE TABLE meta.validation (
    run_id        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,
    rows_checked  INTEGER NOT NULL,
    rows_failed   INTEGER NOT NULL,
    checked_at    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE meta.validation IS 'Validation ledger: each pandera model run on each source document';
