"""Read one table out of an HTML page, cleaned but still as text.

    read_html_table(raw, match="Foreign fighters") -> DataFrame   # every cell a str or None
    parse_number("3,417")        -> 3417.0
    parse_range("720–760")       -> (720.0, 760.0)

What the reader does, and nothing more (the per-source extractor decides what a cell means):

* picks the table whose text (caption included) contains `match` (case-insensitive,
  whitespace-insensitive), else the `index`-th table; a table nested in a matching table wins
  over its parent;
* lays the cells out on a grid: `colspan`/`rowspan` copy the cell's text into every slot it
  covers (in the header and in the body);
* header rows (``<thead>``, else the leading rows made only of ``<th>``, else the first row)
  become column names, levels joined with " " ("Foreign fighters" over "Low" →
  "Foreign fighters Low"); blank names become ``column_<n>``, repeats get ".1", ".2";
* cleans each cell: drops ``<sup>`` (footnote marks, so also "km<sup>2</sup>" → "km"),
  ``<script>``/``<style>`` and hidden elements, trailing marks (``*``, ``†``, ``‡``, ``§``,
  ``¶``, ``#``, superscript characters, ``[1]``/``[a]``/``[note 3]``/``[citation needed]``,
  and a letter ``a``–``j`` or ``(a)`` glued to a number: "3,417a" → "3,417"), normalises
  whitespace (non-breaking and thin spaces, ``<br>``, paragraphs → one space);
* "", "-", "–", "—", "n/a", "n.a.", "..", "…" become None.

Numbers are *not* converted in the frame: "3,417", "3 417" and "720–760" stay text; use
`parse_number` / `parse_range`, which raise `ExtractError` for anything they cannot read
with certainty ("1,5", "more than 500", "12%"), so qualifiers are never silently dropped.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import lxml.etree
import lxml.html
import pandas as pd
from bs4.dammit import UnicodeDammit

from flows.extractors.errors import ExtractError

__all__ = [
    "read_html_table",
    "parse_number",
    "parse_range",
    "clean_cell",
    "normalise_space",
    "unique_column_names",
    "MISSING_MARKERS",
]

# Cell texts that mean "no value" (compared after cleaning, case-insensitively).
MISSING_MARKERS = frozenset(
    {"", "-", "--", "‐", "‑", "‒", "–", "—", "―", "−", "n/a", "n.a.", "n.a", "..", "...", "…"}
)

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"\s+")
_TRAILING_MARKS = [
    re.compile(r"\s*[*†‡§¶#]+$"),
    re.compile(r"\s*[\u00b9\u00b2\u00b3\u2070-\u209f]+$"),  # superscript digits/letters
    re.compile(r"\s*\[(?:\d{1,3}|[a-z]{1,2}|[ivx]{1,4}|note\s*\w{1,4}|nb\s*\d{1,3}|citation needed)\]$", re.I),
    re.compile(r"(?<=\d)(?:\s?\([a-j]\)|[a-j])$"),  # "3,417a", "720–760 (b)"; not k/m (thousand/million)
]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BLOCK_TAGS = ("p", "div", "li", "ul", "ol", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table")


def normalise_space(text: str) -> str:
    """Collapse every kind of whitespace (incl. NBSP, thin spaces) to one space; drop zero-width chars."""
    return _SPACES.sub(" ", text.translate(_ZERO_WIDTH)).strip()


def strip_footnote_marks(text: str) -> str:
    """Remove trailing footnote marks ("2,926*", "3,417a", "Belgium[1]", "250†‡") until none is left."""
    previous = None
    while previous != text:
        previous = text
        for pattern in _TRAILING_MARKS:
            text = pattern.sub("", text)
    return text.strip()


def clean_cell(text: str | None) -> str | None:
    """Whitespace-normalise, drop trailing footnote marks, map missing markers to None."""
    if text is None:
        return None
    text = strip_footnote_marks(normalise_space(str(text)))
    return None if text.casefold() in MISSING_MARKERS else text


def unique_column_names(names: Iterable[str | None]) -> list[str]:
    """Blank names → ``column_<n>`` (1-based position); repeated names → "name.1", "name.2"."""
    out: list[str] = []
    used: set[str] = set()
    counts: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        name = normalise_space(name or "") or f"column_{position}"
        candidate, n = name, counts.get(name, 0)
        while candidate in used:
            n += 1
            candidate = f"{name}.{n}"
        counts[name] = n
        used.add(candidate)
        out.append(candidate)
    return out


# --------------------------------------------------------------------------- numbers

_NUMBER = re.compile(
    r"(?P<sign>[+-]?)"
    r"(?P<int>\d{1,3}(?P<sep>[, '’])\d{3}(?:(?P=sep)\d{3})*|\d+)"
    r"(?P<frac>\.\d+)?"
)
_RANGE = re.compile(r"(?P<lo>.*?\d)\s*(?:[-‐‑‒–—―−]|\bto\b)\s*(?P<hi>\d.*)", re.I)
_BETWEEN = re.compile(r"between\s+(?P<lo>.+?)\s+and\s+(?P<hi>.+)", re.I)


def parse_number(text: str | float | int | None, *, row: int | None = None, column: str | None = None) -> float | None:
    """Read a published number: "3,417", "3 417" (any space), "3'417", "2,926*", "1.5" → float.

    Missing markers ("", "n/a", "–", …) and None → None. "." is always the decimal point;
    anything else ("1,5", "c. 500", "more than 500", "12%", "720–760") raises `ExtractError`
    (with `row`/`column` if given), so a qualifier or range is never read as a plain number.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise ExtractError(f"{text!r} is not a number", row=row, column=column)
    if isinstance(text, (int, float)):
        return None if text != text else float(text)  # NaN → None
    cleaned = clean_cell(text)
    if cleaned is None:
        return None
    m = _NUMBER.fullmatch(cleaned.replace("−", "-"))
    if not m:
        raise ExtractError(f"{normalise_space(str(text))!r} is not a number", row=row, column=column)
    digits = m["int"].replace(m["sep"], "") if m["sep"] else m["int"]
    return float(f"{m['sign']}{digits}{m['frac'] or ''}")


