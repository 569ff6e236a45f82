"""SCD type 2 snapshots of keyed tables (history.figures, history.population, history.countries).

A snapshot replaces what the warehouse knows *within its scope*: for a dataset (population,
country codes) the scope is the whole source, so a row missing from a newer vintage closes
its version; for report figures the scope is (source, publication), so a later edition is a
different publication and never deletes an earlier one, while a corrected transcription of
the same publication revises it. Re-applying an identical snapshot changes nothing.
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


FIGURES = KeyedTable("history.figures", tuple(FIGURE_KEY), tuple(FIGURE_COLUMNS), ("source_id", "publication_id"))
POPULATION = KeyedTable("history.population", tuple(POPULATION_KEY), ("source_id", *POPULATION_COLUMNS), ("source_id",))
COUNTRIES = KeyedTable("history.countries", tuple(COUNTRY_KEY), ("source_id", *COUNTRY_COLUMNS), ("source_id",))
TABLES = {"figures": FIGURES, "population": POPULATION, "countries": COUNTRIES}


@dataclass(frozen=True)
class SnapshotResult:
    opened: int
    closed: int
    unchanged: int


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


def apply_snapshot(con: duckdb.DuckDBPyConnection, table: KeyedTable, frame: pd.DataFrame, *,
                   run_id: str, valid_from: dt.datetime) -> SnapshotResult:
    """Apply one snapshot inside the caller's transaction. `frame` has `table.columns`."""
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
    dupes = con.execute("select count(*) - count(distinct key_hash) from snapshot_incoming").fetchone()[0]
    if dupes:
        raise SnapshotError(f"{table.name}: snapshot has {dupes} duplicate key(s) on {', '.join(table.key)}")
    scope_match = " AND ".join(f"s.{_q(c)} = h.{_q(c)}" for c in table.scope)
    later = con.execute(
        f"select max(h.valid_from) from {table.name} h where exists "
        f"(select 1 from snapshot_incoming s where {scope_match})").fetchone()[0]
    if later is not None and later > valid_from:
        raise SnapshotError(f"{table.name}: cannot apply a snapshot valid from {valid_from.isoformat()} "
                            f"before versions already valid from {later.isoformat()}")
    params = {"valid_from": valid_from, "run_id": run_id}
    closed = con.execute(_sql("scd2_close.sql", table=table.name, scope_match=scope_match), params).fetchone()[0]
    cols = ", ".join(_q(c) for c in table.columns)
    opened = con.execute(_sql("scd2_open.sql", table=table.name, columns=cols,
                              incoming_columns=", ".join(f"i.{_q(c)}" for c in table.columns)), params).fetchone()[0]
    incoming = con.execute("select count(*) from snapshot_incoming").fetchone()[0]
    con.execute("DROP TABLE snapshot_incoming")
    con.execute("DROP TABLE snapshot_typed")
    return SnapshotResult(opened=int(opened), closed=int(closed), unchanged=int(incoming - opened))


def apply_figures(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, run_id: str,
                  valid_from: dt.datetime) -> SnapshotResult:
    """Figures are snapshotted per (source, publication). The first versions of a publication
    are valid from its publication date (when the world could know them, as with vintage
    replay), so `figures_as_of(D)` answers "what had been published by D"; later corrections
    are valid from the run that loaded them."""
    opened = closed = unchanged = 0
    for (source_id, publication_id), part in frame.groupby(["source_id", "publication_id"], sort=True):
        known = con.execute("select count(*) from history.figures where source_id = ? and publication_id = ?",
                            [source_id, publication_id]).fetchone()[0]
        start = valid_from
        if not known:
            first = pd.Timestamp(pd.to_datetime(part["published_on"]).min()).to_pydatetime()
            start = min(valid_from, dt.datetime(first.year, first.month, first.day, tzinfo=dt.timezone.utc))
        result = apply_snapshot(con, FIGURES, part, run_id=run_id, valid_from=start)
        opened, closed, unchanged = opened + result.opened, closed + result.closed, unchanged + result.unchanged
    return SnapshotResult(opened, closed, unchanged)
