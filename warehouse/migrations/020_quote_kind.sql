-- quote_kind: what kind of verbatim text `quote` is, so a reader (and a test) knows where to
-- find it: `sentence` (a sentence of the report or article, or of the text a transcription
-- quotes), `table_row` (a row of a published table, cells joined as the extractor read them),
-- `csv_row` (a line of a CSV document exactly as it appears in the file; `page` = its line
-- number), `json_record` (one record of a JSON document). Versions loaded before this column
-- existed keep NULL until their source is loaded again.
ALTER TABLE history.figures ADD COLUMN quote_kind VARCHAR;
COMMENT ON COLUMN history.figures.quote_kind IS 'What kind of verbatim text quote is: sentence, table_row, csv_row (the line exactly as in the file; page = its line number) or json_record';

-- core.figures (migration 010) exposes every stored column except hashes and bookkeeping, so it
-- (and core.accepted_readings, core.pending_figures built on it) carries quote_kind as well.
