"""The main flow: refresh every (or some) source, load one snapshot, rebuild marts, publish.

Orchestration only: each task calls a plain function from flows.pipeline / warehouse.*.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.runtime import deployment as prefect_deployment
from prefect.runtime import flow_run as prefect_flow_run
from prefect.states import Failed
from pydantic import BaseModel, BeforeValidator, Field

from flows import pipeline
from flows.catalog import Source, load_catalog, select
from flows.config import paths as data_paths
from flows.fetch import FetchResult, PreviousFetch
from flows.state import RebuildPlan, plan_rebuild
from flows.writer_limit import WriterSlotBusy, writer_slot
from warehouse.builds import record_mart_builds, record_run_state
from warehouse.changes import changes_since_previous
from warehouse.db import WarehouseBusy, writer_lock
from warehouse.load import Warehouse, finish_run, load_run, open_writer, previous_fetches, writing
from warehouse.marts import build_marts
from warehouse.datapackage import datapackage_extra
from warehouse.publish import publish as publish_bundle
from warehouse.publish import publish_failure_message
from warehouse.runs import mark_interrupted, record_start
from warehouse.report import REPORT, report_extra, report_markdown

Trigger = Literal["manual", "schedule", "cli", "test"]


# ----------------------------------------------------------------------------------------- run form
# The flow's parameters, as the Prefect UI's run form shows them (Deployments → Run → Custom run):
# each with a title, a description and, where there is one, the list of choices. `trigger` is not
# among them: who started a run is Prefect's to say (effective_trigger), or the caller's (run_trigger).
def _form(title: str, description: str, **constraints) -> Field:
    # Prefect titles each field with the parameter's name (and the docstring); json_schema_extra has the last word
    return Field(title=title, description=description, json_schema_extra={"title": title, "description": description},
                 **constraints)


def _empty_if_none(value):
    return [] if value is None else value


SourceId = Literal[tuple(sorted(load_catalog()))]  # the catalog's ids: a multi-select on the form
SourcesParameter = Annotated[list[SourceId], BeforeValidator(_empty_if_none), _form(
    "Sources", "Catalog ids to refresh; leave empty to refresh every source.")]
ModeParameter = Annotated[Literal["mirror", "live"], _form(
    "Mode", "mirror: the copies embedded in the repository (offline); live: the publishers' URLs.")]
UrlOverridesParameter = Annotated[dict[str, str] | None, _form(
    "URL overrides", 'Per source, a URL or local path to fetch instead, e.g. {"icsr_2015_01": "https://..."}.')]
ForceParameter = Annotated[bool, _form("Force", "Re-extract and reload even documents that have not changed.")]
PublishParameter = Annotated[bool, _form("Publish", "Export the marts to the published bundle (data/published/).")]
HomeParameter = Annotated[str | None, _form(
    "Data folder", "Where the warehouse lives (default: the worker's $FTF_HOME, else the project's data/).")]
WaitParameter = Annotated[float, _form(
    "Wait for the writer (seconds)", "If another run is writing the warehouse, wait this long for it to finish, "
    "then fail with a clear message (a run that never got the lock writes nothing).", ge=0)]
PublishToParameter = Annotated[str | None, _form(
    "Also publish to", "Also deliver the bundle to this path or fsspec URL (e.g. s3://bucket/ftf).")]
AcceptShrinkParameter = Annotated[list[SourceId], BeforeValidator(_empty_if_none), _form(
    "Accept shrinking documents", "Sources whose new document may be much smaller than the last one (waives "
    "their min_rows and max_closed_share assertions; README \"Safety and failure\").")]


class RefreshParameters(BaseModel):
    """The run form of `refresh`: the flow's signature uses these very fields (a test checks it)."""
    sources: SourcesParameter = None
    mode: ModeParameter = "mirror"
    url_overrides: UrlOverridesParameter = None
    force: ForceParameter = False
    publish: PublishParameter = True
    home: HomeParameter = None
    wait_for_writer_seconds: WaitParameter = 0.0
    publish_to: PublishToParameter = None
    accept_shrink: AcceptShrinkParameter = None


