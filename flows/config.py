"""Where things live. `FTF_HOME` moves the whole `data/` folder."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = Path(__file__).resolve().parent / "sources"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def db(self) -> Path:
        return self.home / "ftf.duckdb"

    @property
    def raw(self) -> Path:
        return self.home / "raw"

    @property
    def published(self) -> Path:
        return self.home / "published"

    @property
    def lock(self) -> Path:
        return self.home / "ftf.writer.lock"


def paths(home: str | os.PathLike | None = None) -> Paths:
    """The data folder: `home` if given, else `$FTF_HOME`, else `<project>/data`."""
    chosen = home or os.environ.get("FTF_HOME") or (PROJECT_ROOT / "data")
    p = Paths(Path(chosen).expanduser().resolve())
    p.home.mkdir(parents=True, exist_ok=True)
    return p
