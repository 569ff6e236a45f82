-- The versions of {table} current right after the run whose seq is $seq.
SELECT h.*
FROM {table} AS h
JOIN meta.runs AS o ON o.run_id = h.opened_by_run
LEFT JOIN meta.runs AS c ON c.run_id = h.closed_by_run
WHERE o.seq <= $seq AND (h.closed_by_run IS NULL OR c.seq > $seq)
