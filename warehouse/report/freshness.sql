-- freshness: one row per source fetched at least once — its latest fetch, its latest successful
-- load and the rows it holds now (figures, population or country codes).
with ranked as (
    select *, row_number() over (partition by source_id order by fetched_at desc) as n
    from meta.fetches
),
loaded as (
    select source_id, max(fetched_at) as last_loaded
    from meta.fetches
    where outcome = 'loaded'
    group by source_id
),
held as (
    select source_id, count(*) as rows_now from core.figures group by source_id
    union all
    select source_id, count(*) from core.population group by source_id
    union all
    select source_id, count(*) from ref.countries group by source_id
)
select r.source_id,
       strftime(r.fetched_at at time zone 'UTC', '%Y-%m-%d %H:%M UTC') as last_fetch,
       r.status, r.outcome, r.mode, r.error,
       strftime(l.last_loaded at time zone 'UTC', '%Y-%m-%d %H:%M UTC') as last_loaded,
       coalesce((select sum(h.rows_now) from held h where h.source_id = r.source_id), 0)::BIGINT as rows_now
from ranked r
left join loaded l using (source_id)
where r.n = 1
order by r.source_id
