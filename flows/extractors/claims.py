"""Figures read out of prose (news reports, statements): the claim extractor in flows/claims/.

Every claim enters as `review_status = 'pending'` unless an analyst decided it in the source
folder's `decisions.csv` (area, metric, variant, quote_sha256, decision, reviewer, decided_on,
note); decisions are matched on the claim's area, metric, variant and the SHA-256 of its
quote, so they survive re-runs. Figures the extractor could not resolve (no area, no metric,
...) are kept in the quarantine with the reason, never guessed.
"""
from __future__ import annotations

import csv
import hashlib
import json

import pandas as pd

from flows.claims.extract import extract_all_from_document
from flows.claims.read import ClaimsInputError
from schemas.validate import SourceError

DECISIONS_FILE = "decisions.csv"
DECISIONS = ("accepted", "rejected", "pending")


def quote_sha256(quote: str) -> str:
    return hashlib.sha256(quote.strip().encode("utf-8")).hexdigest()


def load_decisions(source) -> dict[tuple, str]:
    path = source.folder / DECISIONS_FILE
    if not path.exists():
        return {}
    decisions = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            decision = (row.get("decision") or "").strip().lower()
            if decision not in DECISIONS:
                raise SourceError(source.id, f"{DECISIONS_FILE} row {line}, column 'decision': {decision!r} is not "
                                             f"one of {', '.join(DECISIONS)}")
            key = (row["area"].strip(), row["metric"].strip(), (row.get("variant") or "").strip(),
                   row["quote_sha256"].strip())
            decisions[key] = decision
    return decisions


def extract(raw: bytes, source) -> pd.DataFrame:
    try:
        result = extract_all_from_document(raw, name=source.mirror_file)
    except ClaimsInputError as exc:
        raise SourceError(source.id, str(exc)) from None
    rows = [dict(c.to_dict(), source_row=i + 1) for i, c in enumerate(result.claims)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise SourceError(source.id, f"no figures found in the text ({len(result.unresolved)} unresolved)")
    frame["variant"] = ""
    # two claims of one area and metric in one document: tell them apart by their quote
    dupes = frame.duplicated(subset=["area", "metric"], keep=False)
    frame.loc[dupes, "variant"] = frame.loc[dupes, "quote"].map(lambda q: "q" + quote_sha256(q)[:8])
    frame.attrs["rejected"] = [{
        "source_row": None, "row_json": json.dumps(u.to_dict(), ensure_ascii=False, default=str),
        "column_name": "area" if "area" in u.reason else "metric", "check_name": "claim_resolved",
        "reason": f"figure {u.figure!r} not loaded: {u.reason}"} for u in result.unresolved]
    return frame


def normalise(frame: pd.DataFrame, source) -> pd.DataFrame:
    decisions = load_decisions(source)
    status = [decisions.get((a, m, v, quote_sha256(q)), "pending")
              for a, m, v, q in zip(frame["area"], frame["metric"], frame["variant"], frame["quote"])]
    secondary = bool(source.raw.get("claims", {}).get("default_is_secondary", True))
    return pd.DataFrame({
        "source_row": frame["source_row"],
        "publication_id": source.publication_id,
        "document_url": source.original_url,
        "is_secondary": secondary,
        "country_as_published": frame["area_as_published"],
        "area_code": frame["area"],
        "metric": frame["metric"],
        "variant": frame["variant"],
        "qualifier": frame["qualifier"],
        "value": frame["value"], "value_low": frame["value_low"], "value_high": frame["value_high"],
        "share": frame["share"], "share_of": frame["share_of"],
        "countries_count": frame["countries"],
        "page": frame["page"].map(lambda p: None if p is None or pd.isna(p) else f"p. {int(p)}"),
        "quote": frame["quote"],
        "quote_kind": frame["quote_kind"],
        "review_status": status,
        "note": [_note(row) for row in frame.to_dict("records")],
    }, index=frame.index)


def _note(claim: dict) -> str:
    """Provenance the figure table has no column for: who the text credits, where the number is."""
    where = f"number at characters {claim['span_start']}-{claim['span_end']} of the text"
    if claim.get("share_low") is not None and claim.get("share_low") == claim.get("share_low"):
        where += f"; share range {claim['share_low']:g}-{claim['share_high']:g}"
    return (f"extracted from text by flows/claims (rule-based); attributed to {claim['attributed_to']}; "
            f"{where}; review in decisions.csv")