def parse_range(text: str | None, *, row: int | None = None, column: str | None = None) -> tuple[float | None, float | None]:
    """Read "720-760", "720–760", "720 — 760", "720 to 760", "between 720 and 760" → (720.0, 760.0).

    A single number gives (v, v); a missing marker gives (None, None). Garbage, open ranges
    ("500+", "up to 100") and reversed ranges ("760–720") raise `ExtractError`.
    """
    if text is None:
        return None, None
    cleaned = clean_cell(text)
    if cleaned is None:
        return None, None
    try:
        value = parse_number(cleaned)
        return value, value
    except ExtractError:
        pass
    m = _BETWEEN.fullmatch(cleaned) or _RANGE.fullmatch(cleaned)
    if not m:
        raise ExtractError(f"{normalise_space(str(text))!r} is not a number or a range", row=row, column=column)
    try:
        low, high = parse_number(m["lo"]), parse_number(m["hi"])
    except ExtractError:
        raise ExtractError(f"{normalise_space(str(text))!r} is not a number or a range", row=row, column=column) from None
    if low is None or high is None:
        raise ExtractError(f"{normalise_space(str(text))!r} is a range with a missing end", row=row, column=column)
    if low > high:
        raise ExtractError(f"{normalise_space(str(text))!r} is a range whose low end is above its high end", row=row, column=column)
    return low, high


# --------------------------------------------------------------------------- HTML


def _parse_document(raw: bytes) -> lxml.html.HtmlElement:
    if not raw or not raw.strip():
        raise ExtractError("empty document: no HTML to read")
    dammit = UnicodeDammit(raw, is_html=True)
    text = dammit.unicode_markup
    if text is None:
        raise ExtractError("cannot decode the document (unknown character encoding)")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str input with an encoding declaration
    try:
        doc = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(f"not a readable HTML document ({exc})") from None
    _prepare(doc)
    return doc


