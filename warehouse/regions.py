"""Load the region reference (flows/reference/regions.csv, region_members.csv) into
ref.regions and ref.region_members, so the warehouse carries its own copy of the member
lists the marts sum over. Called before the marts are built, inside their transaction."""
from __future__ import annotations

from pathlib import Path

import duckdb

# The project's curated region files (flows/reference/); a path, not an import: warehouse/ never imports flows/.
REFERENCE_DIR = Path(__file__).resolve().parents[1] / "flows" / "reference"


class RegionError(ValueError):
    pass


def load_regions(con: duckdb.DuckDBPyConnection, reference_dir: Path = REFERENCE_DIR) -> dict[str, int]:
    """Replace ref.regions and ref.region_members with the reference files' content.
    Raises RegionError on a member of an undeclared region or membership dates out of order."""
    regions, members = Path(reference_dir) / "regions.csv", Path(reference_dir) / "region_members.csv"
    con.execute("DELETE FROM ref.region_members")
    con.execute("DELETE FROM ref.regions")
    con.execute("""
        INSERT INTO ref.regions
        SELECT trim(region_code), trim(region_name), defined_by, nullif(trim(source_url), ''),
               nullif(trim(note), ''), now()
        FROM read_csv($path, header = true, all_varchar = true)""", {"path": str(regions)})
    con.execute("""
        INSERT INTO ref.region_members
        SELECT trim(region_code), trim(country_iso3), try_cast(nullif(trim(member_from), '') AS DATE),
               try_cast(nullif(trim(member_to), '') AS DATE), nullif(trim(note), ''), now()
        FROM read_csv($path, header = true, all_varchar = true)""", {"path": str(members)})
    problems = con.execute("""
        select m.region_code || ':' || m.country_iso3 from ref.region_members m
        left join ref.regions r using (region_code)
        where r.region_code is null or m.member_from > m.member_to
        order by 1""").fetchall()
    if problems:
        raise RegionError("region_members.csv: unknown region or member_from after member_to: "
                          + ", ".join(p[0] for p in problems))
    return {"regions": con.execute("select count(*) from ref.regions").fetchone()[0],
            "region_members": con.execute("select count(*) from ref.region_members").fetchone()[0]}
