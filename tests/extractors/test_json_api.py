"""flows.fetch.fetch_world_bank_pages (the one World Bank pager) + parse_world_bank_pages against a World Bank API v2 imitation
served by pytest-httpserver (invented values, fictional countries)."""
from __future__ import annotations

import json
import math

import pytest

from flows.extractors.errors import ExtractError
from flows.extractors.json_api import COLUMNS, parse_world_bank_pages
from flows.fetch import TransientFetchError, fetch_world_bank_pages

PATH = "/v2/country/all/indicator/SP.POP.TOTL"
UPDATED = "2026-10-15"


def record(name: str, iso3: str, year: int, value):
    return {
        "indicator": {"id": "SP.POP.TOTL", "value": "Population, total"},
        "country": {"id": iso3[:2] if iso3 else "1W", "value": name},
        "countryiso3code": iso3,
        "date": str(year),
        "value": value,
        "unit": "",
        "obs_status": "",
        "decimal": 0,
    }


RECORDS = [
    record("Atlantis", "ATL", 2016, 1_200_000),
    record("Atlantis", "ATL", 2015, 1_150_000),
    record("Borduria", "BRD", 2016, 3_400_500),
    record("Borduria", "BRD", 2015, None),  # the API's null
    record("Syldavia", "SYL", 2016, 812_345.5),
    record("Syldavia", "SYL", 2015, 800_000),
    record("World (fictional aggregate)", "", 2016, 7_000_000_000),
]
PER_PAGE = 3
PAGE_COUNT = 3


def page_body(n: int, *, pages: int = PAGE_COUNT, total: int = len(RECORDS), updated: str = UPDATED, records=None):
    rows = RECORDS[(n - 1) * PER_PAGE: n * PER_PAGE] if records is None else records
    meta = {"page": n, "pages": pages, "per_page": str(PER_PAGE), "total": total, "sourceid": "2", "lastupdated": updated}
    return [meta, rows]


def serve_pages(httpserver, bodies: dict[int, object]) -> None:
    for n, body in bodies.items():
        query = {"format": "json", "per_page": str(PER_PAGE), "page": str(n)}
        if isinstance(body, (bytes, str)):
            httpserver.expect_oneshot_request(PATH, query_string=query).respond_with_data(body, content_type="application/json")
        else:
            httpserver.expect_oneshot_request(PATH, query_string=query).respond_with_json(body)


def requested_pages(httpserver) -> list[str]:
    return [request.args.get("page") for request, _ in httpserver.log]


def fetch_indicator(url: str, store, **options):
    """The one World Bank pager (flows.fetch.fetch_world_bank_pages), then the parser on its pages."""
    result = fetch_world_bank_pages("worldbank_population", url, mode="live", raw_store=store,
                                    per_page=PER_PAGE, **options)
    if result.status == "failed":
        return result
    return parse_world_bank_pages([json.dumps(page).encode() for page in json.loads(result.body)])


def test_all_pages_are_fetched_once_and_parsed(httpserver, tmp_path):
    serve_pages(httpserver, {n: page_body(n) for n in (1, 2, 3)})
    frame = fetch_indicator(httpserver.url_for(PATH), tmp_path)

    assert requested_pages(httpserver) == ["1", "2", "3"]
    for request, _ in httpserver.log:
        assert request.args.getlist("format") == ["json"]
        assert request.args.getlist("per_page") == [str(PER_PAGE)]
        assert len(request.args.getlist("page")) == 1
    httpserver.check_assertions()

    assert list(frame.columns) == COLUMNS
    assert [str(t) for t in frame.dtypes] == ["object", "object", "int64", "float64"]
    assert frame.drop(columns="value").values.tolist() == [
        ["Atlantis", "ATL", 2016], ["Atlantis", "ATL", 2015], ["Borduria", "BRD", 2016],
        ["Borduria", "BRD", 2015], ["Syldavia", "SYL", 2016], ["Syldavia", "SYL", 2015],
        ["World (fictional aggregate)", None, 2016],
    ]
    values = frame["value"].tolist()
    assert values[:3] == [1_200_000.0, 1_150_000.0, 3_400_500.0]
    assert math.isnan(values[3])
    assert values[4:] == [812_345.5, 800_000.0, 7_000_000_000.0]
    assert frame.attrs == {
        "indicator_id": "SP.POP.TOTL", "indicator_name": "Population, total",
        "lastupdated": UPDATED, "total": 7, "pages": 3,
    }


def test_paging_parameters_in_the_url_are_replaced_and_others_kept(httpserver, tmp_path):
    for n in (1, 2, 3):
        query = {"date": "2015:2016", "format": "json", "per_page": str(PER_PAGE), "page": str(n)}
        httpserver.expect_oneshot_request(PATH, query_string=query).respond_with_json(page_body(n))
    url = httpserver.url_for(PATH) + "?date=2015:2016&format=xml&page=9&per_page=50"
    frame = fetch_indicator(url, tmp_path)
    assert len(frame) == 7
    assert [sorted(request.args.items(multi=True)) for request, _ in httpserver.log] == [
        [("date", "2015:2016"), ("format", "json"), ("page", str(n)), ("per_page", str(PER_PAGE))] for n in (1, 2, 3)
    ]
    httpserver.check_assertions()


def test_api_error_message_names_the_page(httpserver, tmp_path):
    error = [{"message": [{"id": "120", "key": "Invalid value", "value": "The provided parameter value is not valid"}]}]
    serve_pages(httpserver, {1: page_body(1), 2: error, 3: page_body(3)})
    with pytest.raises(ExtractError) as info:
        fetch_indicator(httpserver.url_for(PATH), tmp_path)
    assert str(info.value) == "page 2: World Bank API error 120 (Invalid value): The provided parameter value is not valid"
    assert info.value.page == 2


