"""Event dataset releases (UCDP GED) at millions of rows: stage, validate, SCD2 — inside DuckDB.

One release is one snapshot. DuckDB reads the CSV straight from the raw store (never a whole
dataset in Python); pandera's polars backend checks the staged rows in Arrow batches; set-based
SQL (warehouse/sql/events/*.sql) opens a version for each new or revised event and closes the
versions of revised and withdrawn ones. A line of the new release that is byte-identical to a
line the current versions came from is not parsed again, so a release that revises 1 % of the
events parses, validates and writes about 1 % of the rows. A release the download stored as a line
delta against the file last loaded (flows/line_delta.py) is not even read whole: its changed and new
lines are staged, and the lines it dropped name the withdrawn events (when the last load was clean,
meta.event_release_files; otherwise it is written whole and read as above).
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl
from pandera.errors import SchemaErrors

from schemas.events import CHECKED_COLUMNS, GedEvent

SQL_DIR = Path(__file__).resolve().parent / "sql" / "events"
MEMORY_LIMIT = "2GB"          # DuckDB spills to temp_directory beyond this: peak RSS stays bounded
TEMP_TABLES = ("events_staged", "events_release_lines", "events_rejected",
               "events_changes", "events_failures", "events_line_ids", "events_removed_lines")
SPANNING_NOTE = "records span several lines: every event is parsed again at the next release"


class EventsError(Exception):
    """A release that cannot be loaded at all (its file, not a row): one line, source and reason."""


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@dataclass
class EventRelease:
    """One release file to load, and (after load_release) what loading it did."""
    source_id: str
    path: Path
    has_header: bool
    published_on: dt.date
    columns: dict[str, str] = field(default_factory=dict)  # name -> DuckDB type, the source's declared layout
    quarantine_cap: int = 100
    batch_rows: int = 1_000_000
    resolve_country: Callable[[str], str | None] | None = field(default=None, repr=False)
    sha256: str | None = None             # the release file's SHA-256 (meta.event_release_files)
    # a release stored as a line delta (flows/line_delta.py): the release it was diffed against, its
    # changed and new lines, the lines of the base it dropped, and how to write it whole if needed
    base_sha256: str | None = None
    inserted_lines: Path | None = None
    removed_lines: Path | None = None
    whole: Callable[[], Path] | None = field(default=None, repr=False)
    # when the release last loaded is itself a line delta against the same base (a sibling delta):
    # that release's SHA-256 and its inserted and removed lines
    previous_sha256: str | None = None
    previous_inserted_lines: Path | None = None
    previous_removed_lines: Path | None = None
    rows_in_release: int = 0
    rows_parsed: int = 0
    rows_failed: int = 0
    quarantine_kept: int = 0
    failures_by_check: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    spans_lines: bool = False             # a record spans several lines (no line hashes kept)
    from_delta: bool = False              # loaded from its changed lines alone

    @property
    def opened(self) -> int:
        return self.changes.get("new", 0) + self.changes.get("revised", 0)

    @property
    def closed(self) -> int:
        return self.changes.get("revised", 0) + self.changes.get("withdrawn", 0)

    def timing(self) -> str:
        """Where loading the release went, e.g. "10,000,000 rows parsed: stage 38.2 s, validate 3.1 s, history 0.7 s"."""
        return f"{self.rows_parsed:,} rows parsed: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())

    def ledger(self) -> dict:
        """The release's row in meta.validation."""
        return {"source_id": self.source_id, "model": GedEvent.__name__, "rows_checked": self.rows_parsed,
                "rows_failed": self.rows_failed, "failures_by_check": json.dumps(self.failures_by_check),
                "quarantine_kept": self.quarantine_kept}


class _Clock:
    def __init__(self, release: EventRelease):
        self.release, self.last = release, time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.release.seconds[name] = round(now - self.last, 2)
        self.last = now


def _has_current(con: duckdb.DuckDBPyConnection, source_id: str) -> bool:
    return con.execute("SELECT EXISTS (SELECT 1 FROM history.ucdp_ged_events WHERE source_id = ? "
                       "AND recorded_to IS NULL)", [source_id]).fetchall()[0][0]


def _stage(con, release: EventRelease, path: Path, header: bool) -> None:
    con.execute(_sql("stage"), {"path": str(path), "header": header, "columns": release.columns})
    misaligned = con.execute("SELECT count(*) FROM events_staged WHERE NOT line_aligned").fetchall()[0][0]
    if misaligned:
        # a quoted value spans lines: lines are not records, so keep no line hashes for this release
        con.execute(_sql("stage_typed"), {"path": str(path), "header": header, "columns": release.columns})
        release.spans_lines = True
        release.notes.append(SPANNING_NOTE)


