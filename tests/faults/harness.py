"""Plain-function runs for the fault matrix (the same steps as flows/refresh.py, without Prefect)."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb

from flows import pipeline
from flows.catalog import load_catalog, select
from flows.config import Paths, paths
from flows.fetch import TransientFetchError
from warehouse.load import load_run, open_writer, previous_fetches
from warehouse.marts import build_marts
from warehouse.publish import publish
from warehouse.runs import record_start

CURRENT = {"figures": "core.figures", "population": "core.population", "countries": "ref.countries"}
HEALTHY = "icsr_2013_12"   # the source every case loads beside the faulty one


def build_baseline(home: Path) -> Paths:
    where = paths(home)
    catalog = load_catalog()
    pipeline.replay_vintages_if_new(where, list(catalog.values()), "mirror")
    run_sources(where, list(catalog))
    con = open_writer(where.db)
    try:
        build_marts(con)
        publish(con, where.published, run_id="baseline")
    finally:
        con.close()
    return where


def run_sources(where: Paths, source_ids: list[str], *, overrides: dict[str, str] | None = None,
                accept_shrink: tuple[str, ...] = (), force: bool = False, mode: str = "mirror"):
    """One run of these sources; returns (run, {source_id: outcome}). Transient fetch failures end
    the source as the flow's task does after its last retry."""
    overrides = overrides or {}
    started = dt.datetime.now(dt.timezone.utc)
    run = pipeline.RunInfo(run_id=pipeline.new_run_id(started), mode=mode, started_at=started,
                           parameters={"sources": source_ids}, trigger="test")
    record_start(where.db, run, parameters_json=pipeline.parameters_json(run.parameters))
    previous = previous_fetches(where.db)
    outcomes = []
    for source in select(load_catalog(), source_ids):
        try:
            fetched = pipeline.fetch(source, mode=mode, raw_store=where.raw, previous=previous.get(source.id),
                                     override=overrides.get(source.id), force=force)
        except TransientFetchError as exc:
            fetched = exc.result
        outcome = pipeline.process(source, fetched, force=force)
        outcome = pipeline.archive_documents(source, outcome, mode=mode, raw_store=where.raw)
        outcome.accept_shrink = source.id in accept_shrink
        outcomes.append(outcome)
    load_run(where.db, run, outcomes, finished=True)
    return run, {o.source_id: o for o in outcomes}


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def current_rows(where: Paths, source_id: str) -> list[tuple]:
    """Every current row of a source (its snapshot), sorted: equal before and after = intact."""
    kind = load_catalog()[source_id].kind
    rows = query(where.db, f"select * exclude (run_id) from {CURRENT[kind]} where source_id = ?", [source_id])
    return sorted(rows, key=repr)


def files_outside_raw(where: Paths) -> dict[str, str]:
    """SHA-256 of every file of the data folder except the raw store and the database itself."""
    out = {}
    for path in sorted(where.home.rglob("*")):
        rel = path.relative_to(where.home)
        if path.is_file() and rel.parts[0] != "raw" and not rel.name.startswith("ftf.duckdb"):
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def one_line(message: str | None) -> bool:
    return bool(message) and "\n" not in message and "Traceback" not in message
