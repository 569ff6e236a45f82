-- fighters_per_million: one row per publication × country × metric (grain, checked by the
-- contract and tests/warehouse/test_mart_rules.py) — the publication's accepted country-level
-- figure (its main reading, picked as in every mart: core.accepted_readings, reading_rank = 1)
-- with the population and the rate per million inhabitants.
-- Population: core.publication_population, the one population every mart uses for a
-- publication × country (reference year as known at publication, else the current value).
-- Bounds and qualifier of the rate follow the interval rules (_interval_rules.sql): "more than
-- 900" travelled gives per_million_low = 900 per million and no upper bound ('at_least').
-- published_per_million: the publisher's own rate where it stated one (core.published_rates).
with readings as (
    select *,
           figure_low(qualifier, value, value_low, value_high) as low_bound,
           figure_high(qualifier, value, value_low, value_high) as high_bound
    from core.accepted_readings
    where area_kind = 'country' and reading_rank = 1
),
published_rates as (
    -- the publisher's own per-million figure, where it stated one (e.g. ICSR 2015 Table 1, Elcano 2018)
    select publication_id, country_iso3, 'travelled' as metric, qualifier, value
    from core.published_rates
    where metric = 'travelled_per_million' and reading_rank = 1
),
countries as (
    select country_iso3, country_name from ref.countries
)
select r.source_id, r.publication_id, r.country_iso3,
       coalesce(c.country_name, r.country_as_published) as country_name,
       r.metric, r.variant, r.qualifier, r.value, r.value_low, r.value_high,
       r.reference_date, p.population_year, p.population,
       p.population_basis, p.population_known_since,
       round(r.value * 1e6 / p.population, 3) as per_million,
       published_low(r.low_bound * 1e6 / p.population, 3) as per_million_low,
       published_high(r.high_bound * 1e6 / p.population, 3) as per_million_high,
       count_qualifier(r.low_bound * 1e6 / p.population, r.high_bound * 1e6 / p.population,
                       r.qualifier = 'approx') as per_million_qualifier,
       pr.value as published_per_million,
       pr.qualifier as published_per_million_qualifier,
       r.document_url, r.is_secondary, r.page, r.quote, r.quote_kind, r.flag
from readings r
left join core.publication_population p using (publication_id, country_iso3)
left join published_rates pr using (publication_id, country_iso3, metric)
left join countries c using (country_iso3)
order by r.publication_id, r.country_iso3, r.metric
