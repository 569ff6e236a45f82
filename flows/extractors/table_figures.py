"""Figures from a published table — an HTML page, a PDF, a CSV or an XLSX file — described
in the source's `source.toml`, so a new tabular source needs no Python:

    format = "table_figures"
    [extract]
    match = "Foreign fighters by country"   # text in the table or its caption (default: first table)
    area_column = "Country"
    value_column = "Estimate"               # "3,417", "720–760", "more than 900", "n/a", "2,926*"
    metric = "travelled"                    # or metric_column = "..."
    page = "Table 2"                        # where in the document (PDFs add their page number)

Cells keep their text for the raw model; a cell that holds no number (n/a, a dash) or
several is quarantined with its row and column, never guessed.
"""
from __future__ import annotations

import pandas as pd

from flows.claims.numbers import find_numbers
from flows.extractors.errors import ExtractError
from flows.extractors.html_table import parse_range, read_html_table
from flows.extractors.pdf_table import pdf_table_frame
from flows.extractors.spreadsheet import read_table_file
from schemas.validate import SourceError


def _settings(source) -> dict:
    settings = dict(source.raw.get("extract", {}))
    for key in ("area_column", "value_column"):
        if key not in settings:
            raise SourceError(source.id, f"source.toml [extract] needs {key!r} for format table_figures")
    if "metric" not in settings and "metric_column" not in settings:
        raise SourceError(source.id, "source.toml [extract] needs 'metric' or 'metric_column'")
    return settings


def _read(raw: bytes, source, match: str | None) -> pd.DataFrame:
    head = raw.lstrip()[:512].lower()
    if raw[:5] == b"%PDF-":
        return pdf_table_frame(raw, match=match)
    if head.startswith((b"<!doctype", b"<html", b"<table", b"<?xml")) or b"<table" in raw[:65536].lower():
        frame = read_html_table(raw, match=match)
        frame.insert(0, "page", None)
        return frame
    frame = read_table_file(raw, name=source.mirror_file or f"{source.id}.csv")
    frame.insert(0, "page", None)
    return frame


def extract(raw: bytes, source) -> pd.DataFrame:
    settings = _settings(source)
    try:
        frame = _read(raw, source, settings.get("match"))
    except ExtractError as exc:
        raise SourceError(source.id, str(exc)) from None
    wanted = [settings["area_column"], settings["value_column"], settings.get("metric_column")]
    missing = [c for c in wanted if c and c not in frame.columns]
    if missing:
        raise SourceError(source.id, f"column {missing[0]!r} missing (the table has {', '.join(map(str, frame.columns))})")
    frame = frame.astype(object).where(frame.notna(), None)
    frame.insert(0, "source_row", range(1, len(frame) + 1))
    return frame


def _cell_figure(text: str | None) -> tuple[float | None, float | None, float | None, str] | None:
    """(value, low, high, qualifier) of a cell holding exactly one figure, else None."""
    if text is None:
        return None
    try:
        low, high = parse_range(text)
        if low is not None:
            return (low, None, None, "exact") if low == high else (None, low, high, "range")
    except ExtractError:
        pass
    numbers = [n for n in find_numbers(text) if n.kind == "count"]
    if len(numbers) != 1:
        return None
    n = numbers[0]
    if n.low is not None and n.high is not None:
        return None, n.low, n.high, "range"
    return n.value, None, None, n.qualifier


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
    settings = _settings(source)
    area, value = settings["area_column"], settings["value_column"]
    parsed = frame[value].map(_cell_figure)
    where = settings.get("page", "table")
    pages = frame["page"].map(lambda p: f"{where}, p. {int(p)}" if p is not None and not pd.isna(p) else where)
    columns = [c for c in frame.columns if c not in ("source_row", "page")]
    quotes = frame[columns].apply(lambda r: " | ".join(f"{c}: {r[c]}" for c in columns if r[c] is not None), axis=1)
    return pd.DataFrame({
        "source_row": frame["source_row"],
        "country_as_published": frame[area],
        "metric": frame[settings["metric_column"]] if settings.get("metric_column") else settings["metric"],
        "value": parsed.map(lambda p: p[0] if p else None),
        "value_low": parsed.map(lambda p: p[1] if p else None),
        "value_high": parsed.map(lambda p: p[2] if p else None),
        "qualifier": parsed.map(lambda p: p[3] if p else "exact"),
        "page": pages,
        "quote": quotes,
        "quote_kind": "table_row",   # the row's cells as read, "column: cell | column: cell"
        "note": [None if p else f"cell {value!r} = {t!r} holds no single figure" for p, t in zip(parsed, frame[value])],
    }, index=frame.index)
