-- The hash of every line of a new release, and the text of the lines the current versions do not
-- already hold (new or changed events): only those are parsed and validated again.
CREATE OR REPLACE TEMP TABLE events_release_lines AS
WITH held AS (
    SELECT DISTINCT line_hash FROM history.ucdp_ged_events
    WHERE source_id = $source_id AND recorded_to IS NULL AND line_hash IS NOT NULL
), lines AS (
    SELECT hash(line) AS line_hash, line
    FROM read_csv($path, header = $header, auto_detect = false, delim = chr(1), quote = '', escape = '',
                  columns = {'line': 'VARCHAR'})
)
SELECT lines.line_hash, CASE WHEN held.line_hash IS NULL THEN lines.line END AS line
FROM lines LEFT JOIN held USING (line_hash);
