"""Build the marts: one SQL model per file in warehouse/marts/, each validated against its
pandera contract (schemas/published.py) and documented with COMMENT ON from it.

Files in warehouse/marts/ whose name starts with "_" are not marts: they hold the macros the
marts share (`_interval_rules.sql`: how qualifiers travel into derived numbers) and are run
first, in name order."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandera.pandas as pa

from schemas.published import PUBLISHED
from warehouse.regions import load_regions

MARTS_DIR = Path(__file__).resolve().parent / "marts"


class MartError(RuntimeError):
    pass


def model_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(MARTS_DIR.glob("*.sql")) if not p.name.startswith("_")}


def rule_files() -> list[Path]:
    """The shared macro files (e.g. _interval_rules.sql), run before any mart."""
    return sorted(MARTS_DIR.glob("_*.sql"))


def load_rules(con: duckdb.DuckDBPyConnection) -> None:
    for path in rule_files():
        con.execute(path.read_text(encoding="utf-8"))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_marts(con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> dict[str, int]:
    """Rebuild every mart in one transaction; a contract violation rolls all of them back."""
    files = model_files()
    missing = [n for n in files if n not in PUBLISHED]
    if missing:
        raise MartError(f"mart(s) without a contract in schemas/published.py: {', '.join(missing)}")
    counts = {}
    con.execute("BEGIN TRANSACTION")
    try:
        load_regions(con)  # ref.regions / ref.region_members: the warehouse's copy of the member lists
        load_rules(con)    # the interval macros every mart uses
        for name, path in files.items():
            if names and name not in names:
                continue
            con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS {path.read_text(encoding='utf-8')}")
            frame = con.execute(f"select * from marts.{name}").df()
            contract = PUBLISHED[name]
            try:
                contract.validate(frame, lazy=True)
            except pa.errors.SchemaErrors as exc:
                cases = exc.failure_cases.head(5).to_dict("records")
                raise MartError(f"marts.{name} breaks its contract: {cases}") from None
            schema = contract.to_schema()
            con.execute(f"COMMENT ON TABLE marts.{name} IS {_literal(schema.description or name)}")
            for column, spec in schema.columns.items():
                if spec.description:
                    con.execute(f'COMMENT ON COLUMN marts.{name}."{column}" IS {_literal(spec.description)}')
            counts[name] = len(frame)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
