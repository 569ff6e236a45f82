"""Small helpers shared by the extractors: reading a CSV document as text cells."""
from __future__ import annotations

import csv
import io

import pandas as pd

from schemas.validate import SourceError

MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "–", "—"}


def decode(raw: bytes, source_id: str) -> str:
    if not raw or not raw.strip():
        raise SourceError(source_id, "empty document (0 bytes of content)")
    if b"\x00" in raw[:4096]:
        raise SourceError(source_id, "binary content where a text/CSV document was expected")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(source_id, f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def read_csv_cells(raw: bytes, source_id: str, *, required: list[str] | None = None) -> pd.DataFrame:
    """Every cell as text (None for empty), plus `source_row` = the line number in the file."""
    text = decode(raw, source_id)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SourceError(source_id, f"unparseable CSV: {exc}") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise SourceError(source_id, "no header row")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise SourceError(source_id, f"duplicate column(s) {', '.join(map(repr, dupes))}")
    missing = [c for c in (required or []) if c not in header]
    if missing:
        raise SourceError(source_id, f"column {missing[0]!r} missing (the document has {', '.join(header[:12])})")
    body = [(i + 2, r) for i, r in enumerate(rows[1:]) if any(cell.strip() for cell in r)]
    if not body:
        raise SourceError(source_id, "the document has a header but no data rows")
    bad = [(line, len(r)) for line, r in body if len(r) != len(header)]
    if bad:
        line, n = bad[0]
        raise SourceError(source_id, f"row {line}: {n} cells where the header has {len(header)} "
                                     f"(truncated or malformed CSV; {len(bad)} such row(s))")
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
