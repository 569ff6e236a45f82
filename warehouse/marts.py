"""Build the marts: one SQL model per file in warehouse/marts/, each validated against its
pandera contract (schemas/published.py) and documented with COMMENT ON from it.

Files in warehouse/marts/ whose name starts with "_" are not marts: they hold the macros the
marts share (`_interval_rules.sql`: how qualifiers travel into derived numbers) and are run
first, in name order."""
from __future__ import annotations

import re
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


def _comments(name: str, schema) -> str:
    """COMMENT ON the mart and each described column, as one batch of statements."""
    statements = [f"COMMENT ON TABLE marts.{name} IS {_literal(schema.description or name)}"]
    statements += [f'COMMENT ON COLUMN marts.{name}."{column}" IS {_literal(spec.description)}'
                   for column, spec in schema.columns.items() if spec.description]
    return ";\n".join(statements)


def build_marts(con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> dict[str, int]:
    """Rebuild every mart in one transaction; a contract violation rolls all of them back."""
    files = model_files()
    missing = [n for n in files if n not in PUBLISHED]
    if missing:
        raise MartError(f"mart(s) without a contract in schemas/published.py: {', '.join(missing)}")
    counts = {}
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.execute("SET threads = 1")  # one thread: ties (arg_max, any_value) break the same way every build
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
            con.execute(_comments(name, contract.to_schema()))
            counts[name] = len(frame)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"SET threads = {int(threads)}")
    return counts


# --------------------------------------------------------------------------- dependencies
# Which kinds of source (figures, population, countries: flows/catalog.py) each mart reads,
# derived from the relations its SQL names, so a run rebuilds only the marts whose inputs
# changed. A `-- depends_on: core.population, ...` line in a model's header (dbt-style) adds
# relations the SQL does not name. A relation not listed here counts as reading every kind.
RELATION_KINDS = {
    "core.figures": {"figures"}, "core.accepted_readings": {"figures"}, "core.pending_figures": {"figures"},
    "core.published_rates": {"figures"}, "history.figures": {"figures"},
    "core.population": {"population"}, "history.population": {"population"},
    "core.publication_population": {"figures", "population"},
    "ref.countries": {"countries"}, "history.countries": {"countries"},
    "ref.regions": set(), "ref.region_members": set(),   # flows/reference/*.csv: part of the code's state
    "history.ucdp_ged_events": {"events"}, "core.ucdp_ged_events": {"events"}, "core.ucdp_ged_event_versions": {"events"}, "ref.event_countries": {"events"},
}
# the time-travel macros (migrations 004, 010): figures_as_of(...), population_published_by(...), ...
_MACRO = r"(?:figures|population|countries)_(?:as_of|as_recorded|published_by)(?=\s*\()"
ALL_KINDS = frozenset({"figures", "population", "countries", "events"})
_RELATION = re.compile(r"\b((?:core|history|ref|marts|meta)\.[a-z_][a-z0-9_]*|" + _MACRO + ")", re.I)
_DEPENDS_ON = re.compile(r"^\s*--\s*depends_on:(.*)$", re.M | re.I)


def relations(sql: str) -> set[str]:
    """The relations a model reads: those its SQL names (comments aside) and its depends_on lines."""
    declared = {r.strip().lower() for line in _DEPENDS_ON.findall(sql) for r in line.split(",") if r.strip()}
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return declared | {m.lower() for m in _RELATION.findall(code)}


def mart_dependencies(files: dict[str, Path] | None = None) -> dict[str, frozenset[str]]:
    """Mart name -> the source kinds it reads."""
    out = {}
    for name, path in (files or model_files()).items():
        kinds: set[str] = set()
        for relation in relations(path.read_text(encoding="utf-8")):
            macro_kind = relation.split("_")[0] if "." not in relation else None
            kinds |= {macro_kind} if macro_kind in ALL_KINDS else RELATION_KINDS.get(relation, ALL_KINDS)
        out[name] = frozenset(kinds)
    return out
