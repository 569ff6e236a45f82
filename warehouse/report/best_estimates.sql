-- best_estimates: one row per country — the best estimate of one metric ($metric) as the marts
-- define it (marts.country_estimates: the latest publication's accepted figure), largest first
-- ($limit rows), with the country's short name for chart labels.
select e.country_iso3,
       coalesce(c.short_name, e.country_name) as country_label,
       e.country_name,
       e.qualifier, e.value, e.value_low, e.value_high,
       e.best_publication_id as publication_id,
       e.best_published_on as published_on,
       e.publications, e.min_value, e.max_value
from marts.country_estimates e
left join ref.countries c using (country_iso3)
where e.metric = $metric
order by coalesce(e.value, e.value_high, e.value_low) desc, e.country_iso3
limit $limit
