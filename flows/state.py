"""The input state of a run: what the published bundle is built from, as one SHA-256.

A run's input state is the SHA-256 of
  - each source's document (the bytes the warehouse holds for it) and review decisions
    (decisions.csv), and its catalog entry (source.toml), grouped by the kind of table the
    source loads (figures, population, countries);
  - the code that turns the warehouse into the bundle: the mart SQL files and the Python that
    builds, checks, exports and reports them, the published contracts, and the reference files
    the marts read (flows/reference/).
When a run loads nothing new and its state is the one the published bundle was built from
(manifest.json `input_state`), there is nothing to rebuild. Marts are rebuilt per mart: a mart's
state covers the code and only the kinds of sources it reads (warehouse.marts.mart_dependencies).

Standard library only, so `ftf run` can answer before importing Prefect (hashing the
mirror takes milliseconds).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flows.catalog import Source
from flows.config import PROJECT_ROOT, REFERENCE_DIR

KINDS = ("countries", "population", "figures")

# The code a published bundle is a function of (relative to the project root).
BUNDLE_CODE = (
    "warehouse/marts/*.sql",
    "warehouse/marts.py",
    "warehouse/regions.py",
    "warehouse/publish.py",
    "warehouse/datapackage.py",
    "warehouse/datapackage/*.sql",
    "warehouse/report.py",
    "warehouse/report/*",
    "schemas/published.py",
    "warehouse/migrations/*.sql",
)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _sha256_json(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


def code_files(root: Path = PROJECT_ROOT) -> list[Path]:
    files = {p for pattern in BUNDLE_CODE for p in root.glob(pattern) if p.is_file()}
    files |= {p for p in REFERENCE_DIR.glob("*") if p.is_file()}
    return sorted(files)


def code_sha256(root: Path = PROJECT_ROOT) -> str:
    """One hash over the bundle's code and reference files (names and contents)."""
    return _sha256_json({p.relative_to(root).as_posix() if p.is_relative_to(root) else p.name: sha256_file(p)
                         for p in code_files(root)})


@dataclass(frozen=True)
class InputState:
    code: str                                  # code_sha256()
    kinds: dict[str, str] = field(default_factory=dict)   # kind -> hash of its sources' inputs
    documents: dict[str, str | None] = field(default_factory=dict)  # source id -> document sha256

    @property
    def sha256(self) -> str:
        return _sha256_json({"code": self.code, "kinds": self.kinds})

    def for_kinds(self, kinds) -> str:
        """The state a mart reading tables of these source kinds is built from."""
        return _sha256_json({"code": self.code, "kinds": {k: self.kinds.get(k) for k in sorted(kinds)}})


def _source_inputs(source: Source, document_sha256: str | None) -> dict:
    toml = source.folder / "source.toml"
    return {"document": document_sha256, "review": source.inputs_sha256(),
            "catalog": sha256_file(toml) if toml.exists() else None}


def input_state(catalog: dict[str, Source], documents: dict[str, str | None], *,
                code: str | None = None) -> InputState:
    """The state built from `documents` (source id -> sha256 of its document; None: never loaded)."""
    per_kind: dict[str, dict] = {k: {} for k in KINDS}
    for source in catalog.values():
        per_kind.setdefault(source.kind, {})[source.id] = _source_inputs(source, documents.get(source.id))
    return InputState(code=code or code_sha256(), kinds={k: _sha256_json(v) for k, v in per_kind.items()},
                      documents={s: documents.get(s) for s in catalog})


def mirror_documents(catalog: dict[str, Source]) -> dict[str, str | None]:
    """The sha256 of each source's embedded copy: what a mirror run would load."""
    return {s.id: sha256_file(s.mirror_path) if s.mirror_file and s.mirror_path.is_file() else None
            for s in catalog.values()}


def published_state(published: Path) -> str | None:
    """The input state the bundle in `published` was built from (manifest.json), if any."""
    try:
        return json.loads((Path(published) / "manifest.json").read_text(encoding="utf-8")).get("input_state")
    except (OSError, ValueError, AttributeError):
        return None


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


# --------------------------------------------------------------------------- inside the flow
@dataclass(frozen=True)
class RebuildPlan:
    state: InputState
    marts: dict[str, str]      # mart to rebuild -> the state it is built from
    publish: bool              # the bundle must be (re)written
    unchanged: bool            # nothing loaded, nothing to rebuild, the published bundle is this state's
    snapshot_run: str          # the run whose load the bundle shows (manifest run_id)
    snapshot_at: str           # when that run started, UTC ISO 8601 (manifest generated_at)


def plan_rebuild(con, catalog: dict[str, Source], published: Path, changed_kinds: set[str], *,
                 force: bool, publish: bool) -> RebuildPlan:
    """What a run that loaded versions of `changed_kinds` must rebuild: the marts whose state
    changed or that read a changed kind (all with `force`), and the bundle unless it is current."""
    from warehouse.builds import held_documents, mart_states, snapshot_run
    from warehouse.marts import mart_dependencies

    state = input_state(catalog, held_documents(con))
    built = mart_states(con)
    marts = {name: state.for_kinds(kinds) for name, kinds in mart_dependencies().items()
             if force or kinds & changed_kinds or built.get(name) != state.for_kinds(kinds)}
    current = published_state(published) == state.sha256
    unchanged = not (force or changed_kinds or marts) and current
    snapshot, snapshot_at = snapshot_run(con)
    return RebuildPlan(state=state, marts=marts, publish=publish and not unchanged and (force or bool(marts) or not current),
                       unchanged=unchanged, snapshot_run=snapshot,
                       snapshot_at=snapshot_at.astimezone(dt.timezone.utc).isoformat())


# --------------------------------------------------------------------------- before Prefect
def answer_before_prefect(where, *, parameters: dict) -> tuple[str, str] | None:
    """`ftf run` in mirror mode, like make's up-to-date check: when the embedded copies, review
    decisions, catalog and bundle code hash to the state of the last run, and the published
    bundle was built from that state, record a run with status 'unchanged' (trigger cli) and
    return (its run id, the last run's id). None: the flow must run (or the warehouse is busy)."""
    from flows.catalog import load_catalog

    if not where.db.exists():
        return None
    catalog = load_catalog()
    state = input_state(catalog, mirror_documents(catalog)).sha256
    if published_state(where.published) != state:
        return None
    from warehouse.builds import latest_run, record_unchanged_run
    from warehouse.db import WarehouseBusy, connect, migrate, writer_lock
    from warehouse.runs import has_unfinished

    started = dt.datetime.now(dt.timezone.utc)
    try:
        with writer_lock(where.lock):
            con = connect(where.db)
            try:
                migrate(con)
                last = latest_run(con)
                if not last or last["status"] not in ("completed", "unchanged") or last["input_state"] != state:
                    return None
                if has_unfinished(con):   # a killed run: the flow marks it interrupted and names it
                    return None
                run_id = new_run_id(started)
                record_unchanged_run(con, run_id=run_id, started_at=started, mode="mirror", trigger="cli",
                                     parameters=parameters, input_state=state, since_run=last["run_id"])
            finally:
                con.close()
    except WarehouseBusy:
        return None
    return run_id, last["run_id"]
