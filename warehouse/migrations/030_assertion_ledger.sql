-- Declared assertions (source.toml [assertions]) are checked before a snapshot is applied;
-- each check is one row of the validation ledger, passed or not, with what it found.
ALTER TABLE meta.validation ADD COLUMN passed BOOLEAN;
ALTER TABLE meta.validation ADD COLUMN detail VARCHAR;
COMMENT ON COLUMN meta.validation.model IS 'pandera model name, or assertion:<name> for a declared source assertion (min_rows, max_closed_share, key_columns, range:<column>, date_window:<column>)';
COMMENT ON COLUMN meta.validation.passed IS 'For assertions: whether the document passed (NULL for pandera models: see rows_failed)';
COMMENT ON COLUMN meta.validation.detail IS 'For assertions: what was found, e.g. "would close 17145 of 17195 current rows (limit 20 %)"';
