-- Staging view shared by the marts: accepted figures (curated transcriptions and claims an
-- analyst accepted; pending and rejected never), each with its publication's date and its
-- rank among the readings of the same publication × area × metric:
--   main reading (variant '') first, then the publication's own document over a secondary one
--   quoting it, then an unflagged reading over a flagged one, then the latest reference date.
-- One row per accepted figure; marts keep reading_rank = 1 for "one figure per publication".
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
WHERE f.review_status = 'accepted';
COMMENT ON VIEW core.accepted_readings IS 'Accepted figures with their publication date and their rank among the readings of one publication × area × metric (1 = the one the marts use)';
