-- The hash of every line of a new release, and the text of the lines the current versions do not
-- already hold (new or changed events): only those are parsed and validated again. The held hashes
-- are the IN list (a hash table of 8-byte hashes), never the release's lines.
CREATE OR REPLACE TEMP TABLE events_release_lines AS
WITH lines AS (
    SELECT hash(line) AS line_hash, line
    FROM read_csv($path, header = $header, auto_detect = false, delim = chr(1), quote = '', escape = '',
                  columns = {'line': 'VARCHAR'})
)
SELECT line_hash,
       CASE WHEN line_hash IN (SELECT line_hash FROM history.ucdp_ged_events
                               WHERE source_id = $source_id AND recorded_to IS NULL AND line_hash IS NOT NULL)
            THEN NULL ELSE line END AS line
FROM lines;
