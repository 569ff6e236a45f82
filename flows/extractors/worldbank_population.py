"""World Bank total population (SP.POP.TOTL) in the datasets/population CSV layout."""
from __future__ import annotations

import pandas as pd

from flows.extractors.common import read_csv_cells

COLUMNS = ["Country Name", "Country Code", "Year", "Value"]


def extract(raw: bytes, source) -> pd.DataFrame:
    return read_csv_cells(raw, source.id, required=COLUMNS)


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
    return pd.DataFrame({
        "source_row": frame["source_row"],
        "country_iso3": frame["Country Code"],
        "country_name": frame["Country Name"],
        "year": frame["Year"].astype(int),
        "value": frame["Value"].astype(float),
    }, index=frame.index)
