-- Added / revised / closed rows of one history table between the states after two runs ($seq_a < $seq_b),
-- with the reason the old version was closed (revised, withdrawn, removed_from_source, rejected_in_review).
WITH a AS ({state_a}),
b AS ({state_b})
SELECT CASE WHEN a.key_hash IS NULL THEN 'added'
            WHEN b.key_hash IS NULL THEN 'closed'
            ELSE 'revised' END AS change,
       {describe} AS what,
       {old_value} AS old_value,
       {new_value} AS new_value,
       a.closed_reason AS closed_reason,
       coalesce(b.opened_by_run, a.closed_by_run) AS run_id,
       CASE WHEN a.key_hash IS NOT NULL AND b.key_hash IS NOT NULL THEN to_json(a) END AS old_row,
       CASE WHEN a.key_hash IS NOT NULL AND b.key_hash IS NOT NULL THEN to_json(b) END AS new_row
FROM a FULL OUTER JOIN b ON a.key_hash = b.key_hash
WHERE a.key_hash IS NULL OR b.key_hash IS NULL OR a.row_hash <> b.row_hash
ORDER BY change, what
