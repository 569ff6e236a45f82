"""The main job as plain functions: fetch → extract → validate → load → marts → publish.

`flows/refresh.py` wires these into a Prefect flow; tests call them directly.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from flows.catalog import Source
from flows.download import download
from flows.config import Paths
from flows.extractors.common import schema_drift
from flows.fetch import (DEFAULT_DEADLINE_SECONDS, FetchResult, PreviousFetch, TransientFetchError, fetch_source,
                         fetch_world_bank_pages, hosts_of, is_world_bank_api, read_raw)
from flows.harmonise import resolve_areas, with_catalog_defaults
from schemas.figure import FIGURE_COLUMNS, FIGURE_KEY, Figure
from schemas.raw import RAW_MODELS
from schemas.reference import COUNTRY_COLUMNS, POPULATION_COLUMNS, Country, Population
from schemas.validate import SourceError, quarantine_frame, reject_rows, validate
from warehouse.runs import parameters_json, run_status  # noqa: F401  (re-exported: flows.pipeline.run_status)

CANONICAL = {
    "figures": (Figure, FIGURE_COLUMNS, FIGURE_KEY),
    "population": (Population, POPULATION_COLUMNS, ["country_iso3", "year"]),
    "countries": (Country, COUNTRY_COLUMNS, ["country_iso3"]),
}
REVIEW_STATUS_BY_FORMAT = {"claims": "pending"}

# A callback the CLI sets to show progress: progress(source_id, stage, detail).
Progress = Callable[[str, str, str], None]


def _no_progress(source_id: str, stage: str, detail: str) -> None:
    pass


PROGRESS: Progress = _no_progress


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass
class SourceOutcome:
    source_id: str
    kind: str
    status: str                                 # loaded | unchanged | failed
    fetch: dict | None = None                   # meta.fetches record
    error: str | None = None
    rows_extracted: int = 0
    frame: pd.DataFrame | None = field(default=None, repr=False)   # validated canonical rows
    quarantine: pd.DataFrame = field(default_factory=quarantine_frame, repr=False)
    validation: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    archives: list[dict] = field(default_factory=list)   # meta.fetches records of archived documents
    assertions: dict = field(default_factory=dict)       # source.toml [assertions] (warehouse/guards.py)
    accept_shrink: bool = False                          # --accept-shrink: waive min_rows / max_closed_share
    kept_keys: pd.DataFrame | None = field(default=None, repr=False)   # identities of quarantined rows
    opened: int = 0
    closed: int = 0
    events: object | None = field(default=None, repr=False)   # kind 'events': warehouse.events.EventRelease

    @property
    def rows_loaded(self) -> int:
        if self.events is not None:
            return self.events.rows_in_release - self.events.rows_failed
        return 0 if self.frame is None else len(self.frame)

    @property
    def rows_quarantined(self) -> int:
        return self.events.rows_failed if self.events is not None else len(self.quarantine)

    def summary(self) -> dict:
        return {"status": self.status, "fetch": (self.fetch or {}).get("status"),
                "rows_extracted": self.rows_extracted, "rows_loaded": self.rows_loaded,
                "rows_quarantined": self.rows_quarantined, "versions_opened": self.opened,
                "versions_closed": self.closed, "error": self.error, "notes": self.notes}


def import_what_a_run_uses(catalog: dict[str, Source]) -> None:
    """Import what a run would otherwise import on first use, inside the flow: each source's
    extractor (and its parsers), pandera's pandas backends (pandera loads them, with hypothesis, at
    the first validation) and the schemas of the models a run validates against (pandera builds
    each once per process). `ftf run` calls it while Prefect's server is starting."""
    import pandera.pandas as pa

    from schemas.published import PUBLISHED

    pa.DataFrameSchema.register_default_backends(pd.DataFrame)
    for model in [*RAW_MODELS.values(), *(m for m, _, _ in CANONICAL.values()), *PUBLISHED.values()]:
        model.to_schema()
    for source in catalog.values():
        if source.kind != "events":   # an event release is read in DuckDB (flows/extractors/events.py)
            source.extractor_module()


# --------------------------------------------------------------------------- fetch
def allowed_hosts(source: Source) -> set[str]:
    """Hosts a source's fetches, redirects and archived documents may reach: `allowed_hosts` in its
    source.toml, else the hosts of its own URLs (original_url, data_url)."""
    declared = source.raw.get("allowed_hosts")
    return {str(h).lower() for h in declared} if declared else hosts_of(source.original_url, source.data_url)


