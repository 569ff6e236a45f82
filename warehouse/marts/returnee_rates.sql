-- returnee_rates: one row per country × publication (grain) that gives the country's travelled
-- or returned figure — both side by side, the share that returned, and both per million
-- inhabitants. Accepted country-level figures only, one per publication and metric (picked as
-- in every mart: core.accepted_readings, reading_rank = 1). return_rate = returned / travelled,
-- rounded to 3 decimals, when the publication gives both as point values (NULL otherwise);
-- return_rate_low/high/qualifier bound it for every pair by the interval rules
-- (_interval_rules.sql): ICCT 2016 France, 246 returned of "more than 900" travelled, gives a
-- rate of at most 0.274 ('up_to'). Population: core.publication_population (the same value
-- fighters_per_million uses: the reference year as known at publication, else the current
-- value, as population_basis says).
with readings as (
    select *,
           figure_low(qualifier, value, value_low, value_high) as low_bound,
           figure_high(qualifier, value, value_low, value_high) as high_bound
    from core.accepted_readings
    where area_kind = 'country' and metric in ('travelled', 'returned') and reading_rank = 1
),
pairs as (
    select country_iso3, publication_id,
           any_value(publication_date) as publication_date,
           max(reference_date) as reference_date,
           any_value(country_as_published) as country_as_published,
           max(value) filter (where metric = 'travelled') as travelled,
           max(value_low) filter (where metric = 'travelled') as travelled_low,
           max(value_high) filter (where metric = 'travelled') as travelled_high,
           max(qualifier) filter (where metric = 'travelled') as travelled_qualifier,
           max(low_bound) filter (where metric = 'travelled') as travelled_lb,
           max(high_bound) filter (where metric = 'travelled') as travelled_hb,
           max(document_url) filter (where metric = 'travelled') as travelled_document_url,
           max(quote) filter (where metric = 'travelled') as travelled_quote,
           max(quote_kind) filter (where metric = 'travelled') as travelled_quote_kind,
           max(value) filter (where metric = 'returned') as returned,
           max(value_low) filter (where metric = 'returned') as returned_low,
           max(value_high) filter (where metric = 'returned') as returned_high,
           max(qualifier) filter (where metric = 'returned') as returned_qualifier,
           max(low_bound) filter (where metric = 'returned') as returned_lb,
           max(high_bound) filter (where metric = 'returned') as returned_hb,
           max(document_url) filter (where metric = 'returned') as returned_document_url,
           max(quote) filter (where metric = 'returned') as returned_quote,
           max(quote_kind) filter (where metric = 'returned') as returned_quote_kind
    from readings
    group by country_iso3, publication_id
),
derived as (
    select pr.*,
           interval_quotient_low(returned_lb, returned_hb, travelled_lb, travelled_hb) as rate_lb,
           interval_quotient_high(returned_lb, returned_hb, travelled_lb, travelled_hb) as rate_hb,
           coalesce(travelled_qualifier = 'approx', false) or coalesce(returned_qualifier = 'approx', false) as rate_approx
    from pairs pr
),
countries as (
    select country_iso3, country_name from ref.countries
)
select d.country_iso3,
       coalesce(n.country_name, d.country_as_published) as country_name,
       d.publication_id,
       d.publication_date as published_on,
       d.reference_date,
       d.travelled, d.travelled_low, d.travelled_high, d.travelled_qualifier,
       d.returned, d.returned_low, d.returned_high, d.returned_qualifier,
       round(d.returned / nullif(d.travelled, 0), 3) as return_rate,
       published_low(d.rate_lb, 3) as return_rate_low,
       published_high(d.rate_hb, 3) as return_rate_high,
       count_qualifier(d.rate_lb, d.rate_hb, d.rate_approx) as return_rate_qualifier,
       round(d.travelled * 1e6 / po.population, 3) as travelled_per_million,
       published_low(d.travelled_lb * 1e6 / po.population, 3) as travelled_per_million_low,
       published_high(d.travelled_hb * 1e6 / po.population, 3) as travelled_per_million_high,
       count_qualifier(d.travelled_lb * 1e6 / po.population, d.travelled_hb * 1e6 / po.population,
                       d.travelled_qualifier = 'approx') as travelled_per_million_qualifier,
       round(d.returned * 1e6 / po.population, 3) as returned_per_million,
       published_low(d.returned_lb * 1e6 / po.population, 3) as returned_per_million_low,
       published_high(d.returned_hb * 1e6 / po.population, 3) as returned_per_million_high,
       count_qualifier(d.returned_lb * 1e6 / po.population, d.returned_hb * 1e6 / po.population,
                       d.returned_qualifier = 'approx') as returned_per_million_qualifier,
       po.population_year,
       po.population,
       po.population_basis,
       po.population_known_since,
       d.travelled_document_url, d.travelled_quote, d.travelled_quote_kind,
       d.returned_document_url, d.returned_quote, d.returned_quote_kind
from derived d
left join core.publication_population po using (publication_id, country_iso3)
left join countries n using (country_iso3)
order by d.country_iso3, d.publication_date, d.publication_id
