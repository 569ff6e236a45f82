-- The last run in commit order.
select run_id, status, input_state from meta.runs where seq is not null order by seq desc limit 1
