"""read_pdf_tables / pdf_table_frame / read_pdf_text on PDFs rendered here with reportlab."""
from __future__ import annotations

import io

import pytest

from flows.extractors.errors import ExtractError
from flows.extractors.pdf_table import PdfTable, pdf_table_frame, read_pdf_tables, read_pdf_text

from .conftest import PDF_TABLE, _draw_table, make_pdf

HEADER = ["Country", "Travelled", "Returned"]
ROWS = [  # PDF_TABLE as the extractor must return it: marks removed, "–" → None
    ["Atlantis", "3,417", "2,926"],
    ["Borduria", "470", "118"],
    ["Syldavia", "1,910", None],
    ["Zembla", "850", "425"],
]


def test_ruled_and_unruled_layouts_give_the_same_rows(two_layout_pdf):
    tables = read_pdf_tables(two_layout_pdf)
    assert [(t.page, t.strategy) for t in tables] == [(1, "lines"), (2, "text")]
    for t in tables:
        assert isinstance(t, PdfTable)
        assert t.header == HEADER
        assert t.rows == ROWS  # no blank rows left by the text strategy


def test_frame_has_header_columns_and_pages(two_layout_pdf):
    frame = pdf_table_frame(two_layout_pdf)
    assert list(frame.columns) == [*HEADER, "page"]
    assert frame[HEADER].values.tolist() == ROWS + ROWS
    assert frame["page"].tolist() == [1] * 4 + [2] * 4
    assert str(frame["page"].dtype) == "int64"
    assert frame.attrs["pages"] == [1, 2]


def test_match_selects_tables_and_reports_what_it_found(two_layout_pdf):
    assert len(pdf_table_frame(two_layout_pdf, match="zembla")) == 8
    with pytest.raises(ExtractError, match=r"no table contains 'Returnees by year' \(2 table\(s\) found: page 1: 'Country, Travelled, Returned'"):
        pdf_table_frame(two_layout_pdf, match="Returnees by year")


def test_tables_on_later_pages_with_another_header_are_kept_apart():
    other = [["Region", "Women", "Minors"], ["North", "12", "30"], ["South", "7", "n/a"]]
    raw = make_pdf([
        lambda c: _draw_table(c, other, ruled=False, title="Table 1. Women and minors"),
        lambda c: _draw_table(c, PDF_TABLE, ruled=True, title="Table 2. Travelled and returned"),
    ])
    first = pdf_table_frame(raw)
    assert list(first.columns) == ["Region", "Women", "Minors", "page"]
    assert first.values.tolist() == [["North", "12", "30", 1], ["South", "7", None, 1]]
    second = pdf_table_frame(raw, match="Travelled")
    assert second["page"].unique().tolist() == [2]
    assert second[HEADER].values.tolist() == ROWS


def test_read_pdf_text_numbers_pages(two_layout_pdf):
    pages = read_pdf_text(two_layout_pdf)
    assert [n for n, _ in pages] == [1, 2]
    assert "Table 1. Ruled layout" in pages[0][1]
    assert "Table 2. Unruled layout" in pages[1][1]
    assert "Atlantis 3,417a 2,926*" in pages[1][1]  # text is verbatim, marks included


def _encrypted_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt="secret")
    c.drawString(72, 700, "locked")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(
    "make_raw, reason",
    [
        (lambda good: b"", "empty document"),
        (lambda good: b"<html><body>not a pdf</body></html>", "not a PDF: no %PDF- header"),
        (lambda good: good[: len(good) // 2], "corrupt or unreadable PDF"),
        (lambda good: good[:300], "corrupt or unreadable PDF"),
        (lambda good: _encrypted_pdf(), "encrypted and needs a password"),
    ],
    ids=["empty", "html", "truncated-half", "truncated-head", "encrypted"],
)
@pytest.mark.parametrize("reader", [read_pdf_tables, pdf_table_frame, read_pdf_text])
def test_broken_pdfs_raise_extract_error(two_layout_pdf, make_raw, reason, reader):
    with pytest.raises(ExtractError, match=reason):
        reader(make_raw(two_layout_pdf))


def test_pdf_without_tables_or_text():
    blank = make_pdf([lambda c: None, lambda c: None])
    assert read_pdf_tables(blank) == []
    with pytest.raises(ExtractError, match=r"no table found on any of the 2 page\(s\)"):
        pdf_table_frame(blank)
    with pytest.raises(ExtractError, match="no extractable text on any of the 2 page"):
        read_pdf_text(blank)


def test_aligned_prose_is_not_a_table():
    def prose(c):
        text = c.beginText(72, 780)
        for i in range(30):
            text.textLine(f"This is prose line number {i} of a report about nothing much at all really.")
        c.drawText(text)

    assert read_pdf_tables(make_pdf([prose])) == []
