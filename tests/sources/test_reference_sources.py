"""World Bank population and country codes, every embedded vintage (real data)."""
import csv
import io

import pytest

from tests.helpers import extract

SYRIA_2015 = {  # from ../shared/reference README: the revision the warehouse must remember
    "population_vintage_2017-10-26.csv": 18734987,
    "population_vintage_2020-04-14.csv": 17997408,
    "population_vintage_2023-05-04.csv": 19205178,
    "population_vintage_2026-03-06.csv": 19424618,
}


def _vintage(source, name) -> bytes:
    return (source.folder / "mirror" / name).read_bytes()


@pytest.mark.parametrize("vintage", sorted(SYRIA_2015))
def test_population_vintages_load_with_syria_revisions(catalog, vintage):
    source = catalog["worldbank_population"]
    body = _vintage(source, vintage)
    out = extract(source, body)
    syr = out.frame[(out.frame.country_iso3 == "SYR") & (out.frame.year == 2015)]
    assert syr["value"].tolist() == [SYRIA_2015[vintage]]
    assert out.rows_quarantined == 0
    assert len(out.frame) == len(list(csv.DictReader(io.StringIO(body.decode())))) == out.rows_extracted


def test_population_aggregates_with_fractional_values_are_kept(catalog):
    source = catalog["worldbank_population"]
    out = extract(source, _vintage(source, "population_vintage_2017-10-26.csv"))
    assert {"WLD", "EUU"} <= set(out.frame.country_iso3)


def test_population_bad_rows_are_quarantined(catalog):
    source = catalog["worldbank_population"]
    body = (b"Country Name,Country Code,Year,Value\n"
            b"Syria,SYR,2015,19424618\nSyria,SYR,2016,-5\nAtlantis,ATL,20x6,100\nSyria,SYR,2015,19424619\n"
            b"Jordan,JOR,2015,9266575\n")
    out = extract(source, body)
    reasons = out.quarantine.groupby("source_row")["reason"].apply(" ".join).to_dict()
    assert set(reasons) == {2, 3, 4, 5}          # both rows of the duplicated key: neither is guessed
    assert "Value" in reasons[3] and "'-5'" in reasons[3]
    assert "Year" in reasons[4]
    assert out.frame["country_iso3"].tolist() == ["JOR"]


def test_country_codes_vintages_and_schema_drift(catalog):
    source = catalog["country_codes"]
    old = extract(source, _vintage(source, "country-codes_vintage_2017-11-03.csv"))
    new = extract(source, _vintage(source, "country-codes_vintage_2026-05-15.csv"))
    name = lambda out, iso: out.frame.set_index("country_iso3").loc[iso, "country_name"]  # noqa: E731
    assert name(old, "SWZ") == "Swaziland" and name(new, "SWZ") == "Eswatini"
    assert name(new, "MKD") == "North Macedonia" and "Macedonia" in name(old, "MKD")
    assert name(new, "TUR") == "Türkiye" and name(old, "TUR") == "Turkey"
    assert new.frame.set_index("country_iso3").loc["SYR", "sub_region_name"] == "Western Asia"
    # the 2017 row without an alpha-3 code is quarantined, not dropped
    assert old.rows_quarantined == 1 and "iso3" in old.quarantine.iloc[0]["reason"]


def test_country_codes_renamed_column_is_reported_not_crashed_on(catalog):
    source = catalog["country_codes"]
    body = _vintage(source, "country-codes_vintage_2026-05-15.csv").decode()
    header, rest = body.split("\n", 1)
    header = header.replace("official_name_en", "official_name_english").replace("Region Name", "Region")
    out = extract(source, (header + "\n" + rest).encode())
    notes = " ".join(out.notes)
    assert "official_name_en read from 'UNTERM English Short'" in notes
    assert "no column for region_name" in notes
    assert out.frame["region_name"].isna().all() and out.frame["country_name"].notna().all()


def test_country_codes_without_iso3_column_fails_clearly(catalog):
    source = catalog["country_codes"]
    from schemas.validate import SourceError
    with pytest.raises(SourceError, match="country_codes: column 'ISO3166-1-Alpha-3' missing"):
        extract(source, b"name,code\nSyria,SY\n")
