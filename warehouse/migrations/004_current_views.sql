-- Current versions (core, ref) and time travel (table macros over transaction time).
CREATE OR REPLACE VIEW core.figures AS
SELECT source_id, publication_id, document_url, is_secondary, country_iso3, area_kind,
       country_as_published, metric, variant, value, value_low, value_high, qualifier, share,
       share_of, countries_count, reference_date, published_on, page, quote, review_status,
       flag, note, valid_from, valid_to, opened_by_run AS run_id
FROM history.figures WHERE valid_to IS NULL;

CREATE OR REPLACE VIEW core.population AS
SELECT country_iso3, year, value, country_name, source_id, valid_from, opened_by_run AS run_id
FROM history.population WHERE valid_to IS NULL;

CREATE OR REPLACE VIEW ref.countries AS
SELECT country_iso3, iso2, iso_numeric, country_name, short_name, region_code, region_name,
       sub_region_code, sub_region_name, intermediate_region_code, intermediate_region_name,
       is_independent, source_id, valid_from, opened_by_run AS run_id
FROM history.countries WHERE valid_to IS NULL;

COMMENT ON VIEW core.figures IS 'Current version of every figure: one row per source, publication, area, metric, reference date (and variant)';
COMMENT ON VIEW core.population IS 'Current World Bank population by country (or WB aggregate) and year';
COMMENT ON VIEW ref.countries IS 'Current ISO 3166 / UN M49 country reference';

CREATE OR REPLACE MACRO figures_as_of(known_on) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.figures
WHERE valid_from <= known_on AND (valid_to IS NULL OR valid_to > known_on);

CREATE OR REPLACE MACRO population_as_of(known_on) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.population
WHERE valid_from <= known_on AND (valid_to IS NULL OR valid_to > known_on);

CREATE OR REPLACE MACRO countries_as_of(known_on) AS TABLE
SELECT * EXCLUDE (key_hash, row_hash) FROM history.countries
WHERE valid_from <= known_on AND (valid_to IS NULL OR valid_to > known_on);
