"""The main flow: refresh every (or some) source, load one snapshot, rebuild marts, publish.

Orchestration only: each task calls a plain function from flows.pipeline / warehouse.*.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment as prefect_deployment
from prefect.runtime import flow_run as prefect_flow_run

from flows import pipeline
from flows.catalog import Source, load_catalog, select
from flows.config import paths as data_paths
from flows.fetch import FetchResult, PreviousFetch
from warehouse.changes import changes_since_previous
from warehouse.db import writer_lock
from warehouse.load import finish_run, load_run, open_writer, previous_fetches
from warehouse.marts import build_marts
from warehouse.publish import publish as publish_bundle


@task(name="fetch", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE, task_run_name="fetch {source.id}")
def fetch_task(source: Source, mode: str, raw_store, previous: PreviousFetch | None,
               override: str | None, force: bool) -> FetchResult:
    return pipeline.fetch(source, mode=mode, raw_store=raw_store, previous=previous, override=override, force=force)


@task(name="extract-validate", cache_policy=NO_CACHE, task_run_name="extract {source.id}")
def process_task(source: Source, fetched: FetchResult, force: bool) -> pipeline.SourceOutcome:
    return pipeline.process(source, fetched, force=force)


@task(name="load", cache_policy=NO_CACHE)
def load_task(db_path, run: pipeline.RunInfo, outcomes: list) -> list:
    return load_run(db_path, run, outcomes)


@task(name="changes", cache_policy=NO_CACHE)
def changes_task(db_path, run_id: str) -> str | None:
    """Markdown diff between the previous run and this one (None when nothing changed)."""
    con = open_writer(db_path)
    try:
        return changes_since_previous(con, run_id)
    finally:
        con.close()


@task(name="marts", cache_policy=NO_CACHE)
def marts_task(db_path) -> dict[str, int]:
    con = open_writer(db_path)
    try:
        return build_marts(con)
    finally:
        con.close()


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(db_path, target, run_id: str) -> dict:
    con = open_writer(db_path)
    try:
        return publish_bundle(con, target, run_id=run_id)
    finally:
        con.close()


@flow(name="refresh", log_prints=True)
def refresh(
    sources: list[str] | None = None,
    mode: Literal["mirror", "live"] = "mirror",
    url_overrides: dict[str, str] | None = None,
    force: bool = False,
    publish: bool = True,
    trigger: str = "cli",
    home: str | None = None,
    wait_for_writer_seconds: float = 0.0,
) -> dict:
    """Refresh sources, load them as one snapshot, rebuild the marts and publish the bundle.

    Args:
        sources: catalog ids to refresh (empty = all sources).
        mode: 'mirror' reads the copies embedded in the repository (offline); 'live' fetches the publishers' URLs.
        url_overrides: per-source URL (or local path) to fetch instead, e.g. {"icsr_2015_01": "https://..."}.
        force: re-extract and reload even when a document is unchanged.
        publish: export the marts to data/published/ after loading.
        trigger: who started the run (cli, manual, schedule, test); deployments set it.
        home: data folder (default: $FTF_HOME or ./data).
        wait_for_writer_seconds: how long to wait if another run is writing the warehouse.
    """
    logger = get_run_logger()
    where = data_paths(home)
    catalog = load_catalog()
    chosen = select(catalog, sources)
    overrides = url_overrides or {}
    unknown = [k for k in overrides if k not in catalog]
    if unknown:
        raise ValueError(f"--url given for unknown source(s): {', '.join(unknown)}")
    started = dt.datetime.now(dt.timezone.utc)
    run = pipeline.RunInfo(
        run_id=pipeline.new_run_id(started), mode=mode, started_at=started, trigger=trigger,
        parameters={"sources": sources or [], "mode": mode, "url_overrides": overrides, "force": force,
                    "publish": publish},
        flow_run_id=str(prefect_flow_run.id) if prefect_flow_run.id else None,
        deployment=prefect_deployment.name if prefect_deployment.id else None,
    )
    with writer_lock(where.lock, wait_seconds=wait_for_writer_seconds):
        replayed = pipeline.replay_vintages_if_new(where, [s for s in chosen if s.id not in overrides], mode)
        previous = previous_fetches(where.db)
        fetched = {s.id: fetch_task.submit(s, mode, where.raw, previous.get(s.id), overrides.get(s.id), force)
                   for s in chosen}
        processed = [process_task.submit(s, fetched[s.id], force) for s in chosen]
        outcomes = load_task(where.db, run, [p.result() for p in processed])
        for o in outcomes:
            (logger.warning if o.status == "failed" else logger.info)(
                "%s: %s (%s rows loaded, %s quarantined)%s", o.source_id, o.status, o.rows_loaded,
                o.rows_quarantined, f" — {o.error}" if o.error else "")
        diff = changes_task(where.db, run.run_id)
        counts = marts_task(where.db)
        manifest = publish_task(where.db, where.published, run.run_id) if publish else None
        finish_run(where.db, run.run_id)
    rows = pipeline.summary_rows(outcomes)
    if diff:
        create_markdown_artifact(key="refresh-changes", markdown=diff,
                                 description=f"What run {run.run_id} changed in the warehouse")
    create_table_artifact(key="refresh-summary", table=rows,
                          description=f"ftf-warehouse run {run.run_id} ({mode}): {pipeline.run_status(outcomes)}")
    return {"run_id": run.run_id, "status": pipeline.run_status(outcomes), "sources": rows,
            "marts": counts, "replayed": replayed, "warehouse": str(where.db),
            "published": str(where.published) if manifest else None}
