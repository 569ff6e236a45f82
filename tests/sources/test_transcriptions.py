"""The curated transcriptions (flows/sources/*/mirror/*.csv with format = "transcription"),
their source.toml files, and the region reference tables they point to.

Reads only project files: the mirror must stand on its own on a fresh machine.
"""
from __future__ import annotations

import csv
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from schemas.figure import METRICS, QUALIFIERS  # noqa: E402

SOURCES = ROOT / "flows" / "sources"
REFERENCE = ROOT / "flows" / "reference"

HEADER = ["publication_id", "area_as_published", "area_code", "metric", "variant", "qualifier", "value",
          "value_low", "value_high", "share", "share_of", "countries_count", "reference_date", "page", "quote",
          "document_url", "is_secondary", "flag", "note"]
REQUIRED_TOML_KEYS = ("id", "title", "publisher", "kind", "format", "original_url", "data_url", "published_on",
                      "reference_date", "licence", "cadence", "publication_id", "notes")
FLAGS = ("", "CONFLICT", "LOW CONFIDENCE")

# Rows per publication, counted from /work/shared/reference/reports/*.csv (csv.DictReader, header
# excluded) and split by publication: soufan_2014.csv 14 rows; soufan_2015.csv 44 rows of which 6
# range low/high pairs (Egypt, Libya, Algeria, Palestinian Territories, Yemen, the world total)
# -> 38; soufan_2017.csv 52; icsr_2018.csv 17; other_sources.csv 34 rows: ICCT 16 rows with 6 pairs
# (Germany, United Kingdom, Belgium travelled/returned/killed, EU total) -> 10, Elcano 12,
# Government of Canada 2, ICSR 2019 totals 4. A pair becomes one row with qualifier 'range'.
EXPECTED_ROWS = {
    "soufan_2014_06": 15,          # + United States "Dozens (70+)" (2026-11 correction)
    "soufan_2015_12": 38,
    "soufan_2017_10": 50,          # - two Bosnia rows whose quote was a URL slug (2026-11)
    "icsr_2018_07": 27,            # + 'up to 7,366' reading, 9 regional shares of women and minors (2026-11)
    "icct_2016_04": 10,
    "elcano_2018": 30,             # + 18 rates per million inhabitants / Muslims (2026-11)
    "canada_gov_2017": 2,
    "icsr_2019_07": 4,
    "icsr_2013_12_insight": 4,     # research_2026-11 (page totals)
    "icsr_2015_01_insight": 30,    # research_2026-11 (page totals, Table 1 with per-million figures)
    "aivd_nl_2021_11": 4,          # research_2026-11 (AIVD, official)
}

# Numbers a quote states in words, not digits: (publication, area, metric, variant, field) -> reason.
WORD_NUMBERS = {
    ("soufan_2017_10", "United States", "returned", "", "value"): "quote says 'only seven have returned'",
    ("icsr_2018_07", "Western Europe", "women", "returnees", "share"): "quote says 'eight percent'",
}


def _sources() -> dict[str, dict]:
    out = {}
    for path in sorted(SOURCES.glob("*/source.toml")):
        out[path.parent.name] = tomllib.loads(path.read_text(encoding="utf-8"))
    return out


def _transcriptions() -> dict[str, Path]:
    return {sid: SOURCES / sid / "mirror" / meta["mirror"]["file"]
            for sid, meta in _sources().items() if meta.get("format") == "transcription"}


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _region_codes() -> set[str]:
    with (REFERENCE / "regions.csv").open(encoding="utf-8", newline="") as fh:
        return {r["region_code"] for r in csv.DictReader(fh)}


def _written_forms(number: str) -> list[str]:
    """Regexes for a whole number as a quote may write it: 4761, 4,761, 4.761, 4 761 (also NBSP)."""
    digits = str(int(float(number)))
    groups = []
    head = len(digits) % 3 or 3
    groups.append(digits[:head])
    groups.extend(digits[i:i + 3] for i in range(head, len(digits), 3))
    forms = [re.escape(digits)]
    if len(groups) > 1:
        forms.append(r"[,.\s\u00a0\u202f]".join(groups))
    return [rf"(?<![\d]){f}(?![\d])" for f in forms]


def _quote_states(quote: str, number: str) -> bool:
    return any(re.search(p, quote) for p in _written_forms(number))


TRANSCRIPTIONS = _transcriptions()


def test_every_expected_publication_is_present():
    assert set(EXPECTED_ROWS) <= set(TRANSCRIPTIONS), sorted(set(EXPECTED_ROWS) - set(TRANSCRIPTIONS))


