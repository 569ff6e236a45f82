"""ICSR 2013 and 2015 estimates, read from the embedded mirror (real data)."""
import json

import pytest

from tests.helpers import extract, mirror_bytes
from schemas.validate import SourceError


@pytest.fixture(scope="module")
def icsr_2013(catalog):
    s = catalog["icsr_2013_12"]
    return extract(s, mirror_bytes(s))


@pytest.fixture(scope="module")
def icsr_2015(catalog):
    s = catalog["icsr_2015_01"]
    return extract(s, mirror_bytes(s))


def _row(outcome, iso3):
    rows = outcome.frame[outcome.frame["country_iso3"] == iso3]
    assert len(rows) == 1, f"expected one {iso3} row, got {len(rows)}"
    return rows.iloc[0]


def test_tunisia_2015_is_the_published_range_not_the_midpoint(icsr_2015):
    tun = _row(icsr_2015, "TUN")
    assert (tun.value_low, tun.value_high, tun.qualifier) == (1500, 3000, "range")
    assert tun.value != tun.value  # NaN: the transcribers' midpoint 2250 is not an ICSR figure


def test_point_values_where_icsr_gave_one_number(icsr_2015, catalog):
    raw = mirror_bytes(catalog["icsr_2015_01"]).decode().splitlines()
    france = next(line for line in raw if line.startswith("france,") and "20150126" in line)
    assert _row(icsr_2015, "FRA").value == float(france.split(",")[-1])
    assert _row(icsr_2015, "FRA").qualifier == "exact"


def test_non_iso_codes_are_harmonised(icsr_2013, icsr_2015):
    assert _row(icsr_2013, "XKX").country_as_published == "kosovo"
    assert _row(icsr_2013, "PSE").country_as_published == "palestine"
    assert _row(icsr_2015, "XKX").value_low == 100
    assert _row(icsr_2015, "BIH").country_as_published == "bosnia"
    assert _row(icsr_2015, "MKD").country_as_published == "macedonia"
    assert not (icsr_2013.frame["country_iso3"].isin(["KSV", "WBG"])).any()


def test_qatar_2013_low_above_high_is_quarantined_with_its_reason(icsr_2013):
    assert "QAT" not in set(icsr_2013.frame["country_iso3"])
    q = icsr_2013.quarantine
    qatar = q[q["row_json"].str.contains('"qatar"')]
    assert len(qatar) == 1
    assert "value_low is greater than value_high" in qatar.iloc[0]["reason"]
    assert json.loads(qatar.iloc[0]["row_json"])["value_low"] == 15


def test_na_rows_of_2015_are_quarantined_not_dropped(icsr_2015):
    q = icsr_2015.quarantine
    names = {json.loads(r)["country_as_published"] for r in q["row_json"]}
    assert names == {"iraq", "palestine"}
    assert len(icsr_2015.frame) + 2 == icsr_2015.rows_extracted


def test_every_figure_is_traceable(icsr_2013):
    f = icsr_2013.frame
    assert f["document_url"].str.startswith("https://").all()
    assert f["quote"].notna().all() and f["page"].notna().all()
    assert (f["publication_id"] == "icsr_2013_12").all()


def test_missing_column_fails_the_source_naming_the_column(catalog):
    s = catalog["icsr_2013_12"]
    body = mirror_bytes(s).decode().replace("icsr.high", "icsr.hi").encode()
    with pytest.raises(SourceError, match=r"icsr_2013_12: column 'icsr.high' missing"):
        extract(s, body)


def test_bad_number_quarantines_that_row_only(catalog):
    s = catalog["icsr_2013_12"]
    body = mirror_bytes(s).decode().replace("tunisia,TUN,20131217,382,", "tunisia,TUN,20131217,38x2,").encode()
    out = extract(s, body)
    assert "TUN" not in set(out.frame["country_iso3"])
    reasons = " ".join(out.quarantine["reason"])
    assert "icsr.low" in reasons and "38x2" in reasons


@pytest.mark.parametrize("body,reason", [
    (b"", "empty document"),
    (b"country,countrycode,icsr.date,icsr.low,icsr.high,icsr.mean\n", "no data rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "binary content"),
    (b"country,countrycode,icsr.date,icsr.low,icsr.high,icsr.mean\nafghanistan,AFG,2013", "cells where the header has"),
])
def test_structural_failures_name_source_and_reason(catalog, body, reason):
    with pytest.raises(SourceError, match=reason) as exc:
        extract(catalog["icsr_2013_12"], body)
    assert str(exc.value).startswith("icsr_2013_12: ")
