"""Small helpers for tests: run one source's extraction on bytes, query a warehouse."""
from __future__ import annotations

from pathlib import Path

import duckdb

from flows import pipeline
from warehouse.db import in_utc


def extract(source, body: bytes) -> pipeline.SourceOutcome:
    return pipeline.extract_and_validate(source, body)


def mirror_bytes(source) -> bytes:
    return Path(source.mirror_path).read_bytes()


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = in_utc(duckdb.connect(str(db), read_only=True))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
