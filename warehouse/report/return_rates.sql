-- return_rates: one row per country with a best "returned" estimate (marts.country_estimates)
-- — the returnee_rates row of that same publication: travelled and returned side by side, with
-- their qualifiers, and the share returned: a point value, or its bounds and qualifier derived
-- by the marts' interval rules (NULL bounds when the publication gives no travelled figure).
select r.country_iso3,
       coalesce(c.short_name, r.country_name) as country_label,
       r.publication_id, r.published_on,
       r.travelled, r.travelled_low, r.travelled_high, r.travelled_qualifier,
       r.returned, r.returned_low, r.returned_high, r.returned_qualifier,
       r.return_rate, r.return_rate_low, r.return_rate_high, r.return_rate_qualifier
from marts.country_estimates e
join marts.returnee_rates r
  on r.country_iso3 = e.country_iso3 and r.publication_id = e.best_publication_id
left join ref.countries c on c.country_iso3 = r.country_iso3
where e.metric = 'returned'
order by coalesce(r.return_rate, r.return_rate_low, 0) desc, r.country_iso3
