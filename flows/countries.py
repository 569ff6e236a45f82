"""Country names and codes → ISO 3166-1 alpha-3, through the project's alias table and pycountry.

Never guesses: a name that neither the alias table nor an exact pycountry lookup knows is
returned unresolved with a suggestion, and the caller quarantines the row.
"""
from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from flows.config import REFERENCE_DIR

ALIASES_FILE = REFERENCE_DIR / "country_aliases.csv"


@dataclass(frozen=True)
class Match:
    text: str
    iso3: str | None
    how: str                     # 'alias' | 'iso3' | 'iso2' | 'name' | 'unknown'
    suggestion: str | None = None

    @property
    def reason(self) -> str:
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        return f"unknown country {self.text!r}: not in the alias table nor ISO 3166{hint}"


def normalise(text: str) -> str:
    """Lower-case, accents stripped, spaces collapsed, a leading 'the' dropped."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"\s+", " ", text.strip().lower())
    return re.sub(r"^the ", "", text)


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    with ALIASES_FILE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    table: dict[str, str] = {}
    for row in rows:
        alias = row["alias"].strip()
        # Upper-case aliases are codes and match exactly; others match normalised names.
        table[alias if alias.isupper() else normalise(alias)] = row["country_iso3"].strip()
    return table


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                names.setdefault(normalise(value), c.alpha_3)
    return names


def harmonise(text: str) -> Match:
    raw = "" if text is None else str(text).strip()
    if not raw:
        return Match(raw, None, "unknown")
    aliases = _aliases()
    if raw in aliases:
        return Match(raw, aliases[raw], "alias")
    if re.fullmatch(r"[A-Z]{3}", raw) and pycountry.countries.get(alpha_3=raw):
        return Match(raw, raw, "iso3")
    if re.fullmatch(r"[A-Z]{2}", raw):
        c = pycountry.countries.get(alpha_2=raw)
        if c:
            return Match(raw, c.alpha_3, "iso2")
    key = normalise(raw)
    if key in aliases:
        return Match(raw, aliases[key], "alias")
    names = _names()
    if key in names:
        return Match(raw, names[key], "name")
    return Match(raw, None, "unknown", suggest(raw))


def suggest(text: str) -> str | None:
    """The closest known name, for the quarantine message (never applied automatically)."""
    key = normalise(text)
    candidates = {**_names(), **{k: v for k, v in _aliases().items() if not k.isupper()}}
    close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.75)
    if close:
        return f"{candidates[close[0]]} ({close[0]})"
    try:
        hit = pycountry.countries.search_fuzzy(key)[0]
        return f"{hit.alpha_3} ({hit.name})"
    except LookupError:
        return None
