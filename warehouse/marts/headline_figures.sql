-- headline_figures: one row per publication × metric — the total as the publisher stated it
-- (e.g. Soufan 2017: "at least 5,600" returnees "from 33 countries") beside what the warehouse
-- sums from the same publication's country figures, and the gap between the two.
-- Stated totals: accepted world-level figures (area WLD), one per publication × metric
-- (main reading first, then the publication's own document, then unflagged, then the latest
-- reference date). Warehouse sums: accepted country figures of the publication, one per
-- country (picked the same way); warehouse_sum is NULL unless every country gave a point value.
-- warehouse_sum_low/high/qualifier and gap_low/high/qualifier follow the interval rules
-- (_interval_rules.sql): a sum with one "at least" term is "at least"; "up to" adds 0 to the low
-- end. Where the stated total is larger than the rows can account for, the gap says by how much
-- and countries_gap says how many countries' rows are known to be missing (stated_countries −
-- warehouse_countries). Pending claims (core.pending_figures) are counted, never summed.
with readings as (
    select *,
           figure_low(qualifier, value, value_low, value_high) as low_bound,
           figure_high(qualifier, value, value_low, value_high) as high_bound
    from core.accepted_readings
),
publications as (
    select publication_id, any_value(publication_date) as publication_date
    from readings
    group by publication_id
),
stated as (
    select * from readings
    where reading_rank = 1 and area_kind = 'world'
),
summed as (
    select publication_id, metric,
           count(*) as warehouse_countries,
           case when count(value) = count(*) then sum(value) end as warehouse_sum,
           sum(low_bound) as sum_lb,
           sum(high_bound) as sum_hb,
           bool_or(qualifier = 'approx') as sum_approx
    from readings
    where reading_rank = 1 and area_kind = 'country'
    group by publication_id, metric
),
pending as (
    select publication_id, metric, count(*) as pending_claims
    from core.pending_figures
    group by publication_id, metric
),
keys as (
    select publication_id, metric from stated
    union
    select publication_id, metric from summed
)
select k.publication_id,
       p.publication_date as published_on,
       k.metric,
       s.qualifier as stated_qualifier,
       s.value as stated_value,
       s.value_low as stated_value_low,
       s.value_high as stated_value_high,
       s.countries_count as stated_countries,
       case when s.publication_id is not null then
           case s.qualifier
               when 'range' then 'between ' || format('{:,}', s.value_low::BIGINT) || ' and '
                                 || format('{:,}', s.value_high::BIGINT)
               when 'exact' then format('{:,}', s.value::BIGINT)
               when 'approx' then 'about ' || format('{:,}', s.value::BIGINT)
               else replace(s.qualifier, '_', ' ') || ' '
                    || format('{:,}', coalesce(s.value, s.value_low, s.value_high)::BIGINT)
           end
           || coalesce(' from ' || s.countries_count || ' countries', '')
       end as stated_text,
       m.warehouse_sum,
       published_low(m.sum_lb, 3) as warehouse_sum_low,
       published_high(m.sum_hb, 3) as warehouse_sum_high,
       count_qualifier(m.sum_lb, m.sum_hb, m.sum_approx) as warehouse_sum_qualifier,
       coalesce(m.warehouse_countries, 0) as warehouse_countries,
       s.value - m.warehouse_sum as gap,
       published_low(interval_difference_low(s.low_bound, s.high_bound, m.sum_lb, m.sum_hb), 3) as gap_low,
       published_high(interval_difference_high(s.low_bound, s.high_bound, m.sum_lb, m.sum_hb), 3) as gap_high,
       difference_qualifier(interval_difference_low(s.low_bound, s.high_bound, m.sum_lb, m.sum_hb),
                            interval_difference_high(s.low_bound, s.high_bound, m.sum_lb, m.sum_hb),
                            s.qualifier = 'approx' or m.sum_approx) as gap_qualifier,
       s.countries_count - coalesce(m.warehouse_countries, 0) as countries_gap,
       coalesce(q.pending_claims, 0) as pending_claims,
       s.source_id as stated_source_id,
       s.document_url as stated_document_url,
       s.page as stated_page,
       s.quote as stated_quote,
       s.quote_kind as stated_quote_kind
from keys k
join publications p using (publication_id)
left join stated s on s.publication_id = k.publication_id and s.metric = k.metric
left join summed m on m.publication_id = k.publication_id and m.metric = k.metric
left join pending q on q.publication_id = k.publication_id and q.metric = k.metric
order by p.publication_date, k.publication_id, k.metric
