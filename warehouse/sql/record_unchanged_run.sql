INSERT INTO meta.runs (run_id, flow_run_id, deployment, trigger, parameters, mode, started_at, finished_at,
                       status, sources, changed, message, seq, input_state)
VALUES ($run_id, NULL, NULL, $trigger, $parameters, $mode, $started_at, $finished_at, 'unchanged', NULL, false,
        $message, (select coalesce(max(seq), 0) + 1 from meta.runs), $input_state)
