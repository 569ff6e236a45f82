-- The hashes of the lines of the release last loaded that a line-delta release may no longer have: the
-- current versions read from those lines, whose event id is not staged, are withdrawn (withdrawn_delta.sql).
-- Hashed exactly as release_lines.sql hashes a line. The delta's removed lines (<sha>.removed,
-- flows/line_delta.py) are the base's lines it dropped or changed. When the release last loaded is a
-- sibling delta against the same base ($sibling), the lines that release inserted are candidates too:
-- those the new release still has are among its inserted lines, and those that are base lines it had
-- moved are staged again (sibling_lines.sql), so their events are not withdrawn.
CREATE OR REPLACE TEMP TABLE events_removed_lines AS
SELECT hash(line) AS line_hash
FROM read_csv($removed, header = false, auto_detect = false, delim = chr(1), quote = '', escape = '',
              columns = {'line': 'VARCHAR'})
WHERE line IS NOT NULL AND line <> ''
UNION
SELECT hash(line) AS line_hash
FROM read_csv($previous_inserted, header = false, auto_detect = false, delim = chr(1), quote = '', escape = '',
              columns = {'line': 'VARCHAR'})
WHERE $sibling AND line IS NOT NULL AND line <> '';
