-- Every version of every figure for one area ($area: ISO3 or region code), optionally one metric,
-- on the three clocks (reference_date, published_on, recorded_from/recorded_to) and why each
-- closed version was closed.
SELECT h.country_iso3 AS area, h.metric, h.variant, h.publication_id, h.source_id,
       h.reference_date, h.published_on, h.qualifier, h.value, h.value_low, h.value_high, h.share,
       h.review_status, h.flag, h.recorded_from, h.recorded_to, h.closed_reason, h.opened_by_run, h.closed_by_run,
       h.page, h.quote, h.document_url
FROM history.figures AS h
WHERE h.country_iso3 = $area AND ($metric IS NULL OR h.metric = $metric)
ORDER BY h.metric, h.reference_date, h.publication_id, h.variant, h.recorded_from
