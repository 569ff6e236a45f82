-- source_comparison: one row per country × metric that at least two publications give (or
-- one publication gives in two differing readings) — each publication's value side by side,
-- the spread between the lowest and the highest, and whether the sources disagree.
-- Values: accepted country-level figures; each publication contributes the figure picked as in
-- country_estimates, as an interval [low, high] (a point value is both ends, an open bound
-- like "at least" is its number).
-- Disagreement rule (threshold in the `settings` CTE): the publications disagree when the
-- highest low end is more than 1.5 × the lowest high end, i.e. no single number lies within
-- 50 % of every publication's estimate even when ranges are read in their favour. Estimates
-- made years apart can disagree because the numbers grew: `contemporary_disagreement` applies
-- the same rule only to pairs of publications published less than 365 days apart.
-- spread_low/high/qualifier bound the ratio between the highest and the lowest of the
-- publications' true values by the interval rules (_interval_rules.sql): at least the highest low
-- bound over the lowest high bound (never below 1), at most the highest high bound over the lowest
-- low bound ("more than" and "at least" leave it without an upper bound).
with settings as (
    select 1.5 as disagreement_ratio, 365 as contemporary_days
),
readings as (
    select *,
           figure_low(qualifier, value, value_low, value_high) as low_bound,
           figure_high(qualifier, value, value_low, value_high) as high_bound
    from core.accepted_readings
    where area_kind = 'country'
),
reading_conflicts as (
    -- publications whose accepted readings of one country × metric differ from each other
    select country_iso3, metric, publication_id,
           string_agg(case when reading_rank > 1 then
                          case when value is not null then format('{:,}', value::BIGINT)
                               else format('{:,}–{:,}', value_low::BIGINT, value_high::BIGINT) end
                          || coalesce(' (' || nullif(variant, '') || ')', '') end, '; '
                      order by reading_rank) as other_readings,
           count(distinct [low_end, high_end]) > 1 as readings_differ,
           bool_or(coalesce(flag, '') like '%CONFLICT%') as flagged_conflict
    from readings
    group by country_iso3, metric, publication_id
),
per_publication as (
    select r.*, rc.other_readings, rc.readings_differ, rc.flagged_conflict,
           case when r.value is not null then format('{:,}', r.value::BIGINT)
                when r.value_low is not null and r.value_high is not null
                     then format('{:,}–{:,}', r.value_low::BIGINT, r.value_high::BIGINT)
                else format('{:,}', coalesce(r.value_low, r.value_high)::BIGINT) end as shown
    from readings r
    join reading_conflicts rc using (country_iso3, metric, publication_id)
    where r.reading_rank = 1
),
compared as (
    select country_iso3, metric,
           any_value(country_as_published) as country_as_published,
           count(*) as publications,
           string_agg(publication_id || ' ' || strftime(publication_date, '%Y-%m-%d') || ': '
                      || case qualifier when 'exact' then '' when 'range' then ''
                                        else replace(qualifier, '_', ' ') || ' ' end
                      || shown
                      || coalesce(' [other readings: ' || other_readings || ']', ''),
                      '; ' order by publication_date, publication_id) as values_by_publication,
           min(low_end) as min_value,
           arg_min(publication_id, low_end) as min_publication_id,
           max(high_end) as max_value,
           arg_max(publication_id, high_end) as max_publication_id,
           max(low_end) as highest_low_end,
           min(high_end) as lowest_high_end,
           greatest(1.0, interval_quotient_low(max(low_bound), max(low_bound), min(high_bound), min(high_bound))) as spread_lb,
           interval_quotient_high(max(high_bound), max(high_bound), min(low_bound), min(low_bound)) as spread_hb,
           bool_or(qualifier = 'approx') as any_approx,
           min(publication_date) as first_published_on,
           max(publication_date) as last_published_on,
           bool_or(readings_differ) as readings_differ,
           bool_or(flagged_conflict) as flagged_conflict
    from per_publication
    group by country_iso3, metric
),
contemporary as (
    -- pairs of publications less than `contemporary_days` apart that disagree by the same rule
    select a.country_iso3, a.metric, true as contemporary_disagreement
    from per_publication a
    join per_publication b
      on b.country_iso3 = a.country_iso3 and b.metric = a.metric and b.publication_id <> a.publication_id
    cross join settings s
    where abs(date_diff('day', a.publication_date, b.publication_date)) < s.contemporary_days
      and a.low_end > s.disagreement_ratio * b.high_end
    group by a.country_iso3, a.metric
),
countries as (
    select country_iso3, country_name from ref.countries
)
select c.country_iso3,
       coalesce(n.country_name, c.country_as_published) as country_name,
       c.metric,
       c.publications,
       c.values_by_publication,
       c.min_value, c.min_publication_id, c.max_value, c.max_publication_id,
       round(c.max_value / nullif(c.min_value, 0), 2) as spread,
       published_low(c.spread_lb, 2) as spread_low,
       published_high(c.spread_hb, 2) as spread_high,
       derived_qualifier(c.spread_lb, c.spread_hb, c.any_approx, 1.0) as spread_qualifier,
       s.disagreement_ratio,
       c.publications >= 2 and c.highest_low_end > s.disagreement_ratio * c.lowest_high_end as disagreement,
       coalesce(t.contemporary_disagreement, false) as contemporary_disagreement,
       c.readings_differ,
       c.flagged_conflict,
       c.first_published_on, c.last_published_on
from compared c
cross join settings s
left join contemporary t using (country_iso3, metric)
left join countries n using (country_iso3)
where c.publications >= 2 or c.readings_differ
order by c.country_iso3, c.metric