def test_an_http_error_status_fails_the_fetch_without_echoing_the_body(httpserver, tmp_path):
    error = [{"message": [{"id": "175", "key": "Invalid format", "value": "The indicator was not found."}]}]
    httpserver.expect_request(PATH).respond_with_json(error, status=400)
    result = fetch_indicator(httpserver.url_for(PATH), tmp_path)
    assert result.status == "failed" and result.error.endswith("failed: HTTP 400 Bad Request")


def test_server_errors_raise_so_the_task_retries_them(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_data("upstream down", status=503)
    with pytest.raises(TransientFetchError, match="HTTP 503 Service Unavailable"):
        fetch_indicator(httpserver.url_for(PATH), tmp_path, retries=0)


def test_page_count_changing_mid_way(httpserver, tmp_path):
    serve_pages(httpserver, {1: page_body(1), 2: page_body(2, pages=4, total=10), 3: page_body(3)})
    with pytest.raises(ExtractError, match=r"^page 2: the page count changed from 3 \(page 1\) to 4 during the fetch"):
        fetch_indicator(httpserver.url_for(PATH), tmp_path)


def test_revision_during_the_fetch(httpserver, tmp_path):
    serve_pages(httpserver, {1: page_body(1), 2: page_body(2), 3: page_body(3, updated="2026-10-16")})
    with pytest.raises(ExtractError, match=r"^page 3: the last-updated date changed from '2026-10-15' \(page 1\) to '2026-10-16'"):
        fetch_indicator(httpserver.url_for(PATH), tmp_path)


def test_malformed_json_page(tmp_path):
    with pytest.raises(ExtractError, match=r"^page 2: malformed JSON \(.*\); the body starts with b'\[\{\"page\": 2"):
        parse_world_bank_pages([_bytes(page_body(1)), b'[{"page": 2, "pages": 3,', _bytes(page_body(3))])


def test_xml_instead_of_json():
    with pytest.raises(ExtractError, match=r"^page 1: malformed JSON .* starts with b'<\?xml"):
        parse_world_bank_pages([b'<?xml version="1.0"?><wb:data/>'])


def test_too_many_pages(httpserver, tmp_path):
    serve_pages(httpserver, {1: page_body(1)})
    result = fetch_indicator(httpserver.url_for(PATH), tmp_path, max_pages=2)
    assert result.status == "failed" and "the API reports 3 pages (more than 2)" in result.error
    assert requested_pages(httpserver) == ["1"]


def _bytes(body) -> bytes:
    return json.dumps(body).encode()


def test_parse_already_fetched_pages():
    frame = parse_world_bank_pages([_bytes(page_body(n)) for n in (1, 2, 3)])
    assert frame["country_code"].tolist() == ["ATL", "ATL", "BRD", "BRD", "SYL", "SYL", None]
    assert frame["year"].tolist() == [2016, 2015, 2016, 2015, 2016, 2015, 2016]


def test_empty_result_is_an_empty_frame():
    body = [{"page": 1, "pages": 0, "per_page": "50", "total": 0, "lastupdated": UPDATED}, None]
    frame = parse_world_bank_pages([_bytes(body)])
    assert list(frame.columns) == COLUMNS and len(frame) == 0


def _without(key_path):
    broken = json.loads(json.dumps(RECORDS[:3]))
    target = broken[1]
    for key in key_path[:-1]:
        target = target[key]
    del target[key_path[-1]]
    return broken


@pytest.mark.parametrize(
    "bodies, message",
    [
        ([page_body(1), page_body(2)], r"^got 2 page body\(ies\) but the API reports 3 page\(s\)$"),
        ([page_body(2)], r"^page 1: the API returned page 2 when page 1 was asked for$"),
        ([page_body(1, records=_without(["countryiso3code"]))], r"^page 1, row 2: the record has no 'countryiso3code'$"),
        ([page_body(1, records=_without(["country", "value"]))], r"^page 1, row 2: the record has no 'country.value'$"),
        ([page_body(1, records=_without(["date"]))], r"^page 1, row 2: the record has no 'date'$"),
        ([[{"page": 1, "per_page": "3", "total": 7}, RECORDS[:3]]], r"^page 1: the page metadata has no 'pages'$"),
        ([page_body(1, records=[{**RECORDS[0], "date": "2015Q1"}])], r"^page 1, row 1: date '2015Q1' is not a year$"),
        ([page_body(1, records=[{**RECORDS[0], "value": "lots"}])], r"^page 1, row 1: value 'lots' is not a number$"),
        ([{"page": 1}], r"^page 1: unexpected response shape: expected \[metadata, records\], got a dict$"),
        ([[page_body(1)[0]]], r"^page 1: unexpected response shape: .* got a list of 1 item\(s\)$"),
        ([page_body(1, pages=1, total=5)], r"^got 3 record\(s\) in 1 page\(s\) but the metadata says total=5$"),
    ],
    ids=["missing-page", "wrong-page", "no-iso3", "no-country-name", "no-date", "no-pages", "quarter",
         "text-value", "dict", "no-records", "total-mismatch"],
)
def test_broken_bodies_raise_extract_error(bodies, message):
    with pytest.raises(ExtractError, match=message):
        parse_world_bank_pages([_bytes(b) for b in bodies])


def test_no_bodies_and_empty_body():
    with pytest.raises(ExtractError, match="no pages to parse"):
        parse_world_bank_pages([])
    with pytest.raises(ExtractError, match=r"^page 1: malformed JSON"):
        parse_world_bank_pages([b""])