def fetch_options(source: Source, own_url: str) -> dict:
    """Per-source fetch policy: allowed hosts, the source's own URLs, the deadline (`timeout`)."""
    return {"allowed_hosts": allowed_hosts(source), "own_urls": [own_url, source.original_url, source.data_url],
            "deadline": float(source.raw.get("timeout", DEFAULT_DEADLINE_SECONDS))}


def fetch(source: Source, *, mode: str, raw_store: Path, previous: PreviousFetch | None,
          override: str | None = None, force: bool = False) -> FetchResult:
    """Fetch one source. Raises TransientFetchError (5xx, resets, truncation) for the task to retry."""
    if source.kind == "events":
        return fetch_release(source, mode=mode, raw_store=raw_store, previous=previous, override=override, force=force)
    url = source.url_for(mode, override)
    PROGRESS(source.id, "fetch", url)
    transport = fetch_world_bank_pages if is_world_bank_api(url) else fetch_source
    result = transport(source.id, url, mode=mode, raw_store=raw_store, previous=previous, force=force,
                       **fetch_options(source, url))
    result.previous_sha256 = previous.sha256 if previous else None
    if result.status == "unchanged" and previous is not None and previous.inputs_sha256 != source.inputs_sha256():
        result.status, result.changed = "fetched", True   # same document, new review decisions: read it again
    PROGRESS(source.id, "fetched", result.status)
    return result


def known_mirror_fetches(sources: list[Source], *, mode: str, previous: dict[str, PreviousFetch],
                         overrides: dict[str, str], force: bool) -> set[str]:
    """Ids of the sources whose mirror fetch has a known outcome, so it needs no task: no --force or
    --url, and either the embedded copy hashes to the document the source last loaded, with the same
    review decisions ('unchanged', as the input state of flows/state.py), or the source is an event
    release, which has no embedded copy ('skipped'). Live mode: none (only the publisher can say)."""
    from flows.state import sha256_file

    if mode != "mirror" or force:
        return set()
    known = set()
    for source in sources:
        if source.id in overrides:
            continue
        if source.kind == "events":
            known.add(source.id)
            continue
        last = previous.get(source.id)
        if last is not None and source.mirror_file and source.mirror_path.is_file() \
                and last.sha256 == sha256_file(source.mirror_path) and last.inputs_sha256 == source.inputs_sha256():
            known.add(source.id)
    return known


def accept_shrink(outcomes: list[SourceOutcome], accepted: list[str] | None) -> list[SourceOutcome]:
    """Mark the outcomes of sources named by --accept-shrink (their min_rows / max_closed_share are waived)."""
    for outcome in outcomes:
        outcome.accept_shrink = outcome.source_id in (accepted or [])
    return outcomes


def retry_transient_fetch(task, task_run, state) -> bool:
    """Prefect retry condition of the fetch task: retry transient failures (5xx, resets, truncation) only."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:  # noqa: BLE001 - anything else is not worth another try
        return False
    return False


def failed_fetch_result(source: Source, fetched) -> FetchResult:
    """The fetch task's result, or the failed FetchResult its last exception carries (after retries)."""
    if isinstance(fetched, TransientFetchError):
        return fetched.result
    if isinstance(fetched, BaseException):
        from flows.fetch import failed_result   # an unexpected error: one line, the source failed alone
        return failed_result(source.id, source.data_url or str(source.mirror_path), "unknown",
                       f"{source.id}: fetch error: {type(fetched).__name__}: {fetched}")
    return fetched


def fetch_release(source: Source, *, mode: str, raw_store: Path, previous: PreviousFetch | None,
                  override: str | None = None, force: bool = False) -> FetchResult:
    """An event dataset release, streamed to the raw store (never held in memory). It has no embedded
    copy (nothing invented stands in for it): mirror mode skips it unless --url names a real file."""
    if mode == "mirror" and not override:
        return FetchResult(source_id=source.id, url="", mode="mirror", status="skipped", http_status=None, bytes=0,
                           sha256=None, etag=None, last_modified=None, changed=False,
                           fetched_at=dt.datetime.now(dt.timezone.utc), raw_path=None, attempts=0,
                           error=f"{source.id}: skipped in mirror mode (no embedded copy of a {source.format} "
                                 f"release; give a real file with --url {source.id}=PATH_OR_URL)")
    url = source.url_for(mode, override)
    PROGRESS(source.id, "fetch", url)
    base = previous.release_sha256 if previous else None
    result = download(source.id, url, mode=mode, raw_store=raw_store, previous=previous, force=force,
                      base_sha256=base)
    result.release_base = base
    PROGRESS(source.id, "fetched", result.status)
    return result


