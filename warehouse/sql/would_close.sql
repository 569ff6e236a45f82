-- Guard before a snapshot: how many CURRENT rows of this source (within the publications the
-- new document carries, for figures) have a key the new document no longer has, i.e. how many
-- versions applying it would close as removed. Reads the current views, not history internals.
-- {view}, {key_match} and {scope_filter} are identifiers from warehouse/guards.py; values are bound.
SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM guard_incoming AS n WHERE {key_match})) AS would_close,
       count(*) AS current_rows
FROM {view} AS c
WHERE c.source_id = $source_id {scope_filter};
