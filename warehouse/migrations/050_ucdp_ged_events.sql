-- Event datasets (issue 12): UCDP GED releases kept as SCD2 history by event id.
-- Three clocks: date_start/date_end (what the event describes), published_on / superseded_on (the
-- publication dates of the release that brought this version and of the one that revised or withdrew
-- it), recorded_from / recorded_to (when this warehouse held the version; UTC).
CREATE TABLE history.ucdp_ged_events (
    source_id            VARCHAR NOT NULL,
    id                   BIGINT NOT NULL,
    relid                VARCHAR,
    year                 INTEGER,
    active_year          INTEGER,
    code_status          VARCHAR,
    type_of_violence     INTEGER,
    conflict_dset_id     BIGINT,
    conflict_new_id      BIGINT,
    conflict_name        VARCHAR,
    dyad_dset_id         BIGINT,
    dyad_new_id          BIGINT,
    dyad_name            VARCHAR,
    side_a_dset_id       BIGINT,
    side_a_new_id        BIGINT,
    side_a               VARCHAR,
    side_b_dset_id       BIGINT,
    side_b_new_id        BIGINT,
    side_b               VARCHAR,
    number_of_sources    INTEGER,
    source_article       VARCHAR,
    source_office        VARCHAR,
    source_date          VARCHAR,
    source_headline      VARCHAR,
    source_original      VARCHAR,
    where_prec           INTEGER,
    where_coordinates    VARCHAR,
    where_description    VARCHAR,
    adm_1                VARCHAR,
    adm_2                VARCHAR,
    latitude             DOUBLE,
    longitude            DOUBLE,
    geom_wkt             VARCHAR,
    priogrid_gid         BIGINT,
    country              VARCHAR,
    country_id           INTEGER,
    region               VARCHAR,
    event_clarity        INTEGER,
    date_prec            INTEGER,
    date_start           DATE,
    date_end             DATE,
    deaths_a             INTEGER,
    deaths_b             INTEGER,
    deaths_civilians     INTEGER,
    deaths_unknown       INTEGER,
    best                 INTEGER,
    high                 INTEGER,
    low                  INTEGER,
    gwnoa                VARCHAR,
    gwnob                VARCHAR,
    line_hash            UBIGINT,
    row_hash             UBIGINT NOT NULL,
    published_on         DATE NOT NULL,
    superseded_on        DATE,
    recorded_from        TIMESTAMPTZ NOT NULL,
    recorded_to          TIMESTAMPTZ,
    opened_by_run        VARCHAR NOT NULL,
    closed_by_run        VARCHAR,
    closed_reason        VARCHAR
);
COMMENT ON TABLE history.ucdp_ged_events IS 'Every version of every UCDP GED event (SCD2 by source_id + id); a release that revises 1 % of events opens and closes only those';
COMMENT ON COLUMN history.ucdp_ged_events.id IS 'GED event id (the key within a source)';
COMMENT ON COLUMN history.ucdp_ged_events.line_hash IS 'DuckDB hash() of the event''s CSV line as published; an identical line in the next release is not parsed again (NULL: not known, the next release parses the row)';
COMMENT ON COLUMN history.ucdp_ged_events.row_hash IS 'DuckDB hash() of the typed values of the 49 GED columns: a new version opens only when it differs';
COMMENT ON COLUMN history.ucdp_ged_events.published_on IS 'Publication time: the publication date of the release that brought this version';
COMMENT ON COLUMN history.ucdp_ged_events.superseded_on IS 'Publication date of the release that revised or withdrew this version; NULL = still in the latest release';
COMMENT ON COLUMN history.ucdp_ged_events.recorded_from IS 'Recording time: when the warehouse loaded this version (UTC)';
COMMENT ON COLUMN history.ucdp_ged_events.recorded_to IS 'Recording time: when the warehouse closed this version; NULL = current';
COMMENT ON COLUMN history.ucdp_ged_events.closed_reason IS 'revised (the next release changed the event) or removed_from_source (the next release no longer has it)';

CREATE VIEW core.ucdp_ged_events AS
SELECT * EXCLUDE (line_hash, row_hash, recorded_to, closed_by_run, closed_reason, superseded_on)
FROM history.ucdp_ged_events WHERE recorded_to IS NULL;
COMMENT ON VIEW core.ucdp_ged_events IS 'The events of the latest loaded GED release (one row per source and event id)';

-- GED names countries its own way ("Yemen (North Yemen)", "DR Congo (Zaire)"): each name is mapped once to
-- ISO 3166-1 alpha-3 by the project's country resolver when a release first uses it.
CREATE TABLE ref.event_countries (
    source_id     VARCHAR NOT NULL,
    country_id    INTEGER NOT NULL,
    country       VARCHAR NOT NULL,
    country_iso3  VARCHAR,
    PRIMARY KEY (source_id, country_id, country)
);
COMMENT ON TABLE ref.event_countries IS 'Country names of event datasets mapped to ISO3 (NULL: the resolver did not know the name)';

ALTER TABLE meta.validation ADD COLUMN failures_by_check JSON;
ALTER TABLE meta.validation ADD COLUMN quarantine_kept INTEGER;
COMMENT ON COLUMN meta.validation.failures_by_check IS 'Event datasets: every failing row counted per check (meta.quarantine keeps at most a capped number per check)';
COMMENT ON COLUMN meta.validation.quarantine_kept IS 'Event datasets: rows written to meta.quarantine for this model (capped per check)';
