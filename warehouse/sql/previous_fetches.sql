-- The last fetch of each source whose document was loaded (or found unchanged), and for an event source
-- the release file it was last loaded from (the base a new release is diffed against: flows/line_delta.py).
WITH last_fetch AS (
    SELECT source_id, sha256, etag, last_modified, inputs_sha256 FROM (
        SELECT *, row_number() OVER (PARTITION BY source_id ORDER BY fetched_at DESC) AS n
        FROM meta.fetches WHERE outcome IN ('loaded', 'unchanged') AND sha256 IS NOT NULL)
    WHERE n = 1
), last_release_file AS (
    SELECT source_id, sha256 AS release_sha256 FROM (
        SELECT *, row_number() OVER (PARTITION BY source_id ORDER BY loaded_at DESC, run_id DESC) AS n
        FROM meta.event_release_files)
    WHERE n = 1
)
SELECT f.source_id, f.sha256, f.etag, f.last_modified, f.inputs_sha256, r.release_sha256
FROM last_fetch AS f LEFT JOIN last_release_file AS r USING (source_id);
