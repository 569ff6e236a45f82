"""read_table_file on CSV and XLSX files written here (invented data, fictional countries)."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from flows.extractors.errors import ExtractError
from flows.extractors.spreadsheet import read_table_file


def test_csv_with_bom_and_semicolons():
    text = (
        "country;travelled;returned;note\r\n"
        "Atlantis;1.910; 271 ;\"estimate; see annex\"\r\n"
        "\r\n"
        "Borduria;;118;\"two\nlines\"\r\n"
        ";;;\r\n"
        "Syldavia;3,417;n/a;\r\n"
    )
    frame = read_table_file(b"\xef\xbb\xbf" + text.encode("utf-8"), name="estimates.csv")
    assert list(frame.columns) == ["country", "travelled", "returned", "note"]  # no BOM in the first name
    assert frame.values.tolist() == [
        ["Atlantis", "1.910", "271", "estimate; see annex"],
        ["Borduria", None, "118", "two\nlines"],
        ["Syldavia", "3,417", "n/a", None],  # a curated file is not "cleaned": n/a stays as written
    ]
    assert frame.attrs == {"format": "csv", "delimiter": ";"}
    assert all(str(t) == "object" for t in frame.dtypes)


@pytest.mark.parametrize(
    "text, delimiter",
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a\tb\tc\n1\t2,5\t3\n", "\t"),
        ('name,value\n"Atlantis; West",3\n"Borduria; East",4\n', ","),
        ("a;b\n1,5;2,5\n3,5;4\n", ";"),
    ],
)
def test_delimiter_is_sniffed(text, delimiter):
    frame = read_table_file(text.encode(), name="x.csv")
    assert frame.attrs["delimiter"] == delimiter
    assert len(frame.columns) == len(text.splitlines()[0].split(delimiter))


def test_header_only_csv_gives_an_empty_frame_with_columns():
    frame = read_table_file(b"country,value\n", name="empty_body.csv")
    assert list(frame.columns) == ["country", "value"] and len(frame) == 0


def test_skip_rows_and_unique_names():
    text = "Table 2 (invented)\ncountry,value,value,\nAtlantis,1,2,\n"
    frame = read_table_file(text.encode(), name="t.csv", skip_rows=1)
    assert list(frame.columns) == ["country", "value", "value.1"]  # trailing empty column dropped
    assert frame.values.tolist() == [["Atlantis", "1", "2"]]


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "Figures"
    ws.append(["Region", "Country", "Travelled", "Share", "As of", "Checked"])
    ws.append(["West", "Atlantis", 3417, 0.25, dt.date(2015, 12, 1), True])
    ws.append([None, "Borduria", 470.0, None, dt.datetime(2017, 10, 1, 9, 30), False])
    ws.append(["East", "  Syldavia ", "1,910", 1.5, None, None])
    ws.append([None, None, None, None, None, None])
    ws.merge_cells("A2:A3")  # "West" covers two rows
    notes = book.create_sheet("Notes")
    notes.append(["note"])
    notes.append(["invented test data"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xlsx_cells_are_text():
    frame = read_table_file(_xlsx(), name="figures.xlsx")
    assert list(frame.columns) == ["Region", "Country", "Travelled", "Share", "As of", "Checked"]
    assert frame.values.tolist() == [
        ["West", "Atlantis", "3417", "0.25", "2015-12-01", "TRUE"],
        ["West", "Borduria", "470", None, "2017-10-01T09:30:00", "FALSE"],
        ["East", "Syldavia", "1,910", "1.5", None, None],
    ]
    assert frame.attrs == {"format": "xlsx"}


def test_xlsx_sheet_by_name_or_index_and_by_content():
    assert read_table_file(_xlsx(), name="figures.xlsx", sheet="Notes").values.tolist() == [["invented test data"]]
    assert read_table_file(_xlsx(), name="figures.xlsx", sheet=1).values.tolist() == [["invented test data"]]
    assert len(read_table_file(_xlsx(), name="download")) == 3  # no suffix: the ZIP signature decides
    with pytest.raises(ExtractError, match=r"figures.xlsx: no sheet 'Summary' \(sheets: Figures, Notes\)"):
        read_table_file(_xlsx(), name="figures.xlsx", sheet="Summary")


def test_xlsx_formula_without_saved_value_is_an_error_not_a_blank():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["a", "b", "total"])
    book.active.append([1, 2, "=A2+B2"])
    buf = io.BytesIO()
    book.save(buf)
    with pytest.raises(ExtractError, match=r"sum.xlsx: cell C2 has the formula '=A2\+B2' but no saved value"):
        read_table_file(buf.getvalue(), name="sum.xlsx")


@pytest.mark.parametrize(
    "raw, name, message",
    [
        (b"", "a.csv", r"^a.csv: empty file$"),
        (b"\xef\xbb\xbf\r\n  \n", "a.csv", r"^a.csv: empty file$"),
        ("country,value\nCuraçao,3\n".encode("latin-1"), "a.csv", r"^a.csv: not UTF-8 \(byte 0xe7 at offset 18, line 2\)"),
        ("country,value\n".encode("utf-16"), "a.csv", r"^a.csv: binary data \(NUL bytes\)"),
        (b"country,value\nAtlantis,1\nBorduria,2,extra\n", "a.csv", r"^row 3: a.csv: 3 fields but the header \(row 1\) has 2$"),
        (b'country,value\n"Atlantis,1\n', "a.csv", r"^a.csv: unreadable CSV at line 2"),
        (b"PK\x03\x04 this is not a workbook", "a.xlsx", r"^a.xlsx: not a readable XLSX workbook \(BadZipFile"),
        (b"country,value\n", "a.xlsx", r"^a.xlsx: not a readable XLSX workbook"),
        (b"\xd0\xcf\x11\xe0 old excel", "a.xls", r"^a.xls: legacy .xls \(BIFF\) is not supported"),
    ],
    ids=["empty", "bom-and-blanks", "latin1", "utf16", "ragged", "open-quote", "bad-zip", "csv-named-xlsx", "xls"],
)
def test_unreadable_files_raise_extract_error(raw, name, message):
    with pytest.raises(ExtractError, match=message):
        read_table_file(raw, name=name)
