"""World Bank Indicators API v2 (JSON), every page of one request.

    parse_world_bank_pages([body_page_1, body_page_2, ...])   # bodies already fetched
        -> DataFrame[country_name, country_code, year, value]

The pages are fetched by `flows.fetch.fetch_world_bank_pages` (the one pager: retries, size cap,
deadline and allowed hosts of every fetch), which stores them as one JSON array.

A page body is ``[metadata, records]``::

    [{"page": 1, "pages": 3, "per_page": "50", "total": 133, "lastupdated": "2026-..."},
     [{"indicator": {"id": "SP.POP.TOTL", "value": "Population, total"},
       "country": {"id": "SY", "value": "Syrian Arab Republic"}, "countryiso3code": "SYR",
       "date": "2015", "value": 19424618, ...}, ...]]

Columns: ``country_name`` (str), ``country_code`` (ISO3 str, None when the API gives "" —
some aggregates), ``year`` (int64), ``value`` (float64, NaN when the API gives null). The
frame's ``attrs`` hold ``indicator_id``, ``indicator_name``, ``lastupdated``, ``total``, ``pages``.

Content problems raise `ExtractError` naming the page: an API error message
(``[{"message": [{"id": "120", "key": "Invalid value", "value": "..."}]}]``), malformed JSON,
a missing key, a page count / total / last-updated date that changes between pages (the
indicator was revised during the fetch: fetch again), a wrong page number, or a record count
that does not match ``total``. Transport problems are the fetch layer's (flows/fetch.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from flows.extractors.errors import ExtractError

__all__ = ["parse_world_bank_pages", "COLUMNS"]

COLUMNS = ["country_name", "country_code", "year", "value"]


@dataclass(frozen=True)
class _Page:
    number: int
    pages: int
    total: int
    lastupdated: str | None
    rows: list[tuple[str, str | None, int, float | None]]
    indicator: tuple[str | None, str | None]


def _api_message(data: Any) -> str | None:
    """The API's own error text, if `data` is an error message object."""
    if isinstance(data, list) and data and isinstance(data[0], dict) and "message" in data[0]:
        messages = data[0]["message"]
        if not isinstance(messages, list):
            messages = [messages]
        parts = []
        for m in messages:
            if isinstance(m, dict):
                parts.append(f"World Bank API error {m.get('id', '?')} ({m.get('key', 'no key')}): {m.get('value', '')}".strip())
            else:
                parts.append(f"World Bank API error: {m}")
        return "; ".join(parts) or "World Bank API error (empty message)"
    return None


def _int(meta: dict, key: str, page: int) -> int:
    if key not in meta:
        raise ExtractError(f"the page metadata has no {key!r}", page=page)
    value = meta[key]
    try:
        if isinstance(value, bool) or value is None:
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise ExtractError(f"the page metadata has {key}={value!r}, not an integer", page=page) from None


def _field(record: dict, path: tuple[str, ...], page: int, row: int) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise ExtractError(f"the record has no {'.'.join(path)!r}", page=page, row=row)
        value = value[key]
    return value


def _load_json(body: bytes, page: int) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        start = bytes(body[:40])
        raise ExtractError(f"malformed JSON ({exc}); the body starts with {start!r}", page=page) from None


def _split_body(data: Any, page: int) -> tuple[dict, Any]:
    """`data` as (metadata, records); an API error message or another shape raises."""
    message = _api_message(data)
    if message:
        raise ExtractError(message, page=page)
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict)):
        shape = type(data).__name__ + (f" of {len(data)} item(s)" if isinstance(data, list) else "")
        raise ExtractError(f"unexpected response shape: expected [metadata, records], got a {shape}", page=page)
    meta, records = data
    return meta, records


def _check_page_number(meta: dict, expected_page: int) -> None:
    number = _int(meta, "page", expected_page)
    if number != expected_page:
        raise ExtractError(f"the API returned page {number} when page {expected_page} was asked for", page=expected_page)


def _record_list(records: Any, total: int, page: int) -> list:
    if records is None:
        if total:
            raise ExtractError(f"no records although the metadata says total={total}", page=page)
        records = []
    if not isinstance(records, list):
        raise ExtractError(f"the records are a {type(records).__name__}, not a list", page=page)
    return records