def _prepare(doc: lxml.html.HtmlElement) -> None:
    """Remove what is never cell text, and make line/paragraph breaks spaces."""
    drop = [
        el for el in doc.iter()
        if isinstance(el.tag, str)
        and (
            el.tag in ("script", "style", "noscript", "template", "sup")
            or el.get("hidden") is not None
            or _HIDDEN_STYLE.search(el.get("style") or "")
        )
    ]
    for el in drop:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text
    for el in doc.iter("br", *_BLOCK_TAGS, "td", "th"):
        el.tail = " " + (el.tail or "")
        if el.tag == "br":
            el.text = None


def _text(el) -> str:
    return normalise_space(el.text_content())


def _direct_rows(table) -> list[tuple[str, list]]:
    """The table's own rows grouped as (section, [tr, ...]); nested tables are not entered.

    Row groups: each thead/tbody/tfoot, and bare <tr> children as one implicit body.
    tfoot groups move to the end (HTML 4 allowed tfoot before tbody)."""
    groups: list[tuple[str, list]] = []
    feet: list[tuple[str, list]] = []
    bare: list = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            if not bare:
                groups.append(("tbody", bare))
            bare.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            bare = []
            trs = [tr for tr in child if tr.tag == "tr"]
            (feet if tag == "tfoot" else groups).append((tag, trs))
    return [g for g in groups + feet if g[1]]


def _span(cell, attr: str, default_max: int) -> int:
    value = (cell.get(attr) or "").strip()
    try:
        n = int(float(value)) if value else 1
    except (ValueError, OverflowError):  # "abc", "inf", "nan"
        return 1
    if n == 0 and attr == "rowspan":
        return default_max  # rowspan="0": to the end of the row group
    return min(max(n, 1), default_max)


class _Cell:
    __slots__ = ("text", "is_header")

    def __init__(self, text: str, is_header: bool) -> None:
        self.text = text
        self.is_header = is_header


def _layout(trs: Sequence) -> list[list[_Cell | None]]:
    """Place cells on a grid, copying spanned cells into every slot they cover."""
    grid: list[list[_Cell | None]] = []
    pending: dict[int, list] = {}  # column -> [rows still to fill, cell]
    for tr in trs:
        row: dict[int, _Cell] = {}
        for col, slot in list(pending.items()):
            row[col] = slot[1]
            slot[0] -= 1
            if slot[0] <= 0:
                del pending[col]
        col = 0
        for el in tr:
            if el.tag not in ("td", "th"):
                continue
            while col in row:
                col += 1
            cell = _Cell(_text(el), el.tag == "th")
            colspan, rowspan = _span(el, "colspan", 1000), _span(el, "rowspan", 65534)
            for k in range(colspan):
                row[col + k] = cell
                if rowspan > 1:
                    pending[col + k] = [rowspan - 1, cell]
            col += colspan
        width = max(row) + 1 if row else 0
        grid.append([row.get(i) for i in range(width)])
    return grid


def _table_text(table) -> str:
    return normalise_space(table.text_content()).casefold()


def _describe(table) -> str:
    caption = table.find("caption")
    text = _text(caption) if caption is not None else _text(table)
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def _select(doc, match: str | None, index: int):
    tables = list(doc.iter("table"))
    if not tables:
        raise ExtractError("no <table> element in the document")
    candidates = tables
    if match is not None:
        needle = normalise_space(match).casefold()
        candidates = [t for t in tables if needle in _table_text(t)]
        # a matching table nested inside another matching table is the more specific one
        inner = {id(t) for t in candidates}
        candidates = [
            t for t in candidates
            if not any(id(d) in inner for d in t.iter("table") if d is not t)
        ]
        if not candidates:
            seen = ", ".join(_describe(t) for t in tables[:5])
            raise ExtractError(
                f"no table contains {match!r} ({len(tables)} table(s) in the document: {seen})"
            )
    try:
        return tables.index(candidates[index]), candidates[index]
    except IndexError:
        what = f"table(s) containing {match!r}" if match is not None else "table(s)"
        raise ExtractError(f"table index {index} requested but the document has {len(candidates)} {what}") from None


