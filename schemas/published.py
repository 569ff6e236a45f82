"""Contracts of the published tables (marts.*): what downstream tools rely on.

Every column carries a description: it becomes the `COMMENT ON COLUMN` in DuckDB, the
README data dictionary and the datapackage.json schema. Renaming a column is a breaking change.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.figure import METRICS, QUALIFIERS, QUOTE_KINDS

# Qualifiers of derived numbers (rates, per-million figures, sums, gaps), computed from their
# inputs' qualifiers by the interval rules in warehouse/marts/_interval_rules.sql.
DERIVED_QUALIFIERS = ("exact", "approx", "at_least", "up_to", "range", "unbounded")
_RULES = "by the interval rules (warehouse/marts/_interval_rules.sql)"
_QUOTE_KIND = ("What kind of verbatim text the quote is: sentence, table_row, csv_row (the line exactly as in "
               "the file; page = its line number) or json_record")


def _derived_qualifier(what: str) -> dict:
    return dict(nullable=True, isin=DERIVED_QUALIFIERS,
                description=f"Qualifier of {what}, derived from the inputs' qualifiers {_RULES}: exact, approx "
                            "(a point from an approximate input), at_least, up_to, range or unbounded")


def _low(what: str, ge=0) -> dict:
    spec = dict(nullable=True, description=f"Lower bound of {what} {_RULES} (rounded down; every exact "
                                           "combination of the inputs lies at or above it)")
    if ge is not None:
        spec["ge"] = ge
    return spec


def _high(what: str, ge=0) -> dict:
    spec = dict(nullable=True, description=f"Upper bound of {what} {_RULES} (rounded up); empty when the "
                                           "inputs set none (an 'at least' or 'more than' input)")
    if ge is not None:
        spec["ge"] = ge
    return spec


def _bounds_ordered(df: pd.DataFrame, low: str, high: str) -> pd.Series:
    both = df[low].notna() & df[high].notna()
    return ~both | (df[low] <= df[high])

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
    population_basis: Series[str] = pa.Field(nullable=True, isin=["known_at_publication", "current_fallback"],
                                             description="known_at_publication: the value the warehouse held on the publication date; current_fallback: nothing was known then, the current value is used (core.publication_population, shared by every mart)")
    population_known_since: Series[pd.Timestamp] = pa.Field(nullable=True, description="Since when the warehouse has known the population value used (its vintage date)")
    per_million: Series[float] = pa.Field(nullable=True, ge=0, description="value per million inhabitants (3 decimals; empty for a range)")
    per_million_low: Series[float] = pa.Field(**_low("the figure per million inhabitants"))
    per_million_high: Series[float] = pa.Field(**_high("the figure per million inhabitants"))
    per_million_qualifier: Series[str] = pa.Field(**_derived_qualifier("the figure per million inhabitants"))
    published_per_million: Series[float] = pa.Field(nullable=True, ge=0, description="The publisher's own figure per million inhabitants where it stated one (core.published_rates, e.g. ICSR 2015 Table 1, Elcano 2018), to compare with per_million")
    published_per_million_qualifier: Series[str] = pa.Field(nullable=True, isin=QUALIFIERS, description="Qualifier of published_per_million as published (ICSR 2015: 'up_to', by its table's footnote)")
    document_url: Series[str] = pa.Field(description="Where the figure was read")
    is_secondary: Series[bool] = pa.Field(description="True when that document only quotes the publication")
    page: Series[str] = pa.Field(nullable=True, description="Page, table or section of the document")
    quote: Series[str] = pa.Field(nullable=True, description="Verbatim text the figure came from")
    quote_kind: Series[str] = pa.Field(nullable=True, isin=QUOTE_KINDS, description=_QUOTE_KIND)
    flag: Series[str] = pa.Field(nullable=True, description="CONFLICT or LOW CONFIDENCE where the transcription says so")

    @pa.dataframe_check(error="a range's per-million ends are out of order")
    def ends_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        both = df["per_million_low"].notna() & df["per_million_high"].notna()
        return ~both | (df["per_million_low"] <= df["per_million_high"])

    class Config:
        name = "fighters_per_million"
        description = ("One row per publication × country × metric (accepted only; one figure per publication: main "
                       "reading (variant '') first, then the publication's own document over a secondary one, then "
                       "unflagged, then the latest reference date), with the population every mart uses for that "
                       "publication and country (core.publication_population: the reference year as known at "
                       "publication, else the current value) and the rate per million inhabitants with its bounds "
                       "and qualifier")
        strict = True
        coerce = True
        unique = ["publication_id", "country_iso3", "metric"]


# --------------------------------------------------------------------------- shared wording
# One description per recurring column, so the same column means the same thing in every table.
_ISO3 = "ISO 3166-1 alpha-3 code of the country (Kosovo XKX, Palestine PSE)"
_NAME = "Country name from ref.countries (else as published)"
_METRIC = "What is counted: travelled, returned, killed, detained, women, minors, prosecuted, present, relocated"
_QUALIFIER = "How the publisher qualified the number: exact, approx, at_least, more_than, up_to, less_than or range"
_PUBLICATION = "The report or statement the figure belongs to (e.g. soufan_2017_10)"
_PUBLISHED_ON = "Publication date: the earliest published_on of any figure of that publication"
_REFERENCE_DATE = "The date the figure describes (valid time)"
_DOC = "Where the figure was read (the publication itself or a document quoting it)"
_SECONDARY = "True when that document only quotes the publication (a news article, a transcription)"
_PAGE = "Page, table or section of the document"
_QUOTE = "Verbatim text the figure came from"
_FLAG = "CONFLICT or LOW CONFIDENCE where the transcription says so"
_QK = dict(nullable=True, isin=QUOTE_KINDS, description=_QUOTE_KIND)
_PICK = ("one figure per publication: main reading (variant '') first, then the publication's own "
         "document over a secondary one, then unflagged, then the latest reference date")
_REGION = "Region code from ref.regions (EU, WEUR, MAGHREB, ...; WLD = world)"


def _value(what: str = "") -> dict:
    return dict(nullable=True, ge=0, description=f"Point value{what} as published (empty for a range)")


@published
class CountryEstimates(pa.DataFrameModel):
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", description=_ISO3)
    country_name: Series[str] = pa.Field(description=_NAME)
    metric: Series[str] = pa.Field(isin=METRICS, description=_METRIC)
    qualifier: Series[str] = pa.Field(isin=QUALIFIERS, description="Qualifier of the best estimate: exact, approx, at_least, more_than, up_to, less_than or range")
    value: Series[float] = pa.Field(**_value(" of the best estimate"))
    value_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end of the best estimate when it is a range")
    value_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end of the best estimate when it is a range")
    best_publication_id: Series[str] = pa.Field(description="Publication the best estimate comes from (the latest one giving this country and metric)")
    best_source_id: Series[str] = pa.Field(description="Catalog source the best estimate was loaded from")
    best_published_on: Series[pd.Timestamp] = pa.Field(description="Publication date of best_publication_id")
    reference_date: Series[pd.Timestamp] = pa.Field(description="The date the best estimate describes (valid time)")
    is_secondary: Series[bool] = pa.Field(description=_SECONDARY)
    document_url: Series[str] = pa.Field(description=_DOC)
    page: Series[str] = pa.Field(nullable=True, description=_PAGE)
    quote: Series[str] = pa.Field(nullable=True, description=_QUOTE)
    quote_kind: Series[str] = pa.Field(**_QK)
    flag: Series[str] = pa.Field(nullable=True, description=_FLAG)
    publications: Series[int] = pa.Field(ge=1, description="Number of publications giving an accepted figure for this country and metric")
    min_value: Series[float] = pa.Field(ge=0, description="Lowest value any of those publications allows, " + _RULES + ": a range counts with its low end, 'up to' with 0")
    min_publication_id: Series[str] = pa.Field(description="Publication that gave min_value")
    max_value: Series[float] = pa.Field(nullable=True, ge=0, description="Highest value any of those publications allows, " + _RULES + ": a range counts with its high end; empty when one gave no upper bound ('at least', 'more than')")
    max_publication_id: Series[str] = pa.Field(description="Publication that gave max_value (or gave no upper bound)")
    range_qualifier: Series[str] = pa.Field(**_derived_qualifier("the span min_value–max_value across publications"))
    first_published_on: Series[pd.Timestamp] = pa.Field(description="Publication date of the earliest publication giving this country and metric")
    publication_ids: Series[str] = pa.Field(description="Every publication giving this country and metric, oldest first, comma-separated")
    pending_claims: Series[int] = pa.Field(ge=0, description="Figures for this country and metric still pending review (not used above)")

    @pa.dataframe_check(error="min_value is greater than max_value")
    def min_below_max(cls, df: pd.DataFrame) -> Series[bool]:
        return _bounds_ordered(df, "min_value", "max_value")

    @pa.dataframe_check(error="the best estimate has no number")
    def has_a_number(cls, df: pd.DataFrame) -> Series[bool]:
        return df["value"].notna() | df["value_low"].notna() | df["value_high"].notna()

    class Config:
        name = "country_estimates"
        description = ("One row per country × metric: the best estimate under a documented rule — accepted "
                       "country-level figures only (pending and rejected claims never count); " + _PICK +
                       "; the best is the figure of the latest publication (ties: primary over secondary, "
                       "then the later reference date) — with its qualifier or range, where it came from, "
                       "and the lowest and highest value across publications")
        strict = True
        coerce = True
        unique = ["country_iso3", "metric"]


@published
class ReturneeRates(pa.DataFrameModel):
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", description=_ISO3)
    country_name: Series[str] = pa.Field(description=_NAME)
    publication_id: Series[str] = pa.Field(description=_PUBLICATION)
    published_on: Series[pd.Timestamp] = pa.Field(description=_PUBLISHED_ON)
    reference_date: Series[pd.Timestamp] = pa.Field(description="The date the figures describe (the later of the two when they differ)")
    travelled: Series[float] = pa.Field(**_value(" of people who travelled"))
    travelled_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end when travelled is a range")
    travelled_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end when travelled is a range")
    travelled_qualifier: Series[str] = pa.Field(nullable=True, isin=QUALIFIERS, description="Qualifier of the travelled figure")
    returned: Series[float] = pa.Field(**_value(" of people who returned"))
    returned_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end when returned is a range")
    returned_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end when returned is a range")
    returned_qualifier: Series[str] = pa.Field(nullable=True, isin=QUALIFIERS, description="Qualifier of the returned figure")
    return_rate: Series[float] = pa.Field(nullable=True, ge=0, description="returned / travelled from the numbers as published, rounded to 3 decimals; empty when either is a range. Read it with return_rate_qualifier: beside an open bound ('more than 900' travelled) it is a bound, not a value")
    return_rate_low: Series[float] = pa.Field(**_low("returned / travelled"))
    return_rate_high: Series[float] = pa.Field(**_high("returned / travelled"))
    return_rate_qualifier: Series[str] = pa.Field(**_derived_qualifier("returned / travelled (e.g. 'up_to' when travelled is 'more than')"))
    travelled_per_million: Series[float] = pa.Field(nullable=True, ge=0, description="travelled per million inhabitants (3 decimals; empty for a range)")
    travelled_per_million_low: Series[float] = pa.Field(**_low("travelled per million inhabitants"))
    travelled_per_million_high: Series[float] = pa.Field(**_high("travelled per million inhabitants"))
    travelled_per_million_qualifier: Series[str] = pa.Field(**_derived_qualifier("travelled per million inhabitants"))
    returned_per_million: Series[float] = pa.Field(nullable=True, ge=0, description="returned per million inhabitants (3 decimals; empty for a range)")
    returned_per_million_low: Series[float] = pa.Field(**_low("returned per million inhabitants"))
    returned_per_million_high: Series[float] = pa.Field(**_high("returned per million inhabitants"))
    returned_per_million_qualifier: Series[str] = pa.Field(**_derived_qualifier("returned per million inhabitants"))
    population_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="Year of the population used: the reference year, else the latest earlier year")
    population: Series[pd.Int64Dtype] = pa.Field(nullable=True, gt=0, description="World Bank total population (SP.POP.TOTL) of that year")
    population_basis: Series[str] = pa.Field(nullable=True, isin=["known_at_publication", "current_fallback"],
                                             description="known_at_publication: the value the warehouse held on the publication date; current_fallback: nothing was known then, the current value is used")
    population_known_since: Series[pd.Timestamp] = pa.Field(nullable=True, description="Since when the warehouse has known the population value used (its vintage date)")
    travelled_document_url: Series[str] = pa.Field(nullable=True, description="Where the travelled figure was read")
    travelled_quote: Series[str] = pa.Field(nullable=True, description="Verbatim text of the travelled figure")
    travelled_quote_kind: Series[str] = pa.Field(**_QK)
    returned_document_url: Series[str] = pa.Field(nullable=True, description="Where the returned figure was read")
    returned_quote: Series[str] = pa.Field(nullable=True, description="Verbatim text of the returned figure")
    returned_quote_kind: Series[str] = pa.Field(**_QK)

    @pa.dataframe_check(error="return_rate lies outside return_rate_low–return_rate_high")
    def rate_within_bounds(cls, df: pd.DataFrame) -> Series[bool]:
        rate = df["return_rate"]
        above = df["return_rate_low"].isna() | (rate >= df["return_rate_low"] - 1e-9)
        below = df["return_rate_high"].isna() | (rate <= df["return_rate_high"] + 1e-9)
        return rate.isna() | (above & below)

    @pa.dataframe_check(error="return_rate is not returned / travelled")
    def rate_matches(cls, df: pd.DataFrame) -> Series[bool]:
        expected = (df["returned"] / df["travelled"]).round(3)
        return df["return_rate"].isna() | ((df["return_rate"] - expected).abs() < 1e-9)

    @pa.dataframe_check(error="a row needs a travelled or a returned figure")
    def has_a_figure(cls, df: pd.DataFrame) -> Series[bool]:
        cols = ["travelled", "travelled_low", "travelled_high", "returned", "returned_low", "returned_high"]
        return df[cols].notna().any(axis=1)

    class Config:
        name = "returnee_rates"
        description = ("One row per country × publication giving the country's travelled or returned figure "
                       "(accepted only; " + _PICK + "): both side by side, the share that returned and both per "
                       "million inhabitants, each with bounds and a qualifier derived " + _RULES + ", using the "
                       "population every mart uses (core.publication_population: the reference year as the "
                       "warehouse knew it on the publication date, else the current value, as population_basis says)")
        strict = True
        coerce = True
        unique = ["country_iso3", "publication_id"]


@published
class RegionTotals(pa.DataFrameModel):
    region_code: Series[str] = pa.Field(description=_REGION)
    region_name: Series[str] = pa.Field(description="Region name from ref.regions")
    publication_id: Series[str] = pa.Field(description=_PUBLICATION)
    published_on: Series[pd.Timestamp] = pa.Field(description=_PUBLISHED_ON)
    membership_date: Series[pd.Timestamp] = pa.Field(description="Date membership is taken at: the regional figure's reference date, else the latest reference date of the publication's country figures")
    metric: Series[str] = pa.Field(isin=METRICS, description=_METRIC)
    publisher_qualifier: Series[str] = pa.Field(nullable=True, isin=QUALIFIERS, description="Qualifier of the publisher's own regional figure")
    publisher_value: Series[float] = pa.Field(nullable=True, ge=0, description="The publisher's own figure for the region (empty if it gave none, or a range)")
    publisher_value_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end of the publisher's regional range")
    publisher_value_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end of the publisher's regional range")
    member_sum: Series[float] = pa.Field(nullable=True, ge=0, description="Sum of the member countries' point values in this publication; empty when a counted member gave only a range or none has a figure")
    member_sum_low: Series[float] = pa.Field(**_low("the member countries' sum ('up to' members add 0)"))
    member_sum_high: Series[float] = pa.Field(**_high("the member countries' sum"))
    member_sum_qualifier: Series[str] = pa.Field(**_derived_qualifier("the member countries' sum"))
    member_qualifiers: Series[str] = pa.Field(nullable=True, description="Qualifiers of the summed member figures (e.g. 'approx, exact')")
    countries_counted: Series[int] = pa.Field(ge=0, description="Member countries with a figure in this publication")
    counted_members: Series[str] = pa.Field(nullable=True, description="Their ISO3 codes, comma-separated")
    members_total: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Members of the region at membership_date (empty for WLD: every country)")
    members_missing: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Members without a figure in this publication (empty for WLD)")
    missing_members: Series[str] = pa.Field(nullable=True, description="Their ISO3 codes, comma-separated (empty for WLD)")
    gap: Series[float] = pa.Field(nullable=True, description="publisher_value − member_sum: how much of the publisher's regional figure the member figures do not account for")
    gap_low: Series[float] = pa.Field(**_low("the publisher's regional figure minus the member sum", ge=None))
    gap_high: Series[float] = pa.Field(**_high("the publisher's regional figure minus the member sum", ge=None))
    gap_qualifier: Series[str] = pa.Field(**_derived_qualifier("the gap (a difference: 'up_to' means no lower bound)"))
    region_defined_by: Series[str] = pa.Field(nullable=True, description="How the warehouse defines the region's members (treaty, UN M49 sub-region, or an approximation and why)")
    publisher_document_url: Series[str] = pa.Field(nullable=True, description="Where the publisher's regional figure was read")
    publisher_quote: Series[str] = pa.Field(nullable=True, description="Verbatim text of the publisher's regional figure")
    publisher_quote_kind: Series[str] = pa.Field(**_QK)

    @pa.dataframe_check(error="countries_counted + members_missing differs from members_total")
    def members_add_up(cls, df: pd.DataFrame) -> Series[bool]:
        listed = df["members_total"].notna()
        return ~listed | (df["countries_counted"] + df["members_missing"] == df["members_total"])

    class Config:
        name = "region_totals"
        description = ("One row per region × publication × metric: the sum of the member countries' accepted "
                       "figures (members as of the publication's reference date, from ref.region_members) beside "
                       "the publisher's own regional figure where one exists, with the members counted and missing")
        strict = True
        coerce = True
        unique = ["region_code", "publication_id", "metric"]


@published
class SourceComparison(pa.DataFrameModel):
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", description=_ISO3)
    country_name: Series[str] = pa.Field(description=_NAME)
    metric: Series[str] = pa.Field(isin=METRICS, description=_METRIC)
    publications: Series[int] = pa.Field(ge=1, description="Number of publications giving an accepted figure")
    values_by_publication: Series[str] = pa.Field(description="Each publication's value side by side, oldest first: 'publication date: [qualifier] value or low–high [other readings: ...]'")
    min_value: Series[float] = pa.Field(ge=0, description="Lowest value (a range counts with its low end)")
    min_publication_id: Series[str] = pa.Field(description="Publication that gave min_value")
    max_value: Series[float] = pa.Field(ge=0, description="Highest value (a range counts with its high end)")
    max_publication_id: Series[str] = pa.Field(description="Publication that gave max_value")
    spread: Series[float] = pa.Field(nullable=True, ge=1, description="max_value / min_value (2 decimals); empty when min_value is 0")
    spread_low: Series[float] = pa.Field(nullable=True, ge=1, description="Lower bound of the ratio between the highest and the lowest publication's value " + _RULES + ": the highest low bound over the lowest high bound, at least 1 (rounded down)")
    spread_high: Series[float] = pa.Field(nullable=True, ge=1, description="Upper bound of that ratio: the highest high bound over the lowest low bound (rounded up); empty when a publication gives no upper bound or one allows 0")
    spread_qualifier: Series[str] = pa.Field(**_derived_qualifier("the spread between publications ('up_to' when they may agree exactly)"))
    disagreement_ratio: Series[float] = pa.Field(gt=1, description="Threshold of the disagreement rule (1.5)")
    disagreement: Series[bool] = pa.Field(description="True when the highest low end is more than disagreement_ratio × the lowest high end: no single number lies within 50 % of every publication's estimate, even reading ranges in their favour")
    contemporary_disagreement: Series[bool] = pa.Field(description="The same rule applied only to publications published less than 365 days apart (disagreement not explained by years of growth)")
    readings_differ: Series[bool] = pa.Field(description="True when one publication is read differently by two documents or gives two variants (e.g. official vs unofficial)")
    flagged_conflict: Series[bool] = pa.Field(description="True when a transcription flagged one of the figures as CONFLICT")
    first_published_on: Series[pd.Timestamp] = pa.Field(description="Publication date of the earliest publication compared")
    last_published_on: Series[pd.Timestamp] = pa.Field(description="Publication date of the latest publication compared")

    @pa.dataframe_check(error="a comparison needs two publications or two differing readings")
    def compares_something(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["publications"] >= 2) | df["readings_differ"]

    class Config:
        name = "source_comparison"
        description = ("One row per country × metric given by at least two publications (or by one publication "
                       "in two differing readings): each publication's value side by side (accepted only; " + _PICK +
                       "), the spread and a boolean disagreement under a documented threshold")
        strict = True
        coerce = True
        unique = ["country_iso3", "metric"]


@published
class EstimateTimeline(pa.DataFrameModel):
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", description=_ISO3)
    country_name: Series[str] = pa.Field(description=_NAME)
    metric: Series[str] = pa.Field(isin=METRICS, description=_METRIC)
    position: Series[int] = pa.Field(ge=1, description="Place in the series by publication date (1 = earliest)")
    series_length: Series[int] = pa.Field(ge=1, description="Number of publications in this country × metric series")
    publication_id: Series[str] = pa.Field(description=_PUBLICATION)
    source_id: Series[str] = pa.Field(description="Catalog source the figure was loaded from")
    published_on: Series[pd.Timestamp] = pa.Field(description=_PUBLISHED_ON)
    reference_date: Series[pd.Timestamp] = pa.Field(description=_REFERENCE_DATE)
    qualifier: Series[str] = pa.Field(isin=QUALIFIERS, description=_QUALIFIER)
    value: Series[float] = pa.Field(**_value())
    value_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end of a published range")
    value_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end of a published range")
    previous_publication_id: Series[str] = pa.Field(nullable=True, description="The publication before this one in the series")
    previous_value: Series[float] = pa.Field(nullable=True, ge=0, description="Its point value (empty for a range)")
    change_from_previous: Series[float] = pa.Field(nullable=True, description="value − previous_value (empty when either is a range)")
    change_low: Series[float] = pa.Field(**_low("the change from the previous publication", ge=None))
    change_high: Series[float] = pa.Field(**_high("the change from the previous publication", ge=None))
    change_qualifier: Series[str] = pa.Field(**_derived_qualifier("the change from the previous publication (a difference: 'up_to' means no lower bound)"))
    is_latest: Series[bool] = pa.Field(description="True for the latest publication of the series (the one country_estimates uses, unless two share a date)")
    readings: Series[int] = pa.Field(ge=1, description="Accepted readings of this publication for the country and metric (more than 1: variants or documents that differ; see source_comparison)")
    is_secondary: Series[bool] = pa.Field(description=_SECONDARY)
    document_url: Series[str] = pa.Field(description=_DOC)
    page: Series[str] = pa.Field(nullable=True, description=_PAGE)
    quote: Series[str] = pa.Field(nullable=True, description=_QUOTE)
    quote_kind: Series[str] = pa.Field(**_QK)
    flag: Series[str] = pa.Field(nullable=True, description=_FLAG)

    @pa.dataframe_check(error="position is beyond series_length")
    def position_in_series(cls, df: pd.DataFrame) -> Series[bool]:
        return df["position"] <= df["series_length"]

    class Config:
        name = "estimate_timeline"
        description = ("One row per country × metric × publication: the series of accepted estimates in "
                       "publication-date order (" + _PICK + "), with the change from the previous publication")
        strict = True
        coerce = True
        unique = ["country_iso3", "metric", "publication_id"]


@published
class HeadlineFigures(pa.DataFrameModel):
    publication_id: Series[str] = pa.Field(description=_PUBLICATION)
    published_on: Series[pd.Timestamp] = pa.Field(description=_PUBLISHED_ON)
    metric: Series[str] = pa.Field(isin=METRICS, description=_METRIC)
    stated_qualifier: Series[str] = pa.Field(nullable=True, isin=QUALIFIERS, description="Qualifier of the total as the publisher stated it")
    stated_value: Series[float] = pa.Field(nullable=True, ge=0, description="The total as the publisher stated it (empty if none is in the warehouse, or a range)")
    stated_value_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end of a stated range")
    stated_value_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end of a stated range")
    stated_countries: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, description="Number of countries the publisher said the total covers")
    stated_text: Series[str] = pa.Field(nullable=True, description="The stated total in words, e.g. 'at least 5,600 from 33 countries'")
    warehouse_sum: Series[float] = pa.Field(nullable=True, ge=0, description="Sum of the publication's accepted country figures (point values; empty when one is a range)")
    warehouse_sum_low: Series[float] = pa.Field(**_low("the sum of the publication's accepted country figures ('up to' figures add 0)"))
    warehouse_sum_high: Series[float] = pa.Field(**_high("the sum of the publication's accepted country figures"))
    warehouse_sum_qualifier: Series[str] = pa.Field(**_derived_qualifier("the warehouse's sum (e.g. 'at_least' when one term is 'at least')"))
    warehouse_countries: Series[int] = pa.Field(ge=0, description="Countries with an accepted figure for this publication and metric in the warehouse")
    gap: Series[float] = pa.Field(nullable=True, description="stated_value − warehouse_sum: what the transcribed country figures do not account for")
    gap_low: Series[float] = pa.Field(**_low("the stated total minus the warehouse's sum", ge=None))
    gap_high: Series[float] = pa.Field(**_high("the stated total minus the warehouse's sum", ge=None))
    gap_qualifier: Series[str] = pa.Field(**_derived_qualifier("the gap (a difference: 'up_to' means no lower bound)"))
    countries_gap: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="stated_countries − warehouse_countries: how many countries' rows are known to be missing from the warehouse for this publication and metric")
    pending_claims: Series[int] = pa.Field(ge=0, description="Figures of this publication and metric (any area) still pending review, not counted above")
    stated_source_id: Series[str] = pa.Field(nullable=True, description="Catalog source the stated total was loaded from")
    stated_document_url: Series[str] = pa.Field(nullable=True, description="Where the stated total was read")
    stated_page: Series[str] = pa.Field(nullable=True, description="Page, table or section of the stated total")
    stated_quote: Series[str] = pa.Field(nullable=True, description="Verbatim text of the stated total")
    stated_quote_kind: Series[str] = pa.Field(**_QK)

    @pa.dataframe_check(error="gap is not stated_value − warehouse_sum")
    def gap_matches(cls, df: pd.DataFrame) -> Series[bool]:
        expected = df["stated_value"] - df["warehouse_sum"]
        return df["gap"].isna() | ((df["gap"] - expected).abs() < 1e-9)

    class Config:
        name = "headline_figures"
        description = ("One row per publication × metric: the total and the number of countries as the publisher "
                       "stated them (accepted world-level figures) beside what the warehouse sums from the same "
                       "publication's accepted country figures, and the gap")
        strict = True
        coerce = True
        unique = ["publication_id", "metric"]


@published
class PendingFigures(pa.DataFrameModel):
    source_id: Series[str] = pa.Field(description="Catalog id of the source the claim was loaded from")
    publication_id: Series[str] = pa.Field(description=_PUBLICATION)
    area_code: Series[str] = pa.Field(description="ISO3 country code or region code (WLD = world)")
    area_name: Series[str] = pa.Field(description="Country or region name (else as published)")
    area_kind: Series[str] = pa.Field(isin=["country", "region", "world"], description="country, region or world")
    country_as_published: Series[str] = pa.Field(description="The area name exactly as the document wrote it")
    metric: Series[str] = pa.Field(isin=METRICS, description=_METRIC)
    variant: Series[str] = pa.Field(description="Distinguishes two statements of one metric in one publication; usually empty")
    qualifier: Series[str] = pa.Field(isin=QUALIFIERS, description=_QUALIFIER)
    value: Series[float] = pa.Field(**_value(" claimed"))
    value_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end of a claimed range")
    value_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end of a claimed range")
    share: Series[float] = pa.Field(nullable=True, ge=0, le=1, description="A claimed share (0-1) instead of a count, e.g. 'ten percent went back'")
    share_of: Series[str] = pa.Field(nullable=True, isin=METRICS, description="The metric the share is a share of")
    countries_count: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, description="Number of countries a total is said to cover")
    reference_date: Series[pd.Timestamp] = pa.Field(description=_REFERENCE_DATE)
    published_on: Series[pd.Timestamp] = pa.Field(description="When the document with the claim was published")
    accepted_qualifier: Series[str] = pa.Field(nullable=True, isin=QUALIFIERS, description="Qualifier of the accepted figure for the same publication, area and metric")
    accepted_value: Series[float] = pa.Field(nullable=True, ge=0, description="The accepted figure's point value")
    accepted_value_low: Series[float] = pa.Field(nullable=True, ge=0, description="The accepted figure's low end")
    accepted_value_high: Series[float] = pa.Field(nullable=True, ge=0, description="The accepted figure's high end")
    accepted_source_id: Series[str] = pa.Field(nullable=True, description="Source of the accepted figure (empty: nothing accepted to compare with)")
    agrees_with_accepted: Series[pd.BooleanDtype] = pa.Field(nullable=True, description="True when the claim has the same value/range as the accepted figure; empty when there is none")
    is_secondary: Series[bool] = pa.Field(description=_SECONDARY)
    document_url: Series[str] = pa.Field(description=_DOC)
    page: Series[str] = pa.Field(nullable=True, description=_PAGE)
    quote: Series[str] = pa.Field(nullable=True, description=_QUOTE)
    quote_kind: Series[str] = pa.Field(**_QK)
    flag: Series[str] = pa.Field(nullable=True, description=_FLAG)
    note: Series[str] = pa.Field(nullable=True, description="Extraction or curation note")

    class Config:
        name = "pending_figures"
        description = ("One row per figure pending review (e.g. claims extracted from a news report), kept out of "
                       "every other table, beside the accepted figure of the same publication, area and metric")
        strict = True
        coerce = True
        unique = ["source_id", "publication_id", "area_code", "metric", "reference_date", "variant"]


@published
class ConflictDeathsBesideFighters(pa.DataFrameModel):
    source_id: Series[str] = pa.Field(description="Catalog id of the event dataset (ucdp_ged)")
    release_published_on: Series[pd.Timestamp] = pa.Field(description="Publication date of the event-dataset release these counts are as of")
    country_iso3: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", description=_ISO3)
    country_name: Series[str] = pa.Field(description=_NAME)
    country_as_published: Series[str] = pa.Field(description="The country as the event dataset names it (e.g. 'Yemen (North Yemen)')")
    year: Series[int] = pa.Field(ge=1946, description="Year of the events")
    type_of_violence: Series[int] = pa.Field(isin=[1, 2, 3], description="UCDP type of violence: 1 state-based, 2 non-state, 3 one-sided")
    violence_type: Series[str] = pa.Field(isin=["state-based", "non-state", "one-sided"], description="type_of_violence in words")
    events: Series[int] = pa.Field(gt=0, description="Events of this country, year and type in the release")
    deaths_best: Series[int] = pa.Field(ge=0, description="Sum of the events' best estimates of deaths")
    deaths_low: Series[int] = pa.Field(ge=0, description="Sum of the events' low estimates of deaths")
    deaths_high: Series[int] = pa.Field(ge=0, description="Sum of the events' high estimates of deaths")
    deaths_civilians: Series[int] = pa.Field(ge=0, description="Sum of the events' civilian deaths")
    fighters_qualifier: Series[str] = pa.Field(nullable=True, description="Qualifier of the fighters figure known on the release date (" + _QUALIFIER + ")")
    fighters_travelled: Series[float] = pa.Field(nullable=True, ge=0, description="Foreign fighters who travelled from this country, as known on the release date: the latest accepted figure published on or before it (point value)")
    fighters_travelled_low: Series[float] = pa.Field(nullable=True, ge=0, description="Low end of that figure when it is a range")
    fighters_travelled_high: Series[float] = pa.Field(nullable=True, ge=0, description="High end of that figure when it is a range")
    fighters_publication_id: Series[str] = pa.Field(nullable=True, description="Publication the fighters figure comes from (empty: none published by the release date)")
    fighters_published_on: Series[pd.Timestamp] = pa.Field(nullable=True, description="Publication date of fighters_publication_id")
    fighters_document_url: Series[str] = pa.Field(nullable=True, description=_DOC)
    fighters_quote: Series[str] = pa.Field(nullable=True, description=_QUOTE)

    class Config:
        name = "conflict_deaths_beside_fighters"
        description = ("One row per event-dataset release (publication date) × country × year × type of violence: "
                       "events and deaths in that release (UCDP GED), beside the foreign-fighter figure for the country "
                       "as known on the release's publication date")
        strict = True
        coerce = True
        unique = ["source_id", "release_published_on", "country_iso3", "year", "type_of_violence"]


_TYPES = {"float64": "number", "Float64": "number", "int64": "integer", "Int64": "integer", "int32": "integer",
          "bool": "boolean", "boolean": "boolean", "str": "string", "object": "string"}


def column_type(dtype) -> str:
    """A plain type name for docs and Table Schema: string, number, integer, boolean, date."""
    text = str(dtype)
    if text.startswith("datetime64"):
        return "date"
    return _TYPES.get(text, "string")


def data_dictionary_markdown(heading_level: int = 3) -> str:
    """The README data dictionary: every published table with its description and every
    column with its type, whether it may be empty, and its description (from the contracts)."""
    hashes = "#" * heading_level
    parts = []
    for name in sorted(PUBLISHED):
        schema = PUBLISHED[name].to_schema()
        parts.append(f"{hashes} `marts.{name}`\n\n{schema.description}\n")
        parts.append("| column | type | empty allowed | description |\n|---|---|---|---|")
        for column, spec in schema.columns.items():
            description = (spec.description or "").replace("|", "\\|")
            parts.append(f"| `{column}` | {column_type(spec.dtype)} | {'yes' if spec.nullable else 'no'} | {description} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