@pytest.mark.parametrize("source_id", sorted(_sources()))
def test_source_toml_parses_with_required_keys_and_mirror(source_id):
    meta = _sources()[source_id]
    if meta.get("format") not in ("transcription", "claims"):
        pytest.skip("not a curated transcription or claims source")
    missing = [k for k in REQUIRED_TOML_KEYS if k not in meta]
    assert not missing, f"{source_id}: source.toml lacks {missing}"
    assert meta["id"] == source_id
    assert meta["kind"] == "figures"
    assert meta["original_url"].startswith(("http://", "https://"))
    assert meta["data_url"] == ""
    for key in ("published_on", "reference_date"):
        assert type(meta[key]).__name__ == "date", f"{source_id}: {key} is not a TOML date"
    assert {"file", "made_by", "made_on"} <= set(meta["mirror"])
    assert (SOURCES / source_id / "mirror" / meta["mirror"]["file"]).is_file()
    if meta["format"] == "claims":
        assert meta["claims"]["default_is_secondary"] is True
        decisions = SOURCES / source_id / "decisions.csv"
        assert decisions.read_text(encoding="utf-8").splitlines()[0] == \
            "area,metric,variant,quote_sha256,decision,reviewer,decided_on,note"
    else:
        # a transcription is its publication, or complements it (icsr_2015_01_insight: the page beside the table)
        assert source_id == meta["publication_id"] or source_id.startswith(meta["publication_id"] + "_")


def _provenance_problems(r: dict, publication_id: str, regions: set[str]) -> list[str]:
    problems = []
    if r["publication_id"] != publication_id:
        problems.append(f"publication_id {r['publication_id']!r}")
    if not r["document_url"].startswith(("http://", "https://")):
        problems.append("no document_url")
    if not (r["page"] or r["quote"]):
        problems.append("neither page nor quote")
    if not r["area_as_published"]:
        problems.append("no area_as_published")
    if r["area_as_published"].startswith(("TOTAL", "REGION")) and not r["area_code"]:
        problems.append("a total/region needs an area_code")
    if r["area_code"] and r["area_code"] not in regions:
        problems.append(f"area_code {r['area_code']!r} not in regions.csv")
    return problems


def _vocabulary_problems(r: dict) -> list[str]:
    problems = []
    if r["metric"] not in METRICS:
        problems.append(f"metric {r['metric']!r}")
    if r["qualifier"] not in QUALIFIERS:
        problems.append(f"qualifier {r['qualifier']!r}")
    if r["share_of"] and r["share_of"] not in METRICS:
        problems.append(f"share_of {r['share_of']!r}")
    if r["share"] and not (0 <= float(r["share"]) <= 1 and r["share_of"]):
        problems.append("share needs 0..1 and share_of")
    if r["flag"] not in FLAGS:
        problems.append(f"flag {r['flag']!r}")
    if r["flag"] and not r["note"]:
        problems.append("a flagged row keeps its detail in note")
    if r["is_secondary"] not in ("true", "false"):
        problems.append(f"is_secondary {r['is_secondary']!r}")
    if r["reference_date"] and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["reference_date"]):
        problems.append(f"reference_date {r['reference_date']!r}")
    return problems


def _number_problems(r: dict) -> list[str]:
    problems = [f"{col} {r[col]!r} is not a plain number"
                for col in ("value", "value_low", "value_high", "countries_count")
                if r[col] and not re.fullmatch(r"\d+(\.\d+)?", r[col])]
    if not (r["value"] or r["value_low"] or r["value_high"] or r["share"]):
        problems.append("no value, range or share")
    if r["qualifier"] == "range":
        if not (r["value_low"] and r["value_high"]) or r["value"]:
            problems.append("a range has value_low and value_high and no value")
        elif float(r["value_low"]) > float(r["value_high"]):
            problems.append("range not ordered")
    elif r["value_low"] or r["value_high"]:
        problems.append("value_low/value_high outside a range")
    return problems


@pytest.mark.parametrize("source_id", sorted(TRANSCRIPTIONS))
def test_transcription_rows(source_id):
    path = TRANSCRIPTIONS[source_id]
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))   # an optional last column quote_kind (default: sentence)
        assert header in (HEADER, HEADER + ["quote_kind"]), f"{path.name}: header differs"
    rows = _rows(path)
    assert rows, f"{path.name}: no rows"
    regions = _region_codes()
    publication_id = _sources()[source_id]["publication_id"]
    problems = []
    for n, r in enumerate(rows, start=2):
        where = f"{path.name}:{n} {r['area_as_published']}/{r['metric']}"
        found = _provenance_problems(r, publication_id, regions) + _vocabulary_problems(r) + _number_problems(r)
        problems.extend(f"{where}: {p}" for p in found)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("source_id", sorted(TRANSCRIPTIONS))
