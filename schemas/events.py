"""The contract of an event dataset row (UCDP GED layout), checked with pandera's polars backend.

Events are validated where they are: batches of the staged DuckDB table handed over as Arrow and
checked as polars frames (never a whole dataset in pandas). Why polars and not ibis: README,
"Growing past one machine". The key (event id, unique within a release) is checked in SQL over the
whole release (warehouse/sql/events_duplicate_ids.sql), since a batch cannot see the others.
"""
from __future__ import annotations

import polars as pl
import pandera.polars as pa
from pandera.api.polars.types import PolarsData

# codebook values: type_of_violence 1 state-based, 2 non-state, 3 one-sided; where_prec 1 (exact
# place) .. 7 (international waters/airspace); date_prec 1 (exact day) .. 5 (year or longer);
# event_clarity 1 (clear) or 2 (aggregated, not separable).
TYPES_OF_VIOLENCE = [1, 2, 3]


class GedEvent(pa.DataFrameModel):
    id: pl.Int64 = pa.Field(gt=0)
    year: pl.Int32 = pa.Field(in_range={"min_value": 1989, "max_value": 2100})
    type_of_violence: pl.Int32 = pa.Field(isin=TYPES_OF_VIOLENCE)
    where_prec: pl.Int32 = pa.Field(in_range={"min_value": 1, "max_value": 7})
    event_clarity: pl.Int32 = pa.Field(isin=[1, 2])
    date_prec: pl.Int32 = pa.Field(in_range={"min_value": 1, "max_value": 5})
    latitude: pl.Float64 = pa.Field(in_range={"min_value": -90.0, "max_value": 90.0})
    longitude: pl.Float64 = pa.Field(in_range={"min_value": -180.0, "max_value": 180.0})
    country: pl.Utf8 = pa.Field(str_length={"min_value": 1})
    country_id: pl.Int32 = pa.Field(gt=0)
    date_start: pl.Date
    date_end: pl.Date
    deaths_a: pl.Int32 = pa.Field(ge=0)
    deaths_b: pl.Int32 = pa.Field(ge=0)
    deaths_civilians: pl.Int32 = pa.Field(ge=0)
    deaths_unknown: pl.Int32 = pa.Field(ge=0)
    best: pl.Int32 = pa.Field(ge=0)
    high: pl.Int32 = pa.Field(ge=0)
    low: pl.Int32 = pa.Field(ge=0)

    class Config:
        strict = False          # the text columns are carried, not checked
        coerce = False

    @pa.dataframe_check(error="date_end before date_start")
    def dates_in_order(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("date_end") >= pl.col("date_start"))

    @pa.dataframe_check(error="best outside low..high")
    def best_within_low_high(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("low") <= pl.col("best")) & (pl.col("best") <= pl.col("high")))

    @pa.dataframe_check(error="best is not deaths_a + deaths_b + deaths_civilians + deaths_unknown")
    def best_is_sum_of_deaths(cls, data: PolarsData) -> pl.LazyFrame:
        total = pl.col("deaths_a") + pl.col("deaths_b") + pl.col("deaths_civilians") + pl.col("deaths_unknown")
        return data.lazyframe.select(total == pl.col("best"))


CHECKED_COLUMNS = list(GedEvent.to_schema().columns)
