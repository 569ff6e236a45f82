"""The project's own transcription format: one curated CSV per publication.

Columns (header exactly): publication_id, area_as_published, area_code, metric, variant,
qualifier, value, value_low, value_high, share, share_of, countries_count, reference_date,
page, quote, document_url, is_secondary, flag, note.

`area_code` is empty for countries (the pipeline maps the published name to ISO3) and a
region code from `flows/reference/regions.csv` for regional figures and totals. The same
columns may come as an XLSX workbook (first sheet). A
transcription is its own source of truth: mirror and live mode read the same file.

`quote` is the verbatim text of the document named in `document_url` (the report, or the
article quoting it), copied into the transcription: quote_kind `sentence` unless an optional
`quote_kind` column says otherwise (e.g. `table_row` for a row copied from a published table).
"""
from __future__ import annotations

import pandas as pd

from flows.extractors.common import number, read_csv_cells
from flows.extractors.errors import ExtractError
from flows.extractors.spreadsheet import read_table_file
from schemas.validate import SourceError

COLUMNS = ["publication_id", "area_as_published", "area_code", "metric", "variant", "qualifier",
           "value", "value_low", "value_high", "share", "share_of", "countries_count",
           "reference_date", "page", "quote", "document_url", "is_secondary", "flag", "note"]


def extract(raw: bytes, source) -> pd.DataFrame:
    if raw[:4] != b"PK\x03\x04":
        return read_csv_cells(raw, source.id, required=COLUMNS)
    try:  # an XLSX workbook (a zip): the first sheet, in the same columns
        frame = read_table_file(raw, name=f"{source.id}.xlsx")
    except ExtractError as exc:
        raise SourceError(source.id, str(exc)) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SourceError(source.id, f"column {missing[0]!r} missing")
    frame.insert(0, "source_row", range(2, len(frame) + 2))
    return frame


def _quote_kinds(frame: pd.DataFrame) -> pd.Series:
    given = frame["quote_kind"] if "quote_kind" in frame else pd.Series(None, index=frame.index, dtype="object")
    return given.where(given.notna(), "sentence").where(frame["quote"].notna(), None)


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
    return pd.DataFrame({
        "source_row": frame["source_row"],
        "publication_id": frame["publication_id"].fillna(source.publication_id),
        "document_url": frame["document_url"],
        "is_secondary": frame["is_secondary"].map(lambda v: str(v).lower() in ("true", "1")),
        "country_as_published": frame["area_as_published"],
        "area_code": frame["area_code"],
        "metric": frame["metric"],
        "variant": frame["variant"].fillna(""),
        "qualifier": frame["qualifier"].fillna("exact"),
        "value": frame["value"].map(number),
        "value_low": frame["value_low"].map(number),
        "value_high": frame["value_high"].map(number),
        "share": frame["share"].map(number),
        "share_of": frame["share_of"],
        "countries_count": frame["countries_count"].map(number),
        "reference_date": frame["reference_date"],
        "page": frame["page"],
        "quote": frame["quote"],
        "quote_kind": _quote_kinds(frame),
        "flag": frame["flag"],
        "note": frame["note"],
    }, index=frame.index)