# --------------------------------------------------------------------------- extract + validate
def process(source: Source, fetched: FetchResult, *, force: bool = False) -> SourceOutcome:
    """Extract and validate one fetched document. Never raises for a bad document: the
    outcome is 'failed' with a message naming the source, row or column, and reason."""
    if fetched.status == "skipped":
        return SourceOutcome(source.id, source.kind, "skipped", None, notes=[fetched.error])
    record = dict(fetched.as_record(), inputs_sha256=source.inputs_sha256())
    repaired = [f"raw store: the stored copy of {fetched.sha256[:12]}… no longer matched its SHA-256; "
                "repaired from the document just read"] if fetched.repaired else []
    if fetched.status == "failed":
        return SourceOutcome(source.id, source.kind, "failed", record, error=fetched.error)
    if fetched.status == "unchanged" and not force:
        return SourceOutcome(source.id, source.kind, "unchanged", record, notes=repaired)
    PROGRESS(source.id, "extract", f"{fetched.bytes:,} bytes")
    if source.kind == "events":
        return _prepare_events(source, fetched, record)
    try:
        outcome = extract_and_validate(source, fetched.body or b"")
    except SourceError as exc:
        return SourceOutcome(source.id, source.kind, "failed", record, error=str(exc))
    except Exception as exc:  # an extractor bug must not stop the other sources
        return SourceOutcome(source.id, source.kind, "failed", record,
                             error=f"{source.id}: extractor error: {type(exc).__name__}: {exc}")
    outcome.fetch = record
    outcome.assertions = dict(source.raw.get("assertions", {}))
    outcome.notes.extend(repaired + _drift_since_previous(fetched))
    PROGRESS(source.id, "validated", f"{outcome.rows_loaded} rows, {outcome.rows_quarantined} quarantined")
    return outcome


def _prepare_events(source: Source, fetched: FetchResult, record: dict) -> SourceOutcome:
    """An event release is checked (layout, zip) here and validated where it is loaded, in DuckDB."""
    from flows.extractors.events import prepare_release

    try:
        release = prepare_release(source, fetched)
    except SourceError as exc:
        return SourceOutcome(source.id, source.kind, "failed", record, error=str(exc))
    return SourceOutcome(source.id, source.kind, "loaded", record, events=release)


def archive_documents(source: Source, outcome: SourceOutcome, *, mode: str, raw_store: Path) -> SourceOutcome:
    """Live mode: fetch the documents the source's new figures were read in (its original URL and
    each figure's document_url) into the raw store, so every figure traces to the exact bytes of
    its document (meta.fetches rows with outcome 'archived'). A document that cannot be fetched
    is recorded as 'archive_failed' and never fails the source."""
    if mode != "live" or outcome.status != "loaded" or source.kind != "figures":
        return outcome
    urls = {source.original_url, *outcome.frame["document_url"]}
    options = fetch_options(source, (outcome.fetch or {}).get("url") or source.original_url)
    for url in sorted(u for u in urls if isinstance(u, str) and u.startswith(("http://", "https://"))):
        PROGRESS(source.id, "archive", url)
        try:
            got = fetch_source(source.id, url, mode=mode, raw_store=raw_store, retries=1, timeout=20, **options)
        except TransientFetchError as exc:
            got = exc.result
        outcome.archives.append(dict(got.as_record(), inputs_sha256=None,
                                     outcome="archived" if got.status != "failed" else "archive_failed"))
    failed = sum(a["outcome"] == "archive_failed" for a in outcome.archives)
    if failed:
        outcome.notes.append(f"{failed} of {len(outcome.archives)} original documents could not be archived")
    return outcome


def _drift_since_previous(fetched: FetchResult) -> list[str]:
    """Schema drift of a tabular document against the last loaded one (from the raw store)."""
    if not (fetched.previous_sha256 and fetched.raw_path and fetched.previous_sha256 != fetched.sha256):
        return []
    try:
        old = read_raw(fetched.raw_path.parent.parent, fetched.previous_sha256)
    except (OSError, ValueError):
        return []
    return schema_drift(old, fetched.body or b"")


