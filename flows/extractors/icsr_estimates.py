"""ICSR foreign-fighter estimates by country, as transcribed in data/icsr.csv
(Derpanopoulos & Sonnet). One file holds two ICSR publications; each source picks its date
(`[extract] icsr_date` in source.toml).

Where ICSR gave a range, the figure is the range (`value_low`/`value_high`); `icsr.mean` is
then the transcribers' midpoint and is NOT loaded. Where ICSR gave one number, the
transcription has only `icsr.mean`, which is that number.

Provenance: `quote` is the CSV line exactly as it appears in the file (quote_kind `csv_row`) and
`page` names its line number, so the quote is always found verbatim in the raw document.
"""
from __future__ import annotations

import csv
import io

import pandas as pd

from flows.extractors.common import decode, number, read_csv_cells
from schemas.validate import SourceError

COLUMNS = ["country", "countrycode", "icsr.date", "icsr.low", "icsr.high", "icsr.mean"]


def csv_records(raw: bytes, source_id: str) -> list[tuple[int, str]]:
    """(first line number, text exactly as in the file) of each non-blank data record, in the
    order `read_csv_cells` returns its rows (a quoted cell may span lines: the text keeps them)."""
    text = decode(raw, source_id)
    lines = text.splitlines()
    records = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for cells in reader:
        if start > 1 and any(cell.strip() for cell in cells):
            records.append((start, "\n".join(lines[start - 1:reader.line_num])))
        start = reader.line_num + 1
    return records


def extract(raw: bytes, source) -> pd.DataFrame:
    frame = read_csv_cells(raw, source.id, required=COLUMNS)
    records = csv_records(raw, source.id)
    frame["source_line"] = [line for line, _ in records]
    frame["source_text"] = [text for _, text in records]
    wanted = str(source.raw.get("extract", {}).get("icsr_date", ""))
    if wanted:
        frame = frame[frame["icsr.date"] == wanted]
        if frame.empty:
            raise SourceError(source.id, f"column 'icsr.date': no rows dated {wanted}")
    return frame


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
    section = source.raw.get("extract", {}).get("section", "estimates table")
    low = frame["icsr.low"].map(number)
    high = frame["icsr.high"].map(number)
    point = frame["icsr.mean"].map(number)
    has_range = low.notna() & high.notna()
    same = has_range & (low == high)
    out = pd.DataFrame({
        "source_row": frame["source_row"],
        "country_as_published": frame["country"],
        "area_code": frame["countrycode"],
        "metric": "travelled",
        "variant": "",
        # a range as published; a single number where ICSR gave one (mean is then that number)
        "value": point.where(~has_range, low.where(same)),
        "value_low": low.where(has_range & ~same),
        "value_high": high.where(has_range & ~same),
        "qualifier": ["range" if r and not s else "exact" for r, s in zip(has_range, same)],
        "page": frame["source_line"].map(lambda n: f"line {n} ({section})"),
        "quote": frame["source_text"],
        "quote_kind": "csv_row",
        "note": [("icsr.mean is the transcribers' midpoint, not loaded" if r else None) for r in has_range],
    }, index=frame.index)
    return out
