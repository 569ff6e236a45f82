"""Declared assertions per source, checked before its snapshot is applied (zavod-style).

A source declares them in its `source.toml`::

    [assertions]
    min_rows = 10000              # fewer rows than this: a truncated or wrong document
    max_closed_share = 0.2        # the largest share of current rows a new document may close
    key_columns = ["country_iso3", "year"]   # present and never empty
    [assertions.ranges]
    value = [0, 10_000_000_000]   # plausible values (inclusive; either bound may be omitted: [0])
    [assertions.date_windows]
    reference_date = ["2011-01-01"]   # earliest date; the latest is always the run date

Defaults: datasets (population, countries) have `max_closed_share = 0.2`; every source has a
date window that ends on the run date (`reference_date` for figures, `year` for population), so a
reference date in the future never becomes current.

`check_before_snapshot` returns a `GuardVerdict`: one ledger row per check (meta.validation) and,
when a check failed, the one-line error that fails the source — nothing of it is loaded and its
previous snapshot stays current. The shrink checks (min_rows, max_closed_share) are waived for
the sources named by `--accept-shrink`. The would-close count reads the CURRENT views
(core.figures, core.population, ref.countries), never history internals.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

__all__ = ["DEFAULT_MAX_CLOSED_SHARE", "GuardVerdict", "check_before_snapshot"]

SQL_DIR = Path(__file__).resolve().parent / "sql"
DEFAULT_MAX_CLOSED_SHARE = 0.2
DATASET_KINDS = ("population", "countries")
CURRENT_VIEWS = {  # kind -> (current view, key, scope beyond source_id)
    "figures": ("core.figures", ("publication_id", "country_iso3", "metric", "reference_date", "variant"),
                "publication_id"),
    "population": ("core.population", ("country_iso3", "year"), None),
    "countries": ("ref.countries", ("country_iso3",), None),
}
DEFAULT_DATE_COLUMN = {"figures": "reference_date", "population": "year"}


@dataclass
class GuardVerdict:
    ledger: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return self.errors[0] if self.errors else None

    def record(self, source_id: str, name: str, *, checked: int, failed: int, detail: str,
               error: str | None = None) -> None:
        self.ledger.append({"source_id": source_id, "model": f"assertion:{name}", "rows_checked": int(checked),
                            "rows_failed": int(failed), "passed": error is None, "detail": detail})
        if error:
            self.errors.append(error)


def _percent(share: float) -> str:
    text = f"{share * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + " %"


def _shrink_hint(source_id: str) -> str:
    return f"nothing loaded; use --accept-shrink {source_id} to load it"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def would_close(con: duckdb.DuckDBPyConnection, kind: str, source_id: str, frame: pd.DataFrame) -> tuple[int, int]:
    """(current rows the document would close as removed, current rows in its scope)."""
    view, key, scope = CURRENT_VIEWS[kind]
    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_schema = ? and table_name = ?", view.split(".")).fetchall())
    present = [c for c in key if c in frame.columns and c in types]
    con.register("guard_frame", frame[present])
    try:
        casts = ", ".join(f"CAST({_q(c)} AS {types[c]}) AS {_q(c)}" for c in present)
        con.execute(f"CREATE OR REPLACE TEMP TABLE guard_incoming AS SELECT DISTINCT {casts} FROM guard_frame")
    finally:
        con.unregister("guard_frame")
    key_match = " AND ".join(f"n.{_q(c)} IS NOT DISTINCT FROM c.{_q(c)}" for c in present)
    scope_filter = (f"AND c.{_q(scope)} IN (SELECT {_q(scope)} FROM guard_incoming)" if scope else "")
    sql = (SQL_DIR / "would_close.sql").read_text(encoding="utf-8").format(
        view=view, key_match=key_match, scope_filter=scope_filter)
    closing, current = con.execute(sql, {"source_id": source_id}).fetchone()
    con.execute("DROP TABLE guard_incoming")
    return int(closing), int(current)


def _check_min_rows(verdict: GuardVerdict, source_id: str, frame: pd.DataFrame, minimum, accept: bool) -> None:
    if minimum is None:
        return
    rows = len(frame)
    detail = f"{rows} rows, at least {int(minimum)} declared" + (" (accepted with --accept-shrink)" if accept else "")
    error = None
    if rows < int(minimum) and not accept:
        error = (f"{source_id}: the new document has {rows:,} rows, fewer than the {int(minimum):,} its "
                 f"source.toml declares (min_rows); {_shrink_hint(source_id)}")
    verdict.record(source_id, "min_rows", checked=rows, failed=0 if error is None else rows, detail=detail, error=error)


def _check_closed_share(verdict: GuardVerdict, con, kind: str, source_id: str, frame: pd.DataFrame,
                        limit, accept: bool) -> None:
    if limit is None:
        return
    closing, current = would_close(con, kind, source_id, frame)
    share = closing / current if current else 0.0
    detail = (f"would close {closing} of {current} current rows ({_percent(share)}, limit {_percent(float(limit))})"
              + (" (accepted with --accept-shrink)" if accept else ""))
    error = None
    if share > float(limit) and not accept:
        error = (f"{source_id}: the new document would close {closing:,} of {current:,} current rows "
                 f"({_percent(share)}, limit {_percent(float(limit))}); {_shrink_hint(source_id)}")
    verdict.record(source_id, "max_closed_share", checked=current, failed=closing, detail=detail, error=error)


def _check_key_columns(verdict: GuardVerdict, source_id: str, frame: pd.DataFrame, columns) -> None:
    for column in columns or ():
        if column not in frame.columns:
            verdict.record(source_id, "key_columns", checked=len(frame), failed=len(frame),
                           detail=f"column {column!r} missing",
                           error=f"{source_id}: column {column!r} missing (declared in key_columns); nothing loaded")
            continue
        empty = int(frame[column].isna().sum())
        verdict.record(source_id, "key_columns", checked=len(frame), failed=empty,
                       detail=f"column {column!r}: {empty} empty",
                       error=(f"{source_id}: column {column!r}: {empty} empty key value(s) (declared in key_columns); "
                              "nothing loaded") if empty else None)


def _comparable(values: pd.Series, bound):
    """The column and a bound in one comparable type (dates stay dates, numbers numbers)."""
    if isinstance(bound, (dt.date, dt.datetime)) or (isinstance(bound, str) and not _is_number(bound)):
        as_dates = pd.to_datetime(values, errors="coerce")
        return as_dates, pd.Timestamp(bound)
    return pd.to_numeric(values, errors="coerce"), float(bound)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _outside(values: pd.Series, low, high) -> pd.Series:
    mask = pd.Series(False, index=values.index)
    for bound, too_far in ((low, lambda v, b: v < b), (high, lambda v, b: v > b)):
        if bound is None:
            continue
        column, limit = _comparable(values, bound)
        mask |= too_far(column, limit).fillna(False).astype(bool)
    return mask


def _check_window(verdict: GuardVerdict, source_id: str, frame: pd.DataFrame, name: str, column: str,
                  low, high) -> None:
    if column not in frame.columns:
        return
    bad = _outside(frame[column], low, high)
    count = int(bad.sum())
    span = f"[{'' if low is None else low}, {'' if high is None else high}]"
    error = None
    if count:
        first = frame.loc[bad, column].iloc[0]
        error = (f"{source_id}: {count:,} row(s) with {column} outside {span} (first: {first}); "
                 "nothing loaded")
    verdict.record(source_id, f"{name}:{column}", checked=len(frame), failed=count,
                   detail=f"{column} within {span}: {count} outside", error=error)


def _bounds(spec) -> tuple:
    spec = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    return (spec[0] if spec else None), (spec[1] if len(spec) > 1 else None)


def _date_windows(kind: str, declared: dict, run_date: dt.date) -> dict[str, tuple]:
    """Column -> (earliest, latest); the latest is never after the run date."""
    windows = {c: _bounds(v) for c, v in (declared or {}).items()}
    default = DEFAULT_DATE_COLUMN.get(kind)
    if default and default not in windows:
        windows[default] = (None, None)
    latest_by_column = {"year": run_date.year}
    out = {}
    for column, (low, high) in windows.items():
        run_limit = latest_by_column.get(column, run_date)
        if high is None or _as_comparable_limit(high) > _as_comparable_limit(run_limit):
            high = run_limit
        out[column] = (low, high)
    return out


def _as_comparable_limit(value):
    if isinstance(value, (int, float)):
        return pd.Timestamp(year=int(value), month=12, day=31)
    return pd.Timestamp(value)


def check_before_snapshot(con: duckdb.DuckDBPyConnection, *, kind: str, source_id: str, frame: pd.DataFrame,
                          assertions: dict | None, run_date: dt.date, accept_shrink: bool = False) -> GuardVerdict:
    """Every declared (and default) assertion of one source's new document."""
    declared = dict(assertions or {})
    verdict = GuardVerdict()
    limit = declared.get("max_closed_share", DEFAULT_MAX_CLOSED_SHARE if kind in DATASET_KINDS else None)
    _check_closed_share(verdict, con, kind, source_id, frame, limit, accept_shrink)
    _check_min_rows(verdict, source_id, frame, declared.get("min_rows"), accept_shrink)
    _check_key_columns(verdict, source_id, frame, declared.get("key_columns"))
    for column, spec in (declared.get("ranges") or {}).items():
        _check_window(verdict, source_id, frame, "range", column, *_bounds(spec))
    for column, (low, high) in _date_windows(kind, declared.get("date_windows"), run_date).items():
        _check_window(verdict, source_id, frame, "date_window", column, low, high)
    return verdict
