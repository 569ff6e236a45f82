"""The one writer: load every validated frame of a run into DuckDB in ONE transaction.

Frames go in through DataFrame registration and set-based SQL (warehouse/snapshots.py),
never row-by-row inserts. A source whose snapshot cannot be applied fails alone; anything
unexpected rolls the whole run back, so the previous snapshot stays intact.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.fetches import PreviousFetch
from warehouse.db import WarehouseBusy, connect, migrate
from warehouse.events import EventsError, load_release
from warehouse.guards import check_before_snapshot
from warehouse.runs import parameters_json, run_status
from warehouse.snapshots import TABLES, SnapshotError, apply_figures, apply_snapshot, withdraw_sources

FETCH_COLUMNS = ["run_id", "source_id", "url", "mode", "status", "http_status", "bytes", "sha256", "etag",
                 "last_modified", "changed", "fetched_at", "error", "attempts", "outcome", "inputs_sha256"]


PREVIOUS_FETCHES_SQL = Path(__file__).resolve().parent / "sql" / "previous_fetches.sql"


def open_writer(db_path: Path, *, wait_seconds: float = 30.0) -> duckdb.DuckDBPyConnection:
    """A read-write connection; waits briefly for short-lived readers (`ftf sql`) to let go."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = connect(db_path)
            migrate(con)
            return con
        except WarehouseBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


# The warehouse a writing function works on: the run's open connection (a flow run opens one
# and passes it to every step), or the file's path (a new connection, closed when the step ends).
Warehouse = Path | duckdb.DuckDBPyConnection


@contextlib.contextmanager
def writing(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection: `warehouse` itself when it is a connection (left open for its
    owner), else a new connection to that file, closed on leaving."""
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        yield warehouse
        return
    con = open_writer(warehouse)
    try:
        yield con
    finally:
        con.close()


def database_file(con: duckdb.DuckDBPyConnection) -> Path:
    """The file a connection writes (its current database)."""
    return Path(con.execute("select path from duckdb_databases() where database_name = current_database()"
                            ).fetchone()[0])


def previous_fetches(warehouse: Warehouse) -> dict[str, PreviousFetch]:
    """The last fetch of each source whose document was loaded (or found unchanged)."""
    if not isinstance(warehouse, duckdb.DuckDBPyConnection) and not Path(warehouse).exists():
        return {}
    with writing(warehouse) as con:
        rows = con.execute(PREVIOUS_FETCHES_SQL.read_text(encoding="utf-8")).fetchall()
    return {r[0]: PreviousFetch(sha256=r[1], etag=r[2], last_modified=r[3], inputs_sha256=r[4], release_sha256=r[5])
            for r in rows}


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame is None or frame.empty:
        return
    con.register("insert_frame", frame)
    try:
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM insert_frame")
    finally:
        con.unregister("insert_frame")


def _insert_quarantine(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Quarantine rows, except those already held for the same source, row, check and reason
    (a re-read document does not quarantine the same bad row twice)."""
    con.register("quarantine_frame", frame)
    try:
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"""INSERT INTO meta.quarantine ({cols}) SELECT {cols} FROM quarantine_frame AS n
                        WHERE NOT EXISTS (SELECT 1 FROM meta.quarantine AS q WHERE q.source_id = n.source_id
                          AND q.row_json = n.row_json::JSON AND q.check_name = n.check_name AND q.reason = n.reason)""")
    finally:
        con.unregister("quarantine_frame")


def _outcome_label(o) -> str:
    if o.status == "failed":
        return "failed_fetch" if (o.fetch or {}).get("status") == "failed" or o.fetch is None else "failed_extract"
    return o.status