def extract_and_validate(source: Source, body: bytes) -> SourceOutcome:
    extractor = source.extractor_module()
    raw_frame = extractor.extract(body, source)
    notes = list(raw_frame.attrs.get("notes", []))
    quarantined = [quarantine_frame([dict(r, source_id=source.id, stage="extract")
                                     for r in raw_frame.attrs.get("rejected", [])])]
    ledger = []
    raw_model = RAW_MODELS.get(source.format)
    if raw_model is not None:
        raw_valid, q = validate(raw_frame, raw_model, source_id=source.id, stage="raw")
        ledger.append(_ledger(source.id, raw_model, len(raw_frame), q))
        quarantined.append(q)
    else:
        raw_valid = raw_frame
    frame = extractor.normalise(raw_valid, source) if len(raw_valid) else raw_valid
    model, columns, key = CANONICAL[source.kind]
    if source.kind == "figures" and len(frame):
        frame = with_catalog_defaults(frame, source,
                                      review_status=REVIEW_STATUS_BY_FORMAT.get(source.format, "accepted"))
        frame, q = resolve_areas(frame, source.id)
        quarantined.append(q)
    elif source.kind == "population" and len(frame):
        frame = frame.assign(source_id=source.id)
    elif source.kind == "countries" and len(frame):
        frame = frame.assign(source_id=source.id)
    if len(frame):
        checked = len(frame)
        frame, q = validate(frame, model, source_id=source.id, stage="canonical")
        ledger.append(_ledger(source.id, model, checked, q))
        quarantined.append(q)
        dupes = frame.duplicated(subset=key, keep=False)
        frame, q = reject_rows(frame, dupes, source_id=source.id, stage="key", column=None,
                               check="unique_key", reasons=f"duplicate key ({', '.join(key)}): "
                               "the same figure appears twice; neither is loaded until the source says which")
        quarantined.append(q)
    keep = ["source_id", *columns] if source.kind != "figures" else columns
    frame = frame[[c for c in dict.fromkeys(keep) if c in frame.columns]].reset_index(drop=True)
    q_all = pd.concat([q for q in quarantined if len(q)], ignore_index=True) if any(len(q) for q in quarantined) \
        else quarantine_frame([])
    if frame.empty:
        raise SourceError(source.id, f"no valid rows: all {len(raw_frame)} rows were quarantined "
                                     f"(first reason: {q_all['reason'].iloc[0] if len(q_all) else 'none'})")
    return SourceOutcome(source.id, source.kind, "loaded", rows_extracted=len(raw_frame), frame=frame,
                         quarantine=q_all, validation=ledger, notes=notes, kept_keys=quarantined_keys(source, q_all))


# --------------------------------------------------------------------------- quarantine never erases
def quarantined_keys(source: Source, quarantine: pd.DataFrame) -> pd.DataFrame:
    """The identity (scope + key columns, as text) of every quarantined row, labelled like the
    quarantine's rows, so the load keeps the current version of its key instead of closing it. A part that cannot be read from the row is
    None and matches any value: when in doubt, a version is kept, never erased."""
    from warehouse.snapshots import TABLES, identity_columns

    table = TABLES[source.kind]
    columns = list(identity_columns(table))
    rows, labels = [], []
    for label, q in zip(quarantine.index, quarantine.itertuples(index=False)):
        row = json.loads(q.row_json) if isinstance(q.row_json, str) else {}
        if q.stage in ("raw", "extract"):  # the row in the document's own shape: read it as the extractor does
            row = _canonical_row(source, {k: (None if k == q.column_name else v) for k, v in row.items()})
        row = {**row, "source_id": source.id}
        if source.kind == "figures" and not row.get("publication_id"):
            row["publication_id"] = source.publication_id
        identity = {c: _key_text(row.get(c)) for c in columns}
        # a row the extractor itself could not read into a figure (e.g. a claim with no area) never had a key
        if q.stage == "extract" and all(identity[c] is None for c in table.key if c not in table.scope):
            continue
        rows.append(identity)
        labels.append(label)
    return pd.DataFrame(rows, columns=columns, index=labels, dtype=object)


def _canonical_row(source: Source, row: dict) -> dict:
    """One document-shaped row through the source's normalisation (and, for figures, the catalog
    defaults and area harmonisation); {} if it cannot be read that far."""
    try:
        frame = pd.DataFrame([{"source_row": 0, **row}])
        out = source.extractor_module().normalise(frame, source)
        if source.kind == "figures":
            out = with_catalog_defaults(out, source, review_status="accepted")
            out, _ = resolve_areas(out, source.id)
        return {k: v for k, v in out.iloc[0].to_dict().items() if k != "source_row"}
    except Exception:  # a row too broken to normalise identifies nothing but its source
        return {}


