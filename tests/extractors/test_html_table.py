"""read_html_table / parse_number / parse_range on an HTML page generated here (invented data)."""
from __future__ import annotations

import math

import pytest

from flows.extractors.errors import ExtractError
from flows.extractors.html_table import clean_cell, parse_number, parse_range, read_html_table

NBSP, NNBSP = "\u00a0", "\u202f"

# A messy page: a layout table first, then the data table with a caption, a two-row header
# (rowspan + colspan, a <br> and a footnote <sup> in a header), footnote marks in the body,
# thousands separators with ordinary / non-breaking / narrow spaces, missing markers, a
# rowspan cell, a colspan cell, a range, an empty row and a <tfoot> written before <tbody>.
MESSY_PAGE = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test page (invented data)</title>
<style>td {{ color: red }}</style><script>var rows = "<table>";</script></head>
<body>
<table id="nav"><tr><td>Home</td><td>About</td></tr></table>
<p>Some text before the table.</p>
<table class="data">
  <caption>Table 3. Foreign fighters by country<sup>1</sup> (invented test data)</caption>
  <thead>
    <tr><th rowspan="2">Region</th><th rowspan="2">Country</th>
        <th colspan="2">Foreign<br/>fighters<sup>[1]</sup></th><th rowspan="2">Returned</th></tr>
    <tr><th>Estimate</th><th>Range</th></tr>
  </thead>
  <tfoot>
    <tr><td colspan="2">Total</td><td>8,084</td><td></td><td>3,063</td></tr>
  </tfoot>
  <tbody>
    <tr><td rowspan="2">West</td><td>  Atlantis
        </td><td>3,417<sup>a</sup></td><td>720–760</td><td>2,926*</td></tr>
    <tr><td>Borduria<sup><a href="#n2">[2]</a></sup></td><td>3{NBSP}417</td><td>n/a</td><td>–</td></tr>
    <tr><td>East</td><td>Syldavia†</td><td>1{NNBSP}250</td><td>1,000 to 1,500</td><td>—</td></tr>
    <tr><td></td><td> </td><td></td><td></td><td></td></tr>
    <tr><td>East</td><td>Zembla [3]</td><td colspan="2">-</td><td>137b</td></tr>
  </tbody>
