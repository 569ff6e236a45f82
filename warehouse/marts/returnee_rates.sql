-- returnee_rates: one row per country × publication that gives the country's travelled or
-- returned figure — both side by side, the share that returned, and both per million
-- inhabitants. Accepted country-level figures only, one per publication and metric (picked as
-- in country_estimates). return_rate = returned / travelled, rounded to 3 decimals, when the
-- publication gives both as point values (NULL for ranges). Population: World Bank
-- SP.POP.TOTL of the reference year (else the latest earlier year) AS KNOWN ON THE
-- PUBLICATION DATE (history.population versions valid then); when the warehouse knew no
-- population for the country then, the current value is used and population_basis says so.
with readings as (
    select * from core.accepted_readings
    where area_kind = 'country' and metric in ('travelled', 'returned')
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
           max(document_url) filter (where metric = 'travelled') as travelled_document_url,
           max(quote) filter (where metric = 'travelled') as travelled_quote,
           max(value) filter (where metric = 'returned') as returned,
           max(value_low) filter (where metric = 'returned') as returned_low,
           max(value_high) filter (where metric = 'returned') as returned_high,
           max(qualifier) filter (where metric = 'returned') as returned_qualifier,
           max(document_url) filter (where metric = 'returned') as returned_document_url,
           max(quote) filter (where metric = 'returned') as returned_quote
    from readings
    where reading_rank = 1
    group by country_iso3, publication_id
),
population_known_then as (
    -- population versions the warehouse held at the end of the publication day
    select pr.country_iso3, pr.publication_id, h.year, h.value, h.valid_from,
           row_number() over (partition by pr.country_iso3, pr.publication_id order by h.year desc) as pick
    from pairs pr
    join history.population h
      on h.country_iso3 = pr.country_iso3
     and h.year <= year(pr.reference_date)
     and h.valid_from < timezone('UTC', (pr.publication_date + 1)::TIMESTAMP)
     and (h.valid_to is null or h.valid_to >= timezone('UTC', (pr.publication_date + 1)::TIMESTAMP))
),
population_current as (
    select pr.country_iso3, pr.publication_id, p.year, p.value, p.valid_from,
           row_number() over (partition by pr.country_iso3, pr.publication_id order by p.year desc) as pick
    from pairs pr
    join core.population p
      on p.country_iso3 = pr.country_iso3 and p.year <= year(pr.reference_date)
),
population as (
    select pr.country_iso3, pr.publication_id,
           coalesce(k.year, c.year) as population_year,
           coalesce(k.value, c.value) as population,
           case when k.value is not null then 'known_at_publication'
                when c.value is not null then 'current_fallback' end as population_basis,
           cast(timezone('UTC', coalesce(k.valid_from, c.valid_from)) as DATE) as population_known_since
    from pairs pr
    left join population_known_then k
      on k.country_iso3 = pr.country_iso3 and k.publication_id = pr.publication_id and k.pick = 1
    left join population_current c
      on c.country_iso3 = pr.country_iso3 and c.publication_id = pr.publication_id and c.pick = 1
),
countries as (
    select country_iso3, country_name from ref.countries
)
select pr.country_iso3,
       coalesce(n.country_name, pr.country_as_published) as country_name,
       pr.publication_id,
       pr.publication_date as published_on,
       pr.reference_date,
       pr.travelled, pr.travelled_low, pr.travelled_high, pr.travelled_qualifier,
       pr.returned, pr.returned_low, pr.returned_high, pr.returned_qualifier,
       round(pr.returned / nullif(pr.travelled, 0), 3) as return_rate,
       round(pr.travelled * 1e6 / po.population, 3) as travelled_per_million,
       round(pr.returned * 1e6 / po.population, 3) as returned_per_million,
       po.population_year::INTEGER as population_year,
       po.population::BIGINT as population,
       po.population_basis,
       po.population_known_since,
       pr.travelled_document_url, pr.travelled_quote,
       pr.returned_document_url, pr.returned_quote
from pairs pr
left join population po using (country_iso3, publication_id)
left join countries n using (country_iso3)
order by pr.country_iso3, pr.publication_date, pr.publication_id
