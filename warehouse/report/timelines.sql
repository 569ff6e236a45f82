-- timelines: one row per country × metric × publication (marts.estimate_timeline), every
-- metric, with the country's short name; the report draws the largest countries' "travelled"
-- series and, on the country page, any country's series.
select t.country_iso3,
       coalesce(c.short_name, t.country_name) as country_label,
       t.metric, t.position, t.publication_id, t.published_on, t.reference_date,
       t.qualifier, t.value, t.value_low, t.value_high
from marts.estimate_timeline t
left join ref.countries c using (country_iso3)
order by t.country_iso3, t.metric, t.position
