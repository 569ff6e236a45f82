"""SCD type 2 snapshots of keyed tables (history.figures, history.population, history.countries).

A snapshot replaces what the warehouse knows *within its scope*: for a dataset (population,
country codes) the scope is the whole source, so a row missing from a newer vintage closes
its version; for report figures the scope is (source, publication), so a later edition is a
different publication and never deletes an earlier one, while a corrected transcription of
the same publication revises it. Re-applying an identical snapshot changes nothing.

Every closed version says why (`closed_reason`): `revised` (a new version of the key),
`rejected_in_review` (the new version is a claim a reviewer rejected), `removed_from_source`
(the key, or its whole publication, is gone from the source that carried it) or `withdrawn`
(the source left the catalog). A key whose row was quarantined in this load is never closed:
it stays current and the quarantine records the run that tried to change it.

Recording time (`recorded_from`/`recorded_to`) is the run's time, except for replayed vintages
of datasets, which are recorded from their publication date (warehouse README "Three clocks").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from schemas.figure import FIGURE_COLUMNS, FIGURE_KEY
from schemas.reference import COUNTRY_COLUMNS, COUNTRY_KEY, POPULATION_COLUMNS, POPULATION_KEY

SQL_DIR = Path(__file__).resolve().parent / "sql"


class SnapshotError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeyedTable:
    name: str                 # history.<table>
    key: tuple[str, ...]
    columns: tuple[str, ...]  # stored attributes (the key included), without hashes/validity
    scope: tuple[str, ...]
    # SQL (over the current version h and the incoming row i of the same key): why h is closed
    revision_reason: str = "'revised'"


FIGURES = KeyedTable("history.figures", tuple(FIGURE_KEY), tuple(FIGURE_COLUMNS), ("source_id", "publication_id"),
                     revision_reason="CASE WHEN i.review_status = 'rejected' AND h.review_status <> 'rejected' "
                                     "THEN 'rejected_in_review' ELSE 'revised' END")
POPULATION = KeyedTable("history.population", tuple(POPULATION_KEY), ("source_id", *POPULATION_COLUMNS), ("source_id",))
COUNTRIES = KeyedTable("history.countries", tuple(COUNTRY_KEY), ("source_id", *COUNTRY_COLUMNS), ("source_id",))
TABLES = {"figures": FIGURES, "population": POPULATION, "countries": COUNTRIES}


@dataclass(frozen=True)
class SnapshotResult:
    opened: int
    closed: int
    unchanged: int
    kept: int = 0             # current versions kept although missing: their rows are in quarantine
    kept_rows: frozenset = frozenset()   # labels of the `kept` rows that kept a current version

    def __add__(self, other: "SnapshotResult") -> "SnapshotResult":
        return SnapshotResult(self.opened + other.opened, self.closed + other.closed,
                              self.unchanged + other.unchanged, self.kept + other.kept,
                              self.kept_rows | other.kept_rows)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _hash_expr(columns) -> str:
    # JSON array of the parts: separators and escaping make ('a,b','c') != ('a','b,c').
    return "md5(to_json([" + ", ".join(f"CAST({_q(c)} AS VARCHAR)" for c in columns) + "]))"


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()
    return dict(rows)


def _sql(name: str, **identifiers: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8").format(**identifiers)


def identity_columns(table: KeyedTable) -> tuple[str, ...]:
    """The columns that identify a row of `table`: its scope and its key."""
    return tuple(dict.fromkeys((*table.scope, *table.key)))


def _register_kept(con: duckdb.DuckDBPyConnection, table: KeyedTable, kept: pd.DataFrame | None) -> str:
    """Keys of quarantined rows as a temp table of text (NULL = that part of the key is unknown,
    so it matches any value). Returns the SQL condition matching a current version h to one."""
    columns = identity_columns(table)
    frame = pd.DataFrame(columns=list(columns)) if kept is None else kept.reindex(columns=list(columns))
    frame = frame.astype(object).where(frame.notna(), None).astype("string")
    frame.insert(0, "kept_row", pd.Series(frame.index, index=frame.index, dtype="int64"))
    con.register("kept_frame", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE snapshot_kept AS SELECT * FROM kept_frame")
    finally:
        con.unregister("kept_frame")
    return " AND ".join(f"(k.{_q(c)} IS NULL OR CAST(h.{_q(c)} AS VARCHAR) = k.{_q(c)})" for c in columns)


def apply_snapshot(con: duckdb.DuckDBPyConnection, table: KeyedTable, frame: pd.DataFrame, *,
                   run_id: str, recorded_from: dt.datetime, kept: pd.DataFrame | None = None) -> SnapshotResult:
    """Apply one snapshot inside the caller's transaction. `frame` has `table.columns`; `kept`
    holds the (partial) keys of rows quarantined from this document, whose current versions
    must not be closed."""
    missing = [c for c in table.columns if c not in frame.columns]
    if missing:
        raise SnapshotError(f"{table.name}: snapshot lacks column(s) {', '.join(missing)}")
    if frame.empty:
        return SnapshotResult(0, 0, 0)
    types = _column_types(con, table.name)
    con.register("snapshot_frame", frame[list(table.columns)])
    try:
        casts = ", ".join(f"CAST({_q(c)} AS {types[c]}) AS {_q(c)}" for c in table.columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE snapshot_typed AS SELECT {casts} FROM snapshot_frame")
    finally:
        con.unregister("snapshot_frame")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE snapshot_incoming AS SELECT {_hash_expr(table.key)} AS key_hash, "
        f"{_hash_expr(table.columns)} AS row_hash, * FROM snapshot_typed")
    dupes = con.execute("select count(*) - count(distinct key_hash) from snapshot_incoming").fetchall()[0][0]
    if dupes:
        raise SnapshotError(f"{table.name}: snapshot has {dupes} duplicate key(s) on {', '.join(table.key)}")
    scope_match = " AND ".join(f"s.{_q(c)} = h.{_q(c)}" for c in table.scope)
    later = con.execute(
        f"select max(h.recorded_from) from {table.name} h where exists "
        f"(select 1 from snapshot_incoming s where {scope_match})").fetchall()[0][0]
    if later is not None and later > recorded_from:
        raise SnapshotError(f"{table.name}: cannot apply a snapshot recorded from {recorded_from.isoformat()} "
                            f"before versions already recorded from {later.isoformat()}")
    kept_match = _register_kept(con, table, kept)
    params = {"recorded_from": recorded_from, "run_id": run_id}
    identifiers = {"table": table.name, "scope_match": scope_match, "kept_match": kept_match,
                   "revision_reason": table.revision_reason}
    kept_count, kept_rows = con.execute(_sql("scd2_kept.sql", **identifiers)).fetchall()[0]
    closed = con.execute(_sql("scd2_close.sql", **identifiers), params).fetchall()[0][0]
    cols = ", ".join(_q(c) for c in table.columns)
    opened = con.execute(_sql("scd2_open.sql", table=table.name, columns=cols,
                              incoming_columns=", ".join(f"i.{_q(c)}" for c in table.columns)), params).fetchall()[0][0]
    incoming = con.execute("select count(*) from snapshot_incoming").fetchall()[0][0]
    for temp in ("snapshot_incoming", "snapshot_typed", "snapshot_kept"):
        con.execute(f"DROP TABLE {temp}")
    return SnapshotResult(opened=int(opened), closed=int(closed), unchanged=int(incoming - opened),
                          kept=int(kept_count), kept_rows=frozenset(kept_rows))


def close_absent_publications(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, run_id: str,
                              recorded_at: dt.datetime, kept: pd.DataFrame | None = None) -> SnapshotResult:
    """A publication whose rows all disappeared from the source that carried them (e.g. a news
    source no longer relaying a report): close its current figures as `removed_from_source`.
    Only the sources in `frame` are looked at, so another source's silence (a later edition)
    never closes anything."""
    pairs = frame[["source_id", "publication_id"]].drop_duplicates().astype("string")
    kept_match = _register_kept(con, FIGURES, kept)
    con.register("loaded_publications", pairs)
    try:
        kept_count, kept_rows = con.execute(_sql("scd2_kept_absent_publications.sql",
                                                 kept_match=kept_match)).fetchall()[0]
        closed = con.execute(_sql("scd2_close_absent_publications.sql", kept_match=kept_match),
                             {"recorded_at": recorded_at, "run_id": run_id}).fetchall()[0][0]
    finally:
        con.unregister("loaded_publications")
        con.execute("DROP TABLE snapshot_kept")
    return SnapshotResult(0, int(closed), 0, int(kept_count), frozenset(kept_rows))


def apply_figures(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, run_id: str,
                  recorded_from: dt.datetime, kept: pd.DataFrame | None = None) -> SnapshotResult:
    """Figures are snapshotted per (source, publication), all recorded from the loading run's
    time: publication time (`published_on`) carries their history, so `figures_published_by(D)`
    answers "what had been published by D" whenever a row was typed in."""
    total = SnapshotResult(0, 0, 0)
    for _, part in frame.groupby(["source_id", "publication_id"], sort=True):
        total = total + apply_snapshot(con, FIGURES, part, run_id=run_id, recorded_from=recorded_from, kept=kept)
    return total + close_absent_publications(con, frame, run_id=run_id, recorded_at=recorded_from, kept=kept)


def withdraw_sources(con: duckdb.DuckDBPyConnection, catalog_ids: list[str], *, run_id: str,
                     recorded_at: dt.datetime) -> dict[tuple[str, str], int]:
    """Close, as `withdrawn`, every current version whose source is no longer in the catalog.
    Returns {(kind, source_id): versions closed}. An empty catalog withdraws nothing (that is a
    broken checkout, not a decision)."""
    if not catalog_ids:
        return {}
    closed: dict[tuple[str, str], int] = {}
    for kind, table in TABLES.items():
        rows = con.execute(_sql("scd2_withdraw.sql", table=table.name),
                           {"catalog": list(catalog_ids), "recorded_at": recorded_at, "run_id": run_id}).fetchall()
        for (source_id,) in rows:
            closed[(kind, source_id)] = closed.get((kind, source_id), 0) + 1
    return closed
