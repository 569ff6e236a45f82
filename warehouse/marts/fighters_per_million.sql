-- fighters_per_million: one row per accepted country-level figure (any source, any metric)
-- with the population of its reference year and the rate per million inhabitants, for the
-- point value and for both ends of a range. Population: World Bank SP.POP.TOTL as currently
-- known (core.population); the reference year itself, else the latest earlier year.
with figures as (
    select * from core.figures
    where area_kind = 'country' and review_status = 'accepted'
),
population as (
    select country_iso3, year, value from core.population
),
matched as (
    select f.*, p.year as population_year, p.value as population,
           row_number() over (partition by f.source_id, f.publication_id, f.country_iso3, f.metric,
                                           f.reference_date, f.variant
                              order by p.year desc) as pick
    from figures f
    left join population p
      on p.country_iso3 = f.country_iso3 and p.year <= year(f.reference_date)
),
countries as (
    select country_iso3, country_name from ref.countries
)
select m.source_id, m.publication_id, m.country_iso3,
       coalesce(c.country_name, m.country_as_published) as country_name,
       m.metric, m.variant, m.qualifier, m.value, m.value_low, m.value_high,
       m.reference_date, m.population_year, m.population::BIGINT as population,
       round(m.value * 1e6 / m.population, 3) as per_million,
       round(m.value_low * 1e6 / m.population, 3) as per_million_low,
       round(m.value_high * 1e6 / m.population, 3) as per_million_high,
       m.document_url, m.is_secondary, m.page, m.quote, m.flag
from matched m
left join countries c using (country_iso3)
where m.pick = 1
order by m.publication_id, m.country_iso3, m.metric, m.variant