def _load_events(con: duckdb.DuckDBPyConnection, db_path: Path, run, o, now: dt.datetime) -> None:
    """An event release in its own transaction, before the run's main one: a failed DuckDB statement
    aborts its whole transaction, and a bad release must not take the other sources with it."""
    con.execute("BEGIN TRANSACTION")
    try:
        load_release(con, o.events, run_id=run.run_id, recorded_at=run.version_time,
                     scratch=Path(db_path).parent / "scratch")
        _insert_frame(con, "meta.validation", pd.DataFrame([o.events.ledger()]).assign(run_id=run.run_id, checked_at=now))
        con.execute("COMMIT")
    except EventsError as exc:
        con.execute("ROLLBACK")
        o.status, o.error = "failed", f"{o.source_id}: {exc}"
        return
    o.opened, o.closed = o.events.opened, o.events.closed
    o.notes.extend([*o.events.notes, o.events.timing()])


def _load_event_releases(con: duckdb.DuckDBPyConnection, db_path: Path, run, outcomes: list,
                         now: dt.datetime) -> list:
    """Load the event releases (each in its own transaction); return the other outcomes."""
    for o in outcomes:
        if o.status == "loaded" and o.kind == "events":
            _load_events(con, db_path, run, o, now)
    return [o for o in outcomes if o.kind != "events"]


def _check_guards(con: duckdb.DuckDBPyConnection, o, run) -> None:
    """Declared assertions (warehouse/guards.py) before the snapshot: a failed one raises SnapshotError,
    so the source fails and its previous snapshot stays current; every check goes to the ledger."""
    verdict = check_before_snapshot(con, kind=o.kind, source_id=o.source_id, frame=o.frame,
                                    assertions=getattr(o, "assertions", None), run_date=run.started_at.date(),
                                    accept_shrink=getattr(o, "accept_shrink", False))
    if verdict.error is None:
        o.validation = list(o.validation) + verdict.ledger
        return
    _insert_frame(con, "meta.validation", pd.DataFrame(verdict.ledger).assign(
        run_id=run.run_id, checked_at=dt.datetime.now(dt.timezone.utc)))
    raise SnapshotError(verdict.error.removeprefix(f"{o.source_id}: "))


def _recorded_status(outcomes: list, finished: bool) -> str:
    """The status load_run records: the final one for a finished run, else 'loaded' (marts and publish
    to come; finish_run sets the final status), so no row claims completion without finished_at."""
    return run_status(outcomes) if finished else "loaded"


def _apply_outcome(con: duckdb.DuckDBPyConnection, run, o) -> None:
    """Check the source's assertions, then apply its snapshot (a SnapshotError fails that source alone)."""
    try:
        _check_guards(con, o, run)
        if o.kind == "figures":
            result = apply_figures(con, o.frame, run_id=run.run_id, recorded_from=run.version_time, kept=o.kept_keys)
        else:
            result = apply_snapshot(con, TABLES[o.kind], o.frame, run_id=run.run_id,
                                    recorded_from=run.version_time, kept=o.kept_keys)
    except SnapshotError as exc:
        o.status, o.error = "failed", f"{o.source_id}: {exc}"
        return
    o.opened, o.closed = result.opened, result.closed
    o.quarantine = o.quarantine.assign(kept_current=o.quarantine.index.isin(list(result.kept_rows)))
    if result.kept:
        o.notes.append(f"kept {result.kept} current version(s) whose rows are in quarantine")


@dataclass
class WithdrawnSource:
    """A source that left the catalog, as a line of the run's summary (shaped like a source outcome)."""
    source_id: str
    kind: str
    closed: int
    status: str = "withdrawn"
    opened: int = 0
    rows_extracted: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    fetch: dict | None = None
    error: str | None = None
    archives: list = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        return [f"not in the catalog any more: {self.closed} current version(s) closed as withdrawn"]

    def summary(self) -> dict:
        return {"status": self.status, "fetch": None, "rows_extracted": 0, "rows_loaded": 0, "rows_quarantined": 0,
                "versions_opened": 0, "versions_closed": self.closed, "error": None, "notes": self.notes}


