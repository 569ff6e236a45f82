-- per_million: one row per country — travelled and returned per million inhabitants from the
-- publication of the country's best "travelled" estimate (marts.country_estimates), as
-- marts.returnee_rates computes them; a range gives its two ends over the same population.
-- The $limit countries with the most travellers per million come first.
with rates as (
    select r.*,
           coalesce(c.short_name, r.country_name) as country_label,
           round(r.travelled_low * 1e6 / r.population, 3) as travelled_per_million_low,
           round(r.travelled_high * 1e6 / r.population, 3) as travelled_per_million_high,
           round(r.returned_low * 1e6 / r.population, 3) as returned_per_million_low,
           round(r.returned_high * 1e6 / r.population, 3) as returned_per_million_high
    from marts.country_estimates e
    join marts.returnee_rates r
      on r.country_iso3 = e.country_iso3 and r.publication_id = e.best_publication_id
    left join ref.countries c on c.country_iso3 = r.country_iso3
    where e.metric = 'travelled' and r.population is not null
)
select country_iso3, country_label, publication_id, published_on,
       travelled, travelled_low, travelled_high, travelled_qualifier,
       returned, returned_low, returned_high, returned_qualifier,
       travelled_per_million, travelled_per_million_low, travelled_per_million_high,
       returned_per_million, returned_per_million_low, returned_per_million_high,
       population, population_year, population_basis
from rates
order by coalesce(travelled_per_million, travelled_per_million_high, travelled_per_million_low) desc,
         country_iso3
limit $limit
