-- Three clocks (README "Three clocks"):
--   valid time        reference_date            what date a figure describes
--   publication time  published_on              when the world could know it
--   recording time    recorded_from/recorded_to when this warehouse held a version (UTC, TIMESTAMPTZ)
-- The history tables are rebuilt so that recording time has its own names and every closed version
-- says why it was closed (closed_reason). valid_from/valid_to stay for one release as generated
-- aliases of recorded_from/recorded_to (deprecated: README "Deprecated names").
-- Versions closed before this migration get their reason from what followed them: a new version of
-- the same key opened by the closing run = 'revised' ('rejected_in_review' if that version is a
-- rejected claim), none = 'removed_from_source'.

CREATE TABLE history.figures_next (
    key_hash             VARCHAR NOT NULL,
    row_hash             VARCHAR NOT NULL,
    source_id            VARCHAR NOT NULL,
    publication_id       VARCHAR NOT NULL,
    document_url         VARCHAR NOT NULL,
    is_secondary         BOOLEAN NOT NULL,
    country_iso3         VARCHAR NOT NULL,
    area_kind            VARCHAR NOT NULL,
    country_as_published VARCHAR NOT NULL,
    metric               VARCHAR NOT NULL,
    variant              VARCHAR NOT NULL,
    value                DOUBLE,
    value_low            DOUBLE,
    value_high           DOUBLE,
    qualifier            VARCHAR NOT NULL,
    share                DOUBLE,
    share_of             VARCHAR,
    countries_count      INTEGER,
    reference_date       DATE NOT NULL,
    published_on         DATE NOT NULL,
    page                 VARCHAR,
    quote                VARCHAR,
    review_status        VARCHAR NOT NULL,
    flag                 VARCHAR,
    note                 VARCHAR,
    recorded_from        TIMESTAMPTZ NOT NULL,
    recorded_to          TIMESTAMPTZ,
    opened_by_run        VARCHAR NOT NULL,
    closed_by_run        VARCHAR,
    closed_reason        VARCHAR CHECK (closed_reason IN ('revised', 'withdrawn', 'removed_from_source', 'rejected_in_review')),
    valid_from           TIMESTAMPTZ GENERATED ALWAYS AS (recorded_from) VIRTUAL,
    valid_to             TIMESTAMPTZ GENERATED ALWAYS AS (recorded_to) VIRTUAL
);
INSERT INTO history.figures_next BY NAME
SELECT h.* EXCLUDE (valid_from, valid_to), h.valid_from AS recorded_from, h.valid_to AS recorded_to,
       CASE WHEN h.valid_to IS NULL THEN NULL
            WHEN EXISTS (SELECT 1 FROM history.figures AS n WHERE n.key_hash = h.key_hash
                         AND n.opened_by_run = h.closed_by_run AND n.review_status = 'rejected'
                         AND h.review_status <> 'rejected') THEN 'rejected_in_review'
            WHEN EXISTS (SELECT 1 FROM history.figures AS n WHERE n.key_hash = h.key_hash
                         AND n.opened_by_run = h.closed_by_run) THEN 'revised'
            ELSE 'removed_from_source' END AS closed_reason
FROM history.figures AS h;
DROP TABLE history.figures;
ALTER TABLE history.figures_next RENAME TO figures;

CREATE TABLE history.population_next (
    key_hash      VARCHAR NOT NULL,
    row_hash      VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    country_iso3  VARCHAR NOT NULL,
    country_name  VARCHAR,
    year          INTEGER NOT NULL,
    value         DOUBLE NOT NULL,
    recorded_from TIMESTAMPTZ NOT NULL,
    recorded_to   TIMESTAMPTZ,
    opened_by_run VARCHAR NOT NULL,
    closed_by_run VARCHAR,
    closed_reason VARCHAR CHECK (closed_reason IN ('revised', 'withdrawn', 'removed_from_source', 'rejected_in_review')),
    valid_from    TIMESTAMPTZ GENERATED ALWAYS AS (recorded_from) VIRTUAL,
    valid_to      TIMESTAMPTZ GENERATED ALWAYS AS (recorded_to) VIRTUAL
);
INSERT INTO history.population_next BY NAME
SELECT h.* EXCLUDE (valid_from, valid_to), h.valid_from AS recorded_from, h.valid_to AS recorded_to,
       CASE WHEN h.valid_to IS NULL THEN NULL
            WHEN EXISTS (SELECT 1 FROM history.population AS n WHERE n.key_hash = h.key_hash
                         AND n.opened_by_run = h.closed_by_run) THEN 'revised'
            ELSE 'removed_from_source' END AS closed_reason
