-- Stage a GED release without line hashes (a record spans several lines, so lines are not records).
CREATE OR REPLACE TEMP TABLE events_staged AS
SELECT t.* REPLACE (t.date_start::DATE AS date_start, t.date_end::DATE AS date_end),
       NULL::UBIGINT AS line_hash,
       hash(*COLUMNS(t.*)) AS row_hash,
       true AS line_aligned
FROM read_csv($path, header = $header, auto_detect = false, delim = ',', quote = '"', escape = '"',
              columns = $columns) AS t;
