"""datapackage.json for the published bundle (Frictionless Data Package v1), so pandas, R,
BI tools and Frictionless tools read the Parquet and CSV files without guessing.

Everything comes from what already exists: column names and types from the manifest (the
warehouse's own types), descriptions, constraints and primary keys from the contracts
(schemas/published.py), sources and licences from the catalog (flows/sources/*/source.toml).

The checks ship with the data: given the warehouse connection, the bundle also carries the
validation ledger (every pandera model run on every source's current document: rows checked,
rows failed) and the quarantine (every rejected row, with its check and reason) as CSV
resources under checks/, from the queries in warehouse/datapackage/*.sql.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable

import duckdb

from schemas.published import PUBLISHED
from warehouse.publish import csv_safe_select
from warehouse.db import in_utc

DATAPACKAGE = "datapackage.json"
CHECKS_DIR = "checks"
CHECKS_SQL = Path(__file__).resolve().parent / "datapackage"

# The checks published with the data: name -> (title, description, column descriptions)
CHECKS = {
    "validation_ledger": (
        "Validation ledger",
        "One row per source × pandera model: the checks run on the document each source's current data was "
        "loaded from (the latest run that validated the source), with the rows checked and the rows that failed.",
        {"source_id": "Catalog id of the source", "model": "pandera model (schemas/) the rows were validated against",
         "rows_checked": "Rows the model checked", "rows_failed": "Rows that failed at least one check (quarantined)",
         "rows_passed": "rows_checked - rows_failed",
         "run_id": "Warehouse run that validated the document (meta.runs)",
         "checked_at": "When the checks ran (UTC)",
         "checked_in_this_run": "Whether the document was validated by the run that published this bundle"}),
    "quarantine": (
        "Quarantine",
        "One row per row a check rejected, every run: kept with the check and the reason, never silently dropped. "
        "Rejected rows are not in any other table.",
        {"source_id": "Catalog id of the source", "stage": "raw (document structure), extract, harmonise (country "
         "names), canonical (figure meaning) or key (duplicates)",
         "source_row": "Line number of the row in the source document, where known",
         "column_name": "The column that failed, where one did", "check_name": "The check that rejected the row",
         "reason": "Why the row was rejected", "row_json": "The row as read, as JSON text",
         "kept_current": "True when the row's key had a current version that stayed current instead of being "
                         "closed; empty for rows quarantined before this was recorded",
         "run_id": "Warehouse run that rejected the row (meta.runs)", "quarantined_at": "When (UTC)"}),
}

# DuckDB type -> Table Schema type
_TYPES = {"VARCHAR": "string", "DOUBLE": "number", "FLOAT": "number", "DECIMAL": "number",
          "BIGINT": "integer", "INTEGER": "integer", "SMALLINT": "integer", "TINYINT": "integer",
          "HUGEINT": "integer", "UBIGINT": "integer", "UINTEGER": "integer",
          "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "datetime",
          "TIMESTAMP WITH TIME ZONE": "datetime", "TIME": "time", "JSON": "object"}

# Licences named in the catalog that have a standard identifier (https://licenses.opendefinition.org)
_KNOWN_LICENCES = {
    "CC BY 4.0": {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                  "title": "Creative Commons Attribution 4.0"},
    "PDDL": {"name": "ODC-PDDL-1.0", "path": "https://opendatacommons.org/licenses/pddl/1-0/",
             "title": "Open Data Commons Public Domain Dedication and License 1.0"},
}


def _table_type(duckdb_type: str) -> str:
    base = duckdb_type.upper().split("(")[0].strip()
    return _TYPES.get(base, "string")


def _empty_string_columns(scanner: duckdb.DuckDBPyConnection, path: Path, columns: list[str]) -> set[str]:
    """The `columns` of a Parquet file that hold an empty string (one scan for all of them): an empty
    string and a NULL look alike in CSV, so such a column cannot be 'required'."""
    if not columns:
        return set()
    counts = ", ".join("count_if(\"" + c.replace('"', '""') + "\" = '')" for c in columns)
    found = scanner.execute(f"select {counts} from read_parquet($p)", {"p": str(path)}).fetchone()
    return {c for c, n in zip(columns, found) if n}


def _fields(entry: dict, folder: Path, scanner: duckdb.DuckDBPyConnection) -> list[dict]:
    contract = PUBLISHED.get(entry["name"])
    columns = contract.to_schema().columns if contract else {}
    not_null = {c["name"] for c in entry["columns"] if c["name"] in columns and not columns[c["name"]].nullable}
    empty = _empty_string_columns(scanner, folder / entry["files"]["parquet"],
                                  [c["name"] for c in entry["columns"]
                                   if c["name"] in not_null and _table_type(c["type"]) == "string"])
    fields = []
    for column in entry["columns"]:
        name, kind = column["name"], _table_type(column["type"])
        spec = columns.get(name)
        field = {"name": name, "type": kind}
        if spec is not None and spec.description:
            field["description"] = spec.description
        constraints = {}
        if name in not_null and name not in empty:
            constraints["required"] = True
        for check in (spec.checks if spec is not None else []):
            allowed = check.statistics.get("allowed_values") if check.statistics else None
            if allowed is not None and kind == "string":
                constraints["enum"] = list(allowed)
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return fields


def _licences(sources) -> list[dict]:
    found = []
    for key, licence in _KNOWN_LICENCES.items():
        users = [s.id for s in sources if key.lower() in s.licence.lower()]
        if users:
            found.append({**licence, "title": f"{licence['title']} ({', '.join(users)})"})
    return found


def _sources(sources) -> list[dict]:
    return [{"title": f"{s.publisher}: {s.title} ({s.published_on.isoformat()})",
             "path": s.original_url, "id": s.id, "licence": s.licence}
            for s in sources]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def export_checks(con: duckdb.DuckDBPyConnection, folder: Path, run_id: str) -> list[dict]:
    """Write checks/<name>.csv for every entry of CHECKS (text cells that a spreadsheet would run as a
    formula are neutralised as in the marts' CSV); returns one entry per file (name, rows, columns with
    their DuckDB types, path, sha256)."""
    (Path(folder) / CHECKS_DIR).mkdir(exist_ok=True)
    entries = []
    for name in CHECKS:
        sql = (CHECKS_SQL / f"{name}.sql").read_text(encoding="utf-8")
        path = Path(folder) / CHECKS_DIR / f"{name}.csv"
        table = f"published_checks_{name}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", {"run_id": run_id} if "$run_id" in sql else {})
        try:
            typed = [(c, t) for c, t, *_ in con.execute(f"DESCRIBE {table}").fetchall()]
            # rows in sorted order, as the marts' files: the same checks give the same bytes
            con.execute(f"COPY ({csv_safe_select(table, typed)} ORDER BY ALL) TO {_literal(str(path))} "
                        "(FORMAT csv, HEADER true)")
            columns = [{"name": c, "type": t} for c, t in typed]
            rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        finally:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        entries.append({"name": name, "rows": rows, "columns": columns, "path": f"{CHECKS_DIR}/{name}.csv",
                        "sha256": _sha256(path)})
    return entries


def _check_resource(entry: dict, folder: Path) -> dict:
    title, description, columns = CHECKS[entry["name"]]
    fields = [{"name": c["name"], "type": _table_type(c["type"]),
               **({"description": columns[c["name"]]} if c["name"] in columns else {})} for c in entry["columns"]]
    return {"name": entry["name"], "title": title, "description": description, "path": entry["path"],
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "bytes": (Path(folder) / entry["path"]).stat().st_size, "hash": f"sha256:{entry['sha256']}",
            "dialect": {"delimiter": ",", "header": True, "doubleQuote": True},
            "schema": {"fields": fields, "missingValues": [""]}}


def _table_resources(entry: dict, folder: Path, scanner: duckdb.DuckDBPyConnection) -> list[dict]:
    """A published table's two resources (Parquet, CSV) with their Table Schema."""
    contract = PUBLISHED.get(entry["name"])
    config = contract.Config if contract else None
    description = (contract.to_schema().description if contract else None) or entry["name"]
    schema = {"fields": _fields(entry, folder, scanner), "missingValues": [""]}
    unique = getattr(config, "unique", None)
    if unique:
        schema["primaryKey"] = list(unique)
    resources = []
    for fmt, mediatype in (("parquet", "application/vnd.apache.parquet"), ("csv", "text/csv")):
        path = entry["files"][fmt]
        resource = {
            "name": entry["name"] if fmt == "parquet" else f"{entry['name']}_csv",
            "title": f"marts.{entry['name']} ({fmt.upper()})",
            "description": description,
            "path": path, "format": fmt, "mediatype": mediatype,
        }
        if fmt == "csv":
            resource.update({"encoding": "utf-8", "bytes": (folder / path).stat().st_size,
                             "hash": f"sha256:{entry['sha256'][fmt]}",
                             "dialect": {"delimiter": ",", "header": True, "doubleQuote": True},
                             "schema": schema})
        else:
            # Frictionless reads Parquet through pandas, which turns an empty integer into NaN
            # (and cannot count a Parquet file's bytes: its checksum is in manifest.json).
            resource["schema"] = {**schema, "missingValues": ["", "nan"]}
        resources.append(resource)
    return resources


