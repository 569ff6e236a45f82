"""Small helpers shared by the extractors: reading a CSV document as text cells."""
from __future__ import annotations

import csv
import io
import re

import pandas as pd

from schemas.validate import SourceError

MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "–", "—"}


# C0 control characters other than tab, LF, CR (and DEL): never in a text document.
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLAIN_NAME = re.compile(r"^[\w .,()/&%'+-]{1,40}$")


def control_character(raw: bytes) -> str | None:
    """Where the first NUL or other control character of a text document is (anywhere in it), or None."""
    found = CONTROL_BYTES.search(raw)
    if found is None:
        return None
    line = raw.count(b"\n", 0, found.start()) + 1
    return f"control character 0x{found.group()[0]:02x} at byte {found.start()} (line {line})"


def decode(raw: bytes, source_id: str) -> str:
    if not raw or not raw.strip():
        raise SourceError(source_id, "empty document (0 bytes of content)")
    where = control_character(raw)
    if where:
        raise SourceError(source_id, f"binary content where a text/CSV document was expected: {where}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(source_id, f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def describe_header(header: list[str]) -> str:
    """The document's columns for an error message, without echoing a document that is not a CSV
    of this kind: only short plain names are shown, at most 12, quoted."""
    if len(header) < 2:
        return "its first line is not a CSV header (1 column)"
    shown = [repr(h) for h in header[:12] if _PLAIN_NAME.match(h)]
    hidden = len(header[:12]) - len(shown)
    more = len(header) - 12 if len(header) > 12 else 0
    tail = [f"{hidden} unreadable"] if hidden else []
    tail += [f"{more} more"] if more else []
    return "the document has " + ", ".join(shown + tail)


def _csv_rows(text: str, source_id: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SourceError(source_id, f"unparseable CSV: {exc}") from None


def _checked_header(rows: list[list[str]], source_id: str, required: list[str] | None) -> list[str]:
    """The stripped header: present, without repeated names, with every `required` column."""
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise SourceError(source_id, "no header row")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise SourceError(source_id, f"duplicate column(s) {', '.join(map(repr, dupes))}")
    missing = [c for c in (required or []) if c not in header]
    if missing:
        raise SourceError(source_id, f"column {missing[0]!r} missing ({describe_header(header)})")
    return header


def _body_rows(rows: list[list[str]], header: list[str], source_id: str) -> list[tuple[int, list[str]]]:
    """The non-blank data rows as (line number, cells); each must have as many cells as the header."""
    body = [(i + 2, r) for i, r in enumerate(rows[1:]) if any(cell.strip() for cell in r)]
    if not body:
        raise SourceError(source_id, "the document has a header but no data rows")
    bad = [(line, len(r)) for line, r in body if len(r) != len(header)]
    if bad:
        line, n = bad[0]
        raise SourceError(source_id, f"row {line}: {n} cells where the header has {len(header)} "
                                     f"(truncated or malformed CSV; {len(bad)} such row(s))")
    return body


def read_csv_cells(raw: bytes, source_id: str, *, required: list[str] | None = None) -> pd.DataFrame:
    """Every cell as text (None for empty), plus `source_row` = the line number in the file."""
    rows = _csv_rows(decode(raw, source_id), source_id)
    header = _checked_header(rows, source_id, required)
    body = _body_rows(rows, header, source_id)
    frame = pd.DataFrame([r for _, r in body], columns=header, dtype="object")
    frame = frame.map(lambda v: None if v is None or v.strip() == "" else v.strip())
    frame.insert(0, "source_row", [line for line, _ in body])
    return frame


def number(value) -> float | None:
    if value is None:
        return None
    text = str(value).strip().replace(",", "")
    if text.lower() in MISSING:
        return None
    return float(text)


def _header(raw: bytes) -> list[str] | None:
    try:
        first = raw.decode("utf-8-sig").splitlines()[0]
        header = next(csv.reader([first]))
    except (UnicodeDecodeError, IndexError, csv.Error, StopIteration):
        return None
    return [h.strip() for h in header] if len(header) > 1 else None


def schema_drift(old: bytes, new: bytes) -> list[str]:
    """How the header of a CSV document changed since an earlier version of it: columns added,
    removed and reordered (empty when unchanged or not CSV). Reported, never fatal: whether the
    change matters is the extractor's business."""
    before, after = _header(old), _header(new)
    if not before or not after or before == after:
        return []
    notes = []
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    if added:
        notes.append(f"schema drift: column(s) added since the last loaded document: {', '.join(added)}")
    if removed:
        notes.append(f"schema drift: column(s) removed since the last loaded document: {', '.join(removed)}")
    if [c for c in after if c in before] != [c for c in before if c in after]:
        notes.append("schema drift: columns reordered since the last loaded document")
    return notes
