"""Tables and text out of a PDF, with pdfplumber.

    read_pdf_tables(raw)            -> [PdfTable(page=1, rows=[[...], ...], header=[...]), ...]
    pdf_table_frame(raw, match=...) -> DataFrame (header → columns, plus a `page` column)
    read_pdf_text(raw)              -> [(1, "text of page 1"), ...]

Per page, the ruled strategy (drawn lines, ``page.extract_tables()``) is tried first; a page
where it finds no usable table (at least 2 columns and 2 non-blank rows) is read again with
the text strategy (columns and rows guessed from the alignment of words). The text strategy
inserts blank rows between data rows and may produce blank columns: both are removed; it also
stretches a table over the title and notes around it, cutting their words at column edges:
leading/trailing rows in which a word crosses a column edge are dropped. It remains a
heuristic — a wrapped cell becomes two rows, a short title that fits in one column stays a
row, aligned prose can look like a table — so per-source extractors should select with
`match` and check what they read.

Cells are cleaned like HTML cells (`clean_cell`): whitespace (line breaks inside a cell
included) normalised, trailing footnote marks removed, "–", "n/a", "" → None. Numbers stay text.
Pages are numbered from 1, as printed by a PDF viewer (not the page labels printed on paper).
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
import pdfplumber

from flows.extractors.errors import ExtractError
from flows.extractors.html_table import clean_cell, normalise_space, unique_column_names

__all__ = ["PdfTable", "read_pdf_tables", "pdf_table_frame", "read_pdf_text", "TEXT_STRATEGY"]

TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}


@dataclass(frozen=True)
class PdfTable:
    """One table found on one page: `header` (unique column names) and data `rows`."""

    page: int  # 1-based
    rows: list[list[str | None]]
    header: list[str]
    strategy: str = field(default="lines")  # "lines" (ruled) or "text" (aligned words)

    def text(self) -> str:
        """All cell texts, for matching."""
        cells = [*self.header, *(c for r in self.rows for c in r if c is not None)]
        return normalise_space(" ".join(cells))


def _describe_pdf_error(exc: BaseException) -> str:
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name:
        return "the PDF is encrypted and needs a password"
    detail = str(inner).strip()
    return f"corrupt or unreadable PDF ({name}{': ' + detail if detail else ''})"


@contextmanager
def _open_pdf(raw: bytes) -> Iterator[pdfplumber.PDF]:
    if not raw:
        raise ExtractError("empty document: no bytes to read as a PDF")
    if b"%PDF-" not in raw[:1024]:
        raise ExtractError(f"not a PDF: no %PDF- header (starts with {raw[:20]!r})")
    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
    except Exception as exc:  # pdfminer raises many unrelated types for broken files
        raise ExtractError(_describe_pdf_error(exc)) from None
    try:
        try:
            pages = len(pdf.pages)
        except Exception as exc:
            raise ExtractError(_describe_pdf_error(exc)) from None
        if pages == 0:
            raise ExtractError("the PDF has no pages")
        yield pdf
    finally:
        pdf.close()


def _clean_table(table: list[list[str | None]], strategy: str) -> list[list[str | None]]:
    rows = [[clean_cell(c) for c in row] for row in table]
    rows = [r for r in rows if any(c is not None for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    if strategy == "text":  # the text strategy makes gutters into empty columns
        keep = [j for j in range(width) if any(r[j] is not None for r in rows)]
        rows = [[r[j] for j in keep] for r in rows]
    return rows


def _usable(rows: list[list[str | None]]) -> bool:
    return len(rows) >= 2 and len(rows[0]) >= 2


def _crosses_an_edge(row, inner_edges: list[float], words: list[dict]) -> bool:
    top, bottom = row.bbox[1], row.bbox[3]
    return any(
        top <= (w["top"] + w["bottom"]) / 2 < bottom and any(w["x0"] + 1 < e < w["x1"] - 1 for e in inner_edges)
        for w in words
    )


def _text_strategy_tables(page) -> list[list[list[str | None]]]:
    """Tables found by word alignment, without the prose lines caught at their top and bottom.

    The text strategy stretches a table over the title, captions and notes around it, cutting
    their words at the column edges ("Table 1. Women and minor" | "s"). A leading or trailing
    row in which a word crosses a column edge is such a line and is dropped. Rows inside the
    table are never dropped (a garbled row stays visible to the caller's checks).
    """
    words = page.extract_words()
    tables = []
    for table in page.find_tables(TEXT_STRATEGY):
        edges = sorted({x for row in table.rows for cell in row.cells if cell for x in (cell[0], cell[2])})
        inner = edges[1:-1]
        rows = list(zip(table.rows, table.extract()))
        blank = lambda cells: all(not (c or "").strip() for c in cells)  # noqa: E731
        while rows and (blank(rows[0][1]) or _crosses_an_edge(rows[0][0], inner, words)):
            rows.pop(0)
        while rows and (blank(rows[-1][1]) or _crosses_an_edge(rows[-1][0], inner, words)):
            rows.pop()
        tables.append([cells for _, cells in rows])
    return tables


def _page_tables(page, number: int) -> list[PdfTable]:
    found: list[PdfTable] = []
    for strategy in ("lines", "text"):
        for table in page.extract_tables() if strategy == "lines" else _text_strategy_tables(page):
            rows = _clean_table(table, strategy)
            if _usable(rows):
                found.append(PdfTable(page=number, rows=rows[1:], header=unique_column_names(rows[0]), strategy=strategy))
        if found:
            break
    return found


def _read_tables(raw: bytes) -> tuple[list[PdfTable], int]:
    tables: list[PdfTable] = []
    with _open_pdf(raw) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            try:
                tables.extend(_page_tables(page, number))
            except ExtractError:
                raise
            except Exception as exc:
                raise ExtractError(_describe_pdf_error(exc), page=number) from None
        return tables, len(pdf.pages)


def read_pdf_tables(raw: bytes) -> list[PdfTable]:
    """Every table of every page, in page order (ruled first; text strategy on pages without one).

    A PDF without any table gives []. Empty, corrupt, encrypted or non-PDF input → `ExtractError`.
    """
    return _read_tables(raw)[0]


def pdf_table_frame(raw: bytes, *, match: str | None = None) -> pd.DataFrame:
    """The first table containing `match` (or the first table) as a DataFrame, with a `page` column.

    Later tables with exactly the same header (a table continued on the next pages with its
    header repeated) are appended — among those containing `match` when it is given. Cells
    are str or None; `page` is an int. The frame's ``attrs`` hold ``pages`` (the pages read)
    and ``strategy``.
    """
    tables, page_count = _read_tables(raw)
    if not tables:
        raise ExtractError(f"no table found on any of the {page_count} page(s)")
    candidates = tables
    if match is not None:
        needle = normalise_space(match).casefold()
        candidates = [t for t in tables if needle in t.text().casefold()]
        if not candidates:
            seen = "; ".join(f"page {t.page}: {', '.join(t.header)[:60]!r}" for t in tables[:5])
            raise ExtractError(f"no table contains {match!r} ({len(tables)} table(s) found: {seen})")
    first = candidates[0]
    parts = [t for t in candidates if t.header == first.header]
    columns = unique_column_names([*first.header, "page"])
    width = len(first.header)
    body = [[*(r + [None] * (width - len(r)))[:width], t.page] for t in parts for r in t.rows]
    if body:
        frame = pd.DataFrame(body, columns=columns, dtype=object)
    else:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame[columns[-1]] = frame[columns[-1]].astype("int64")
    frame.attrs.update({"pages": sorted({t.page for t in parts}), "strategy": sorted({t.strategy for t in parts})})
    return frame


def read_pdf_text(raw: bytes) -> list[tuple[int, str]]:
    """(page number, text) for every page; a page without text gives "".

    A PDF with no extractable text on any page (a scan without OCR) → `ExtractError`.
    """
    out: list[tuple[int, str]] = []
    with _open_pdf(raw) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            try:
                out.append((number, page.extract_text() or ""))
            except Exception as exc:
                raise ExtractError(_describe_pdf_error(exc), page=number) from None
    if not any(text.strip() for _, text in out):
        raise ExtractError(f"no extractable text on any of the {len(out)} page(s) (a scanned PDF needs OCR)")
    return out
