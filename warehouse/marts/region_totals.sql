-- region_totals: one row per region × publication × metric — the sum of the member countries'
-- figures in that publication beside the publisher's own regional figure where it gave one,
-- with the members counted and the members missing.
-- Members: ref.region_members (loaded from flows/reference/region_members.csv) as of the
-- publication's reference date (the regional figure's, else the latest of its country
-- figures), so e.g. Croatia counts in the EU from 1 Jul 2013 and the UK until 31 Jan 2020.
-- WLD (world) has no member list: every country counts, members_total/missing stay empty.
-- Figures: accepted only, one per publication × area × metric (picked as in country_estimates).
-- member_sum is the sum of point values, NULL when a counted member gave only a range (then
-- member_sum_low/high bound it) or when no member has a figure (countries_counted = 0).
-- gap = publisher_value - member_sum (positive: the publisher counts more than its members
-- in the warehouse add up to). member_sum_low/high/qualifier and gap_low/high/qualifier follow
-- the interval rules (_interval_rules.sql): "at least" and "more than" members leave the sum
-- without an upper bound, "up to" members add 0 to its low end. A row exists when the
-- publisher stated a regional figure or at least one member country has a figure in that
-- publication.
with readings as (
    select *,
           figure_low(qualifier, value, value_low, value_high) as low_bound,
           figure_high(qualifier, value, value_low, value_high) as high_bound
    from core.accepted_readings
),
country_figures as (
    select * from readings where reading_rank = 1 and area_kind = 'country'
),
regional_figures as (
    select * from readings where reading_rank = 1 and area_kind in ('region', 'world')
),
regions as (
    select region_code, region_name, defined_by from ref.regions
),
members as (
    select region_code, country_iso3, member_from, member_to from ref.region_members
),
publication_dates as (
    select publication_id, metric, any_value(publication_date) as publication_date,
           max(reference_date) as reference_date
    from country_figures
    group by publication_id, metric
),
candidates as (
    -- region × publication × metric: stated by the publisher, or a member has a figure
    select country_iso3 as region_code, publication_id, metric from regional_figures
    union
    select m.region_code, f.publication_id, f.metric
    from country_figures f
    join members m on m.country_iso3 = f.country_iso3
    union
    select 'WLD', publication_id, metric from country_figures
),
scoped as (
    select c.region_code, c.publication_id, c.metric,
           coalesce(r.publication_date, d.publication_date) as publication_date,
           coalesce(r.reference_date, d.reference_date) as as_of
    from candidates c
    left join regional_figures r
      on r.country_iso3 = c.region_code and r.publication_id = c.publication_id and r.metric = c.metric
    left join publication_dates d
      on d.publication_id = c.publication_id and d.metric = c.metric
),
members_then as (
    select s.region_code, s.publication_id, s.metric, m.country_iso3
    from scoped s
    join members m
      on m.region_code = s.region_code
     and (m.member_from is null or m.member_from <= s.as_of)
     and (m.member_to is null or m.member_to >= s.as_of)
),
counted as (
    -- member figures: listed members at the reference date; every country for WLD
    select s.region_code, s.publication_id, s.metric, f.country_iso3, f.value, f.value_low,
           f.value_high, f.qualifier, f.low_bound, f.high_bound
    from scoped s
    join country_figures f on f.publication_id = s.publication_id and f.metric = s.metric
    where s.region_code = 'WLD'
       or exists (select 1 from members_then mt
                  where mt.region_code = s.region_code and mt.publication_id = s.publication_id
                    and mt.metric = s.metric and mt.country_iso3 = f.country_iso3)
),
sums as (
    select region_code, publication_id, metric,
           count(*) as countries_counted,
           case when count(value) = count(*) then sum(value) end as member_sum,
           sum(low_bound) as sum_lb,
           sum(high_bound) as sum_hb,
           bool_or(qualifier = 'approx') as sum_approx,
           string_agg(distinct qualifier, ', ' order by qualifier) as member_qualifiers,
           string_agg(country_iso3, ', ' order by country_iso3) as counted_members
    from counted
    group by region_code, publication_id, metric
),
missing as (
    select mt.region_code, mt.publication_id, mt.metric,
           count(*) as members_total,
           count(*) filter (where f.country_iso3 is null) as members_missing,
           string_agg(mt.country_iso3, ', ' order by mt.country_iso3)
               filter (where f.country_iso3 is null) as missing_members
    from members_then mt
    left join country_figures f
      on f.publication_id = mt.publication_id and f.metric = mt.metric and f.country_iso3 = mt.country_iso3
    group by mt.region_code, mt.publication_id, mt.metric
)
select s.region_code,
       coalesce(g.region_name, s.region_code) as region_name,
       s.publication_id,
       s.publication_date as published_on,
       s.as_of as membership_date,
       s.metric,
       r.qualifier as publisher_qualifier,
       r.value as publisher_value,
       r.value_low as publisher_value_low,
       r.value_high as publisher_value_high,
       u.member_sum,
       published_low(u.sum_lb, 3) as member_sum_low,
       published_high(u.sum_hb, 3) as member_sum_high,
       count_qualifier(u.sum_lb, u.sum_hb, u.sum_approx) as member_sum_qualifier,
       u.member_qualifiers,
       coalesce(u.countries_counted, 0) as countries_counted,
       u.counted_members,
       x.members_total,
       case when s.region_code = 'WLD' then null else coalesce(x.members_missing, 0) end as members_missing,
       x.missing_members,
       r.value - u.member_sum as gap,
       published_low(interval_difference_low(r.low_bound, r.high_bound, u.sum_lb, u.sum_hb), 3) as gap_low,
       published_high(interval_difference_high(r.low_bound, r.high_bound, u.sum_lb, u.sum_hb), 3) as gap_high,
       difference_qualifier(interval_difference_low(r.low_bound, r.high_bound, u.sum_lb, u.sum_hb),
                            interval_difference_high(r.low_bound, r.high_bound, u.sum_lb, u.sum_hb),
                            r.qualifier = 'approx' or u.sum_approx) as gap_qualifier,
       g.defined_by as region_defined_by,
       r.document_url as publisher_document_url,
       r.quote as publisher_quote,
       r.quote_kind as publisher_quote_kind
from scoped s
left join regional_figures r
  on r.country_iso3 = s.region_code and r.publication_id = s.publication_id and r.metric = s.metric
left join sums u
  on u.region_code = s.region_code and u.publication_id = s.publication_id and u.metric = s.metric
left join missing x
  on x.region_code = s.region_code and x.publication_id = s.publication_id and x.metric = s.metric
left join regions g on g.region_code = s.region_code
order by s.region_code, s.publication_date, s.publication_id, s.metric
