-- conflict_deaths_beside_fighters: one row per event-dataset release (its publication date) × country ×
-- year × type of violence: how many events and deaths that release gives, beside the foreign-fighter
-- figure for the country as known on that publication date (the latest accepted 'travelled' figure
-- published on or before it). Event versions are counted as of each release: published by then and
-- not yet revised or withdrawn (publication time, not the warehouse's recording time).
with spans as (   -- one pass over the history: versions grouped by the publication interval they hold
    select source_id, published_on, superseded_on, country_id, country, year, type_of_violence,
           count(*) as events, sum(best) as deaths_best, sum(low) as deaths_low, sum(high) as deaths_high,
           sum(deaths_civilians) as deaths_civilians
    from history.ucdp_ged_events
    group by all
),
releases as (
    select distinct source_id, published_on as release_published_on from spans
),
as_of_release as (
    select r.source_id, r.release_published_on, m.country_iso3, s.year, s.type_of_violence,
           string_agg(distinct s.country, '; ') as country_as_published,
           sum(s.events) as events, sum(s.deaths_best) as deaths_best, sum(s.deaths_low) as deaths_low,
           sum(s.deaths_high) as deaths_high, sum(s.deaths_civilians) as deaths_civilians
    from releases r
    join spans s on s.source_id = r.source_id and s.published_on <= r.release_published_on
                and (s.superseded_on is null or s.superseded_on > r.release_published_on)
    join ref.event_countries m on m.source_id = s.source_id and m.country_id = s.country_id and m.country = s.country
    where m.country_iso3 is not null
    group by all
),
fighters as (
    select country_iso3, publication_id, publication_date, qualifier, value, value_low, value_high,
           document_url, quote
    from core.accepted_readings
    where reading_rank = 1 and metric = 'travelled' and area_kind = 'country'
),
fighters_known as (
    select c.source_id, c.release_published_on, c.country_iso3, f.*,
           row_number() over (partition by c.source_id, c.release_published_on, c.country_iso3
                              order by f.publication_date desc, f.publication_id desc) as pick
    from (select distinct source_id, release_published_on, country_iso3 from as_of_release) c
    join fighters f on f.country_iso3 = c.country_iso3 and f.publication_date <= c.release_published_on
)
select a.source_id, a.release_published_on, a.country_iso3,
       coalesce(rc.country_name, a.country_as_published) as country_name, a.country_as_published,
       a.year, a.type_of_violence,
       case a.type_of_violence when 1 then 'state-based' when 2 then 'non-state' when 3 then 'one-sided' end
           as violence_type,
       a.events, a.deaths_best, a.deaths_low, a.deaths_high, a.deaths_civilians,
       k.qualifier as fighters_qualifier, k.value as fighters_travelled, k.value_low as fighters_travelled_low,
       k.value_high as fighters_travelled_high, k.publication_id as fighters_publication_id,
       k.publication_date as fighters_published_on, k.document_url as fighters_document_url,
       k.quote as fighters_quote
from as_of_release a
left join fighters_known k on k.source_id = a.source_id and k.release_published_on = a.release_published_on
                          and k.country_iso3 = a.country_iso3 and k.pick = 1
left join ref.countries rc on rc.country_iso3 = a.country_iso3
order by a.source_id, a.release_published_on, a.country_iso3, a.year, a.type_of_violence
