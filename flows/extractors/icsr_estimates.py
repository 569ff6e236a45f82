"""ICSR foreign-fighter estimates by country, as transcribed in data/icsr.csv
(Derpanopoulos & Sonnet). One file holds two ICSR publications; each source picks its date
(`[extract] icsr_date` in source.toml).

Where ICSR gave a range, the figure is the range (`value_low`/`value_high`); `icsr.mean` is
then the transcribers' midpoint and is NOT loaded. Where ICSR gave one number, the
transcription has only `icsr.mean`, which is that number.
"""
from __future__ import annotations

import pandas as pd

from flows.extractors.common import number, read_csv_cells
from schemas.validate import SourceError

COLUMNS = ["country", "countrycode", "icsr.date", "icsr.low", "icsr.high", "icsr.mean"]


def extract(raw: bytes, source) -> pd.DataFrame:
    frame = read_csv_cells(raw, source.id, required=COLUMNS)
    wanted = str(source.raw.get("extract", {}).get("icsr_date", ""))
    if wanted:
        frame = frame[frame["icsr.date"] == wanted]
        if frame.empty:
            raise SourceError(source.id, f"column 'icsr.date': no rows dated {wanted}")
    return frame


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
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
        "page": source.raw.get("extract", {}).get("section", "estimates table"),
        "quote": frame.apply(lambda r: ",".join("" if r[c] is None else str(r[c]) for c in COLUMNS), axis=1),
        "note": [("icsr.mean is the transcribers' midpoint, not loaded" if r else None) for r in has_range],
    }, index=frame.index)
    return out