FROM history.population AS h;
DROP TABLE history.population;
ALTER TABLE history.population_next RENAME TO population;

CREATE TABLE history.countries_next (
    key_hash                 VARCHAR NOT NULL,
    row_hash                 VARCHAR NOT NULL,
    source_id                VARCHAR NOT NULL,
    country_iso3             VARCHAR NOT NULL,
    iso2                     VARCHAR,
    iso_numeric              VARCHAR,
    country_name             VARCHAR NOT NULL,
    short_name               VARCHAR,
    region_code              VARCHAR,
    region_name              VARCHAR,
    sub_region_code          VARCHAR,
    sub_region_name          VARCHAR,
    intermediate_region_code VARCHAR,
    intermediate_region_name VARCHAR,
    is_independent           VARCHAR,
    recorded_from            TIMESTAMPTZ NOT NULL,
    recorded_to              TIMESTAMPTZ,
    opened_by_run            VARCHAR NOT NULL,
    closed_by_run            VARCHAR,
    closed_reason            VARCHAR CHECK (closed_reason IN ('revised', 'withdrawn', 'removed_from_source', 'rejected_in_review')),
    valid_from               TIMESTAMPTZ GENERATED ALWAYS AS (recorded_from) VIRTUAL,
    valid_to                 TIMESTAMPTZ GENERATED ALWAYS AS (recorded_to) VIRTUAL
);
INSERT INTO history.countries_next BY NAME
SELECT h.* EXCLUDE (valid_from, valid_to), h.valid_from AS recorded_from, h.valid_to AS recorded_to,
       CASE WHEN h.valid_to IS NULL THEN NULL
            WHEN EXISTS (SELECT 1 FROM history.countries AS n WHERE n.key_hash = h.key_hash
                         AND n.opened_by_run = h.closed_by_run) THEN 'revised'
            ELSE 'removed_from_source' END AS closed_reason
FROM history.countries AS h;
DROP TABLE history.countries;
ALTER TABLE history.countries_next RENAME TO countries;

COMMENT ON TABLE history.figures IS 'Every version of every figure (SCD2). Key: source_id, publication_id, country_iso3, metric, reference_date, variant';
COMMENT ON TABLE history.population IS 'Every version of every population value (SCD2). Key: country_iso3, year';
COMMENT ON TABLE history.countries IS 'Every version of every country reference row (SCD2). Key: country_iso3';
COMMENT ON COLUMN history.figures.reference_date IS 'Valid time: the date the figure describes';
COMMENT ON COLUMN history.figures.published_on IS 'Publication time: when the world could know the figure (the document''s publication date)';
COMMENT ON COLUMN history.figures.recorded_from IS 'Recording time (UTC): when the warehouse started holding this version: the loading run''s time';
COMMENT ON COLUMN history.figures.recorded_to IS 'Recording time (UTC): when the warehouse stopped holding this version; NULL = current';
COMMENT ON COLUMN history.figures.closed_reason IS 'Why the version was closed: revised | withdrawn (its source left the catalog) | removed_from_source (its row or publication disappeared from the source) | rejected_in_review; NULL = current';
COMMENT ON COLUMN history.figures.opened_by_run IS 'meta.runs.run_id that opened this version';
COMMENT ON COLUMN history.figures.closed_by_run IS 'meta.runs.run_id that closed this version';
COMMENT ON COLUMN history.figures.valid_from IS 'Deprecated alias of recorded_from (removed in the next release)';
COMMENT ON COLUMN history.figures.valid_to IS 'Deprecated alias of recorded_to (removed in the next release)';
COMMENT ON COLUMN history.population.recorded_from IS 'Recording time (UTC): when the warehouse learned this value; a replayed vintage is recorded from its publication date';
COMMENT ON COLUMN history.population.recorded_to IS 'Recording time (UTC): when this value was revised or withdrawn; NULL = current';
COMMENT ON COLUMN history.population.closed_reason IS 'Why the version was closed: revised | withdrawn | removed_from_source; NULL = current';
COMMENT ON COLUMN history.population.valid_from IS 'Deprecated alias of recorded_from (removed in the next release)';
COMMENT ON COLUMN history.population.valid_to IS 'Deprecated alias of recorded_to (removed in the next release)';
COMMENT ON COLUMN history.countries.recorded_from IS 'Recording time (UTC): when the warehouse learned this version; a replayed vintage is recorded from its publication date';
COMMENT ON COLUMN history.countries.recorded_to IS 'Recording time (UTC): when this version was superseded; NULL = current';
COMMENT ON COLUMN history.countries.closed_reason IS 'Why the version was closed: revised | withdrawn | removed_from_source; NULL = current';
COMMENT ON COLUMN history.countries.valid_from IS 'Deprecated alias of recorded_from (removed in the next release)';
COMMENT ON COLUMN history.countries.valid_to IS 'Deprecated alias of recorded_to (removed in the next release)';

