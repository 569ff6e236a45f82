-- quote_kind: what kind of verbatim text `quote` is, so a reader (and a test) knows where to
-- find it: `sentence` (a sentence of the report or article, or of the text a transcription
-- quotes), `table_row` (a row of a published table, cells joined as the extractor read them),
-- `csv_row` (a line of a CSV document exactly as it appears in the file; `page` = its line
-- number), `json_record` (one record of a JSON document). Versions loaded before this column
-- existed keep NULL until their source is loaded again.
ALTER TABLE history.figures ADD COLUMN quote_kind VARCHAR;
COMMENT ON COLUMN history.figures.quote_kind IS 'What kind of verbatim text quote is: sentence, table_row, csv_row (the line exactly as in the file; page = its line number) or json_record';

CREATE OR REPLACE VIEW core.figures AS
SELECT source_id, publication_id, document_url, is_secondary, country_iso3, area_kind,
       country_as_published, metric, variant, value, value_low, value_high, qualifier, share,
       share_of, countries_count, reference_date, published_on, page, quote, quote_kind, review_status,
       flag, note, valid_from, valid_to, opened_by_run AS run_id
FROM history.figures WHERE valid_to IS NULL;
COMMENT ON VIEW core.figures IS 'Current version of every figure: one row per source, publication, area, metric, reference date (and variant)';
