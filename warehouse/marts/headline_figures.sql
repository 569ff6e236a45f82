-- headline_figures: one row per publication × metric — the total as the publisher stated it
-- (e.g. Soufan 2017: "at least 5,600" returnees "from 33 countries") beside what the warehouse
-- sums from the same publication's country figures, and the gap between the two.
-- Stated totals: accepted world-level figures (area WLD), one per publication × metric
-- (main reading first, then the publication's own document, then unflagged, then the latest
-- reference date). Warehouse sums: accepted country figures of the publication, one per
-- country (picked the same way); warehouse_sum is NULL when a country gave only a range
-- (then warehouse_sum_low/high bound it). Pending claims are counted, never summed.
with readings as (
    select * from core.accepted_readings
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
           sum(coalesce(value, value_low, value_high)) as warehouse_sum_low,
           sum(coalesce(value, value_high, value_low)) as warehouse_sum_high
    from readings
    where reading_rank = 1 and area_kind = 'country'
    group by publication_id, metric
),
pending as (
    select publication_id, metric, count(*) as pending_claims
    from core.figures
    where review_status = 'pending'
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
       m.warehouse_sum, m.warehouse_sum_low, m.warehouse_sum_high,
       coalesce(m.warehouse_countries, 0) as warehouse_countries,
       s.value - m.warehouse_sum as gap,
       s.countries_count - coalesce(m.warehouse_countries, 0) as countries_gap,
       coalesce(q.pending_claims, 0) as pending_claims,
       s.source_id as stated_source_id,
       s.document_url as stated_document_url,
       s.page as stated_page,
       s.quote as stated_quote
from keys k
join publications p using (publication_id)
left join stated s on s.publication_id = k.publication_id and s.metric = k.metric
left join summed m on m.publication_id = k.publication_id and m.metric = k.metric
left join pending q on q.publication_id = k.publication_id and q.metric = k.metric
order by p.publication_date, k.publication_id, k.metric
