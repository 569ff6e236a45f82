-- The hashes of the previous release's lines that a line-delta release dropped or changed
-- (flows/line_delta.py keeps them as <sha>.removed): the current versions read from those lines are the
-- candidates for withdrawal. Hashed exactly as release_lines.sql hashes a line.
CREATE OR REPLACE TEMP TABLE events_removed_lines AS
SELECT hash(line) AS line_hash
FROM read_csv($path, header = false, auto_detect = false, delim = chr(1), quote = '', escape = '',
              columns = {'line': 'VARCHAR'})
WHERE line IS NOT NULL AND line <> '';
