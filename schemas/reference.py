"""Canonical models of the reference tables (population, countries)."""
from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

POPULATION_COLUMNS = ["country_iso3", "country_name", "year", "value"]
POPULATION_KEY = ["country_iso3", "year"]
COUNTRY_COLUMNS = [
    "country_iso3", "iso2", "iso_numeric", "country_name", "short_name",
    "region_code", "region_name", "sub_region_code", "sub_region_name",
    "intermediate_region_code", "intermediate_region_name", "is_independent",
]
COUNTRY_KEY = ["country_iso3"]


class Population(pa.DataFrameModel):
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z0-9]{3}$")
    country_name: Series[str] = pa.Field(nullable=True)
    year: Series[int] = pa.Field(ge=1900, le=2100)
    value: Series[float] = pa.Field(gt=0)

    class Config:
        strict = False
        coerce = True
        unique = ["country_iso3", "year"]


class Country(pa.DataFrameModel):
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", unique=True)
    iso2: Series[str] = pa.Field(nullable=True)
    iso_numeric: Series[str] = pa.Field(nullable=True)
    country_name: Series[str] = pa.Field(str_length={"min_value": 1})
    short_name: Series[str] = pa.Field(nullable=True)
    region_code: Series[str] = pa.Field(nullable=True)
    region_name: Series[str] = pa.Field(nullable=True)
    sub_region_code: Series[str] = pa.Field(nullable=True)
    sub_region_name: Series[str] = pa.Field(nullable=True)
    intermediate_region_code: Series[str] = pa.Field(nullable=True)
    intermediate_region_name: Series[str] = pa.Field(nullable=True)
    is_independent: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = False
        coerce = True
