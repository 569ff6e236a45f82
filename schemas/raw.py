"""Raw models: the structure each source's document must have, before any meaning is read.

Every raw column is read as text; these models check that the columns exist and that each
cell can be read (a bad cell quarantines its row, a missing column fails the source).
"""
from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

NUMBER_OR_MISSING = r"^\s*(-?\d+(\.\d+)?|NA|n/a|)\s*$"


class IcsrEstimatesRaw(pa.DataFrameModel):
    """ICSR per-country estimates as transcribed by Derpanopoulos & Sonnet (data/icsr.csv)."""

    country: Series[str] = pa.Field(str_length={"min_value": 1})
    countrycode: Series[str] = pa.Field(nullable=True)
    icsr_date: Series[str] = pa.Field(alias="icsr.date", str_matches=r"^\d{8}$")
    icsr_low: Series[str] = pa.Field(alias="icsr.low", nullable=True, str_matches=NUMBER_OR_MISSING)
    icsr_high: Series[str] = pa.Field(alias="icsr.high", nullable=True, str_matches=NUMBER_OR_MISSING)
    icsr_mean: Series[str] = pa.Field(alias="icsr.mean", nullable=True, str_matches=NUMBER_OR_MISSING)

    class Config:
        strict = False


class WorldBankPopulationRaw(pa.DataFrameModel):
    """datasets/population `data/population.csv` (World Bank SP.POP.TOTL)."""

    country_name: Series[str] = pa.Field(alias="Country Name", nullable=True)
    country_code: Series[str] = pa.Field(alias="Country Code", str_matches=r"^[A-Z0-9]{3}$")
    year: Series[str] = pa.Field(alias="Year", str_matches=r"^\d{4}$")
    value: Series[str] = pa.Field(alias="Value", str_matches=r"^\d+(\.\d+)?([eE]\+?\d+)?$")

    class Config:
        strict = False


class CountryCodesRaw(pa.DataFrameModel):
    """datasets/country-codes, after the extractor mapped the vintage's column names onto
    these canonical ones (the columns were renamed and reordered between vintages)."""

    iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    iso2: Series[str] = pa.Field(nullable=True)
    iso_numeric: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{1,3}$")
    official_name_en: Series[str] = pa.Field(nullable=True)
    cldr_name: Series[str] = pa.Field(nullable=True)
    region_code: Series[str] = pa.Field(nullable=True)
    region_name: Series[str] = pa.Field(nullable=True)
    sub_region_code: Series[str] = pa.Field(nullable=True)
    sub_region_name: Series[str] = pa.Field(nullable=True)
    intermediate_region_code: Series[str] = pa.Field(nullable=True)
    intermediate_region_name: Series[str] = pa.Field(nullable=True)
    is_independent: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check(error="the country has neither an official English name nor a display name")
    def has_a_name(cls, df):
        return df["official_name_en"].notna() | df["cldr_name"].notna()

    class Config:
        strict = False


class TranscriptionRaw(pa.DataFrameModel):
    """The project's own transcription format (one CSV per publication)."""

    publication_id: Series[str] = pa.Field(nullable=True)
    area_as_published: Series[str] = pa.Field(str_length={"min_value": 1})
    area_code: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z][A-Z0-9_]{1,15}$")
    metric: Series[str]
    variant: Series[str] = pa.Field(nullable=True)
    qualifier: Series[str] = pa.Field(nullable=True)
    value: Series[str] = pa.Field(nullable=True, str_matches=NUMBER_OR_MISSING)
    value_low: Series[str] = pa.Field(nullable=True, str_matches=NUMBER_OR_MISSING)
    value_high: Series[str] = pa.Field(nullable=True, str_matches=NUMBER_OR_MISSING)
    share: Series[str] = pa.Field(nullable=True, str_matches=NUMBER_OR_MISSING)
    share_of: Series[str] = pa.Field(nullable=True)
    countries_count: Series[str] = pa.Field(nullable=True, str_matches=NUMBER_OR_MISSING)
    reference_date: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{4}-\d{2}-\d{2}$")
    page: Series[str] = pa.Field(nullable=True)
    quote: Series[str] = pa.Field(nullable=True)
    document_url: Series[str] = pa.Field(str_length={"min_value": 1})
    is_secondary: Series[str] = pa.Field(nullable=True, isin=["true", "false", "True", "False", "1", "0"])
    flag: Series[str] = pa.Field(nullable=True)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = False


RAW_MODELS = {
    "icsr_estimates": IcsrEstimatesRaw,
    "worldbank_population": WorldBankPopulationRaw,
    "country_codes": CountryCodesRaw,
    "transcription": TranscriptionRaw,
}