_TRIGGER: contextvars.ContextVar[str] = contextvars.ContextVar("ftf_run_trigger", default="cli")


@contextlib.contextmanager
def run_trigger(trigger: Trigger) -> Iterator[None]:
    """Record runs started inside this block with `trigger` (outside a deployment: 'cli' for
    `ftf run`, 'test' in tests); a deployment run gets its trigger from Prefect."""
    token = _TRIGGER.set(trigger)
    try:
        yield
    finally:
        _TRIGGER.reset(token)


@task(name="fetch", retries=2, retry_delay_seconds=[2, 10], retry_jitter_factor=0.5,
      retry_condition_fn=pipeline.retry_transient_fetch, cache_policy=NO_CACHE, task_run_name="fetch {source.id}")
def fetch_task(source: Source, mode: str, raw_store, previous: PreviousFetch | None,
               override: str | None, force: bool) -> FetchResult:
    return pipeline.fetch(source, mode=mode, raw_store=raw_store, previous=previous, override=override, force=force)


@task(name="extract-validate", cache_policy=NO_CACHE, task_run_name="extract {source.id}")
def process_task(source: Source, fetched: FetchResult | BaseException, force: bool) -> pipeline.SourceOutcome:
    # `fetched` is the exception when the fetch still failed after its retries (allow_failure)
    return pipeline.process(source, pipeline.failed_fetch_result(source, fetched), force=force)


@task(name="archive", cache_policy=NO_CACHE, task_run_name="archive {source.id}")
def archive_task(source: Source, outcome: pipeline.SourceOutcome, mode: str, raw_store) -> pipeline.SourceOutcome:
    return pipeline.archive_documents(source, outcome, mode=mode, raw_store=raw_store)


# Each step takes the warehouse as the run's open connection (the flow opens one writer connection
# for the whole run, under the writer lock) or as the file's path (a step called on its own).
@task(name="load", cache_policy=NO_CACHE)
def load_task(warehouse: Warehouse, run: pipeline.RunInfo, outcomes: list) -> list:
    """Load the run; sources no longer in the catalog are withdrawn (closed_reason 'withdrawn')."""
    return load_run(warehouse, run, outcomes, catalog_ids=list(load_catalog()))


@task(name="changes", cache_policy=NO_CACHE)
def changes_task(warehouse: Warehouse, run_id: str) -> str | None:
    """Markdown diff between the previous run and this one (None when nothing changed)."""
    with writing(warehouse) as con:
        return changes_since_previous(con, run_id)


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(warehouse: Warehouse, catalog: dict, published, run_id: str, changed_kinds: set[str], force: bool,
              publish: bool) -> RebuildPlan:
    """The run's input state, and which marts and whether the bundle must be rebuilt from it."""
    with writing(warehouse) as con:
        plan = plan_rebuild(con, catalog, published, changed_kinds, force=force, publish=publish)
        record_run_state(con, run_id, plan.state.sha256)
        return plan


@task(name="marts", cache_policy=NO_CACHE)
def marts_task(warehouse: Warehouse, marts: dict[str, str] | None = None, run_id: str | None = None) -> dict[str, int]:
    """Rebuild `marts` (mart -> input state; None: all) and record the state each was built from."""
    with writing(warehouse) as con:
        counts = build_marts(con, list(marts) if marts is not None else None)
        if marts and run_id:
            record_mart_builds(con, marts, run_id)
        return counts


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(warehouse: Warehouse, target, run_id: str, publish_to: str | None = None, sources: list | None = None,
                 input_state: str | None = None, generated_at: str | None = None, reuse_charts: bool = True) -> dict:
    """Write the bundle; `reuse_charts=False` (--force) renders every chart instead of using the chart cache."""
    with writing(warehouse) as con:
        manifest = publish_bundle(con, target, run_id=run_id, publish_to=publish_to, input_state=input_state,
                                  generated_at=generated_at,
                                  extra=[datapackage_extra(sources, con), report_extra(con, sources, reuse_charts=reuse_charts)])
        if publish_to:
            where = publish_to if "://" in publish_to else Path(publish_to).resolve().as_uri()
            link = f"{where.rstrip('/')}/{REPORT}"
        else:
            link = (Path(target) / REPORT).resolve().as_uri()
        create_markdown_artifact(key="refresh-report", markdown=report_markdown(con, link, manifest),
                                 description=f"Run {run_id}: headline numbers and the link to report.html")
        return manifest


