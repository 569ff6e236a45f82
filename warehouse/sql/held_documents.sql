-- One row per source: the document the warehouse last loaded (or found unchanged) for it.
select source_id, sha256 from (
    select source_id, sha256,
           row_number() over (partition by source_id order by fetched_at desc) as n
    from meta.fetches
    where outcome in ('loaded', 'unchanged') and sha256 is not null)
where n = 1
