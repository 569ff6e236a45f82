-- A source's review inputs (an analyst's decisions.csv) are part of what its load depends on:
-- a changed decision re-reads an unchanged document.
ALTER TABLE meta.fetches ADD COLUMN inputs_sha256 VARCHAR;
COMMENT ON COLUMN meta.fetches.inputs_sha256 IS 'SHA-256 of the source folder''s decisions.csv used with this document (NULL: none)';
