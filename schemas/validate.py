"""Run a pandera model lazily and split the frame into valid rows and quarantined rows.

Row-level failures (a bad value, a failed check on some rows) send those rows to the
quarantine with the check and reason; structural failures (a missing column, a column that
cannot be read at all, an empty document) fail the whole source with a `SourceError`.
"""
from __future__ import annotations

import json
import math

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

QUARANTINE_COLUMNS = ["source_id", "stage", "source_row", "row_json", "column_name", "check_name", "reason"]


class SourceError(Exception):
    """A failure that stops one source (and only that source)."""

    def __init__(self, source_id: str, message: str):
        super().__init__(f"{source_id}: {message}")
        self.source_id = source_id
        self.message = message


def row_json(row: pd.Series) -> str:
    def clean(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp):
            return v.date().isoformat() if v == v.normalize() else v.isoformat()
        if hasattr(v, "item"):
            return v.item()
        return v
    return json.dumps({k: clean(v) for k, v in row.items()}, ensure_ascii=False, default=str)


def quarantine_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=QUARANTINE_COLUMNS).astype(
        {"source_row": "Int64"}) if rows else pd.DataFrame(columns=QUARANTINE_COLUMNS)


def _describe(check: str, failure_case, column: str | None) -> str:
    if check.startswith("isin") or check.startswith("str_matches") or check.startswith("coerce") \
            or check.startswith("greater") or check.startswith("less") or check.startswith("in_range") \
            or check.startswith("not_nullable") or check.startswith("str_length") or check.startswith("dtype"):
        what = "missing value" if check.startswith("not_nullable") else f"value {failure_case!r}"
        return f"column {column!r}: {what} fails {check}"
    return check  # dataframe-level checks carry their human message as the check name


def validate(df: pd.DataFrame, model: type[pa.DataFrameModel], *, source_id: str, stage: str,
             keep: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate `df` (index = any unique labels, optional `source_row` column = line in the
    document) against `model`. Returns (valid rows coerced by the model, quarantine rows)."""
    if df.empty:
        raise SourceError(source_id, f"{stage}: no rows (empty document or nothing extracted)")
    df = df.reset_index(drop=True)
    try:
        valid = model.validate(df, lazy=True)
        bad_index: dict = {}
    except SchemaErrors as exc:
        cases = exc.failure_cases
        structural = cases[cases["index"].isna()]
        if not structural.empty:
            first = structural.iloc[0]
            col = first["column"] if isinstance(first["column"], str) else None
            reason = f"{first['check']}: {first['failure_case']}"
            where = f"column {col!r}: " if col else ""
            raise SourceError(source_id, f"{stage}: {where}{reason}") from None
        bad_index = {}
        for _, case in cases.iterrows():
            frame_level = case["schema_context"] == "DataFrameSchema"
            col = None if frame_level or not isinstance(case["column"], str) else case["column"]
            problem = (col, str(case["check"]), _describe(str(case["check"]), case["failure_case"], col))
            problems = bad_index.setdefault(int(case["index"]), [])
            if problem not in problems:  # a frame-level check reports once per column
                problems.append(problem)
        good = df.drop(index=list(bad_index))
        valid = model.validate(good, lazy=False) if not good.empty else good
    except SchemaError as exc:  # non-lazy errors raised by model-level problems
        raise SourceError(source_id, f"{stage}: {exc}") from None
    rows = []
    for idx, problems in sorted(bad_index.items()):
        row = df.loc[idx]
        line = row.get("source_row") if "source_row" in row else None
        for col, check, reason in problems:
            rows.append({"source_id": source_id, "stage": stage,
                         "source_row": None if line is None or pd.isna(line) else int(line),
                         "row_json": row_json(row.drop(labels=["source_row"], errors="ignore")),
                         "column_name": col, "check_name": check, "reason": reason})
    if keep is not None:
        valid = valid[[c for c in keep if c in valid.columns]]
    return valid, quarantine_frame(rows)


def reject_rows(df: pd.DataFrame, mask: pd.Series, *, source_id: str, stage: str, column: str | None,
                check: str, reasons: pd.Series | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quarantine the rows where `mask` is True with a reason (for checks done outside pandera,
    e.g. an unknown country). Returns (remaining rows, quarantine rows)."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return df, quarantine_frame([])
    if isinstance(reasons, str):
        reasons = pd.Series(reasons, index=df.index)
    rows = []
    for idx in df.index[mask]:
        row = df.loc[idx]
        line = row.get("source_row") if "source_row" in row else None
        rows.append({"source_id": source_id, "stage": stage,
                     "source_row": None if line is None or pd.isna(line) else int(line),
                     "row_json": row_json(row.drop(labels=["source_row"], errors="ignore")),
                     "column_name": column, "check_name": check, "reason": str(reasons.loc[idx])})
    return df[~mask], quarantine_frame(rows)
