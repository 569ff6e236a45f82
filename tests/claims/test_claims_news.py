"""The real news report (Report Focus News / Al Jazeera, 25 Oct 2017, on the Soufan Center's
"Beyond the Caliphate"): every country, regional and world figure in it, and nothing else."""
from pathlib import Path

import pytest

from flows.claims import extract_all, extract_from_document

NEWS = Path(__file__).parent / "data" / "news_2017-10-25_returnees.txt"

# (area, area_kind, metric, value, share, share_of, qualifier, countries), read by hand from the text
EXPECTED = {
    ("WLD", "world", "returned", 5600, None, None, "at_least", 33),    # At least 5,600 people from 33 countries left ISIL-held areas
    ("WLD", "world", "travelled", 40000, None, None, "more_than", 100),  # More than 40,000 foreigners from 100 countries joined ISIL
    ("RUS", "country", "travelled", 3417, None, None, "exact", None),  # came from Russia and Saudi Arabia, with 3,417 and 3,244 people, respectively
    ("SAU", "country", "travelled", 3244, None, None, "exact", None),
    ("RUS", "country", "returned", None, 0.10, "travelled", "exact", None),  # Ten percent of the Russians went back
    ("SAU", "country", "returned", 760, None, None, "exact", None),    # Saudi Arabia reported the return of 760 people
    ("EU", "region", "travelled", 5000, None, None, "more_than", None),  # In the European Union, more than 5,000 people travelled
    ("EU", "region", "returned", 1200, None, None, "more_than", None),   # Of them, more than 1,200 came back
    ("TUR", "country", "returned", 900, None, None, "exact", None),    # Turkey and Tunisia ... returnees at 900 and 800 people, respectively
    ("TUN", "country", "returned", 800, None, None, "exact", None),
}


def _key(c):
    return (c.area, c.area_kind, c.metric, None if c.value is None else int(c.value),
            None if c.share is None else round(c.share, 4), c.share_of, c.qualifier, c.countries)


@pytest.fixture(scope="module")
def result():
    return extract_all(NEWS.read_text(encoding="utf-8"))


def test_every_figure_is_extracted_and_nothing_else(result):
    assert {_key(c) for c in result.claims} == EXPECTED
    assert len(result.claims) == len(EXPECTED)


def test_quotes_are_whole_sentences(result):
    by_area = {(c.area, c.metric): c for c in result.claims}
    assert by_area[("RUS", "returned")].quote == (
        "Ten percent of the Russians went back, while Saudi Arabia reported the return of 760 people.")
    assert by_area[("EU", "returned")].quote == "Of them, more than 1,200 came back, the report said."
    assert by_area[("RUS", "returned")].area_as_published == "Russians"
    assert by_area[("EU", "travelled")].area_as_published == "European Union"
    assert all(c.page is None for c in result.claims)


def test_no_spurious_figures(result):
    quotes = " ".join(c.quote for c in result.claims)
    assert "Global Counter Terrorism Forum" not in quotes        # "an informal forum of 29 countries"
    assert all(c.value != 2014 for c in result.claims)           # "caliphate" in 2014
    assert all(c.countries != 29 for c in result.claims)
    assert not any(u.value in (29, 2014, 25, 2017) for u in result.unresolved)


def test_headline_figure_has_no_area_and_is_reported_unresolved(result):
    # "5,700 'have returned home' from ISIL-held areas": the headline names no area
    [headline] = [u for u in result.unresolved if u.value == 5700]
    assert headline.reason == "no area" and headline.metric == "returned"


def test_same_result_through_the_document_reader():
    claims = extract_from_document(NEWS.read_bytes(), name=NEWS.name)
    assert {_key(c) for c in claims} == EXPECTED
