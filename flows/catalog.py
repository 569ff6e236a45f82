"""The source catalog: every source is declared once, in `flows/sources/<id>/source.toml`."""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.config import SOURCES_DIR

REQUIRED_KEYS = ("id", "title", "publisher", "kind", "format", "original_url", "published_on",
                 "reference_date", "licence", "cadence")
KINDS = ("figures", "population", "countries", "events")


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    kind: str                      # figures | population | countries | events
    format: str                    # transcription | claims | csv | ... (which extractor reads it)
    original_url: str
    data_url: str
    published_on: dt.date
    reference_date: dt.date
    licence: str
    cadence: str
    folder: Path
    publication_id: str
    mirror_file: str
    mirror: dict[str, Any] = field(default_factory=dict)
    vintages: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def mirror_path(self) -> Path:
        return self.folder / "mirror" / self.mirror_file

    def inputs_sha256(self) -> str | None:
        """SHA-256 of the analyst's review decisions for this source (decisions.csv), if any."""
        path = self.folder / "decisions.csv"
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    def url_for(self, mode: str, override: str | None = None) -> str:
        """The document to fetch: an explicit override, the mirror copy, or the live data URL."""
        if override:
            return override
        if mode == "mirror" or not self.data_url:
            return str(self.mirror_path)
        return self.data_url

    def extractor_module(self) -> Any:
        """The module with `extract(raw: bytes, source) -> DataFrame` (the document in the
        source's own shape) and `normalise(frame, source) -> DataFrame` (canonical columns):
        the source's own extract.py, or the shared extractor for its format (a pure
        transcription needs no Python)."""
        if (self.folder / "extract.py").exists():
            return importlib.import_module(f"flows.sources.{self.id}.extract")
        return importlib.import_module(f"flows.extractors.{self.format}")


def _as_date(value: Any, key: str, source_id: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"{source_id}: source.toml key {key!r} is not a date: {value!r}") from None


def load_source(folder: Path) -> Source:
    toml_path = folder / "source.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{folder.name}: cannot read source.toml: {exc}") from None
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise CatalogError(f"{folder.name}: source.toml lacks {', '.join(missing)}")
    if data["id"] != folder.name:
        raise CatalogError(f"{folder.name}: source.toml id {data['id']!r} differs from its folder name")
    if data["kind"] not in KINDS:
        raise CatalogError(f"{folder.name}: kind {data['kind']!r} is not one of {', '.join(KINDS)}")
    mirror = data.get("mirror", {})
    return Source(
        id=data["id"], title=data["title"], publisher=data["publisher"], kind=data["kind"],
        format=data["format"], original_url=data["original_url"], data_url=data.get("data_url", ""),
        published_on=_as_date(data["published_on"], "published_on", data["id"]),
        reference_date=_as_date(data["reference_date"], "reference_date", data["id"]),
        licence=data["licence"], cadence=data["cadence"], folder=folder,
        publication_id=data.get("publication_id", data["id"]),
        mirror_file=mirror.get("file", ""), mirror=mirror,
        vintages=tuple(data.get("vintages", [])), raw=data,
    )


def load_catalog(sources_dir: Path = SOURCES_DIR) -> dict[str, Source]:
    """All sources, in load order: reference data (countries, population) before figures."""
    found = [load_source(p.parent) for p in sorted(sources_dir.glob("*/source.toml"))]
    order = {"countries": 0, "population": 1, "figures": 2, "events": 3}
    return {s.id: s for s in sorted(found, key=lambda s: (order[s.kind], s.id))}


def select(catalog: dict[str, Source], ids: list[str] | None) -> list[Source]:
    if not ids:
        return list(catalog.values())
    unknown = [i for i in ids if i not in catalog]
    if unknown:
        raise CatalogError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(catalog)}")
    return [s for s in catalog.values() if s.id in ids]
