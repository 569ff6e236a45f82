"""ISO 3166 / UN M49 country reference (datasets/country-codes).

Vintages rename and reorder columns: each canonical column lists the names it has had.
Columns that are missing or new are reported as schema drift (notes), not crashed on;
only the columns the warehouse needs are required.
"""
from __future__ import annotations

import pandas as pd

from flows.extractors.common import read_csv_cells
from schemas.validate import SourceError

# canonical name -> names seen in vintages (first match wins)
COLUMN_NAMES = {
    "iso3": ["ISO3166-1-Alpha-3", "ISO3166-1-Alpha-3 ", "iso3", "alpha-3"],
    "iso2": ["ISO3166-1-Alpha-2", "iso2", "alpha-2"],
    "iso_numeric": ["ISO3166-1-numeric", "M49", "numeric"],
    "official_name_en": ["official_name_en", "UNTERM English Short"],
    "cldr_name": ["CLDR display name", "name"],
    "region_code": ["Region Code"],
    "region_name": ["Region Name"],
    "sub_region_code": ["Sub-region Code"],
    "sub_region_name": ["Sub-region Name"],
    "intermediate_region_code": ["Intermediate Region Code"],
    "intermediate_region_name": ["Intermediate Region Name"],
    "is_independent": ["is_independent"],
}
REQUIRED = ("iso3",)


def extract(raw: bytes, source) -> pd.DataFrame:
    frame = read_csv_cells(raw, source.id)
    chosen, notes = {}, []
    for canonical, names in COLUMN_NAMES.items():
        found = next((n for n in names if n in frame.columns), None)
        if found is None:
            if canonical in REQUIRED:
                raise SourceError(source.id, f"column {names[0]!r} missing (nor any of {names[1:]})")
            notes.append(f"schema drift: no column for {canonical} ({names[0]!r}); loaded as empty")
        elif found != names[0]:
            notes.append(f"schema drift: {canonical} read from {found!r} instead of {names[0]!r}")
        chosen[canonical] = found
    used = {v for v in chosen.values() if v}
    extra = [c for c in frame.columns if c not in used and c != "source_row"]
    out = pd.DataFrame({"source_row": frame["source_row"]}, index=frame.index)
    for canonical, found in chosen.items():
        out[canonical] = frame[found] if found else None
    out.attrs["columns_seen"] = [c for c in frame.columns if c != "source_row"]
    out.attrs["notes"] = notes
    out.attrs["unused_columns"] = extra
    return out


def _code(column: pd.Series) -> pd.Series:
    """Numeric codes as zero-padded text ('4' -> '004'); missing stays missing."""
    return column.map(lambda v: None if v is None or pd.isna(v) else str(int(float(v))).zfill(3))


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
    name = frame["official_name_en"].where(frame["official_name_en"].notna(), frame["cldr_name"])
    numeric, pad = _code(frame["iso_numeric"]), _code
    return pd.DataFrame({
        "source_row": frame["source_row"],
        "country_iso3": frame["iso3"],
        "iso2": frame["iso2"],
        "iso_numeric": numeric,
        "country_name": name,
        "short_name": frame["cldr_name"],
        "region_code": pad(frame["region_code"]),
        "region_name": frame["region_name"],
        "sub_region_code": pad(frame["sub_region_code"]),
        "sub_region_name": frame["sub_region_name"],
        "intermediate_region_code": pad(frame["intermediate_region_code"]),
        "intermediate_region_name": frame["intermediate_region_name"],
        "is_independent": frame["is_independent"],
    }, index=frame.index)
