-- per_million: one row per country — travelled and returned per million inhabitants from the
-- publication of the country's best "travelled" estimate (marts.country_estimates), as
-- marts.returnee_rates computes them: a point value, or bounds and a qualifier derived from the
-- published figure's by the marts' interval rules (a range gives a range, "more than" an open bound).
-- The $limit countries with the most travellers per million come first.
select r.country_iso3,
       coalesce(c.short_name, r.country_name) as country_label,
       r.publication_id, r.published_on,
       r.travelled, r.travelled_low, r.travelled_high, r.travelled_qualifier,
       r.returned, r.returned_low, r.returned_high, r.returned_qualifier,
       r.travelled_per_million, r.travelled_per_million_low, r.travelled_per_million_high,
       r.travelled_per_million_qualifier,
       r.returned_per_million, r.returned_per_million_low, r.returned_per_million_high,
       r.returned_per_million_qualifier,
       r.population, r.population_year, r.population_basis
from marts.country_estimates e
join marts.returnee_rates r
  on r.country_iso3 = e.country_iso3 and r.publication_id = e.best_publication_id
left join ref.countries c on c.country_iso3 = r.country_iso3
where e.metric = 'travelled' and r.population is not null
order by coalesce(r.travelled_per_million, r.travelled_per_million_high, r.travelled_per_million_low) desc,
         r.country_iso3
limit $limit
