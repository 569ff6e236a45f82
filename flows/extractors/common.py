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