def _staged_view(con, release: EventRelease, run_id: str) -> None:
    """events_staged as a view of the versions this run just inserted (a first release): the checks
    and the quarantine read the same relation whichever way the release was staged."""
    columns = ", ".join(f'"{name}"' for name in release.columns)
    literal = {k: "'" + str(v).replace("'", "''") + "'" for k, v in (("source", release.source_id), ("run", run_id))}
    con.execute(f"""CREATE OR REPLACE TEMP VIEW events_staged AS
                    SELECT {columns}, line_hash, row_hash, true AS line_aligned FROM history.ucdp_ged_events
                    WHERE source_id = {literal['source']} AND opened_by_run = {literal['run']}""")


def _insert_first_release(con, release: EventRelease, params: dict) -> None:
    """A source's first release: typed rows straight into the history with their line hashes (first_release.sql).
    When the file has more lines than records (a quoted value spans lines), lines are not records: the
    release keeps no line hashes and the next one parses every row."""
    read = {"path": str(release.path), "header": release.has_header}
    con.execute(_sql("line_ids"), read)
    lines = con.execute("SELECT coalesce(sum(copies), 0) FROM events_line_ids").fetchall()[0][0]
    # insert in parallel (the history has no order), and build the join's hash table on the small side
    # (id, line hash), never on the 49-column rows
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    try:
        records = con.execute(_sql("first_release"), {**read, **params, "columns": release.columns}).fetchall()[0][0]
    finally:
        con.execute("RESET disabled_optimizers")
        con.execute("SET preserve_insertion_order = true")
    con.execute("DROP TABLE events_line_ids")
    if lines != records:
        con.execute("UPDATE history.ucdp_ged_events SET line_hash = NULL WHERE source_id = $source_id "
                    "AND opened_by_run = $run_id", {k: params[k] for k in ("source_id", "run_id")})
        release.spans_lines = True
        release.notes.append(SPANNING_NOTE)
    _staged_view(con, release, params["run_id"])
    release.rows_in_release = release.rows_parsed = records


def _stage_release(con, release: EventRelease, scratch: Path) -> None:
    """A later release. events_staged: the rows to parse (the lines the current versions do not already
    hold); events_release_lines: the hash of every line of the release (and the text of those lines)."""
    params = {"path": str(release.path), "header": release.has_header}
    con.execute(_sql("release_lines"), {**params, "source_id": release.source_id})
    release.rows_in_release = con.execute("SELECT count(*) FROM events_release_lines").fetchall()[0][0]
    scratch.mkdir(parents=True, exist_ok=True)
    changed_lines = scratch / f"{release.source_id}.changed-lines.csv"
    try:
        con.execute("COPY (SELECT line FROM events_release_lines WHERE line IS NOT NULL) TO $target "
                    "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER chr(1))", {"target": str(changed_lines)})
        _stage(con, release, changed_lines, False)
    finally:
        changed_lines.unlink(missing_ok=True)
    release.rows_parsed = con.execute("SELECT count(*) FROM events_staged").fetchall()[0][0]


def _line_count(con, path: Path) -> int:
    return con.execute("SELECT count(*) FROM read_csv($path, header = false, auto_detect = false, delim = chr(1), "
                       "quote = '', escape = '', columns = {'line': 'VARCHAR'}) WHERE line IS NOT NULL AND line <> ''",
                       {"path": str(path)}).fetchall()[0][0]


def _delta_applies(con, release: EventRelease) -> bool:
    """A line-delta release can be loaded from its changed lines alone when the file the source was
    last loaded from is its base (or a sibling delta against the same base), that load was clean, and
    nothing since changed the current versions."""
    if not (release.base_sha256 and release.inserted_lines and release.removed_lines):
        return False
    last = con.execute("SELECT sha256, lines, clean FROM meta.event_release_files WHERE source_id = ? "
                       "ORDER BY loaded_at DESC, run_id DESC LIMIT 1", [release.source_id]).fetchall()
    if not last or last[0][0] != (release.previous_sha256 or release.base_sha256) or not last[0][2]:
        return False
    current = con.execute("SELECT count(*), count(line_hash) FROM history.ucdp_ged_events WHERE source_id = ? "
                          "AND recorded_to IS NULL", [release.source_id]).fetchall()[0]
    return current[0] == current[1] == last[0][1]


