INSERT OR REPLACE INTO meta.mart_builds (mart, input_state, run_id, built_at) VALUES (?, ?, ?, ?)
