"""What the warehouse remembers of a source's last fetch (read from meta.fetches by warehouse.load)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PreviousFetch:
    """What the warehouse remembers of the last successful fetch of a source."""

    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    inputs_sha256: str | None = None   # the source's review decisions used with that document
    release_sha256: str | None = None  # event sources: the release file last loaded (the base of a line delta)