def test_key_is_unique(source_id):
    rows = _rows(TRANSCRIPTIONS[source_id])
    keys = Counter((r["publication_id"], r["area_code"] or r["area_as_published"], r["metric"],
                    r["reference_date"], r["variant"]) for r in rows)
    assert not [k for k, n in keys.items() if n > 1]


@pytest.mark.parametrize("source_id", sorted(TRANSCRIPTIONS))
def test_quote_states_the_numbers(source_id):
    missing = []
    used_whitelist = set()
    for r in _rows(TRANSCRIPTIONS[source_id]):
        quote = r["quote"]
        checks = [(f, r[f]) for f in ("value", "value_low", "value_high") if r[f]]
        if r["share"]:
            checks.append(("share", str(round(float(r["share"]) * 100))))
        if r["countries_count"]:
            checks.append(("countries_count", r["countries_count"]))
        for field, number in checks:
            key = (source_id, r["area_as_published"], r["metric"], r["variant"], field)
            haystack = quote + " " + r["area_as_published"] if field == "countries_count" else quote
            if _quote_states(haystack, number):
                continue
            if r.get("quote_kind") == "table_row" and re.sub(r"\.0$", "", number) in quote.replace(",", ""):
                continue   # a table row whose cells run together in the copy ('Austria100-15017')
            if key in WORD_NUMBERS:
                used_whitelist.add(key)
                continue
            missing.append(f"{r['area_as_published']}/{r['metric']}/{r['variant']}: {field} {number} not in {quote!r}")
    assert not missing, "\n".join(missing)
    stale = {k for k in WORD_NUMBERS if k[0] == source_id} - used_whitelist
    assert not stale, f"whitelist entries no longer needed: {stale}"


def test_row_counts_match_the_reference():
    counts = {sid: len(_rows(TRANSCRIPTIONS[sid])) for sid in EXPECTED_ROWS}
    assert counts == EXPECTED_ROWS


def test_flagged_rows_are_kept():
    flags = Counter(r["flag"] for sid in EXPECTED_ROWS for r in _rows(TRANSCRIPTIONS[sid]) if r["flag"])
    assert flags == {"CONFLICT": 9, "LOW CONFIDENCE": 1}   # + Soufan 2014 United States per RT (2026-11)


def test_soufan_2017_saudi_arabia():
    rows = _rows(TRANSCRIPTIONS["soufan_2017_10"])
    saudi = {(r["metric"], r["variant"]): r for r in rows if r["area_as_published"] == "Saudi Arabia"}
    assert float(saudi[("travelled", "")]["value"]) == 3244
    assert float(saudi[("returned", "")]["value"]) == 760


def test_quotes_keep_non_ascii_text_verbatim():
    rows = _rows(TRANSCRIPTIONS["soufan_2015_12"])
    egypt = [r for r in rows if r["area_as_published"] == "Egypt" and r["variant"] == "afrigate"]
    assert egypt and egypt[0]["quote"] == "7- مصر ( 360- 400 مقاتل)"


def test_regions_and_members():
    with (REFERENCE / "regions.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["region_code", "region_name", "defined_by", "source_url", "note"]
        regions = {r["region_code"]: r for r in reader}
    expected = {"WLD", "EU", "WEUR", "EEUR", "MAGHREB", "NAFR", "MENA", "MIDEAST", "CASIA", "FSU", "BALKANS",
                "WBALKANS", "SEASIA", "EASIA", "SASIA", "SSAFR", "NAMER", "AMER_AUS_NZ"}
    assert set(regions) == expected
    assert all(r["defined_by"] for r in regions.values())
    with (REFERENCE / "region_members.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["region_code", "country_iso3", "member_from", "member_to", "note"]
        members = list(reader)
    assert all(m["region_code"] in regions for m in members)
    assert all(re.fullmatch(r"[A-Z]{3}", m["country_iso3"]) for m in members)
    assert len({(m["region_code"], m["country_iso3"]) for m in members}) == len(members)
    for m in members:
        if m["member_from"] and m["member_to"]:
            assert m["member_from"] <= m["member_to"]
    by_region = Counter(m["region_code"] for m in members)
    assert set(by_region) == expected - {"WLD"}
    eu = {m["country_iso3"]: m for m in members if m["region_code"] == "EU"}
    assert len(eu) == 28
    assert eu["FRA"]["member_from"] == "1958-01-01"
    assert eu["HRV"]["member_from"] == "2013-07-01"
    assert eu["GBR"]["member_to"] == "2020-01-31"
    assert sum(1 for m in eu.values() if m["member_from"] == "2004-05-01") == 10
    assert {m["country_iso3"] for m in members if m["region_code"] == "MAGHREB"} == {"DZA", "LBY", "MRT", "MAR", "TUN"}
    assert by_region["FSU"] == 15
