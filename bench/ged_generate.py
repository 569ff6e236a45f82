"""Seeded generator of invented events in the UCDP GED layout (bench and tests only).

    python -m bench.ged_generate ROWS PATH [--seed 12] [--revision 0|1]

Revision 0 is a first release of events 1..ROWS; revision 1 is the next release of the same
events with 1 % revised, 0.1 % withdrawn and ROWS/1000 new ones (`expected_changes` counts them).
DuckDB writes the CSV straight from SQL (bench/ged_generate.sql), so ten million rows take
seconds and never pass through Python.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

GENERATOR_SQL = Path(__file__).with_name("ged_generate.sql")


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute(GENERATOR_SQL.read_text(encoding="utf-8"))
    return con


def generate(path: Path, rows: int, *, seed: int = 12, revision: int = 0) -> Path:
    """Write release `revision` of `rows` invented events to `path` (CSV with a header)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect()
    try:
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM ged_release({int(rows)}, {int(seed)}, {int(revision)})) "
                    f"TO '{target}' (FORMAT csv, HEADER true)")
    finally:
        con.close()
    return path


def expected_changes(rows: int, *, seed: int = 12) -> dict[str, int]:
    """What revision 1 changes against revision 0: revised, withdrawn and new events."""
    con = _connect()
    try:
        revised, withdrawn = con.execute(
            "SELECT count(*) FILTER (WHERE ged_is_revised($seed, i) AND NOT ged_is_withdrawn($seed, i)), "
            "count(*) FILTER (WHERE ged_is_withdrawn($seed, i)) FROM range(1, $rows + 1) AS r(i)",
            {"seed": seed, "rows": rows}).fetchone()
    finally:
        con.close()
    added = rows // 1000
    return {"revised": revised, "withdrawn": withdrawn, "added": added,
            "opened": revised + added, "closed": revised + withdrawn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--revision", type=int, choices=(0, 1), default=0)
    args = parser.parse_args()
    started = time.monotonic()
    generate(args.path, args.rows, seed=args.seed, revision=args.revision)
    print(f"generated {args.rows:,} rows (revision {args.revision}) in {time.monotonic() - started:.1f} s: "
          f"{args.path} ({args.path.stat().st_size / 2**20:,.0f} MiB)")


if __name__ == "__main__":
    main()
