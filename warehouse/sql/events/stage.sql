-- Stage a GED release file: typed rows (types as in flows/sources/ucdp_ged/source.toml [events] columns),
-- each with the hash of its CSV line (the same file read twice, joined by position) and of its values.
-- line_aligned is false where the two readings disagree (a record spanning several lines): the caller
-- then restages without line hashes (events_stage_typed.sql).
CREATE OR REPLACE TEMP TABLE events_staged AS
SELECT t.* REPLACE (t.date_start::DATE AS date_start, t.date_end::DATE AS date_end),
       hash(l.line) AS line_hash,
       hash(*COLUMNS(t.*)) AS row_hash,
       coalesce(t.id::VARCHAR = trim(l.line[1:strpos(l.line, ',') - 1], '"'), false) AS line_aligned
FROM read_csv($path, header = $header, auto_detect = false, delim = ',', quote = '"', escape = '"',
              columns = $columns) AS t
POSITIONAL JOIN read_csv($path, header = $header, auto_detect = false, delim = chr(1), quote = '', escape = '',
                         columns = {'line': 'VARCHAR'}) AS l;
