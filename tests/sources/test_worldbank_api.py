"""Live population through the World Bank Indicators API: paged JSON served by a real local
HTTP server (generated pages with invented numbers, never loaded by the main job)."""
from __future__ import annotations

import json

import pytest

from flows import pipeline

PATH = "/v2/country/all/indicator/SP.POP.TOTL"


def _page(number: int, pages: int, records: list[dict], total: int) -> str:
    meta = {"page": number, "pages": pages, "per_page": 2, "total": total, "lastupdated": "2026-07-01"}
    return json.dumps([meta, records])


def _record(iso3: str, year: int, value):
    return {"indicator": {"id": "SP.POP.TOTL", "value": "Population, total"},
            "country": {"id": iso3[:2], "value": f"Country {iso3}"}, "countryiso3code": iso3,
            "date": str(year), "value": value, "unit": "", "obs_status": "", "decimal": 0}


@pytest.fixture()
def api(httpserver):
    records = [_record("AAA", 2015, 1000), _record("AAA", 2016, 1100), _record("BBB", 2015, 2000),
               _record("BBB", 2016, None), _record("CCC", 2015, 3000)]
    pages = [records[0:2], records[2:4], records[4:5]]
    for i, chunk in enumerate(pages, start=1):
        httpserver.expect_request(PATH, query_string={"format": "json", "per_page": "20000", "page": str(i)}) \
            .respond_with_data(_page(i, 3, chunk, len(records)), content_type="application/json")
    return httpserver


def test_every_page_is_fetched_stored_as_one_document_and_loaded(api, catalog, home):
    source = catalog["worldbank_population"]
    url = api.url_for(PATH)
    fetched = pipeline.fetch(source, mode="live", raw_store=home.raw, previous=None, override=url)
    assert fetched.status == "fetched" and fetched.attempts == 3
    assert len(json.loads(fetched.body)) == 3
    assert sorted(int(dict(r.args)["page"]) for r, _ in api.log) == [1, 2, 3]
    outcome = pipeline.process(source, fetched)
    assert outcome.status == "loaded", outcome.error
    got = sorted(zip(outcome.frame.country_iso3, outcome.frame.year, outcome.frame.value))
    assert got == [("AAA", 2015, 1000), ("AAA", 2016, 1100), ("BBB", 2015, 2000), ("CCC", 2015, 3000)]
    assert "1 records without a value skipped" in " ".join(outcome.notes)
    again = pipeline.fetch(source, mode="live", raw_store=home.raw, override=url,
                           previous=pipeline.PreviousFetch(sha256=fetched.sha256))
    assert again.status == "unchanged"


def test_api_error_message_fails_the_source_clearly(httpserver, catalog, home):
    httpserver.expect_request(PATH).respond_with_data(
        json.dumps([{"message": [{"id": "120", "key": "Invalid value", "value": "The provided parameter value is not valid"}]}]),
        content_type="application/json")
    source = catalog["worldbank_population"]
    fetched = pipeline.fetch(source, mode="live", raw_store=home.raw, previous=None, override=httpserver.url_for(PATH))
    outcome = pipeline.process(source, fetched)
    assert outcome.status == "failed"
    assert outcome.error.startswith("worldbank_population: World Bank API") and "Invalid value" in outcome.error
