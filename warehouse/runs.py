"""Honest run records: a run is in meta.runs from the moment it holds the writer lock, and a run
that never finished (killed, machine lost) is marked `interrupted` by the next run, which names it.

    record_start(db, run)          # status 'running', no finished_at
    load_run(...)                  # status 'loaded' (data committed; marts and publish to come)
    finish_run(..., status=...)    # completed | partial | failed | published_failed, finished_at set
    mark_interrupted(db, run_id)   # called by the next run while it holds the writer lock

So no row ever claims completion without a `finished_at`.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

__all__ = ["UNFINISHED", "has_unfinished", "mark_interrupted", "record_start"]

UNFINISHED = ("running", "loaded", "completed", "partial", "failed", "published_failed")


def record_start(warehouse, run, *, parameters_json: str) -> None:
    """Insert the run as 'running' before it changes anything. `warehouse`: the run's connection or the file."""
    from warehouse.load import writing   # lazily: `ftf run`'s no-change answer imports this module
    with writing(warehouse) as con:
        con.execute(
            "INSERT INTO meta.runs (run_id, flow_run_id, deployment, trigger, parameters, mode, started_at, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'running')",
            [run.run_id, run.flow_run_id, run.deployment, run.trigger, parameters_json, run.mode, run.started_at])


def mark_interrupted(warehouse, current_run_id: str) -> list[str]:
    """Mark every other run without finished_at as interrupted; returns their run ids (oldest first).
    Only call it while holding the writer lock: then no other run can still be going.
    `warehouse`: the run's connection or the file."""
    if isinstance(warehouse, (str, Path)) and not Path(warehouse).exists():
        return []
    from warehouse.load import writing
    with writing(warehouse) as con:
        rows = con.execute(
            "UPDATE meta.runs SET status = 'interrupted', "
            "message = concat_ws('; ', message, ?) "
            "WHERE finished_at IS NULL AND run_id <> ? AND status <> 'interrupted' RETURNING run_id, started_at",
            [f"interrupted: it never finished (found by run {current_run_id} at "
             f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)", current_run_id]).fetchall()
    return [r[0] for r in sorted(rows, key=lambda r: r[1])]


def has_unfinished(con) -> bool:
    """Whether a run was killed before its load committed (a 'running' row: it has no seq, so the last
    run in commit order does not show it): the next run must then go through the flow, which marks
    and names it. (A run killed after its load is the last run, with status 'loaded'.)"""
    return bool(con.execute("select count(*) from meta.runs where status = 'running' "
                            "and finished_at is null").fetchone()[0])


def run_status(outcomes: list) -> str:
    """completed (no source failed), failed (all failed) or partial."""
    failed = sum(o.status == "failed" for o in outcomes)
    if not failed:
        return "completed"
    return "failed" if failed == len(outcomes) else "partial"


def parameters_json(parameters: dict) -> str:
    """The run's parameters as stored in meta.runs.parameters (stable key order)."""
    return json.dumps(parameters, default=str, sort_keys=True)
