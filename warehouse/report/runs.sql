-- runs: the latest eight runs of the pipeline (meta.runs), newest first.
select run_id, trigger, mode, status,
       strftime(started_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S UTC') as started,
       strftime(finished_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S UTC') as finished,
       changed, message
from meta.runs
order by started_at desc
limit 8
