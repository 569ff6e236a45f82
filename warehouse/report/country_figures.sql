-- country_figures: one row per accepted country-level figure (core.accepted_readings, the
-- marts' staging view) — every reading of every publication, for the country page.
select r.country_iso3,
       coalesce(c.short_name, c.country_name, r.country_as_published) as country_label,
       r.country_as_published, r.publication_id, r.publication_date as published_on, r.source_id,
       r.metric, r.variant, r.qualifier, r.value, r.value_low, r.value_high, r.reference_date,
       r.reading_rank, r.is_secondary, r.document_url, r.page, r.quote, r.flag
from core.accepted_readings r
left join ref.countries c using (country_iso3)
where r.area_kind = 'country'
order by r.country_iso3, r.metric, r.publication_date, r.publication_id, r.reading_rank
