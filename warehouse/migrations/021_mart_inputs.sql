-- The two inputs every mart starts from (README "Rules shared by the marts"):
--   core.accepted_readings (migration 008): accepted figures ranked per publication × area × metric;
--   core.publication_population (below): THE population of a country for a publication;
--   core.pending_figures (below): figures waiting for review, counted by the marts, never summed.
-- No mart reads core.figures or core.population directly (tests/warehouse/test_mart_rules.py).

-- One row per publication × country with an accepted country-level figure: the World Bank
-- population (SP.POP.TOTL) used for every per-million number and rate of that publication and
-- country, so all marts agree.
--   population_year: the year of the latest reference date among the publication's main readings
--     (reading_rank = 1) for the country, else the latest earlier year the warehouse has;
--   population_basis = 'known_at_publication': the version the warehouse held at the end of the
--     publication day (UTC), i.e. what a reader could have used then (the same rule as
--     population_published_by(publication date), migration 010);
--   population_basis = 'current_fallback': the warehouse knew no population for the country and
--     year then (e.g. the publication predates the oldest vintage), so the current value is used;
--   population_known_since: since when the warehouse has held the value used (its vintage date).
CREATE OR REPLACE VIEW core.publication_population AS
WITH wanted AS (
    SELECT publication_id, country_iso3,
           any_value(publication_date) AS publication_date,
           max(reference_date) AS reference_date
    FROM core.accepted_readings
    WHERE area_kind = 'country' AND reading_rank = 1
    GROUP BY publication_id, country_iso3
),
known_then AS (
    SELECT w.publication_id, w.country_iso3, h.year, h.value, h.recorded_from,
           row_number() OVER (PARTITION BY w.publication_id, w.country_iso3 ORDER BY h.year DESC) AS pick
    FROM wanted w
    JOIN history.population h
      ON h.country_iso3 = w.country_iso3
     AND h.year <= year(w.reference_date)
     AND h.recorded_from < timezone('UTC', (w.publication_date + 1)::TIMESTAMP)
     AND (h.recorded_to IS NULL OR h.recorded_to >= timezone('UTC', (w.publication_date + 1)::TIMESTAMP))
),
current_value AS (
    SELECT w.publication_id, w.country_iso3, p.year, p.value, p.recorded_from,
           row_number() OVER (PARTITION BY w.publication_id, w.country_iso3 ORDER BY p.year DESC) AS pick
    FROM wanted w
    JOIN core.population p
      ON p.country_iso3 = w.country_iso3 AND p.year <= year(w.reference_date)
)
SELECT w.publication_id, w.country_iso3, w.publication_date, w.reference_date,
       coalesce(k.year, c.year)::INTEGER AS population_year,
       coalesce(k.value, c.value)::BIGINT AS population,
       CASE WHEN k.value IS NOT NULL THEN 'known_at_publication'
            WHEN c.value IS NOT NULL THEN 'current_fallback' END AS population_basis,
       CAST(timezone('UTC', coalesce(k.recorded_from, c.recorded_from)) AS DATE) AS population_known_since
FROM wanted w
LEFT JOIN known_then k
  ON k.publication_id = w.publication_id AND k.country_iso3 = w.country_iso3 AND k.pick = 1
LEFT JOIN current_value c
  ON c.publication_id = w.publication_id AND c.country_iso3 = w.country_iso3 AND c.pick = 1;
COMMENT ON VIEW core.publication_population IS 'The population every mart uses for a publication × country: the reference year''s World Bank value as known at the end of the publication day (else the current value, population_basis says which)';

-- Figures waiting for review (machine-extracted claims): the marts count them (pending_claims)
-- and list them (marts.pending_figures), never sum them.
CREATE OR REPLACE VIEW core.pending_figures AS
SELECT * FROM core.figures WHERE review_status = 'pending';
COMMENT ON VIEW core.pending_figures IS 'Current figures with review_status pending: listed and counted by the marts, never summed';

-- Rates as publishers stated them (metrics travelled_per_million, travelled_per_million_muslims,
-- schemas/figure.py PUBLISHED_RATE_METRICS) are figures too, but never counts: they are kept out of
-- core.accepted_readings (so no mart sums, compares or divides them as counts) and listed here,
-- ranked the same way, for marts.fighters_per_million to show beside its own per-million figure.
CREATE OR REPLACE VIEW core.accepted_readings AS
WITH publications AS (
    SELECT publication_id, min(published_on) AS publication_date
    FROM core.figures
    GROUP BY publication_id
)
SELECT f.*, p.publication_date,
       coalesce(f.value, f.value_low, f.value_high) AS low_end,
       coalesce(f.value, f.value_high, f.value_low) AS high_end,
       row_number() OVER (PARTITION BY f.publication_id, f.country_iso3, f.metric
                          ORDER BY (f.variant = '') DESC, f.is_secondary, (f.flag IS NULL) DESC,
                                   f.reference_date DESC, f.source_id, f.document_url) AS reading_rank,
       count(*) OVER (PARTITION BY f.publication_id, f.country_iso3, f.metric) AS readings
FROM core.figures AS f
JOIN publications AS p USING (publication_id)
WHERE f.review_status = 'accepted'
  AND f.metric NOT IN ('travelled_per_million', 'travelled_per_million_muslims');
COMMENT ON VIEW core.accepted_readings IS 'Accepted figures (counts and shares; published rates are in core.published_rates) with their publication date and their rank among the readings of one publication × area × metric (1 = the one the marts use)';

CREATE OR REPLACE VIEW core.published_rates AS
SELECT f.*,
       row_number() OVER (PARTITION BY f.publication_id, f.country_iso3, f.metric
                          ORDER BY (f.variant = '') DESC, f.is_secondary, (f.flag IS NULL) DESC,
                                   f.reference_date DESC, f.source_id, f.document_url) AS reading_rank
FROM core.figures AS f
WHERE f.review_status = 'accepted'
  AND f.metric IN ('travelled_per_million', 'travelled_per_million_muslims');
COMMENT ON VIEW core.published_rates IS 'Accepted rates as publishers stated them (per million inhabitants, per million Muslims), ranked per publication × area × metric like core.accepted_readings';
