"""Words that tell what a figure counts (metric), and other context words.

A metric cue is *strong* when it names the metric on its own ("returned", "killed",
"women", "travelled") and *weak* when it only names the people counted as fighters
("foreign fighters", "jihadists", "recruits"): a weak cue means `travelled` unless a
strong cue in the same clause says otherwise ("50 jihadists returned" → returned).
`pos` is "v" for verbs/predicates and "n" for nouns; a verb cue ends the noun phrase
of a base ("of the Russians went back").
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

# The cue table is data: language/metric_cues.csv (metric, strength, pos, languages, pattern),
# one regular expression per row; longer and earlier rows win on overlap.
CUES_CSV = Path(__file__).with_name("language") / "metric_cues.csv"


def load_cue_table(path: Path = CUES_CSV) -> list[tuple[str, str, str, str]]:
    """(pattern, metric, strength s|w, pos v|n) rows of the cue table, in file order."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["pattern"], row["metric"], row["strength"][0], row["pos"][0])
                for row in csv.DictReader(fh) if row["metric"] and not row["metric"].startswith("#")]


_CUES = load_cue_table()


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    metric: str
    strong: bool
    pos: str
    text: str


_COMPILED = [(re.compile(rf"(?<![\w-])(?:{p})(?![\w])", re.IGNORECASE), m, s == "s", pos, i)
             for i, (p, m, s, pos) in enumerate(_CUES)]


def find_cues(text: str) -> list[Cue]:
    found = []
    for pat, metric, strong, pos, order in _COMPILED:
        for m in pat.finditer(text):
            found.append((m.start(), m.end(), metric, strong, pos, order))
    found.sort(key=lambda f: (-(f[1] - f[0]), f[5], f[0]))
    taken: list[tuple[int, int]] = []
    out = []
    for start, end, metric, strong, pos, _ in found:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        out.append(Cue(start, end, metric, strong, pos, text[start:end]))
    out.sort(key=lambda c: c.start)
    return out


# the area of a figure is the world: "foreigners", "from 100 countries", "worldwide"
WORLD_CUE = re.compile(
    r"\b(?:foreigners|extranjeros|étrangers|buitenlanders|Ausländer|foreign\s+(?:persons|nationals|citizens)|international\s+(?:citizens|parents|fighters|nationals|recruits)"
    r"|worldwide|world-wide|globally|around\s+the\s+(?:world|globe)|across\s+the\s+world|all\s+over\s+the\s+world"
    r"|in\s+the\s+world|du\s+monde\s+entier|en\s+todo\s+el\s+mundo|wereldwijd|weltweit)\b",
    re.IGNORECASE,
)
# the sentence refers back to the previous one
ANAPHORA_CSV = Path(__file__).with_name("language") / "anaphora.csv"


def load_anaphora(path: Path = ANAPHORA_CSV) -> dict[str, re.Pattern]:
    """kind → pattern: words that refer back to an area named earlier (language/anaphora.csv)."""
    parts: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] and not row["kind"].startswith("#"):
                parts.setdefault(row["kind"], []).append(row["pattern"])
    return {kind: re.compile(r"\b(?:" + "|".join(ps) + r")\b", re.IGNORECASE) for kind, ps in parts.items()}


ANAPHORA_BY_KIND = load_anaphora()
ANAPHORA = re.compile("|".join(p.pattern for k, p in ANAPHORA_BY_KIND.items() if k != "region"), re.IGNORECASE)
REGION_ANAPHORA = ANAPHORA_BY_KIND["region"]
CONTINUATION = re.compile(ANAPHORA_BY_KIND["continuation"].pattern.replace(r"\b(?:", r"^\s*(?:", 1), re.IGNORECASE)
RATE_WORDS = re.compile(
    r"\b(?:rate|ratio|per\s+capita|per\s+million|per\s+100,000|tasa|taux|ratio|proportion\s+per|graad|Quote)\b",
    re.IGNORECASE,
)
RESPECTIVELY = re.compile(r"\b(?:respectively|respectivement|respectivamente|respectievelijk|beziehungsweise|jeweils)\b", re.I)

# words right after a figure that say nothing about what it counts
FUNCTION_WORDS = {
    "of", "from", "to", "in", "into", "at", "on", "with", "and", "or", "but", "who", "which", "that",
    "have", "has", "had", "are", "were", "is", "was", "be", "been", "will", "would", "may", "might",
    "could", "can", "reportedly", "now", "so", "far", "currently", "still", "already", "also", "too",
    "only", "just", "respectively", "the", "a", "an", "them", "these", "those", "whom", "by", "for",
    "as", "since", "until", "this", "their", "its", "there", "here", "left", "in", "de", "du", "des",
    "d", "en", "et", "ou", "au", "aux", "qui", "que", "sont", "ont", "dont", "avec", "pour", "par", "sur",
    "del", "y", "o", "al", "con", "los", "las", "el", "la", "han", "habían", "son", "fueron", "se",
    "van", "uit", "naar", "zijn", "waren", "hebben", "die", "met", "aus", "und", "oder", "nach",
    "sind", "haben", "der", "sollen", "davon", "mit", "bisher", "bereits", "wieder", "déjà", "ya",
    "le", "les", "un", "une", "unos", "unas", "het", "een", "den", "dem", "des", "ein", "eine",
    "people", "more", "most", "each", "per", "out", "among", "over", "under", "about", "around",
}
# words that may stand between a figure and the noun it counts
ADJECTIVES = {
    "foreign", "international", "other", "more", "additional", "further", "known", "suspected",
    "alleged", "confirmed", "registered", "identified", "individual", "young", "adult", "female",
    "male", "western", "european", "domestic", "local", "radicalised", "radicalized", "extremist",
    "violent", "former", "returning", "active", "weitere", "weiteren", "ausländische", "ausländischen",
    "heimischen", "is", "isis", "isil", "daesh", "terrorist", "new", "so", "called", "self", "styled",
    "extranjeros", "étrangers", "buitenlandse", "total",
}
# a figure followed right away by one of these does not count people
NON_PEOPLE_NOUNS = {
    "attacks", "attack", "plots", "plot", "incidents", "cases", "operations", "raids", "investigations",
    "files", "euros", "dollars", "pounds", "francs", "cities", "towns", "villages", "provinces",
    "bombs", "vehicles", "weapons", "rifles", "tons", "tonnes", "lines", "articles", "laws",
    "measures", "programmes", "programs", "projects", "organisations", "organizations", "groups",
    "cells", "networks", "websites", "accounts", "videos", "posts", "tweets", "sources", "reports",
    "studies", "interviews", "pages", "votes", "seats", "points", "places", "positions", "ranks",
    "attentats", "ataques", "aanslagen", "Anschläge", "casos", "procès",
}