</table>
<p><sup>a</sup> estimate. * includes dual nationals.</p>
</body></html>
"""

COLUMNS = ["Region", "Country", "Foreign fighters Estimate", "Foreign fighters Range", "Returned"]
ROWS = [
    ["West", "Atlantis", "3,417", "720–760", "2,926"],
    ["West", "Borduria", "3 417", None, None],
    ["East", "Syldavia", "1 250", "1,000 to 1,500", None],
    ["East", "Zembla", None, None, "137"],
    ["Total", "Total", "8,084", None, "3,063"],
]


@pytest.fixture(scope="module")
def table():
    return read_html_table(MESSY_PAGE.encode("utf-8"), match="foreign  FIGHTERS")


def test_header_levels_are_joined_and_cells_cleaned(table):
    assert list(table.columns) == COLUMNS
    assert table.values.tolist() == ROWS
    assert table.attrs == {"caption": "Table 3. Foreign fighters by country (invented test data)", "table_index": 1}


def test_missing_cells_are_none_and_everything_else_is_str(table):
    for value in table.to_numpy().ravel():
        assert value is None or type(value) is str
    assert table.loc[1, "Returned"] is None  # "–"
    assert table.loc[1, "Foreign fighters Range"] is None  # "n/a"
    assert table.loc[2, "Returned"] is None  # "—"
    assert table.loc[3, "Foreign fighters Estimate"] is None  # "-" spanning two columns


def test_numbers_and_ranges_parse_from_the_cleaned_cells(table):
    assert [parse_number(v) for v in table["Foreign fighters Estimate"]] == [3417.0, 3417.0, 1250.0, None, 8084.0]
    assert [parse_number(v) for v in table["Returned"]] == [2926.0, None, None, 137.0, 3063.0]
    assert [parse_range(v) for v in table["Foreign fighters Range"]] == [
        (720.0, 760.0), (None, None), (1000.0, 1500.0), (None, None), (None, None),
    ]


def test_index_picks_among_all_tables_without_match():
    nav = read_html_table(MESSY_PAGE.encode(), index=0, header_rows=0)
    assert nav.values.tolist() == [["Home", "About"]]
    assert list(nav.columns) == ["column_1", "column_2"]
    assert list(read_html_table(MESSY_PAGE.encode(), index=1).columns) == COLUMNS


def test_no_matching_table_is_a_clear_error():
    with pytest.raises(ExtractError, match=r"no table contains 'returnees by year' \(2 table\(s\) in the document"):
        read_html_table(MESSY_PAGE.encode(), match="returnees by year")
    with pytest.raises(ExtractError, match=r"table index 1 requested but the document has 1 table\(s\) containing 'Atlantis'"):
        read_html_table(MESSY_PAGE.encode(), match="Atlantis", index=1)


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty document"),
        (b"   \n", "empty document"),
        (b"<html><body><p>No tables here.</p></body></html>", "no <table> element in the document"),
        (b"%PDF-1.7\n\x00\x01binary", "no <table> element"),
        (b"<table></table>", "has no rows"),
    ],
)
def test_unusable_documents_raise(raw, reason):
    with pytest.raises(ExtractError, match=reason):
        read_html_table(raw)


def test_first_row_is_the_header_when_no_th_and_nested_table_wins():
    page = b"""<table><tr><td>Outer</td><td>
        <table><tr><td>Country</td><td>Travelled</td></tr>
               <tr><td>Atlantis</td><td>12</td></tr></table></td></tr></table>"""
    inner = read_html_table(page, match="travelled")
    assert list(inner.columns) == ["Country", "Travelled"]
    assert inner.values.tolist() == [["Atlantis", "12"]]
    assert inner.attrs["table_index"] == 1


def test_declared_legacy_encoding_is_honoured():
    page = '<html><head><meta charset="windows-1252"></head><body><table>' \
           "<tr><th>Country</th><th>Travelled</th></tr><tr><td>Curaçao</td><td>1\u00a0000</td></tr></table></body></html>"
    frame = read_html_table(page.encode("cp1252"))
    assert frame.values.tolist() == [["Curaçao", "1 000"]]


def test_repeated_and_blank_header_names_are_made_unique():
    page = b"<table><tr><th>Value</th><th></th><th>Value</th></tr><tr><td>1</td><td>2</td><td>3</td></tr></table>"
    assert list(read_html_table(page).columns) == ["Value", "column_2", "Value.1"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3,417", 3417.0), ("3 417", 3417.0), (f"3{NBSP}417", 3417.0), (f"3{NNBSP}417", 3417.0),
        ("3'417", 3417.0), ("1,234,567", 1234567.0), ("2,926*", 2926.0), ("3,417a", 3417.0),
        ("470 (b)", 470.0), ("118[4]", 118.0), ("250†‡", 250.0), ("12.5", 12.5), ("−3", -3.0),
        ("0", 0.0), ("n/a", None), ("N/A", None), ("–", None), ("—", None), ("-", None),
        ("", None), ("  ", None), ("..", None), (None, None), (42, 42.0), (math.nan, None),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "1,5", "12%", "more than 500", "c. 500", "720–760", "3,41", "1 2", "5k", "1.2m", True])
def test_parse_number_refuses_what_it_cannot_read_exactly(text):
    with pytest.raises(ExtractError, match="is not a number"):
        parse_number(text)


def test_parse_number_error_says_where():
    with pytest.raises(ExtractError) as info:
        parse_number("abc", row=12, column="value")
    assert str(info.value) == "row 12, column 'value': 'abc' is not a number"
    assert (info.value.row, info.value.column, info.value.reason) == (12, "value", "'abc' is not a number")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("720-760", (720.0, 760.0)), ("720–760", (720.0, 760.0)), ("720 — 760", (720.0, 760.0)),
        ("720 to 760", (720.0, 760.0)), ("1,000 TO 1,500", (1000.0, 1500.0)),
        ("between 5 and 10", (5.0, 10.0)), ("3,000–3,500*", (3000.0, 3500.0)), ("750", (750.0, 750.0)),
        ("n/a", (None, None)), (None, (None, None)),
    ],
)
def test_parse_range(text, expected):
    assert parse_range(text) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("720–", "is not a number or a range"), ("about 700", "is not a number or a range"),
        ("500+", "is not a number or a range"), ("up to 100", "is not a number or a range"),
        ("720–x", "is not a number or a range"), ("760–720", "low end is above its high end"),
    ],
)
def test_parse_range_refuses_garbage(text, reason):
    with pytest.raises(ExtractError, match=reason):
        parse_range(text, column="range")


def test_clean_cell_keeps_text_and_letters_that_are_not_marks():
    assert clean_cell("  Bosnia and\nHerzegovina ") == "Bosnia and Herzegovina"
    assert clean_cell("Belgium*") == "Belgium"
    assert clean_cell("1.2m") == "1.2m"  # 'm' (million) is not a footnote mark
    assert clean_cell("Table 7") == "Table 7"
