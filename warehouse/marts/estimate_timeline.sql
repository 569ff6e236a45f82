-- estimate_timeline: one row per country × metric × publication — the series of estimates
-- for a country in publication-date order (position 1 = earliest), with the change from the
-- previous publication. Accepted country-level figures only; each publication contributes one
-- figure per country × metric, picked as in country_estimates (main reading first, then the
-- publication's own document over a secondary one, then unflagged, then the latest reference
-- date); `readings` says how many accepted readings of that publication there were.
-- change_from_previous is value − previous_value when both are point values; its bounds and
-- qualifier (change_low/high/qualifier) follow the interval rules (_interval_rules.sql) for every
-- pair, e.g. "more than 900" after 700 is a change of at least +200.
with readings as (
    select *,
           figure_low(qualifier, value, value_low, value_high) as low_bound,
           figure_high(qualifier, value, value_low, value_high) as high_bound
    from core.accepted_readings
    where area_kind = 'country'
),
series as (
    select *,
           row_number() over w as position,
           count(*) over (partition by country_iso3, metric) as series_length,
           lag(value) over w as previous_value,
           lag(low_bound) over w as previous_low_bound,
           lag(high_bound) over w as previous_high_bound,
           lag(qualifier) over w as previous_qualifier,
           lag(publication_id) over w as previous_publication_id
    from readings
    where reading_rank = 1
    window w as (partition by country_iso3, metric
                 order by publication_date, reference_date, is_secondary desc, publication_id)
),
countries as (
    select country_iso3, country_name from ref.countries
)
select s.country_iso3,
       coalesce(c.country_name, s.country_as_published) as country_name,
       s.metric,
       s.position, s.series_length,
       s.publication_id, s.source_id,
       s.publication_date as published_on,
       s.reference_date,
       s.qualifier, s.value, s.value_low, s.value_high,
       s.previous_publication_id, s.previous_value,
       s.value - s.previous_value as change_from_previous,
       published_low(interval_difference_low(s.low_bound, s.high_bound, s.previous_low_bound, s.previous_high_bound), 3) as change_low,
       published_high(interval_difference_high(s.low_bound, s.high_bound, s.previous_low_bound, s.previous_high_bound), 3) as change_high,
       difference_qualifier(interval_difference_low(s.low_bound, s.high_bound, s.previous_low_bound, s.previous_high_bound),
                            interval_difference_high(s.low_bound, s.high_bound, s.previous_low_bound, s.previous_high_bound),
                            s.qualifier = 'approx' or s.previous_qualifier = 'approx') as change_qualifier,
       s.position = s.series_length as is_latest,
       s.readings::INTEGER as readings,
       s.is_secondary, s.document_url, s.page, s.quote, s.quote_kind, s.flag
from series s
left join countries c using (country_iso3)
order by s.country_iso3, s.metric, s.position