def _withdrawn_sources(con: duckdb.DuckDBPyConnection, run, catalog_ids: list[str] | None) -> list[WithdrawnSource]:
    """Close the current versions of sources that left the catalog, one summary line per source."""
    if catalog_ids is None:
        return []
    closed = withdraw_sources(con, catalog_ids, run_id=run.run_id, recorded_at=run.version_time)
    return [WithdrawnSource(source_id, kind, count)
            for (kind, source_id), count in sorted(closed.items(), key=lambda item: (item[0][1], item[0][0]))]


def load_run(warehouse: Warehouse, run, outcomes: list, *, finished: bool = False,
             catalog_ids: list[str] | None = None) -> list:
    """Apply every loaded outcome's snapshot, record quarantine, validation, fetches and the run.
    With `catalog_ids` (every source the catalog declares), sources that left the catalog are
    withdrawn and added to the outcomes. Returns the outcomes with versions opened/closed filled in."""
    with writing(warehouse) as con:
        return _load_run(con, run, outcomes, finished=finished, catalog_ids=catalog_ids)


def _load_run(con: duckdb.DuckDBPyConnection, run, outcomes: list, *, finished: bool,
              catalog_ids: list[str] | None) -> list:
    now = dt.datetime.now(dt.timezone.utc)
    try:
        tabular = _load_event_releases(con, database_file(con), run, outcomes, now)
        con.execute("BEGIN TRANSACTION")
        for o in tabular:
            if o.status != "loaded":
                continue
            _apply_outcome(con, run, o)
            if o.status != "loaded":
                continue
            if len(o.quarantine):
                _insert_quarantine(con, o.quarantine.assign(run_id=run.run_id, quarantined_at=now))
            if o.validation:
                _insert_frame(con, "meta.validation",
                              pd.DataFrame(o.validation).assign(run_id=run.run_id, checked_at=now))
        outcomes = [*outcomes, *_withdrawn_sources(con, run, catalog_ids)]
        fetches = [dict(o.fetch, run_id=run.run_id, outcome=_outcome_label(o)) for o in outcomes if o.fetch]
        fetches += [dict(a, run_id=run.run_id) for o in outcomes for a in o.archives]
        if fetches:
            _insert_frame(con, "meta.fetches", pd.DataFrame(fetches)[FETCH_COLUMNS])
        changed = any(o.opened or o.closed for o in outcomes)
        con.execute(   # OR REPLACE: the run was recorded as 'running' when it started (warehouse/runs.py)
            "INSERT OR REPLACE INTO meta.runs (run_id, flow_run_id, deployment, trigger, parameters, mode, started_at, "
            "finished_at, status, sources, changed, message, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "(select coalesce(max(seq), 0) + 1 from meta.runs))",
            [run.run_id, run.flow_run_id, run.deployment, run.trigger, parameters_json(run.parameters), run.mode,
             run.started_at, now if finished else None, _recorded_status(outcomes, finished),
             json.dumps({o.source_id: o.summary() for o in outcomes}, default=str), changed,
             "; ".join(o.error for o in outcomes if o.error) or None])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return outcomes


def _status_from_sources(sources_json: str | None) -> str:
    """A loaded run's final status from its per-source summary (as flows.pipeline.run_status)."""
    statuses = [v.get("status") for v in json.loads(sources_json or "{}").values()]
    failed = statuses.count("failed")
    return "completed" if not failed else ("failed" if failed == len(statuses) else "partial")


def finish_run(warehouse: Warehouse, run_id: str, *, status: str | None = None, message: str | None = None) -> None:
    """Set finished_at and the final status (given, or for a 'loaded' run derived from its sources)."""
    with writing(warehouse) as con:
        if status is None:
            row = con.execute("select status, sources from meta.runs where run_id = ?", [run_id]).fetchone()
            if row and row[0] == "loaded":
                status = _status_from_sources(row[1])
        con.execute("UPDATE meta.runs SET finished_at = now(), status = coalesce(?, status), "
                    "message = coalesce(?, message) WHERE run_id = ?", [status, message, run_id])