def _number(value: Any, page: int, row: int) -> float | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise ExtractError(f"value {value!r} is not a number", page=page, row=row) from None


def _row(record: Any, page: int, row: int) -> tuple[str, str | None, int, float | None]:
    """One record as (country_name, country_code, year, value)."""
    if not isinstance(record, dict):
        raise ExtractError(f"the record is a {type(record).__name__}, not an object", page=page, row=row)
    name = _field(record, ("country", "value"), page, row)
    code = _field(record, ("countryiso3code",), page, row)
    date = _field(record, ("date",), page, row)
    value = _field(record, ("value",), page, row)
    if not isinstance(name, str) or not name.strip():
        raise ExtractError(f"country.value is {name!r}, not a name", page=page, row=row)
    if code is not None and not isinstance(code, str):
        raise ExtractError(f"countryiso3code is {code!r}, not a code", page=page, row=row)
    if not re.fullmatch(r"\d{4}", str(date).strip()):
        raise ExtractError(f"date {date!r} is not a year", page=page, row=row)
    value = _number(value, page, row)
    return name.strip(), (code or "").strip() or None, int(str(date).strip()), value


def _indicator(records: list) -> tuple[str | None, str | None]:
    """(id, name) of the first record whose indicator object gives either, else (None, None)."""
    for record in records:
        if isinstance(record.get("indicator"), dict):
            indicator = (record["indicator"].get("id"), record["indicator"].get("value"))
            if indicator != (None, None):
                return indicator
    return None, None


def _parse_page(body: bytes, expected_page: int) -> _Page:
    page = expected_page
    meta, records = _split_body(_load_json(body, page), page)
    _check_page_number(meta, expected_page)
    pages, total = _int(meta, "pages", page), _int(meta, "total", page)
    records = _record_list(records, total, page)
    rows = [_row(record, page, i) for i, record in enumerate(records, start=1)]
    lastupdated = meta.get("lastupdated")
    return _Page(expected_page, pages, total, None if lastupdated is None else str(lastupdated), rows, _indicator(records))


def _check_same_dataset(first: _Page, page: _Page) -> None:
    for label, attr in (("page count", "pages"), ("total", "total"), ("last-updated date", "lastupdated")):
        a, b = getattr(first, attr), getattr(page, attr)
        if a != b:
            raise ExtractError(
                f"the {label} changed from {a!r} (page 1) to {b!r} during the fetch: "
                "the indicator was revised meanwhile; fetch it again",
                page=page.number,
            )


def _frame(pages: list[_Page]) -> pd.DataFrame:
    first = pages[0]
    rows = [r for p in pages for r in p.rows]
    if len(rows) != first.total:
        raise ExtractError(f"got {len(rows)} record(s) in {len(pages)} page(s) but the metadata says total={first.total}")
    frame = pd.DataFrame(
        {
            "country_name": pd.Series([r[0] for r in rows], dtype=object),
            "country_code": pd.Series([r[1] for r in rows], dtype=object),
            "year": pd.Series([r[2] for r in rows], dtype="int64"),
            "value": pd.Series([r[3] for r in rows], dtype="float64"),
        }
    )
    indicator = next((p.indicator for p in pages if p.indicator != (None, None)), (None, None))
    frame.attrs.update(
        {
            "indicator_id": indicator[0],
            "indicator_name": indicator[1],
            "lastupdated": first.lastupdated,
            "total": first.total,
            "pages": first.pages,
        }
    )
    return frame


def parse_world_bank_pages(pages: list[bytes]) -> pd.DataFrame:
    """Parse already fetched page bodies (page 1 first) into one frame; all pages must be there."""
    if not pages:
        raise ExtractError("no pages to parse")
    parsed: list[_Page] = []
    for number, body in enumerate(pages, start=1):
        page = _parse_page(body, number)
        if parsed:
            _check_same_dataset(parsed[0], page)
        parsed.append(page)
    expected = max(parsed[0].pages, 1)  # an empty result says pages=0 but is one body
    if len(parsed) != expected:
        raise ExtractError(f"got {len(parsed)} page body(ies) but the API reports {expected} page(s)")
    return _frame(parsed)
