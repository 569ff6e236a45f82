"""What the warehouse was built from: each run's input state (meta.runs.input_state), each
mart's (meta.mart_builds), the documents the warehouse holds, and the snapshot a bundle shows.
The states themselves are computed in flows/state.py; SQL lives in warehouse/sql/."""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"


@lru_cache(maxsize=None)
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def held_documents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Source id -> sha256 of the document the warehouse last loaded (or found unchanged) for it."""
    return dict(con.execute(_sql("held_documents")).fetchall())


def mart_states(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Mart -> the input state it was last built from, for marts whose table exists."""
    return dict(con.execute(_sql("mart_states")).fetchall())


def record_mart_builds(con: duckdb.DuckDBPyConnection, states: dict[str, str], run_id: str) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    for mart, state in states.items():
        con.execute(_sql("record_mart_build"), [mart, state, run_id, now])


def record_run_state(con: duckdb.DuckDBPyConnection, run_id: str, input_state: str) -> None:
    con.execute("UPDATE meta.runs SET input_state = ? WHERE run_id = ?", [input_state, run_id])


def latest_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The last run in commit order (seq): run_id, status, input_state."""
    row = con.execute(_sql("latest_run")).fetchone()
    return dict(zip(("run_id", "status", "input_state"), row)) if row else None


def snapshot_run(con: duckdb.DuckDBPyConnection) -> tuple[str, dt.datetime] | None:
    """The run whose load made the warehouse what it is: the last run that opened or closed a
    version (run id, started_at). A bundle built from the same state names the same snapshot."""
    return con.execute(_sql("snapshot_run")).fetchone()


def record_unchanged_run(con: duckdb.DuckDBPyConnection, *, run_id: str, started_at: dt.datetime, mode: str,
                         trigger: str, parameters: dict, input_state: str, since_run: str) -> None:
    """A run that found nothing to do: recorded with status 'unchanged', finished at once."""
    con.execute(_sql("record_unchanged_run"), {
        "run_id": run_id, "trigger": trigger, "parameters": json.dumps(parameters, sort_keys=True, default=str),
        "mode": mode, "started_at": started_at, "finished_at": dt.datetime.now(dt.timezone.utc),
        "input_state": input_state,
        "message": f"nothing changed since run {since_run}; published bundle is current"})