def _stage_delta(con, release: EventRelease, scratch: Path) -> None:
    """A later release stored as a line delta: events_staged from its changed and new lines (for a
    sibling delta also the base lines the last release had dropped and this one keeps, sibling_lines.sql);
    events_removed_lines, the hashes of the lines of the release last loaded that it no longer has
    (removed_lines.sql); and its line count."""
    sibling = release.previous_sha256 is not None
    if sibling:
        scratch.mkdir(parents=True, exist_ok=True)
        lines = scratch / f"{release.source_id}.sibling-lines.csv"
        try:
            con.execute(_sql("sibling_lines"), {"inserted": str(release.inserted_lines), "removed": str(release.removed_lines),
                                                "previous_removed": str(release.previous_removed_lines),
                                                "target": str(lines)})
            _stage(con, release, lines, False)
        finally:
            lines.unlink(missing_ok=True)
    else:
        _stage(con, release, release.inserted_lines, False)
    # without a sibling the previous release's inserted lines are not read ($sibling false): any file will do
    con.execute(_sql("removed_lines"), {"removed": str(release.removed_lines), "sibling": sibling,
                                        "previous_inserted": str(release.previous_inserted_lines or release.removed_lines)})
    last_lines = con.execute("SELECT lines FROM meta.event_release_files WHERE source_id = ? "
                             "ORDER BY loaded_at DESC, run_id DESC LIMIT 1", [release.source_id]).fetchall()[0][0]
    base_lines = last_lines
    if sibling:     # the base's lines: the last release's, less what it inserted, plus what it removed
        base_lines += _line_count(con, release.previous_removed_lines) - _line_count(con, release.previous_inserted_lines)
    removed = _line_count(con, release.removed_lines)
    release.rows_in_release = base_lines - removed + _line_count(con, release.inserted_lines)
    release.rows_parsed = con.execute("SELECT count(*) FROM events_staged").fetchall()[0][0]
    release.from_delta = True
    release.notes.append(f"stored as a line delta: {release.rows_parsed:,} changed or new lines read, "
                         f"{removed:,} lines of the {'base' if sibling else 'previous'} release dropped or changed")


def _ensure_whole(release: EventRelease) -> None:
    """A release stored as a line delta that cannot be loaded from its changed lines: write it whole."""
    if release.whole is not None and not Path(release.path).is_file():
        release.path = release.whole()
        release.notes.append("stored as a line delta against a release other than the last one loaded "
                             "cleanly: written whole to be read in full")


def _record_release_file(con, release: EventRelease, params: dict) -> None:
    """meta.event_release_files: the file loaded, its lines, and whether its lines are now the current versions."""
    if release.sha256 is None:
        return
    clean = release.rows_failed == 0 and not release.spans_lines
    con.execute("INSERT INTO meta.event_release_files VALUES (?, ?, ?, ?, ?, ?)",
                [release.source_id, params["run_id"], release.sha256, release.rows_in_release, clean,
                 params["recorded_at"]])


def _batch_failures(frame: pl.DataFrame) -> pl.DataFrame | None:
    """pandera's polars backend on one batch: failing rows as (id, column_name, check_name, reason)."""
    try:
        GedEvent.validate(frame, lazy=True)
        return None
    except SchemaErrors as exc:
        cases = pl.from_pandas(exc.failure_cases) if not isinstance(exc.failure_cases, pl.DataFrame) \
            else exc.failure_cases
    structural = cases.filter(pl.col("index").is_null())
    if len(structural):
        first = structural.row(0, named=True)
        raise EventsError(f"column {first['column']!r}: {first['check']}: {first['failure_case']}")
    frame_level = pl.col("schema_context") == "DataFrameSchema"
    return cases.select(
        id=frame["id"].gather(cases["index"].cast(pl.UInt32)),
        column_name=pl.when(frame_level).then(None).otherwise(pl.col("column")),
        check_name=pl.col("check").cast(pl.Utf8),
        reason=pl.when(frame_level).then(pl.col("check").cast(pl.Utf8)).otherwise(
            pl.format("column '{}': value {} fails {}", pl.col("column"), pl.col("failure_case"), pl.col("check"))),
    ).unique(subset=["id", "check_name"], keep="first", maintain_order=True)


