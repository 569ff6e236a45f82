-- country_estimates: one row per country × metric — the best estimate the warehouse can
-- give, the range of values across publications, and where the best estimate came from.
-- Rule (also in the contract, schemas/published.py):
--   1. accepted country-level figures only: pending or rejected claims never count
--      (pending_claims says how many wait for review);
--   2. each publication contributes one figure per country × metric: its main reading
--      (variant '') first, then the publication's own document over a secondary one quoting
--      it, then an unflagged reading over a flagged one, then the latest reference date;
--   3. the best estimate is the figure of the latest publication (publication date = the
--      earliest published_on of any figure of that publication); ties: primary over
--      secondary, then the later reference date.
-- Qualifier and range travel with the best value ("at least 5,600" stays "at least").
-- min_value/max_value span what the publications allow, by the interval rules
-- (_interval_rules.sql): "up to 1,500" allows 0, "more than 3,000" has no upper bound (max_value
-- is then empty and max_publication_id names the publication that set no bound);
-- range_qualifier is the shape of [min_value, max_value].
with readings as (
    select *,
           figure_low(qualifier, value, value_low, value_high) as low_bound,
           figure_high(qualifier, value, value_low, value_high) as high_bound
    from core.accepted_readings
    where area_kind = 'country'
),
per_publication as (
    select *,
           row_number() over (partition by country_iso3, metric
                              order by publication_date desc, is_secondary, reference_date desc,
                                       publication_id) as recency_rank
    from readings
    where reading_rank = 1
),
across_publications as (
    select country_iso3, metric,
           count(*) as publications,
           min(low_bound) as min_bound,
           arg_min(publication_id, low_bound) as min_publication_id,
           max(high_bound) as max_bound,
           arg_max(publication_id, high_bound) as max_publication_id,
           bool_or(qualifier = 'approx') as any_approx,
           min(publication_date) as first_published_on,
           string_agg(publication_id, ', ' order by publication_date, publication_id) as publication_ids
    from per_publication
    group by country_iso3, metric
),
pending as (
    select country_iso3, metric, count(*) as pending_claims
    from core.pending_figures
    where area_kind = 'country'
    group by country_iso3, metric
),
countries as (
    select country_iso3, country_name from ref.countries
)
select b.country_iso3,
       coalesce(c.country_name, b.country_as_published) as country_name,
       b.metric,
       b.qualifier, b.value, b.value_low, b.value_high,
       b.publication_id as best_publication_id,
       b.source_id as best_source_id,
       b.publication_date as best_published_on,
       b.reference_date,
       b.is_secondary, b.document_url, b.page, b.quote, b.quote_kind, b.flag,
       a.publications,
       published_low(a.min_bound, 3) as min_value, a.min_publication_id,
       published_high(a.max_bound, 3) as max_value, a.max_publication_id,
       count_qualifier(a.min_bound, a.max_bound, a.any_approx) as range_qualifier,
       a.first_published_on, a.publication_ids,
       coalesce(p.pending_claims, 0) as pending_claims
from per_publication b
join across_publications a using (country_iso3, metric)
left join pending p using (country_iso3, metric)
left join countries c using (country_iso3)
where b.recency_rank = 1
order by b.country_iso3, b.metric
