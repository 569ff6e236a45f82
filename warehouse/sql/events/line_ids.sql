-- The lines of a release by the event id each starts with (NULL when the first field is not a number):
-- how many lines start with it, and the hash of the line when there is one. A first release takes each
-- event's line hash from here by id instead of reading the file a second time in step with the typed
-- reading (a POSITIONAL JOIN reads both in one thread); sum(copies) is the number of lines.
CREATE OR REPLACE TEMP TABLE events_line_ids AS
SELECT try_cast(trim(line[1:strpos(line, ',') - 1], '"') AS BIGINT) AS id, min(hash(line)) AS line_hash,
       count(*) AS copies
FROM read_csv($path, header = $header, auto_detect = false, delim = chr(1), quote = '', escape = '',
              columns = {'line': 'VARCHAR'})
WHERE line IS NOT NULL AND line <> ''
GROUP BY ALL;
