"""Contracts of the published tables (marts.*): what downstream tools rely on.

Every column carries a description: it becomes the `COMMENT ON COLUMN` in DuckDB, the
README data dictionary and the datapackage.json schema. Renaming a column is a breaking change.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.figure import METRICS, QUALIFIERS

PUBLISHED: dict[str, type[pa.DataFrameModel]] = {}


def published(model: type[pa.DataFrameModel]) -> type[pa.DataFrameModel]:
    PUBLISHED[model.Config.name] = model
    return model


@published
class FightersPerMillion(pa.DataFrameModel):
    source_id: Series[str] = pa.Field(description="Catalog id of the source the figure was loaded from")
    publication_id: Series[str] = pa.Field(description="The report or statement the figure belongs to")
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 (Kosovo XKX)")
    country_name: Series[str] = pa.Field(description="Country name from ref.countries (else as published)")
    metric: Series[str] = pa.Field(isin=METRICS, description="travelled, returned, killed, detained, women, minors, ...")
    variant: Series[str] = pa.Field(description="Distinguishes two statements of one metric in one publication; usually empty")
    qualifier: Series[str] = pa.Field(isin=QUALIFIERS, description="exact, approx, at_least, more_than, up_to, less_than or range")
    value: Series[float] = pa.Field(nullable=True, ge=0, description="Point value as published (empty for a range)")
    value_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end of a published range")
    value_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end of a published range")
    reference_date: Series[pd.Timestamp] = pa.Field(description="The date the figure describes (valid time)")
    population_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="Year of the population used: the reference year, else the latest earlier year")
    population: Series[pd.Int64Dtype] = pa.Field(nullable=True, gt=0, description="World Bank total population (SP.POP.TOTL) of that year")
    per_million: Series[float] = pa.Field(nullable=True, ge=0, description="value per million inhabitants")
    per_million_low: Series[float] = pa.Field(nullable=True, ge=0, description="value_low per million inhabitants")
    per_million_high: Series[float] = pa.Field(nullable=True, ge=0, description="value_high per million inhabitants")
    document_url: Series[str] = pa.Field(description="Where the figure was read")
    is_secondary: Series[bool] = pa.Field(description="True when that document only quotes the publication")
    page: Series[str] = pa.Field(nullable=True, description="Page, table or section of the document")
    quote: Series[str] = pa.Field(nullable=True, description="Verbatim text the figure came from")
    flag: Series[str] = pa.Field(nullable=True, description="CONFLICT or LOW CONFIDENCE where the transcription says so")

    @pa.dataframe_check(error="a range's per-million ends are out of order")
    def ends_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        both = df["per_million_low"].notna() & df["per_million_high"].notna()
        return ~both | (df["per_million_low"] <= df["per_million_high"])

    class Config:
        name = "fighters_per_million"
        description = "One row per accepted country-level figure, with the population of its reference year and the rate per million inhabitants (point value and both ends of ranges)"
        strict = True
        coerce = True
        unique = ["source_id", "publication_id", "country_iso3", "metric", "variant", "reference_date"]
