"""Tables written as text, read by column header.

    find_tables(text) -> [TextTable]          # blocks of lines that are table rows
    table_claims(text, table, language) -> [Claim]

Two shapes are read:
- cells separated by pipes, tabs or runs of two or more spaces (a header line, then rows);
- a table flattened into text, cells run together ("Teruggekeerd naar Nederland6525" under a
  header "Volwassenen (18 jaar en ouder)Minderjarigen (jonger dan 18 jaar)"): the digits are
  split into one number per column only when the document states the rounding ("rounded to
  multiples of 5", "afgerond op 5-tallen") and exactly one split fits it.

A column whose header names a rate, a share, a percentage or a population is never a count
(language/table_columns.csv). The metric comes from the row label or the column header
(women/minors first, then a strong cue, then fighters = travelled); the area from the row
label, else the column header. A row without an area or a metric gives nothing.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .attribution import DOCUMENT
from .cues import find_cues
from .gazetteer import AreaMention, area_kind, find_areas
from .numbers import find_numbers
from .records import Claim

COLUMNS_CSV = Path(__file__).with_name("language") / "table_columns.csv"
_CELL_SEPARATOR = re.compile(r"\s*\|\s*|\t+|\s{2,}")
_FLAT_ROW = re.compile(r"^(?P<label>.*[^\W\d_)])(?P<digits>\d{2,})$")
_FLAT_HEADER_SPLIT = re.compile(r"(?<=[a-zà-ÿ)\]])(?=[A-ZÀ-Þ])")
_RULE_ROW = re.compile(r"^[\s|:+-]+$")
_WHO = ("women", "minors")


@dataclass
class Line:
    start: int
    end: int
    text: str


@dataclass
class TextTable:
    header: Line
    rows: list[Line] = field(default_factory=list)
    flat: bool = False

    @property
    def start(self) -> int:
        return self.header.start

    @property
    def end(self) -> int:
        return self.rows[-1].end


@lru_cache(maxsize=1)
def column_rules() -> dict[str, list[re.Pattern]]:
    """kind → patterns: `not_count` (a column that is never a count), `rounding` (the document
    states its rounding unit: group `unit`)."""
    rules: dict[str, list[re.Pattern]] = {}
    with COLUMNS_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] and not row["kind"].startswith("#"):
                rules.setdefault(row["kind"], []).append(re.compile(row["pattern"], re.IGNORECASE))
    return rules


# --------------------------------------------------------------------------- finding tables
def _lines(text: str) -> list[Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        out.append(Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw) + 1
    return out


def split_cells(line: str) -> list[str]:
    cells = [c.strip() for c in _CELL_SEPARATOR.split(line.strip().strip("|"))]
    return [c for c in cells if c]


def _is_separated_row(line: Line) -> bool:
    """Pipes or tabs between two or more cells; runs of spaces only between three or more."""
    cells = split_cells(line.text)
    if "|" in line.text or "\t" in line.text:
        return len(cells) >= 2
    return len(cells) >= 3 and len(line.text) <= 160


def find_tables(text: str) -> list[TextTable]:
    """Blocks of two or more lines that read as a header and its rows."""
    lines = [ln for ln in _lines(text) if not _RULE_ROW.match(ln.text) or not ln.text]
    return _separated_tables(lines) + _flat_tables(lines)


def _separated_tables(lines: list[Line]) -> list[TextTable]:
    tables, current = [], []
    for line in lines + [Line(0, 0, "")]:
        if line.text and _is_separated_row(line):
            current.append(line)
            continue
        if len(current) >= 2 and not any(ch.isdigit() for ch in current[0].text):
            tables.append(TextTable(current[0], current[1:]))
        current = []
    return tables


def _flat_tables(lines: list[Line]) -> list[TextTable]:
    tables = []
    for i, line in enumerate(lines):
        if i == 0 or not _FLAT_ROW.match(line.text) or _FLAT_ROW.match(lines[i - 1].text):
            continue
        rows = [line]
        for following in lines[i + 1:]:
            if not _FLAT_ROW.match(following.text):
                break
            rows.append(following)
        header = lines[i - 1]
        if len(rows) >= 2 and len(_FLAT_HEADER_SPLIT.split(header.text)) >= 2:
            tables.append(TextTable(header, rows, flat=True))
    return tables


# --------------------------------------------------------------------------- reading cells
def rounding_unit(text: str) -> int | None:
    """The rounding the document states for its figures ("afgerond op 5-tallen" → 5)."""
    for pattern in column_rules().get("rounding", []):
        m = pattern.search(text)
        if m:
            return int(m.group("unit"))
    return None


def split_flat_digits(digits: str, columns: int, unit: int | None) -> list[int] | None:
    """'6525' in 2 columns rounded to 5 → [65, 25]; None unless exactly one split fits."""
    if unit is None or columns < 2:
        return None
    fits = [parts for parts in _splits(digits, columns) if all(p % unit == 0 for p in parts)]
    return fits[0] if len(fits) == 1 else None


def _splits(digits: str, columns: int) -> list[list[int]]:
    if columns == 1:
        return [[int(digits)]] if digits and (digits == "0" or not digits.startswith("0")) else []
    out = []
    for cut in range(1, len(digits)):
        head = digits[:cut]
        if head.startswith("0") and head != "0":
            continue
        out += [[int(head)] + rest for rest in _splits(digits[cut:], columns - 1)]
    return out


def _not_a_count(header: str) -> bool:
    return any(p.search(header) for p in column_rules().get("not_count", []))


def metric_of(*labels: str) -> str | None:
    """women/minors named anywhere, else the first strong cue, else fighters (travelled)."""
    cues = [c for label in labels for c in find_cues(label)]
    for metric in _WHO:
        if any(c.metric == metric for c in cues):
            return metric
    strong = [c.metric for c in cues if c.strong]
    if strong:
        return strong[0]
    return "travelled" if cues else None


def _area_of(label: str, offset: int) -> AreaMention | None:
    areas = [a for a in find_areas(label) if a.code]
    if len({a.code for a in areas}) != 1:
        return None
    a = areas[0]
    return AreaMention(a.start + offset, a.end + offset, a.code, a.text, a.form, a.origin)


# --------------------------------------------------------------------------- claims
def _claim(area: AreaMention, metric: str, value: float, qualifier: str, row: Line, span: tuple[int, int],
           page: int | None) -> Claim:
    return Claim(area=area.code, area_kind=area_kind(area.code), area_as_published=area.text, metric=metric,
                 value=value, qualifier=qualifier, quote=row.text, page=page, attributed_to=DOCUMENT,
                 span_start=span[0], span_end=span[1], quote_start=row.start, quote_end=row.end,
                 quote_kind="table_row")


def table_claims(text: str, table: TextTable, language: str, page: int | None = None) -> list[Claim]:
    if table.flat:
        return _flat_claims(text, table, page)
    headers = split_cells(table.header.text)
    claims = []
    for row in table.rows:
        claims += _row_claims(headers, row, language, page)
    return claims


def _row_claims(headers: list[str], row: Line, language: str, page: int | None) -> list[Claim]:
    cells = split_cells(row.text)
    if len(cells) != len(headers):
        return []                        # a row that does not fit its header is not guessed
    label = cells[0]
    row_area = _area_of(label, row.start + row.text.find(label))
    out = []
    position = row.text.find(label) + len(label)
    for header, cell in zip(headers[1:], cells[1:]):
        position = row.text.find(cell, position)
        claim = _cell_claim(header, label, cell, row, row.start + position, row_area, language, page)
        position += len(cell)
        if claim is not None:
            out.append(claim)
    return out


def _cell_claim(header: str, label: str, cell: str, row: Line, cell_start: int, row_area: AreaMention | None,
                language: str, page: int | None) -> Claim | None:
    if _not_a_count(header):
        return None
    area = row_area or _area_of(header, cell_start)
    metric = metric_of(label, header)
    numbers = [n for n in find_numbers(cell, language) if n.kind == "count" and n.value is not None]
    if area is None or metric is None or len(numbers) != 1:
        return None
    n = numbers[0]
    return _claim(area, metric, n.value, n.qualifier, row, (cell_start + n.vstart, cell_start + n.end), page)


def _flat_claims(text: str, table: TextTable, page: int | None) -> list[Claim]:
    headers = [h.strip() for h in _FLAT_HEADER_SPLIT.split(table.header.text)]
    unit = rounding_unit(text)
    claims = []
    for row in table.rows:
        m = _FLAT_ROW.match(row.text)
        values = split_flat_digits(m.group("digits"), len(headers), unit)
        area = _area_of(m.group("label"), row.start)
        if values is None or area is None:
            continue
        position = row.start + m.start("digits")
        for header, value in zip(headers, values):
            width = len(str(value))
            metric = metric_of(m.group("label"), header)
            if metric is not None and not _not_a_count(header):
                claims.append(_claim(area, metric, float(value), "exact", row, (position, position + width), page))
            position += width
    return claims
