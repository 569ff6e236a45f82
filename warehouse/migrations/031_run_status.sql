-- Honest run records (warehouse/runs.py): a run is recorded as 'running' when it starts, 'loaded'
-- once its data is committed, and gets its final status with finished_at; a run that never
-- finished is marked 'interrupted' by the next run.
COMMENT ON COLUMN meta.runs.status IS 'running | loaded (data committed, marts/publish pending) | completed | partial (some sources failed) | failed | published_failed (data loaded, the previous bundle still served) | interrupted (never finished: killed; marked by the next run)';
COMMENT ON COLUMN meta.runs.finished_at IS 'When the run finished; NULL while running or when it was interrupted';
