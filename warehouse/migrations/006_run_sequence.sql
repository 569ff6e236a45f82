-- Runs are ordered by the moment their load committed (seq), not by when they started:
-- "the state after run X" = versions opened by runs with seq <= X.seq and not closed by then.
ALTER TABLE meta.runs ADD COLUMN seq BIGINT;
COMMENT ON COLUMN meta.runs.seq IS 'Order in which runs committed their load (1, 2, ...); ftf diff compares the states after two runs';
