"""World Bank total population (SP.POP.TOTL): the datasets/population CSV layout, or the World
Bank Indicators API v2 JSON (one page, or every page as a JSON array, as fetched by
`flows.fetch.fetch_world_bank_pages`). Both become the CSV's columns, so one raw model checks them."""
from __future__ import annotations

import json

import pandas as pd

from flows.extractors.common import read_csv_cells
from flows.extractors.errors import ExtractError
from flows.extractors.json_api import parse_world_bank_pages
from schemas.validate import SourceError

COLUMNS = ["Country Name", "Country Code", "Year", "Value"]


def _api_pages(raw: bytes, source_id: str) -> list[bytes]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise SourceError(source_id, f"unparseable JSON: {exc}") from None
    if isinstance(data, list) and data and isinstance(data[0], list):   # [page1, page2, ...]
        return [json.dumps(page).encode() for page in data]
    return [raw]                                                        # one page: [meta, records]


def extract(raw: bytes, source) -> pd.DataFrame:
    if raw.lstrip()[:1] != b"[":
        return read_csv_cells(raw, source.id, required=COLUMNS)
    try:
        api = parse_world_bank_pages(_api_pages(raw, source.id))
    except ExtractError as exc:
        raise SourceError(source.id, f"World Bank API: {exc}") from None
    observed = api[api["value"].notna()]
    frame = pd.DataFrame({
        "source_row": range(1, len(observed) + 1),
        "Country Name": observed["country_name"].tolist(),
        "Country Code": observed["country_code"].tolist(),
        "Year": observed["year"].astype(str).tolist(),
        "Value": observed["value"].map(lambda v: f"{v:.0f}" if float(v).is_integer() else repr(float(v))).tolist(),
    }, dtype="object")
    frame.attrs["notes"] = [f"World Bank API ({api.attrs.get('lastupdated', '?')}): {len(observed)} observations; "
                            f"{len(api) - len(observed)} records without a value skipped (no observation)"]
    return frame


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
    return pd.DataFrame({
        "source_row": frame["source_row"],
        "country_iso3": frame["Country Code"],
        "country_name": frame["Country Name"],
        "year": frame["Year"].astype(int),
        "value": frame["Value"].astype(float),
    }, index=frame.index)
