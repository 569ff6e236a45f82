"""datapackage.json for the published bundle (Frictionless Data Package v1), so pandas, R,
BI tools and Frictionless tools read the Parquet and CSV files without guessing.

Everything comes from what already exists: column names and types from the manifest (the
warehouse's own types), descriptions, constraints and primary keys from the contracts
(schemas/published.py), sources and licences from the catalog (flows/sources/*/source.toml).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import duckdb

from schemas.published import PUBLISHED
from warehouse.db import in_utc

DATAPACKAGE = "datapackage.json"

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


def _has_empty_strings(path: Path, column: str) -> bool:
    """An empty string and a NULL look alike in CSV: such a column cannot be 'required'."""
    quoted = '"' + column.replace('"', '""') + '"'
    con = in_utc(duckdb.connect())
    try:
        return con.execute(f"select count(*) from read_parquet($p) where {quoted} = ''",
                           {"p": str(path)}).fetchone()[0] > 0
    finally:
        con.close()


def _fields(entry: dict, folder: Path) -> list[dict]:
    contract = PUBLISHED.get(entry["name"])
    columns = contract.to_schema().columns if contract else {}
    fields = []
    for column in entry["columns"]:
        name, kind = column["name"], _table_type(column["type"])
        spec = columns.get(name)
        field = {"name": name, "type": kind}
        if spec is not None and spec.description:
            field["description"] = spec.description
        constraints = {}
        if spec is not None and not spec.nullable:
            if not (kind == "string" and _has_empty_strings(folder / entry["files"]["parquet"], name)):
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


def datapackage_descriptor(folder: Path, manifest: dict, sources: Iterable) -> dict:
    """The descriptor for the bundle in `folder` described by `manifest`."""
    sources = list(sources)
    resources = []
    for entry in manifest["tables"]:
        contract = PUBLISHED.get(entry["name"])
        config = contract.Config if contract else None
        description = (contract.to_schema().description if contract else None) or entry["name"]
        fields = _fields(entry, folder)
        schema = {"fields": fields, "missingValues": [""]}
        unique = getattr(config, "unique", None)
        if unique:
            schema["primaryKey"] = list(unique)
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
    return {
        "profile": "data-package",
        "name": "ftf-warehouse",
        "title": "Published figures on foreign terrorist fighters and returnees",
        "description": ("Derived tables of the ftf-warehouse: what think-tank reports, official statements "
                        "and news articles said about foreign terrorist fighters who travelled to Syria and "
                        "Iraq and those who returned, with the source, page and quote of every number. "
                        "Figures are facts quoted from the publications listed under sources; cite them "
                        "(each source's 'licence' says how). Each table comes as Parquet and as CSV with the "
                        "same schema; manifest.json gives row counts and checksums."),
        "version": manifest["run_id"],
        "created": manifest["generated_at"],
        "keywords": ["foreign terrorist fighters", "returnees", "Syria", "Iraq", "ISIL"],
        "licenses": _licences(sources),
        "sources": _sources(sources),
        "resources": resources,
    }


def write_datapackage(folder: Path, manifest: dict, sources: Iterable | None = None) -> Path:
    """Write datapackage.json into the bundle folder (an `extra` of warehouse.publish.publish)."""
    if sources is None:
        from flows.catalog import load_catalog
        sources = load_catalog().values()
    path = Path(folder) / DATAPACKAGE
    descriptor = datapackage_descriptor(Path(folder), manifest, sources)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def datapackage_extra(sources: Iterable | None = None):
    """An `extra` for publish(): (folder, manifest) -> None."""
    sources = list(sources) if sources is not None else None

    def add(folder: Path, manifest: dict) -> None:
        write_datapackage(folder, manifest, sources)
    return add
