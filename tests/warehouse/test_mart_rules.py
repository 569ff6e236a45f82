"""The rules every mart follows (README "Rules shared by the marts"), checked on every mart at once
on a warehouse built from the embedded mirror; each test fails if its rule is broken."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from schemas.published import DERIVED_QUALIFIERS, PUBLISHED
from tests.warehouse.test_marts import frame, mirror_warehouse
from warehouse.marts import MARTS_DIR, model_files

# Every derived number a mart publishes, with the column that qualifies it (rule 5 of issue 9).
DERIVED_NUMBERS = {
    "fighters_per_million": {"per_million": ("per_million_low", "per_million_high", "per_million_qualifier")},
    "returnee_rates": {
        "return_rate": ("return_rate_low", "return_rate_high", "return_rate_qualifier"),
        "travelled_per_million": ("travelled_per_million_low", "travelled_per_million_high",
                                  "travelled_per_million_qualifier"),
        "returned_per_million": ("returned_per_million_low", "returned_per_million_high",
                                 "returned_per_million_qualifier"),
    },
    "headline_figures": {
        "warehouse_sum": ("warehouse_sum_low", "warehouse_sum_high", "warehouse_sum_qualifier"),
        "gap": ("gap_low", "gap_high", "gap_qualifier"),
    },
    "region_totals": {
        "member_sum": ("member_sum_low", "member_sum_high", "member_sum_qualifier"),
        "gap": ("gap_low", "gap_high", "gap_qualifier"),
    },
    "country_estimates": {"min_value": ("min_value", "max_value", "range_qualifier")},
    "estimate_timeline": {"change_from_previous": ("change_low", "change_high", "change_qualifier")},
    "source_comparison": {"spread": ("spread_low", "spread_high", "spread_qualifier")},
}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return mirror_warehouse(tmp_path_factory)


def _sql_without_comments(path) -> str:
    return re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))


def test_every_mart_declares_its_grain():
    assert set(model_files()) == set(PUBLISHED)
    for name, model in PUBLISHED.items():
        grain = model.to_schema().unique
        assert grain, f"marts.{name} declares no grain (Config.unique in schemas/published.py)"
        assert set(grain) <= set(model.to_schema().columns), f"marts.{name}: grain names an unknown column"


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_no_mart_has_two_rows_for_one_grain(home, name):
    grain = list(PUBLISHED[name].to_schema().unique)
    columns = ", ".join(grain)
    dupes = frame(home, f"select {columns}, count(*) as n from marts.{name} group by all having count(*) > 1")
    assert dupes.empty, f"marts.{name} has duplicate grain ({columns}):\n{dupes.head()}"
    if "history.ucdp" not in model_files()[name].read_text(encoding="utf-8"):   # the mirror has no event dataset
        assert frame(home, f"select count(*) as n from marts.{name}").n[0] > 0


@pytest.mark.parametrize("name", sorted(model_files()))
def test_every_mart_starts_from_the_shared_views(name):
    sql = _sql_without_comments(model_files()[name])
    assert "core.accepted_readings" in sql, f"{name}.sql does not start from core.accepted_readings"
    # figures and population come only through the shared views (event datasets have their own history)
    for forbidden in ("core.figures", "core.population", "history.figures", "history.population",
                      "history.countries", "figures_as_of", "population_as_of"):
        assert forbidden not in sql, f"{name}.sql reads {forbidden} directly"
    if "population" in sql:
        assert "core.publication_population" in sql, f"{name}.sql takes population from elsewhere"


def test_rules_live_in_one_file_next_to_their_documentation():
    rules = sorted(p.name for p in MARTS_DIR.glob("_*.sql"))
    assert rules == ["_interval_rules.sql"]
    text = (MARTS_DIR / "_interval_rules.sql").read_text(encoding="utf-8")
    for macro in ("figure_low", "figure_high", "interval_quotient_low", "interval_quotient_high",
                  "interval_difference_low", "interval_difference_high", "count_qualifier", "difference_qualifier"):
        assert f"MACRO {macro}(" in text
    for name, path in model_files().items():   # no mart re-derives a bound from coalesce(value, ...)
        assert "coalesce(value, value_high" not in _sql_without_comments(path), name


def test_population_agrees_between_marts(home):
    both = frame(home, """
        select f.publication_id, f.country_iso3, f.metric, f.population as fpm, r.population as rr,
               f.population_year as fpm_year, r.population_year as rr_year,
               f.population_basis as fpm_basis, r.population_basis as rr_basis
        from marts.fighters_per_million f
        join marts.returnee_rates r using (publication_id, country_iso3)""")
    assert len(both) > 100
    differ = both[(both.fpm != both.rr) | (both.fpm_year != both.rr_year) | (both.fpm_basis != both.rr_basis)]
    assert differ.empty, differ.head()
    # the example: Elcano 2018 Sweden, one per-million value in both tables
    swe = frame(home, """
        select f.per_million, r.travelled_per_million from marts.fighters_per_million f
        join marts.returnee_rates r using (publication_id, country_iso3)
        where publication_id = 'elcano_2018' and country_iso3 = 'SWE' and f.metric = 'travelled'""")
    assert len(swe) == 1 and swe.per_million[0] == swe.travelled_per_million[0]


def test_icct_2016_france_return_rate_is_at_most_246_of_900(home):
    fra = frame(home, "select * from marts.returnee_rates where publication_id = 'icct_2016_04' "
                      "and country_iso3 = 'FRA'").iloc[0]
    assert (fra.travelled, fra.travelled_qualifier, fra.returned) == (900, "more_than", 246)
    assert fra.return_rate == 0.273   # 246 / 900 from the numbers as published, read with its qualifier:
    assert fra.return_rate_qualifier == "up_to"
    assert fra.return_rate_low == 0 and fra.return_rate_high == 0.274   # 246 / 900 = 0.2733.., rounded up
    assert fra.travelled_per_million_qualifier == "at_least" and pd.isna(fra.travelled_per_million_high)


@pytest.mark.parametrize("name", sorted(DERIVED_NUMBERS))
def test_every_derived_number_has_bounds_and_a_qualifier(home, name):
    table = frame(home, f"select * from marts.{name}")
    for number, (low, high, qualifier) in DERIVED_NUMBERS[name].items():
        for column in (number, low, high, qualifier):
            assert column in table.columns, f"marts.{name} lacks {column}"
        has_input = table[low].notna() | table[high].notna()
        assert has_input.any()
        assert table.loc[has_input, qualifier].notna().all(), f"{name}.{number}: bounds without a qualifier"
        assert set(table[qualifier].dropna()) <= set(DERIVED_QUALIFIERS)
        point = table[number].notna() & table[low].notna() & table[high].notna()
        inside = (table[low] <= table[number] + 1e-9) & (table[number] <= table[high] + 1e-9)
        assert inside[point].all(), f"{name}.{number} lies outside its own bounds"
        exact = table[qualifier] == "exact"
        assert (table.loc[exact, high] - table.loc[exact, low]).abs().max() <= 0.01 + 1e-9 or not exact.any()  # rounding only


def test_a_sum_with_an_at_least_term_is_at_least(home):
    h = frame(home, "select * from marts.headline_figures where publication_id = 'soufan_2014_06' "
                    "and metric = 'travelled'").iloc[0]
    open_terms = frame(home, "select count(*) as n from core.accepted_readings where publication_id = 'soufan_2014_06' "
                             "and metric = 'travelled' and area_kind = 'country' and reading_rank = 1 "
                             "and qualifier in ('at_least', 'more_than')").n[0]
    assert open_terms > 0
    assert h.warehouse_sum_qualifier == "at_least" and pd.isna(h.warehouse_sum_high)
    assert h.gap_qualifier == "up_to" and pd.isna(h.gap_low) and h.gap_high == h.gap


def test_headline_shows_the_rows_known_to_be_missing(home):
    h = frame(home, "select * from marts.headline_figures where metric = 'travelled' "
                    "and publication_id in ('icsr_2013_12', 'icsr_2015_01')").set_index("publication_id")
    rows_2013 = frame(home, "select count(*) as n from core.accepted_readings where publication_id = 'icsr_2013_12' "
                            "and metric = 'travelled' and area_kind = 'country' and reading_rank = 1").n[0]
    y2013 = h.loc["icsr_2013_12"]
    assert (y2013.stated_value_low, y2013.stated_value_high, y2013.stated_countries) == (3300, 11000, 74)
    assert y2013.warehouse_countries == rows_2013 and y2013.countries_gap == 74 - rows_2013 > 0
    assert y2013.gap_qualifier == "range" and y2013.gap_low < 0 < y2013.gap_high
    y2015 = h.loc["icsr_2015_01"]   # "exceeds 20,000": the gap has no upper bound
    assert (y2015.stated_qualifier, y2015.stated_value) == ("more_than", 20000)
    assert y2015.gap_qualifier == "at_least" and pd.isna(y2015.gap_high)


def test_published_rates_are_shown_beside_never_counted(home):
    counted = frame(home, "select count(*) as n from core.accepted_readings where metric like '%per_million%'").n[0]
    assert counted == 0
    for name in PUBLISHED:
        if "metric" in PUBLISHED[name].to_schema().columns:
            n = frame(home, f"select count(*) as n from marts.{name} where metric like '%per_million%'").n[0]
            assert n == 0, f"marts.{name} treats a published rate as a count"
    fpm = frame(home, "select * from marts.fighters_per_million where metric = 'travelled' "
                      "and published_per_million is not null").set_index(["publication_id", "country_iso3"])
    assert fpm.loc[("icsr_2015_01", "FRA")].published_per_million == 18
    assert fpm.loc[("icsr_2015_01", "FRA")].published_per_million_qualifier == "up_to"
    swe = fpm.loc[("elcano_2018", "SWE")]
    assert swe.published_per_million == 30 and abs(swe.per_million - 30) < 1   # the same rate, two roundings