-- Current versions. core.figures exposes every column of history.figures (new ones included)
-- except the hashes and the closing bookkeeping; run_id = the run that opened the version.
CREATE OR REPLACE VIEW core.figures AS
SELECT * EXCLUDE (key_hash, row_hash, opened_by_run, closed_by_run, closed_reason), opened_by_run AS run_id
FROM history.figures WHERE recorded_to IS NULL;

CREATE OR REPLACE VIEW core.population AS
SELECT country_iso3, year, value, country_name, source_id, recorded_from, valid_from, opened_by_run AS run_id
FROM history.population WHERE recorded_to IS NULL;

CREATE OR REPLACE VIEW ref.countries AS
SELECT country_iso3, iso2, iso_numeric, country_name, short_name, region_code, region_name,
       sub_region_code, sub_region_name, intermediate_region_code, intermediate_region_name,
       is_independent, source_id, recorded_from, valid_from, opened_by_run AS run_id
FROM history.countries WHERE recorded_to IS NULL;

COMMENT ON VIEW core.figures IS 'Current version of every figure: one row per source, publication, area, metric, reference date (and variant)';
COMMENT ON VIEW core.population IS 'Current World Bank population by country (or WB aggregate) and year';
COMMENT ON VIEW ref.countries IS 'Current ISO 3166 / UN M49 country reference';

-- Time arguments: a DATE, a TIMESTAMP without zone or a string is read as UTC; a TIMESTAMPTZ is an
-- instant. The answer never depends on the session's TimeZone.
CREATE OR REPLACE MACRO as_utc_instant(moment) AS
    CASE WHEN typeof(moment) = 'TIMESTAMP WITH TIME ZONE' THEN CAST(moment AS TIMESTAMPTZ)
         ELSE timezone('UTC', CAST(moment AS TIMESTAMP)) END;
CREATE OR REPLACE MACRO as_utc_date(moment) AS CAST(timezone('UTC', as_utc_instant(moment)) AS DATE);

-- Recording time: exactly what the warehouse held at an instant (audit; typos included).
CREATE OR REPLACE MACRO figures_as_recorded(at_instant) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.figures
WHERE recorded_from <= as_utc_instant(at_instant)
  AND (recorded_to IS NULL OR recorded_to > as_utc_instant(at_instant));

CREATE OR REPLACE MACRO population_as_recorded(at_instant) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.population
WHERE recorded_from <= as_utc_instant(at_instant)
  AND (recorded_to IS NULL OR recorded_to > as_utc_instant(at_instant));

CREATE OR REPLACE MACRO countries_as_recorded(at_instant) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.countries
WHERE recorded_from <= as_utc_instant(at_instant)
  AND (recorded_to IS NULL OR recorded_to > as_utc_instant(at_instant));

-- Publication time: what had been published by the end of a day (UTC), as the warehouse now
-- records it. Figures: the current version of every accepted or pending figure whose document was
-- published on or before the day (a corrected transcription corrects the past; withdrawn, removed
-- and rejected figures are not there). Datasets: each vintage is recorded from its publication date,
-- so the state recorded at the end of the day is the latest vintage published by then.
CREATE OR REPLACE MACRO figures_published_by(on_date) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.figures
WHERE recorded_to IS NULL AND review_status IN ('accepted', 'pending')
  AND published_on <= as_utc_date(on_date);

CREATE OR REPLACE MACRO population_published_by(on_date) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.population
WHERE recorded_from < as_utc_instant(as_utc_date(on_date) + 1)
  AND (recorded_to IS NULL OR recorded_to >= as_utc_instant(as_utc_date(on_date) + 1));

CREATE OR REPLACE MACRO countries_published_by(on_date) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.countries
WHERE recorded_from < as_utc_instant(as_utc_date(on_date) + 1)
  AND (recorded_to IS NULL OR recorded_to >= as_utc_instant(as_utc_date(on_date) + 1));

-- Aliases kept from the first release: figures_as_of answers "what had been published by D"
-- (as it always did for unrevised transcriptions); population_as_of and countries_as_of read
-- recording time at an instant (as they always did).
CREATE OR REPLACE MACRO figures_as_of(on_date) AS TABLE SELECT * FROM figures_published_by(on_date);
CREATE OR REPLACE MACRO population_as_of(at_instant) AS TABLE SELECT * FROM population_as_recorded(at_instant);
CREATE OR REPLACE MACRO countries_as_of(at_instant) AS TABLE SELECT * FROM countries_as_recorded(at_instant);
