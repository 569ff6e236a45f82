-- quarantine: one row per row a check rejected (meta.quarantine), every run: the source, the
-- stage and check that rejected it, the reason, the row as read (JSON text), and whether the
-- row's key kept its current version (the quarantine never erases what was loaded before).
select source_id,
       stage,
       source_row,
       column_name,
       check_name,
       reason,
       cast(row_json as VARCHAR) as row_json,
       kept_current,
       run_id,
       strftime(quarantined_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ') as quarantined_at
from meta.quarantine
order by source_id, quarantined_at, source_row nulls last, check_name
