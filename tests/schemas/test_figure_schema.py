"""Each schema rejects each kind of bad row (and keeps the good ones)."""
import pandas as pd
import pytest

from schemas.figure import FIGURE_COLUMNS, Figure
from schemas.reference import Country, Population
from schemas.validate import SourceError, validate

GOOD = {
    "source_id": "soufan_2017_10", "publication_id": "soufan_2017_10", "document_url": "https://example.org/a",
    "is_secondary": True, "country_iso3": "SAU", "area_kind": "country", "country_as_published": "Saudi Arabia",
    "metric": "travelled", "variant": "", "value": 3244.0, "value_low": None, "value_high": None,
    "qualifier": "exact", "share": None, "share_of": None, "countries_count": None,
    "reference_date": "2017-10-24", "published_on": "2017-10-24", "page": "p. 12", "quote": "3,244", "quote_kind": "sentence",
    "review_status": "accepted", "flag": None, "note": None,
}

BAD = [
    ({"metric": "fought"}, "metric"),
    ({"value": -1.0}, "value"),
    ({"value": None, "value_low": 15.0, "value_high": 14.0, "qualifier": "range"}, "value_low is greater"),
    ({"value": None, "value_low": 15.0, "qualifier": "range"}, "needs both value_low and value_high"),
    ({"value": None}, "needs a value"),
    ({"page": None, "quote": None}, "neither a page/section nor a quote"),
    ({"share": 0.1}, "share_of"),
    ({"share": 1.5, "share_of": "travelled"}, "share"),
    ({"qualifier": "roughly"}, "qualifier"),
    ({"country_iso3": "sau"}, "country_iso3"),
    ({"review_status": "maybe"}, "review_status"),
    ({"reference_date": "not a date"}, "reference_date"),
    ({"document_url": ""}, "document_url"),
]


@pytest.mark.parametrize("change,expected", BAD, ids=[e for _, e in BAD])
def test_figure_rejects_bad_row_and_keeps_good_one(change, expected):
    frame = pd.DataFrame([GOOD, {**GOOD, "country_iso3": "RUS", **change}])
    valid, quarantine = validate(frame, Figure, source_id="t", stage="canonical", keep=FIGURE_COLUMNS)
    assert valid["country_iso3"].tolist() == ["SAU"]
    assert len(quarantine) >= 1
    assert expected in " ".join(quarantine["reason"]) + " ".join(quarantine["column_name"].fillna(""))


def test_missing_column_is_structural():
    frame = pd.DataFrame([GOOD]).drop(columns=["metric"])
    with pytest.raises(SourceError, match="metric"):
        validate(frame, Figure, source_id="t", stage="canonical")


def test_population_rejects_duplicates_and_non_positive_values():
    frame = pd.DataFrame([
        {"country_iso3": "SYR", "country_name": "Syria", "year": 2015, "value": 19424618},
        {"country_iso3": "SYR", "country_name": "Syria", "year": 2015, "value": 19424619},
        {"country_iso3": "TUN", "country_name": "Tunisia", "year": 2015, "value": 0},
        {"country_iso3": "TUN", "country_name": "Tunisia", "year": 1066, "value": 5},
        {"country_iso3": "JOR", "country_name": "Jordan", "year": 2015, "value": 9266575},
    ])
    valid, quarantine = validate(frame, Population, source_id="t", stage="canonical")
    assert valid["country_iso3"].tolist() == ["JOR"]
    assert sorted(set(quarantine["check_name"])) and len(set(quarantine["row_json"])) == 4


def test_country_rejects_duplicate_codes_and_nameless_rows():
    from schemas.reference import COUNTRY_COLUMNS
    row = {**dict.fromkeys(COUNTRY_COLUMNS), "country_iso3": "SWZ", "iso2": "SZ", "country_name": "Eswatini"}
    frame = pd.DataFrame([row, {**row, "country_name": "Swaziland"}, {**row, "country_iso3": "FRA", "country_name": ""},
                          {**row, "country_iso3": "JOR", "country_name": "Jordan"}])
    valid, quarantine = validate(frame, Country, source_id="t", stage="canonical")
    assert valid["country_iso3"].tolist() == ["JOR"]
    assert len(set(quarantine["row_json"])) == 3
