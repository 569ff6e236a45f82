"""CSV and XLSX files as DataFrames of strings.

    read_table_file(raw, name="estimates.csv")  -> DataFrame   # every cell a str or None

The format is chosen by the file name (``.csv``/``.tsv``/``.txt`` → CSV, ``.xlsx``/``.xlsm`` →
XLSX), falling back to the content (a ZIP container is XLSX). The first row read (after
`skip_rows`) is the header; blank names become ``column_<n>``, repeats get ".1", ".2".

CSV: UTF-8, with or without a byte-order mark (anything else is refused, not guessed); the
delimiter (``,`` ``;`` or tab) is sniffed from the first lines; quoted fields may hold
delimiters and line breaks. XLSX (openpyxl): the first sheet unless `sheet` says otherwise;
cached values of formulas (a formula without a cached value is an error, not a blank);
merged cells copy their value into every cell they cover; integers are written without
".0", dates as ISO 8601.

Cells are stripped of surrounding whitespace and "" becomes None; nothing else is changed
(no footnote or number cleaning: a curated file says exactly what it means). Fully blank rows
are skipped. A data row with more fields than the header is an error; shorter rows are padded.
Empty, binary, non-UTF-8 or unreadable input → `ExtractError`.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import PurePath
from typing import Any

import pandas as pd

from flows.extractors.errors import ExtractError
from flows.extractors.html_table import unique_column_names

__all__ = ["read_table_file", "DELIMITERS"]

DELIMITERS = (",", ";", "\t")
_CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}


def read_table_file(
    raw: bytes,
    *,
    name: str,
    sheet: str | int | None = None,
    skip_rows: int = 0,
) -> pd.DataFrame:
    """Read a CSV or XLSX file (chosen by `name`, see the module doc) with every cell as text.

    `sheet`: XLSX sheet name or 0-based index (default: the first sheet).
    `skip_rows`: raw rows to skip before the header (a title above the table).
    The frame's ``attrs`` hold ``format`` ("csv"/"xlsx") and, for CSV, ``delimiter``.
    """
    if not raw or not raw.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise ExtractError(f"{name}: empty file")
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xls":
        raise ExtractError(f"{name}: legacy .xls (BIFF) is not supported; save it as .xlsx or .csv")
    if suffix in _XLSX_SUFFIXES or (suffix not in _CSV_SUFFIXES and raw[:4] == b"PK\x03\x04"):
        rows, attrs = _xlsx_rows(raw, name, sheet), {"format": "xlsx"}
    else:
        rows, delimiter = _csv_rows(raw, name)
        attrs = {"format": "csv", "delimiter": delimiter}
    return _frame(rows[skip_rows:], name, attrs, first_row=skip_rows + 1)


# --------------------------------------------------------------------------- CSV


def _decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw:   # anywhere in the document, not only at its start
        at = raw.index(b"\x00")
        raise ExtractError(f"{name}: binary data (NUL bytes), not a text CSV (UTF-16 or a spreadsheet?); "
                           f"the first NUL is at offset {at}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ExtractError(
            f"{name}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}, line {line}); re-save it as UTF-8"
        ) from None


def _sniff(text: str) -> str:
    """The delimiter that splits most of the first lines into the same number (>1) of fields;
    ties go to the wider split, then to the order of DELIMITERS. "," when none splits."""
    sample = text[:65536]
    lines = sample.splitlines()
    if len(sample) == 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    sample = "\n".join(lines[:50])
    best, best_score = ",", (-1, 0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(f.strip() for f in r)]
        except csv.Error:
            continue
        if not counts:
            continue
        modal = max(set(counts), key=lambda n: (counts.count(n), n))
        if modal < 2:  # most lines are not split by this character: not the delimiter
            continue
        score = (counts.count(modal), modal, -DELIMITERS.index(delimiter))  # most consistent rows, then widest
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(raw: bytes, name: str) -> tuple[list[list[Any]], str]:
    text = _decode(raw, name)
    delimiter = _sniff(text)
    rows: list[list[Any]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise ExtractError(f"{name}: unreadable CSV at line {reader.line_num} ({exc})") from None
    return rows, delimiter


# --------------------------------------------------------------------------- XLSX


def _xlsx_rows(raw: bytes, name: str, sheet: str | int | None) -> list[list[Any]]:
    import openpyxl  # imported here: only spreadsheet sources pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # BadZipFile, openpyxl's InvalidFileException, KeyError, XML errors, ...
        raise ExtractError(f"{name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    names = book.sheetnames
    try:
        ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet] if sheet is not None else book.worksheets[0]
    except (KeyError, IndexError):
        raise ExtractError(f"{name}: no sheet {sheet!r} (sheets: {', '.join(names)})") from None

    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    for merged in ws.merged_cells.ranges:  # copy the top-left value over the merged area
        top_left = ws.cell(merged.min_row, merged.min_col).value
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                    grid[r - 1][c - 1] = top_left

    if any(v is None for row in grid for v in row):
        _refuse_uncached_formulas(raw, ws.title, grid, name)
    return [[_xlsx_text(v) for v in row] for row in grid]


def _refuse_uncached_formulas(raw: bytes, title: str, grid: list[list[Any]], name: str) -> None:
    import openpyxl
    from openpyxl.utils import get_column_letter

    formulas = openpyxl.load_workbook(io.BytesIO(raw), data_only=False)[title]
    for r, row in enumerate(formulas.iter_rows(values_only=True), start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, str) and value.startswith("=") and grid[r - 1][c - 1] is None:
                raise ExtractError(
                    f"{name}: cell {get_column_letter(c)}{r} has the formula {value!r} but no saved value; "
                    "open and save the file in a spreadsheet application",
                )


def _xlsx_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- frame


def _frame(rows: list[list[Any]], name: str, attrs: dict, first_row: int) -> pd.DataFrame:
    cleaned: list[tuple[int, list[str | None]]] = []
    for number, row in enumerate(rows, start=first_row):
        cells = [(str(v).strip() or None) if v is not None else None for v in row]
        if any(c is not None for c in cells):
            cleaned.append((number, cells))
    if not cleaned:
        raise ExtractError(f"{name}: no rows (no header, no data)")
    header_line, header = cleaned[0]
    while header and header[-1] is None and all(len(r) < len(header) or r[len(header) - 1] is None for _, r in cleaned[1:]):
        header = header[:-1]  # trailing empty columns (spreadsheet formatting, trailing delimiters)
    width = len(header)
    columns = unique_column_names(header)
    body = []
    for line, cells in cleaned[1:]:
        extra = cells[width:]
        if any(c is not None for c in extra):
            last = max(i for i, c in enumerate(cells) if c is not None) + 1
            raise ExtractError(f"{name}: {last} fields but the header (row {header_line}) has {width}", row=line)
        body.append(cells[:width] + [None] * (width - len(cells[:width])))
    if body:
        frame = pd.DataFrame(body, columns=columns, dtype=object)
    else:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame.attrs.update(attrs)
    return frame