def _caption(table) -> str | None:
    caption_el = table.find("caption")
    return _text(caption_el) if caption_el is not None else None


def _grid(table, table_index: int) -> tuple[list[list[_Cell | None]], int]:
    """The table's cells on a rectangular grid (short rows padded with None), and how many
    leading rows come from ``<thead>`` groups."""
    grid: list[list[_Cell | None]] = []
    head_count = 0
    for section, trs in _direct_rows(table):
        rows = _layout(trs)
        if section == "thead" and len(grid) == head_count:
            head_count += len(rows)
        grid.extend(rows)
    if not grid:
        raise ExtractError(f"table {table_index} ({_describe(table)}) has no rows")
    width = max(len(r) for r in grid)
    return [r + [None] * (width - len(r)) for r in grid], head_count


def _leading_th_rows(grid: list[list[_Cell | None]]) -> int:
    """How many header rows the grid has when there is no ``<thead>``: the leading rows made
    only of ``<th>`` (just the first if every row is), else 1."""
    count = 0
    for r in grid:
        cells = [c for c in r if c is not None]
        if not (cells and all(c.is_header for c in cells)):
            break
        count += 1
    if count == len(grid) and len(grid) > 1:  # every row is <th>: only the first is the header
        count = 1
    return count or 1


def _header_count(grid: list[list[_Cell | None]], thead_rows: int, header_rows: int | None, table_index: int) -> int:
    if header_rows is not None:
        if header_rows < 0 or header_rows > len(grid):
            raise ExtractError(f"header_rows={header_rows} but table {table_index} has {len(grid)} rows")
        return header_rows
    return thead_rows or _leading_th_rows(grid)


def _column_name(head: list[list[_Cell | None]], j: int) -> str:
    """Column `j`'s header levels joined with " "; a rowspan header counts once."""
    parts: list[str] = []
    last: _Cell | None = None
    for r in head:
        cell = r[j]
        if cell is None or cell is last:
            continue
        last = cell
        text = clean_cell(cell.text)
        if text:
            parts.append(text)
    return " ".join(parts)


def _body_rows(grid: list[list[_Cell | None]], head_count: int) -> list[list[str | None]]:
    """The cleaned body rows, without blank rows and (for a one-row header) repeats of the header."""
    header_texts = [clean_cell(c.text) if c else None for c in grid[head_count - 1]] if head_count else None
    body = []
    for r in grid[head_count:]:
        values = [clean_cell(c.text) if c is not None else None for c in r]
        if all(v is None for v in values):
            continue
        if head_count == 1 and values == header_texts:  # header repeated inside a long table
            continue
        body.append(values)
    return body


def read_html_table(
    raw: bytes,
    *,
    match: str | None = None,
    index: int = 0,
    header_rows: int | None = None,
) -> pd.DataFrame:
    """One HTML table as a DataFrame of cleaned strings (None for missing), see the module doc.

    `header_rows`: how many grid rows form the header; None detects it (``<thead>``, else
    leading all-``<th>`` rows, else 1). The frame's ``attrs`` hold ``caption`` and
    ``table_index`` (position among all tables of the document, 0-based).
    """
    doc = _parse_document(raw)
    table_index, table = _select(doc, match, index)
    grid, thead_rows = _grid(table, table_index)
    head_count = _header_count(grid, thead_rows, header_rows, table_index)
    width = len(grid[0])
    columns = unique_column_names(_column_name(grid[:head_count], j) for j in range(width))
    body = _body_rows(grid, head_count)
    frame = pd.DataFrame(body, columns=columns, dtype=object)
    if not body:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame.attrs.update({"caption": _caption(table), "table_index": table_index})
    return frame
