"""Change reports over the SCD2 history: every version of an area's figures, and what
changed between two runs (added / revised / closed, with each closed version's `closed_reason`:
revised, withdrawn, removed_from_source, rejected_in_review)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # pandas is imported where a frame is made: `ftf diff` can refuse a run id without it
    import pandas as pd

SQL_DIR = Path(__file__).resolve().parent / "sql"

# per history table: how to describe a row and its value in a diff (identifiers, not input)
DIFFABLE = {
    "figures": {
        "table": "history.figures",
        "describe": "concat_ws(' | ', coalesce(b.publication_id, a.publication_id), coalesce(b.country_iso3, a.country_iso3), "
                    "coalesce(b.metric, a.metric) || CASE WHEN coalesce(b.variant, a.variant) <> '' "
                    "THEN ' (' || coalesce(b.variant, a.variant) || ')' ELSE '' END, "
                    "strftime(coalesce(b.reference_date, a.reference_date), '%Y-%m-%d'))",
        "value": "{t}.qualifier || ' ' || coalesce(CAST({t}.value AS VARCHAR), CAST({t}.value_low AS VARCHAR) || '–' || "
                 "CAST({t}.value_high AS VARCHAR), CAST({t}.share AS VARCHAR) || ' of ' || {t}.share_of, '?')",
    },
    "population": {
        "table": "history.population",
        "describe": "coalesce(b.country_iso3, a.country_iso3) || ' ' || CAST(coalesce(b.year, a.year) AS VARCHAR)",
        "value": "CAST(CAST({t}.value AS BIGINT) AS VARCHAR)",
    },
    "countries": {
        "table": "history.countries",
        "describe": "coalesce(b.country_iso3, a.country_iso3)",
        "value": "{t}.country_name",
    },
}


class UnknownRun(ValueError):
    pass


def run_seq(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    row = con.execute("select seq from meta.runs where run_id = ?", [run_id]).fetchall()
    if not row or row[0][0] is None:
        known = [r[0] for r in con.execute(
            "select run_id from meta.runs where seq is not null order by seq desc limit 5").fetchall()]
        raise UnknownRun(f"no completed run {run_id!r}; latest runs: {', '.join(known) or 'none'}")
    return int(row[0][0])


def previous_run(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    seq = run_seq(con, run_id)
    row = con.execute("select run_id from meta.runs where seq < ? order by seq desc limit 1", [seq]).fetchall()
    return row[0][0] if row else None


def diff_runs(con: duckdb.DuckDBPyConnection, run_a: str, run_b: str) -> pd.DataFrame:
    """Rows that differ between the state after run_a and the state after run_b."""
    seq_a, seq_b = run_seq(con, run_a), run_seq(con, run_b)
    state = (SQL_DIR / "state_after_run.sql").read_text(encoding="utf-8")
    template = (SQL_DIR / "diff_runs.sql").read_text(encoding="utf-8")
    frames = []
    for kind, spec in DIFFABLE.items():
        sql = template.format(
            state_a=state.format(table=spec["table"]).replace("$seq", "$seq_a"),
            state_b=state.format(table=spec["table"]).replace("$seq", "$seq_b"),
            describe=spec["describe"], old_value=spec["value"].format(t="a"), new_value=spec["value"].format(t="b"))
        frame = con.execute(sql, {"seq_a": seq_a, "seq_b": seq_b}).df()
        frame.insert(0, "table", kind)
        frame["changed_columns"] = [changed_columns(old, new) for old, new in zip(frame["old_row"], frame["new_row"])]
        frames.append(frame.drop(columns=["old_row", "new_row"]))
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


# bookkeeping of a version, not what a source said: never reported as "changed"
VERSION_COLUMNS = {"key_hash", "row_hash", "valid_from", "valid_to", "recorded_from", "recorded_to",
                   "opened_by_run", "closed_by_run", "closed_reason", "run_id"}


def changed_columns(old_row: str | None, new_row: str | None) -> str:
    """The columns whose values differ between two versions of a row (JSON objects), comma-separated."""
    import json

    if not isinstance(old_row, str) or not isinstance(new_row, str):
        return ""
    old, new = json.loads(old_row), json.loads(new_row)
    return ", ".join(c for c in new if c not in VERSION_COLUMNS and old.get(c) != new.get(c))


def diff_counts(diff: pd.DataFrame) -> pd.DataFrame:
    counts = diff.groupby(["table", "change"]).size().unstack(fill_value=0)
    for column in ("added", "revised", "closed"):
        if column not in counts:
            counts[column] = 0
    return counts[["added", "revised", "closed"]].reset_index()


def diff_markdown(diff: pd.DataFrame, run_a: str, run_b: str, *, limit: int = 50) -> str:
    counts = diff_counts(diff)
    lines = [f"# Changes from run `{run_a}` to run `{run_b}`", "", "| table | added | revised | closed |",
             "|---|---:|---:|---:|"]
    lines += [f"| {r.table} | {r.added} | {r.revised} | {r.closed} |" for r in counts.itertuples()]
    lines += ["", f"## Rows (first {limit})", "", "| table | change | what | changed columns | old | new | closed as |",
              "|---|---|---|---|---|---|---|"]
    for r in diff.head(limit).itertuples():
        lines.append(f"| {r.table} | {r.change} | {r.what} | {r.changed_columns} | {r.old_value or ''} | "
                     f"{r.new_value or ''} | {r.closed_reason or ''} |")
    return "\n".join(lines) + "\n"


def area_history(con: duckdb.DuckDBPyConnection, area: str, metric: str | None = None) -> pd.DataFrame:
    """Every version of every figure for a country or region code (ISO3 or region code,
    or a name the harmonisation understands)."""
    sql = (SQL_DIR / "area_history.sql").read_text(encoding="utf-8")
    return con.execute(sql, {"area": area, "metric": metric}).df()


def changes_since_previous(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The markdown change report of `run_id` against the run before it, if it changed anything."""
    changed = con.execute("select changed from meta.runs where run_id = ?", [run_id]).fetchall()
    if not changed or not changed[0][0]:
        return None
    before = previous_run(con, run_id)
    if before is None:
        return f"# First run `{run_id}`\n\nEverything in the warehouse was added by this run.\n"
    return diff_markdown(diff_runs(con, before, run_id), before, run_id)