def _key_text(value) -> str | None:
    """A key part as DuckDB prints it (CAST(... AS VARCHAR)), or None when unknown."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _ledger(source_id: str, model, checked: int, q: pd.DataFrame) -> dict:
    failed = int(q["source_row"].nunique()) if len(q) and q["source_row"].notna().any() else len(q)
    return {"source_id": source_id, "model": model.__name__, "rows_checked": checked, "rows_failed": failed}


# --------------------------------------------------------------------------- run record
@dataclass
class RunInfo:
    run_id: str
    mode: str
    started_at: dt.datetime
    parameters: dict
    trigger: str = "cli"
    flow_run_id: str | None = None
    deployment: str | None = None
    recorded_from: dt.datetime | None = None  # recording time of new versions (default: started_at)

    @property
    def version_time(self) -> dt.datetime:
        return self.recorded_from or self.started_at


def summary_rows(outcomes: list[SourceOutcome]) -> list[dict]:
    return [{"source": o.source_id, "kind": o.kind, "fetch": (o.fetch or {}).get("status", "-"),
             "result": o.status, "rows loaded": o.rows_loaded, "rows quarantined": o.rows_quarantined,
             "versions opened": o.opened, "versions closed": o.closed,
             "error": o.error or ("; ".join(o.notes) if o.notes else "")} for o in outcomes]


# --------------------------------------------------------------------------- vintages
class BackfillError(RuntimeError):
    pass


def backfill(source: Source, where: Paths, *, rebuild: bool = False) -> list[dict]:
    """Load a source's embedded vintages in order, each as its own run whose versions are
    recorded from the vintage's publication date: a dataset vintage is a historical publication,
    so recording time is backdated to when the world knew the numbers."""
    from warehouse.load import load_run, open_writer, previous_fetches
    from warehouse.snapshots import TABLES

    if not source.vintages:
        raise BackfillError(f"{source.id}: source.toml lists no [[vintages]] to replay")
    table = TABLES[source.kind].name
    con = open_writer(where.db)
    try:
        existing = con.execute(f"select count(*) from {table} where source_id = ?", [source.id]).fetchone()[0]
        if existing and not rebuild:
            raise BackfillError(f"{source.id}: {table} already holds {existing} versions from this source; "
                                "replaying older vintages would rewrite history (use --rebuild to start its history over)")
        if existing:
            con.execute(f"delete from {table} where source_id = ?", [source.id])
    finally:
        con.close()
    results = []
    for vintage in sorted(source.vintages, key=lambda v: str(v["published_on"])):
        published = vintage["published_on"]
        recorded_from = dt.datetime(published.year, published.month, published.day, tzinfo=dt.timezone.utc)
        started = dt.datetime.now(dt.timezone.utc)
        run = RunInfo(run_id=new_run_id(started), mode="mirror", started_at=started, trigger="backfill",
                      parameters={"backfill": source.id, "vintage": vintage["file"]}, recorded_from=recorded_from)
        path = source.folder / "mirror" / vintage["file"]
        fetched = fetch(source, mode="mirror", raw_store=where.raw,
                        previous=previous_fetches(where.db).get(source.id), override=str(path), force=bool(rebuild))
        outcome = process(source, fetched, force=True)
        load_run(where.db, run, [outcome], finished=True)
        results.append({"source": source.id, "vintage": vintage["file"], "recorded_from": recorded_from.date().isoformat(),
                        "status": outcome.status, "opened": outcome.opened, "closed": outcome.closed,
                        "error": outcome.error, "notes": outcome.notes, "run_id": run.run_id})
    return results


def replay_vintages_if_new(where: Paths, sources: list[Source], mode: str, known: dict | None = None) -> list[dict]:
    """On a fresh warehouse, replay each source's embedded vintages first so history starts
    with real revisions instead of the day this machine first ran. `known`: previous_fetches()."""
    from warehouse.load import previous_fetches

    if known is None:
        known = previous_fetches(where.db) if where.db.exists() else {}
    replayed = []
    for source in sources:
        if source.vintages and source.id not in known:
            PROGRESS(source.id, "backfill", f"{len(source.vintages)} vintages")
            replayed.extend(backfill(source, where))
    return replayed
