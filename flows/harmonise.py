"""Turn an extracted figures frame into canonical figures: areas → ISO3 or region codes,
catalog defaults filled in. Rows whose area cannot be resolved are quarantined."""
from __future__ import annotations

import csv
from functools import lru_cache

import pandas as pd

from flows.catalog import Source
from flows.config import REFERENCE_DIR
from flows.countries import harmonise

WORLD = "WLD"


@lru_cache(maxsize=1)
def region_codes() -> frozenset[str]:
    path = REFERENCE_DIR / "regions.csv"
    if not path.exists():
        return frozenset({WORLD})
    with path.open(encoding="utf-8") as fh:
        return frozenset(row["region_code"] for row in csv.DictReader(fh)) | {WORLD}


def resolve_areas(frame: pd.DataFrame, source_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set `country_iso3` and `area_kind` from `area_code` (a code as published, or a region
    code) and `country_as_published`. Unknown or contradictory areas are quarantined."""
    from schemas.validate import reject_rows  # pandera: only a run needs it, not `ftf history`

    regions = region_codes()
    codes = frame["area_code"] if "area_code" in frame else pd.Series(None, index=frame.index, dtype="object")
    iso3, kinds, problems = [], [], []
    for code, name in zip(codes, frame["country_as_published"]):
        code = None if code is None or pd.isna(code) else str(code)
        if code in regions:
            iso3.append(code)
            kinds.append("world" if code == WORLD else "region")
            problems.append(None)
            continue
        by_name = harmonise(name) if name else None
        by_code = harmonise(code) if code else None
        found = {m.iso3 for m in (by_name, by_code) if m is not None and m.iso3}
        if len(found) == 1:
            iso3.append(found.pop())
            kinds.append("country")
            problems.append(None)
        elif len(found) > 1:
            iso3.append(None)
            kinds.append(None)
            problems.append(f"country {name!r} maps to {by_name.iso3} but its code {code!r} to {by_code.iso3}")
        else:
            iso3.append(None)
            kinds.append(None)
            problems.append((by_name or by_code).reason if (by_name or by_code) else "no area name or code")
    out = frame.copy()
    out["country_iso3"] = iso3
    out["area_kind"] = kinds
    reasons = pd.Series(problems, index=frame.index)
    return reject_rows(out, reasons.notna(), source_id=source_id, stage="harmonise",
                       column="country_as_published", check="known_area", reasons=reasons)


def with_catalog_defaults(frame: pd.DataFrame, source: Source, *, review_status: str) -> pd.DataFrame:
    out = frame.copy()
    defaults = {
        "source_id": source.id,
        "publication_id": source.publication_id,
        "document_url": source.data_url or source.original_url,
        "is_secondary": bool(source.raw.get("is_secondary", False)),
        "variant": "",
        "share": None, "share_of": None, "countries_count": None,
        "flag": None, "note": None, "page": None, "quote": None, "quote_kind": None,
        "review_status": review_status,
    }
    for column, value in defaults.items():
        if column not in out:
            out[column] = value
        elif value is not None:
            out[column] = out[column].where(out[column].notna(), value)
    out["source_id"] = source.id
    ref = out["reference_date"] if "reference_date" in out else pd.Series(None, index=out.index, dtype="object")
    out["reference_date"] = ref.where(ref.notna(), source.reference_date.isoformat())
    out["published_on"] = source.published_on.isoformat()
    return out
