-- validation_ledger: one row per source × pandera model — the checks run on the document each
-- source's current data was loaded from (meta.validation of the latest run that validated the
-- source: a source unchanged in this run keeps the checks of the run that loaded it).
with latest as (
    select source_id, max(checked_at) as checked_at
    from meta.validation
    group by source_id
)
select v.source_id,
       v.model,
       v.rows_checked,
       v.rows_failed,
       v.rows_checked - v.rows_failed as rows_passed,
       v.run_id,
       strftime(v.checked_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ') as checked_at,
       v.run_id = $run_id as checked_in_this_run
from meta.validation v
join latest l on l.source_id = v.source_id and l.checked_at = v.checked_at
order by v.source_id, v.model
