-- SCD type 2 history: one row per version; valid_to NULL = current version.
-- key_hash = md5 of the JSON array of the key parts (no concatenation collisions);
-- row_hash = md5 of the JSON array of every stored attribute.
CREATE TABLE history.figures (
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
    valid_from           TIMESTAMPTZ NOT NULL,
    valid_to             TIMESTAMPTZ,
    opened_by_run        VARCHAR NOT NULL,
    closed_by_run        VARCHAR
);

CREATE TABLE history.population (
    key_hash      VARCHAR NOT NULL,
    row_hash      VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    country_iso3  VARCHAR NOT NULL,
    country_name  VARCHAR,
    year          INTEGER NOT NULL,
    value         DOUBLE NOT NULL,
    valid_from    TIMESTAMPTZ NOT NULL,
    valid_to      TIMESTAMPTZ,
    opened_by_run VARCHAR NOT NULL,
    closed_by_run VARCHAR
);

CREATE TABLE history.countries (
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
    valid_from               TIMESTAMPTZ NOT NULL,
    valid_to                 TIMESTAMPTZ,
    opened_by_run            VARCHAR NOT NULL,
    closed_by_run            VARCHAR
);

COMMENT ON TABLE history.figures IS 'Every version of every figure (SCD2). Key: source_id, publication_id, country_iso3, metric, reference_date, variant';
COMMENT ON TABLE history.population IS 'Every version of every population value (SCD2). Key: country_iso3, year';
COMMENT ON TABLE history.countries IS 'Every version of every country reference row (SCD2). Key: country_iso3';
COMMENT ON COLUMN history.figures.valid_from IS 'Transaction time: when this version became known: the publication date for the first version of a publication''s figures, the loading run''s time for later corrections';
COMMENT ON COLUMN history.figures.valid_to IS 'Transaction time: when this version was superseded; NULL = current';
COMMENT ON COLUMN history.figures.reference_date IS 'Valid time: the date the figure describes';
COMMENT ON COLUMN history.figures.opened_by_run IS 'meta.runs.run_id that opened this version';
COMMENT ON COLUMN history.figures.closed_by_run IS 'meta.runs.run_id that closed this version';
COMMENT ON COLUMN history.population.valid_from IS 'Transaction time: when the warehouse learned this value';
COMMENT ON COLUMN history.population.valid_to IS 'Transaction time: when this value was revised or withdrawn; NULL = current';
COMMENT ON COLUMN history.countries.valid_from IS 'Transaction time: when the warehouse learned this version';
COMMENT ON COLUMN history.countries.valid_to IS 'Transaction time: when this version was superseded; NULL = current';
