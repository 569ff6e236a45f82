"""The canonical *figure* record (DESIGN.md, "The central record: a figure").

One row per (source document, area, metric, reference date). `country_iso3` holds an
ISO 3166-1 alpha-3 code (Kosovo `XKX`, Palestine `PSE`) or, for regional figures and
totals, a region code from `ref.regions` (`EU`, `WLD`, `MAGHREB`, ...).
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

METRICS = (
    "travelled",   # went to Syria/Iraq (foreign fighters / affiliates)
    "returned",    # came back to the country of origin/residence
    "killed",
    "detained",
    "women",
    "minors",
    "prosecuted",
    "present",     # still in the conflict zone at the reference date
    "relocated",   # moved on to a third country
    "women_and_minors",  # women and minors together (e.g. a region's share of affiliates)
    # rates as the publisher stated them (never computed here, never summed: the marts keep them
    # out of core.accepted_readings and show them beside the warehouse's own per-million figure)
    "travelled_per_million",           # travelled per million inhabitants
    "travelled_per_million_muslims",   # travelled per million Muslims (or people of Muslim descent)
)
PUBLISHED_RATE_METRICS = ("travelled_per_million", "travelled_per_million_muslims")
QUALIFIERS = ("exact", "at_least", "up_to", "approx", "more_than", "less_than", "range")
REVIEW_STATUSES = ("pending", "accepted", "rejected")
AREA_KINDS = ("country", "region", "world")
# What kind of verbatim text `quote` is (README "Verbatim provenance"):
#   sentence    a sentence of the document (report, article; for a transcription, of the text it quotes)
#   table_row   a row of a published table (HTML/PDF/XLSX), cells as the extractor read them
#   csv_row     a line of a CSV document exactly as it appears in the file (page = its line number)
#   json_record one record of a JSON document
QUOTE_KINDS = ("sentence", "table_row", "csv_row", "json_record")

# Columns every figure carries, in the order the warehouse stores them.
FIGURE_COLUMNS = [
    "source_id", "publication_id", "document_url", "is_secondary",
    "country_iso3", "area_kind", "country_as_published",
    "metric", "variant", "value", "value_low", "value_high", "qualifier",
    "share", "share_of", "countries_count",
    "reference_date", "published_on", "page", "quote", "quote_kind",
    "review_status", "flag", "note",
]
# The natural key of a figure (transaction-time versions hang off it).
# `variant` (default "") tells apart two statements of the same metric in one publication
# (e.g. "confirmed dead" beside "reported dead"); a corrected value or quote is a revision.
FIGURE_KEY = ["source_id", "publication_id", "country_iso3", "metric", "reference_date", "variant"]


class Figure(pa.DataFrameModel):
    """Meaning-level checks on a figure, shared by every source."""

    source_id: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$")
    publication_id: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$")
    document_url: Series[str] = pa.Field(str_length={"min_value": 1})
    is_secondary: Series[bool]
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z][A-Z0-9_]{1,15}$")
    area_kind: Series[str] = pa.Field(isin=AREA_KINDS)
    country_as_published: Series[str] = pa.Field(str_length={"min_value": 1})
    metric: Series[str] = pa.Field(isin=METRICS)
    variant: Series[str] = pa.Field(nullable=False)
    value: Series[float] = pa.Field(nullable=True, ge=0)
    value_low: Series[float] = pa.Field(nullable=True, ge=0)
    value_high: Series[float] = pa.Field(nullable=True, ge=0)
    qualifier: Series[str] = pa.Field(isin=QUALIFIERS)
    share: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    share_of: Series[str] = pa.Field(nullable=True, isin=METRICS)
    countries_count: Series[float] = pa.Field(nullable=True, ge=1)
    reference_date: Series[pd.Timestamp] = pa.Field(nullable=False)
    published_on: Series[pd.Timestamp] = pa.Field(nullable=False)
    page: Series[str] = pa.Field(nullable=True)
    quote: Series[str] = pa.Field(nullable=True)
    quote_kind: Series[str] = pa.Field(nullable=True, isin=QUOTE_KINDS)
    review_status: Series[str] = pa.Field(isin=REVIEW_STATUSES)
    flag: Series[str] = pa.Field(nullable=True)
    note: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check(error="a figure needs a value, a range (value_low/value_high) or a share")
    def has_a_number(cls, df: pd.DataFrame) -> Series[bool]:
        return df["value"].notna() | df["value_low"].notna() | df["value_high"].notna() | df["share"].notna()

    @pa.dataframe_check(error="value_low is greater than value_high")
    def range_is_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        both = df["value_low"].notna() & df["value_high"].notna()
        return ~both | (df["value_low"] <= df["value_high"])

    @pa.dataframe_check(error="qualifier 'range' needs both value_low and value_high")
    def range_has_both_ends(cls, df: pd.DataFrame) -> Series[bool]:
        is_range = df["qualifier"] == "range"
        return ~is_range | (df["value_low"].notna() & df["value_high"].notna())

    @pa.dataframe_check(error="the figure names neither a page/section nor a quote")
    def is_traceable(cls, df: pd.DataFrame) -> Series[bool]:
        return df["page"].notna() | df["quote"].notna()

    @pa.dataframe_check(error="a quote needs its quote_kind (sentence, table_row, csv_row or json_record)")
    def quote_has_a_kind(cls, df: pd.DataFrame) -> Series[bool]:
        return df["quote"].isna() | df["quote_kind"].notna()

    @pa.dataframe_check(error="a share needs share_of (the metric it is a share of)")
    def share_names_its_base(cls, df: pd.DataFrame) -> Series[bool]:
        return df["share"].isna() | df["share_of"].notna()

    class Config:
        strict = False
        coerce = True