def _validate(con, release: EventRelease) -> None:
    """events_rejected: every failing staged row (pandera checks per batch, duplicate ids over the release)."""
    columns = ", ".join(CHECKED_COLUMNS)
    reader = con.sql(f"SELECT {columns} FROM events_staged").fetch_arrow_reader(release.batch_rows)
    failures = [f for batch in reader if (f := _batch_failures(pl.from_arrow(batch))) is not None]
    schema = {"id": pl.Int64, "column_name": pl.Utf8, "check_name": pl.Utf8, "reason": pl.Utf8}
    events_failures = pl.concat(failures) if failures else pl.DataFrame(schema=schema)
    con.register("events_failures_frame", events_failures.to_arrow())
    try:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE events_rejected AS
            SELECT id, 'canonical' AS stage, column_name, check_name, reason FROM events_failures_frame
            UNION ALL
            SELECT s.id, 'key' AS stage, 'id' AS column_name, 'unique_key' AS check_name,
                   'event id ' || s.id || ' appears ' || d.copies || ' times in the release: none of its rows is loaded'
            FROM events_staged AS s JOIN ({_sql('duplicate_ids').strip().rstrip(';')}) AS d USING (id)""")
    finally:
        con.unregister("events_failures_frame")
    counts = con.execute("SELECT check_name, count(*) FROM events_rejected GROUP BY check_name ORDER BY check_name").fetchall()
    release.failures_by_check = {name: n for name, n in counts}
    release.rows_failed = con.execute(
        "SELECT count(*) FROM events_staged AS s WHERE s.id IN (SELECT id FROM events_rejected) "
        "OR (s.id IS NULL AND EXISTS (SELECT 1 FROM events_rejected WHERE id IS NULL))").fetchall()[0][0]


def _map_countries(con, release: EventRelease) -> None:
    if release.resolve_country is None:
        return
    unseen = con.execute("""SELECT DISTINCT country_id, country FROM events_staged
                            WHERE country_id IS NOT NULL AND country IS NOT NULL
                            EXCEPT SELECT country_id, country FROM ref.event_countries WHERE source_id = ?""",
                         [release.source_id]).fetchall()
    rows = [(release.source_id, cid, name, release.resolve_country(name)) for cid, name in sorted(unseen)]
    if rows:
        con.executemany("INSERT INTO ref.event_countries VALUES (?, ?, ?, ?)", rows)
    unknown = sorted({name for _, _, name, iso3 in rows if iso3 is None})
    if unknown:
        release.notes.append(f"{len(unknown)} country names not mapped to ISO3 (left out of marts): "
                             + ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else ""))


def _apply_changes(con, release: EventRelease, params: dict) -> None:
    """A later release: close the versions of revised and withdrawn events, open the new ones (set-based)."""
    con.execute(_sql("changes"), {"source_id": release.source_id})
    con.execute(_sql("withdrawn_delta" if release.from_delta else "withdrawn"), {"source_id": release.source_id})
    release.changes = dict(con.execute("SELECT change, count(*) FROM events_changes GROUP BY change").fetchall())
    con.execute(_sql("close"), params)
    con.execute(_sql("reline"), {"source_id": release.source_id})
    con.execute(_sql("open"), {k: params[k] for k in ("source_id", "published_on", "recorded_at", "run_id")})


def _keep_valid_rows(con, release: EventRelease, params: dict) -> None:
    """A first release: its rows are already versions; drop those that failed a check."""
    con.execute(_sql("drop_rejected"), {k: params[k] for k in ("source_id", "run_id")})
    opened = con.execute("SELECT count(*) FROM history.ucdp_ged_events WHERE source_id = $source_id "
                         "AND opened_by_run = $run_id", {k: params[k] for k in ("source_id", "run_id")}).fetchall()[0][0]
    release.changes = {"new": opened} if opened else {}


def _prepare_session(con, scratch: Path) -> None:
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    spill = scratch / "duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute("SET preserve_insertion_order = true")


def load_release(con: duckdb.DuckDBPyConnection, release: EventRelease, *, run_id: str,
                 recorded_at: dt.datetime, scratch: Path) -> EventRelease:
    """Apply one release as a snapshot, inside the caller's transaction. Fills in the release's counts.
    A first release is inserted as versions at once and its failing rows deleted again; a later one is
    staged (only its changed lines) and applied as changes."""
    clock = _Clock(release)
    _prepare_session(con, scratch)
    params = {"source_id": release.source_id, "run_id": run_id, "recorded_at": recorded_at,
              "published_on": release.published_on}
    try:
        first = not _has_current(con, release.source_id)
        if not first and _delta_applies(con, release):
            _stage_delta(con, release, scratch)
        else:
            _ensure_whole(release)
            if first:
                _insert_first_release(con, release, params)
            else:
                _stage_release(con, release, scratch)
        clock.lap("stage")
        _validate(con, release)
        clock.lap("validate")
        if release.failures_by_check:      # (with no failure, skip the statement's 10 M-id lookup)
            con.execute(_sql("quarantine"), {"run_id": run_id, "source_id": release.source_id,
                                             "recorded_at": recorded_at, "cap": release.quarantine_cap})
        release.quarantine_kept = sum(min(n, release.quarantine_cap) for n in release.failures_by_check.values())
        (_keep_valid_rows if first else _apply_changes)(con, release, params)
        clock.lap("history")
        _map_countries(con, release)
        _record_release_file(con, release, params)
    except (duckdb.Error, OSError) as exc:
        raise EventsError(" ".join(str(exc).split())[:400]) from None
    _drop_temporaries(con)
    return release


def _drop_temporaries(con) -> None:
    """Drop the temporary tables and views a release used (events_staged is a table or a view)."""
    kinds = dict(con.execute("SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary UNION ALL "
                             "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary").fetchall())
    for name in TEMP_TABLES:
        if name in kinds:
            con.execute(f"DROP {kinds[name]} temp.{name}")
