"""The large-dataset source kind (`kind = "events"`): a release file checked and handed to DuckDB.

Nothing here reads the rows: the release is unzipped by streaming (if zipped), its first line is
checked against the layout declared in source.toml, its publication date is settled, and
warehouse/events.py loads it where the data is (DuckDB reading the file, pandera polars batches).
"""
from __future__ import annotations

import csv
import datetime as dt
import email.utils
import re
from pathlib import Path

from flows import line_delta
from flows.catalog import Source
from flows.countries import harmonise
from flows.download import DownloadError, copy_member
from flows.fetch import FetchResult
from schemas.validate import SourceError
from warehouse.events import EventRelease

ZIP_MAGIC = b"PK\x03\x04"


def layout(source: Source) -> list[tuple[str, str]]:
    """The declared columns, in order: [(name, DuckDB type), ...]."""
    return [(name, kind) for name, kind in source.raw["events"]["columns"]]


def resolve_country(name: str) -> str | None:
    """GED country name → ISO3: as written, else without its parenthesised former name
    ("Yemen (North Yemen)" → Yemen, "DR Congo (Zaire)" → DR Congo)."""
    for candidate in (name, re.sub(r"\s*\(.*\)\s*$", "", name)):
        match = harmonise(candidate)
        if match.iso3:
            return match.iso3
    return None


def _head(path: Path, size: int = 1 << 20) -> bytes:
    """The first bytes of a stored release (whole or a line delta)."""
    with line_delta.open_release(path) as fh:
        return fh.read(size)


def _first_line(head: bytes) -> bytes:
    return head.split(b"\n", 1)[0]


def _delta_fields(path: Path, header_bytes: int, previous_sha256: str | None = None) -> dict:
    """A release stored as a line delta: what warehouse/events.py needs to load it from its changed
    lines. Only when the header row (`header_bytes` long, 0 if none) is the base's own: a changed header
    would be a data line. `previous_sha256`, the release last loaded: when that is a sibling delta
    (against the same base), its inserted and removed lines too."""
    if path.is_file() or not line_delta.delta_path(path).is_file():
        return {}
    delta = line_delta.Delta.load(line_delta.delta_path(path))

    def whole() -> Path:
        line_delta.materialize(path)
        line_delta.remove_delta(path)
        return path

    fields = {"whole": whole}
    if not (delta.ops and delta.ops[0][0] >= header_bytes):
        return fields
    fields.update(base_sha256=delta.base_sha256, inserted_lines=delta.lines, removed_lines=delta.removed)
    if not previous_sha256 or previous_sha256 == delta.base_sha256:
        return fields
    previous = line_delta.delta_path(path.parent.parent / previous_sha256[:2] / previous_sha256)
    if previous.is_file() and (sibling := line_delta.Delta.load(previous)).base_sha256 == delta.base_sha256:
        fields.update(previous_sha256=previous_sha256, previous_inserted_lines=sibling.lines,
                      previous_removed_lines=sibling.removed)
    return fields


def has_header(source: Source, first_line: bytes) -> bool:
    """True when line 1 is the declared header, False when it is already an event (a release published
    without a header row); a SourceError naming the first column that differs otherwise."""
    expected = [name for name, _ in layout(source)]
    text = first_line.decode("utf-8-sig", errors="replace").rstrip("\r")
    fields = next(csv.reader([text]), [])
    if [f.strip().lower() for f in fields] == expected:
        return True
    if len(fields) == len(expected) and fields[0].strip().isdigit():
        return False
    if len(fields) != len(expected):
        raise SourceError(source.id, f"line 1: {len(fields)} columns where the {source.format} layout has "
                                     f"{len(expected)} (expected a header starting {','.join(expected[:3])})")
    col = next(i for i, (got, want) in enumerate(zip(fields, expected)) if got.strip().lower() != want)
    raise SourceError(source.id, f"line 1, column {col + 1}: header {fields[col][:40]!r} where the layout has {expected[col]!r}")


def publication_date(source: Source, fetched: FetchResult) -> dt.date:
    """The release's publication date: the catalog's date for a known release URL, else the file's
    Last-Modified, else the day it was fetched."""
    for release in source.raw.get("releases", []):
        if release["url"] == fetched.url:
            return release["published_on"]
    if fetched.last_modified:
        try:
            return email.utils.parsedate_to_datetime(fetched.last_modified).date()
        except (TypeError, ValueError):
            pass
    return fetched.fetched_at.date()


def prepare_release(source: Source, fetched: FetchResult) -> EventRelease:
    """The release file to load (the CSV member of a zip is copied out by streaming into the raw store)."""
    try:
        return _prepare(source, fetched)
    except OSError as exc:
        raise SourceError(source.id, f"cannot read the stored release: {exc.strerror or exc}") from None


def _prepare(source: Source, fetched: FetchResult) -> EventRelease:
    path, sha = Path(fetched.raw_path), fetched.sha256
    notes = []
    head = _head(path)
    if head[:4] == ZIP_MAGIC:
        try:
            member, sha, path = copy_member(line_delta.materialize(path), path.parent.parent,
                                            base_sha256=fetched.release_base)
        except (DownloadError, OSError, ValueError) as exc:
            raise SourceError(source.id, f"cannot read the zip: {exc}") from None
        notes.append(f"read {member} from the zip")
        head = _head(path)
    first_line = _first_line(head)
    header = has_header(source, first_line)
    if not header:
        notes.append("the file has no header row: read with the declared layout")
    spec = source.raw["events"]
    release = EventRelease(source_id=source.id, path=path, has_header=header,
                           published_on=publication_date(source, fetched),
                           columns=dict(layout(source)),
                           quarantine_cap=int(spec.get("quarantine_cap_per_check", 100)),
                           batch_rows=int(spec.get("validation_batch_rows", 1_000_000)),
                           resolve_country=resolve_country, sha256=sha, **_delta_fields(path, len(first_line) + 1 if header else 0, fetched.release_base))
    release.notes.extend(notes)
    return release
