-- A source's first release goes straight into the history: one typed reading of the file, no staged copy
-- of millions of rows (the caller keeps DuckDB from building the join's hash table on the wide side). Each version carries the hash of its values and the hash of its CSV line, found by
-- the event id the line starts with; an id on several lines (a duplicated event) gives no line hash, so the
-- next release parses that row again. Rows that fail validation are deleted before the transaction commits
-- (warehouse/events.py), so they never become versions.
INSERT INTO history.ucdp_ged_events BY NAME
SELECT t.* REPLACE (t.date_start::DATE AS date_start, t.date_end::DATE AS date_end),
       l.line_hash,
       hash(*COLUMNS(t.*)) AS row_hash,
       $source_id AS source_id, $published_on AS published_on, $recorded_at AS recorded_from,
       $run_id AS opened_by_run
FROM read_csv($path, header = $header, auto_detect = false, delim = ',', quote = '"', escape = '"',
              columns = $columns) AS t
LEFT JOIN (SELECT id, line_hash FROM events_line_ids WHERE id IS NOT NULL AND copies = 1) AS l USING (id);
