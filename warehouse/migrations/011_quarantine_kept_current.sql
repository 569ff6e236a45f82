-- Quarantine never erases: a quarantined row whose key has a current version leaves that version
-- current; the quarantine row (with the run that tried to change it) says so.
ALTER TABLE meta.quarantine ADD COLUMN kept_current BOOLEAN;
COMMENT ON COLUMN meta.quarantine.kept_current IS 'True when the row''s key had a current version that the run kept current instead of closing (the run_id is the run that tried to change it); NULL for rows quarantined before this column existed';