def datapackage_descriptor(folder: Path, manifest: dict, sources: Iterable, checks: Iterable[dict] = ()) -> dict:
    """The descriptor for the bundle in `folder` described by `manifest`; `checks` are the
    entries export_checks() wrote (the validation ledger and the quarantine)."""
    sources = list(sources)
    scanner = in_utc(duckdb.connect())   # in memory: reads the bundle's Parquet files
    try:
        resources = [resource for entry in manifest["tables"] for resource in _table_resources(entry, folder, scanner)]
    finally:
        scanner.close()
    resources += [_check_resource(entry, folder) for entry in checks]
    return {
        "profile": "data-package",
        "name": "ftf-warehouse",
        "title": "Published figures on foreign terrorist fighters and returnees",
        "description": ("Derived tables of the ftf-warehouse: what think-tank reports, official statements "
                        "and news articles said about foreign terrorist fighters who travelled to Syria and "
                        "Iraq and those who returned, with the source, page and quote of every number. "
                        "Figures are facts quoted from the publications listed under sources; cite them "
                        "(each source's 'licence' says how). Each table comes as Parquet and as CSV with the "
                        "same schema; manifest.json gives row counts and checksums. The checks ship with the "
                        "data: checks/validation_ledger.csv (rows checked and failed per source and model) and "
                        "checks/quarantine.csv (every rejected row, with its check and reason)."),
        "version": manifest["run_id"],
        "created": manifest["generated_at"],
        "keywords": ["foreign terrorist fighters", "returnees", "Syria", "Iraq", "ISIL"],
        "licenses": _licences(sources),
        "sources": _sources(sources),
        "resources": resources,
    }


def write_datapackage(folder: Path, manifest: dict, sources: Iterable | None = None,
                      con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Write datapackage.json into the bundle folder (an `extra` of warehouse.publish.publish);
    with the warehouse connection `con`, also the checks (checks/*.csv) it lists."""
    sources = list(sources or [])   # the catalog's sources, passed in by the caller (flows/refresh.py)
    path = Path(folder) / DATAPACKAGE
    checks = export_checks(con, Path(folder), manifest["run_id"]) if con is not None else []
    descriptor = datapackage_descriptor(Path(folder), manifest, sources, checks)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def datapackage_extra(sources: Iterable | None = None, con: duckdb.DuckDBPyConnection | None = None):
    """An `extra` for publish(): (folder, manifest) -> None. With `con`, the bundle carries the
    validation ledger and the quarantine too."""
    sources = list(sources) if sources is not None else None

    def add(folder: Path, manifest: dict) -> None:
        write_datapackage(folder, manifest, sources, con)
    return add