def effective_trigger(requested: str) -> str:
    """The trigger recorded in meta.runs. Outside a deployment it is the caller's (run_trigger); in a
    deployment run Prefect knows: 'schedule' if its scheduler created the run, otherwise 'manual'
    (someone pressed Run, or `prefect deployment run`), whatever the deployment's default says."""
    ctx = FlowRunContext.get()
    flow_run = ctx.flow_run if ctx else None
    if flow_run is None or flow_run.deployment_id is None:
        return requested
    if flow_run.auto_scheduled:
        return "schedule"
    return "manual" if requested in ("schedule", "cli") else requested


def _deployment_name() -> str | None:
    """The deployment this flow run belongs to, if any. The flow run in context says whether there is
    one (prefect.runtime's deployment.id would ask the API to find out that a CLI run has none)."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None or ctx.flow_run.deployment_id is None:
        return None
    return prefect_deployment.name


def _hold_writer_lock(stack: contextlib.ExitStack, where, wait_seconds: float, logger) -> None:
    """Take the one-writer lock; if a run holds it, say so in this run's log and wait up to
    `wait_seconds` (then WarehouseBusy: "a run is already writing the warehouse (pid …); waited N s")."""
    try:
        stack.enter_context(writer_lock(where.lock))
        return
    except WarehouseBusy:
        if wait_seconds <= 0:
            raise
    holder = where.lock.read_text(encoding="utf-8", errors="replace").strip() or "another process"
    logger.warning("Another run is writing the warehouse (%s); waiting up to %.0f s for it to finish.",
                   holder, wait_seconds)
    pipeline.PROGRESS("warehouse", "waiting", f"another run is writing the warehouse ({holder}); "
                                              f"waiting up to {wait_seconds:.0f} s")   # `ftf run` shows it
    waited = time.monotonic()
    stack.enter_context(writer_lock(where.lock, wait_seconds=wait_seconds))
    logger.info("Writer lock acquired after %.1f s.", time.monotonic() - waited)
    pipeline.PROGRESS("warehouse", "lock", f"acquired after {time.monotonic() - waited:.1f} s")


def _known_overrides(catalog: dict, url_overrides: dict[str, str] | None) -> dict[str, str]:
    overrides = url_overrides or {}
    unknown = [k for k in overrides if k not in catalog]
    if unknown:
        raise ValueError(f"--url given for unknown source(s): {', '.join(unknown)}")
    return overrides


def _record_start(con, run: pipeline.RunInfo, logger) -> list[str]:
    """Mark runs that never finished as interrupted (this run holds the lock: none can be going), name
    them in the log, and record this run as 'running' before it changes anything."""
    interrupted = mark_interrupted(con, run.run_id)
    for gone in interrupted:
        logger.warning("Run %s never finished (interrupted); marked 'interrupted' in meta.runs.", gone)
    record_start(con, run, parameters_json=pipeline.parameters_json(run.parameters))
    return interrupted


def _log_outcomes(logger, outcomes: list) -> None:
    for o in outcomes:
        (logger.warning if o.status == "failed" else logger.info)(
            "%s: %s (%s rows loaded, %s quarantined)%s", o.source_id, o.status, o.rows_loaded,
            o.rows_quarantined, f" — {o.error}" if o.error else "")


def _publish(where, con, plan: RebuildPlan, publish_to: str | None, sources: list, logger, *,
             force: bool) -> tuple[dict | None, str | None]:
    """(manifest, None), or (None, one line) when publishing failed: the data stays loaded and the
    previous bundle is still served (publish swaps a finished bundle in, or nothing). The bundle
    names the snapshot it shows and the input state it was built from (flows/state.py)."""
    try:
        return publish_task(con, where.published, plan.snapshot_run, publish_to, sources,
                            plan.state.sha256, plan.snapshot_at, not force), None
    except Exception as exc:  # noqa: BLE001 - disk full, a file in the way, a report error: one line
        message = publish_failure_message(exc)
        logger.error("%s", message)
        return None, message


def _replay_then_previous_fetches(where, con, sources: list[Source], mode: str) -> tuple[list[dict], dict]:
    """Replay embedded vintages on a fresh warehouse, then each source's last loaded document
    (one read of meta.fetches when there is nothing to replay)."""
    previous = previous_fetches(con)
    replayed = pipeline.replay_vintages_if_new(where, sources, mode, known=previous)
    return replayed, (previous_fetches(con) if replayed else previous)


def _fetch_each(chosen: list[Source], mode: str, raw_store, previous: dict, overrides: dict, force: bool) -> dict:
    """Each source's fetch: a task (with retries) for every document that may have changed. In mirror
    mode a source whose embedded copy hashes to the document it last loaded, with the same review
    decisions, is read here: its outcome ('unchanged') is known, so it needs no task (the read still
    records its fetch and checks the raw store's copy); so is an event release's ('skipped')."""
    known = pipeline.known_mirror_fetches(chosen, mode=mode, previous=previous, overrides=overrides, force=force)
    return {s.id: pipeline.fetch(s, mode=mode, raw_store=raw_store, previous=previous.get(s.id), force=force)
            if s.id in known else
            fetch_task.submit(s, mode, raw_store, previous.get(s.id), overrides.get(s.id), force)
            for s in chosen}


def _extract_what_changed(chosen: list[Source], fetched: dict, mode: str, raw_store, force: bool) -> list:
    """Extract-validate (and in live mode archive) each changed document in its own tasks; an
    unchanged or failed fetch needs no task: its outcome is known at once (pipeline.process)."""
    futures = {}
    for source in chosen:
        # a fetch that still failed after its retries gives its exception: a failed FetchResult
        got = fetched[source.id]
        got = pipeline.failed_fetch_result(source, got if isinstance(got, FetchResult) else got.result(raise_on_failure=False))
        if got.status == "fetched" or force:
            futures[source.id] = archive_task.submit(source, process_task.submit(source, got, force), mode, raw_store)
        else:
            futures[source.id] = pipeline.process(source, got, force=force)
    return [f.result() if hasattr(f, "result") else f for f in futures.values()]


def _rebuild_after_loading(where, con, run: pipeline.RunInfo, catalog: dict, outcomes: list, *, force: bool,
                           publish: bool, publish_to: str | None, logger) -> dict:
    """Changes, marts and publish: only what the run's input state needs (flows/state.py). A run that
    loaded nothing new and whose state is the published bundle's rebuilds nothing: status 'unchanged'."""
    changed_kinds = {o.kind for o in outcomes if o.opened or o.closed}
    try:
        diff = changes_task(con, run.run_id) if changed_kinds else None
        plan = plan_task(con, catalog, where.published, run.run_id, changed_kinds, force, publish)
        counts = marts_task(con, plan.marts, run.run_id) if plan.marts else {}
    except Exception as exc:  # the snapshot is loaded, but meta.runs must not say the run completed
        finish_run(con, run.run_id, status="failed", message=f"after loading: {type(exc).__name__}: {exc}")
        raise
    status, manifest, publish_error, message = pipeline.run_status(outcomes), None, None, None
    if plan.publish or (publish and bool(publish_to)):
        manifest, publish_error = _publish(where, con, plan, publish_to, list(catalog.values()), logger, force=force)
    if plan.unchanged:
        message = f"nothing changed since run {plan.snapshot_run}; published bundle is current"
        logger.info(message)
        status = "unchanged" if status == "completed" else status
    status = "published_failed" if publish_error else status
    finish_run(con, run.run_id, status=status, message=publish_error or message)
    return {"diff": diff, "marts": counts, "manifest": manifest, "message": message, "status": status,
            "publish_error": publish_error}


@flow(name="refresh", log_prints=True)
def refresh(
    sources: SourcesParameter = None,
    mode: ModeParameter = "mirror",
    url_overrides: UrlOverridesParameter = None,
    force: ForceParameter = False,
    publish: PublishParameter = True,
    home: HomeParameter = None,
    wait_for_writer_seconds: WaitParameter = 0.0,
    publish_to: PublishToParameter = None,
    accept_shrink: AcceptShrinkParameter = None,
) -> dict:
    """Refresh sources, load them as one snapshot, rebuild the marts and publish the bundle.

    The parameters (titles, descriptions, choices) are RefreshParameters above: the UI's run form.
    """
    logger = get_run_logger()
    clock = time.monotonic()
    where = data_paths(home)
    catalog = load_catalog()
    chosen = select(catalog, sources)
    overrides = _known_overrides(catalog, url_overrides)
    with contextlib.ExitStack() as holding:
        try:  # across machines: the server-side writer limit (if the server has it); here: the file lock
            holding.enter_context(writer_slot(wait_for_writer_seconds, logger))
            _hold_writer_lock(holding, where, wait_for_writer_seconds, logger)
        except (WarehouseBusy, WriterSlotBusy) as exc:
            # end the run Failed with the message alone (no traceback); a caller still gets WarehouseBusy
            return Failed(message=str(exc), data=exc)
        # one writer connection for the whole run, opened under the lock and handed to every step
        con = holding.enter_context(contextlib.closing(open_writer(where.db)))
        # the run starts once it holds the lock, so versions it opens are never older than the last run's
        started = dt.datetime.now(dt.timezone.utc)
        run = pipeline.RunInfo(
            run_id=pipeline.new_run_id(started), mode=mode, started_at=started, trigger=effective_trigger(_TRIGGER.get()),
            parameters={"sources": sources or [], "mode": mode, "url_overrides": overrides, "force": force,
                        "publish": publish, "publish_to": publish_to, "accept_shrink": accept_shrink or []},
            flow_run_id=str(prefect_flow_run.id) if prefect_flow_run.id else None,
            deployment=_deployment_name(),
        )
        interrupted = _record_start(con, run, logger)
        replayed, previous = _replay_then_previous_fetches(where, con, [s for s in chosen if s.id not in overrides],
                                                           mode)
        fetched = _fetch_each(chosen, mode, where.raw, previous, overrides, force)
        outcomes = load_task(con, run, pipeline.accept_shrink(
            _extract_what_changed(chosen, fetched, mode, where.raw, force), accept_shrink))
        _log_outcomes(logger, outcomes)
        after = _rebuild_after_loading(where, con, run, catalog, outcomes, force=force, publish=publish,
                                       publish_to=publish_to, logger=logger)
    rows = pipeline.summary_rows(outcomes)
    if after["diff"]:
        create_markdown_artifact(key="refresh-changes", markdown=after["diff"],
                                 description=f"What run {run.run_id} changed in the warehouse")
    create_table_artifact(key="refresh-summary", table=rows,
                          description=f"ftf-warehouse run {run.run_id} ({mode}): {after['status']}")
    return {"run_id": run.run_id, "status": after["status"], "sources": rows, "interrupted": interrupted,
            "publish_error": after["publish_error"], "marts": after["marts"], "message": after["message"],
            "replayed": replayed, "warehouse": str(where.db),
            "published": str(where.published) if after["manifest"] else None,
            "seconds": round(time.monotonic() - clock, 2)}
