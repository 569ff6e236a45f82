"""Place names in prose → ISO 3166-1 alpha-3 codes or region codes.

Country names come from pycountry (name, common and official names) plus the alias
table `gazetteer_aliases.csv` beside this file (short names, demonyms, French, Spanish,
Dutch and German names). Kosovo is `XKX`, Palestine `PSE`. Regions use the codes of
`ref.regions` (REGION_CODES); world totals are `WLD`.

Syria and Iraq are the destination of the travel this project counts, so a mention of
them ("travelled to Syria and Iraq", "Syrian forces") is never taken as the area a
figure is about (`CONFLICT_ZONE`).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry

ALIASES_CSV = Path(__file__).with_name("gazetteer_aliases.csv")

WORLD = "WLD"
REGION_CODES = {
    "EU": "European Union",
    "WEUR": "Western Europe",
    "EEUR": "Eastern Europe",
    "MAGHREB": "Maghreb",
    "NAFR": "North Africa",
    "MENA": "Middle East and North Africa",
    "MIDEAST": "Middle East",
    "CASIA": "Central Asia",
    "FSU": "Former Soviet republics",
    "BALKANS": "Balkans",
    "WBALKANS": "Western Balkans",
    "SEASIA": "South-East Asia",
    "EASIA": "Eastern Asia",
    "SASIA": "Southern Asia",
    "SSAFR": "Sub-Saharan Africa",
    "NAMER": "North America",
    "AMER_AUS_NZ": "Americas, Australia and New Zealand",
    "EUROPE": "Europe",             # as the text names it; not in ref.regions (no member list)
}
NON_ISO_COUNTRIES = {"XKX": "Kosovo", "PSE": "Palestine"}
CONFLICT_ZONE = frozenset({"SYR", "IRQ"})

# words that, right before a place, make it the origin of the people counted
_ORIGIN_BEFORE = re.compile(
    r"(?:\b(?:from|of|de|du|des|del|desde|aus|uit|van|dari)\s+|\bd['’])"
    r"(?:(?:the|la|le|les|el|los|las|den|der|dem|het)\s+|l['’])?$",
    re.IGNORECASE,
)


AREA_ROLES_CSV = Path(__file__).with_name("language") / "area_roles.csv"


@lru_cache(maxsize=1)
def area_role_rules() -> tuple[tuple[str, re.Pattern], ...]:
    with AREA_ROLES_CSV.open(encoding="utf-8", newline="") as fh:
        return tuple((r["role"], re.compile(r["pattern"], re.IGNORECASE)) for r in csv.DictReader(fh)
                     if r["role"] and not r["role"].startswith("#"))


def area_role(text: str, end: int) -> str | None:
    """'Turkey's invasion', 'EU counter-terrorism coordinator': the place names an actor, not an origin."""
    after = text[end:end + 60]
    return next((role for role, pattern in area_role_rules() if pattern.search(after)), None)


def area_kind(code: str) -> str:
    if code == WORLD:
        return "world"
    if code in REGION_CODES:
        return "region"
    return "country"


@dataclass(frozen=True)
class Alias:
    text: str
    code: str          # "" for a blocker
    form: str          # name | demonym | region | blocker
    case_sensitive: bool


@dataclass(frozen=True)
class AreaMention:
    start: int
    end: int
    code: str          # "" for a place that cannot be coded (blocker)
    text: str
    form: str
    origin: bool       # "from X", "de X", a demonym: the people counted come from there

    @property
    def kind(self) -> str:
        return area_kind(self.code) if self.code else "unknown"


def _pycountry_aliases() -> list[Alias]:
    out = []
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(c, attr, None)
            if not name or "," in name or "(" in name:
                continue
            out.append(Alias(name, c.alpha_3, "name", True))
    return out


def _csv_aliases() -> list[Alias]:
    out = []
    with ALIASES_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = (row.get("code") or "").strip()
            alias = (row.get("alias") or "").strip()
            if code.startswith("#") or not alias:
                continue
            out.append(Alias(alias, code, row["form"].strip(), row["case"].strip() != "ci"))
    return out


@lru_cache(maxsize=1)
def aliases() -> dict[tuple[str, bool], Alias]:
    """All aliases keyed by (text as matched, case-sensitive?); the CSV wins over pycountry."""
    table: dict[tuple[str, bool], Alias] = {}
    for a in _pycountry_aliases() + _csv_aliases():
        key = (a.text if a.case_sensitive else a.text.lower(), a.case_sensitive)
        table[key] = a
    return table


def _compile(texts: list[str], flags: int) -> re.Pattern:
    texts = sorted(set(texts), key=len, reverse=True)
    alternation = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in texts)
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", flags)


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    cs = [a.text for (t, sens), a in aliases().items() if sens]
    ci = [a.text for (t, sens), a in aliases().items() if not sens]
    return _compile(cs, 0), _compile(ci, re.IGNORECASE)


def _lookup(matched: str, case_sensitive: bool) -> Alias | None:
    key_text = re.sub(r"\s+", " ", matched)
    if case_sensitive:
        return aliases().get((key_text, True))
    return aliases().get((key_text.lower(), False))


def find_areas(text: str, keep_conflict_zone: bool = False) -> list[AreaMention]:
    """Every place mention in `text`, longest match first, without overlaps."""
    cs_pat, ci_pat = _patterns()
    found: list[tuple[int, int, Alias]] = []
    for pat, sens in ((cs_pat, True), (ci_pat, False)):
        for m in pat.finditer(text):
            alias = _lookup(m.group(0), sens)
            if alias is not None:
                found.append((m.start(), m.end(), alias))
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    taken: list[tuple[int, int]] = []
    out: list[AreaMention] = []
    for start, end, alias in found:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        if alias.code in CONFLICT_ZONE and not keep_conflict_zone:
            continue
        origin = alias.form == "demonym" or bool(_ORIGIN_BEFORE.search(text[max(0, start - 30):start]))
        out.append(AreaMention(start, end, alias.code, text[start:end], alias.form, origin))
    out.sort(key=lambda a: a.start)
    return out


def lookup_area(name: str) -> str | None:
    """Code for a whole name ('Russia', 'the Russians', 'Western Europe'), or None."""
    name = name.strip()
    name = re.sub(r"^(the|la|le|les|el|los|las)\s+", "", name, flags=re.IGNORECASE)
    mentions = find_areas(name, keep_conflict_zone=True)
    if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(name):
        return mentions[0].code or None
    return None
