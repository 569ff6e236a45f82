-- The last run (in commit order) that opened or closed a version; else the first run.
select run_id, started_at from meta.runs
where seq is not null
order by coalesce(changed, false) desc, case when coalesce(changed, false) then -seq else seq end
limit 1
