"""Words that tell what a figure counts (metric), and other context words.

A metric cue is *strong* when it names the metric on its own ("returned", "killed",
"women", "travelled") and *weak* when it only names the people counted as fighters
("foreign fighters", "jihadists", "recruits"): a weak cue means `travelled` unless a
strong cue in the same clause says otherwise ("50 jihadists returned" → returned).
`pos` is "v" for verbs/predicates and "n" for nouns; a verb cue ends the noun phrase
of a base ("of the Russians went back").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# (pattern, metric, strength, pos); longer and earlier patterns win on overlap
_CUES: list[tuple[str, str, str, str]] = [
    # ---- returned
    (r"(?:left|leaving|fled|escaped|leave)\s+(?:the\s+)?(?:ISIL|ISIS|IS|Daesh|Islamic\s+State)[\s-]*(?:held|controlled)?\s+(?:areas?|territor(?:y|ies))", "returned", "s", "v"),
    (r"(?:left|leaving|fled|escaped)\s+(?:the\s+)?(?:conflict\s+zones?|battlefields?|caliphate|Syria|Iraq)", "returned", "s", "v"),
    (r"return(?:ed|ing|s)?\s+home", "returned", "s", "v"),
    (r"(?:came|come|coming|went|gone|go|going|got|get|made\s+it)\s+back", "returned", "s", "v"),
    (r"(?:came|come|coming)\s+home", "returned", "s", "v"),
    (r"back\s+(?:on\s+(?:home|\w+)\s+soil|home|in\s+(?:their|the)\s+(?:home\s+)?countr(?:y|ies))", "returned", "s", "v"),
    (r"(?:are|were|is|was|now|since|be)\s+back\b", "returned", "s", "v"),
    (r"return(?:ed|ing)?", "returned", "s", "v"),
    (r"return(?:\s+of)?", "returned", "s", "n"),
    (r"returnees?", "returned", "s", "n"),
    (r"repatriat(?:ed|ion|ions)", "returned", "s", "v"),
    (r"(?:revenus?|rentré(?:e|s|es)?|retourné(?:e|s|es)?|de\s+retour|retours?)", "returned", "s", "v"),
    (r"(?:regresad[oa]s?|regresaron|regresos?|retornad[oa]s?|retornando|retornaron|retornos?|han\s+vuelto|volvieron|vuelto)", "returned", "s", "v"),
    (r"(?:teruggekeerd|terugkeerders?|teruggekomen|keerden\s+terug|terugkeer)", "returned", "s", "v"),
    (r"(?:zurückgekehrt|Rückkehrer(?:innen)?|zurückgekommen|kehrten\s+zurück|Rückkehr)", "returned", "s", "v"),
    (r"återvänt", "returned", "s", "v"),
    # ---- killed
    (r"(?:killed|dead|died|deaths?|lost\s+their\s+lives|death\s+toll|martyred|perished)", "killed", "s", "v"),
    (r"(?:tués?|morts?|décédés?|muertos|murieron|fallecidos|omgekomen|gedood|doden|gesneuveld|getötet|gestorben|ums\s+Leben|Tote|döda)", "killed", "s", "v"),
    # ---- detained
    (r"(?:arrested|detained|imprisoned|jailed|incarcerated|in\s+custody|in\s+detention|in\s+prison|behind\s+bars|detainees|arrests|under\s+arrest)", "detained", "s", "v"),
    (r"(?:arrêtés?|détenus|incarcérés|emprisonnés|detenidos|encarcelados|arrestados|gearresteerd|aangehouden|opgepakt|festgenommen|inhaftiert|verhaftet)", "detained", "s", "v"),
    # ---- prosecuted
    (r"(?:prosecuted|convicted|charged|sentenced|indicted|poursuivis|condamnés|procesados|condenados|veroordeeld|vervolgd|verurteilt|angeklagt)", "prosecuted", "s", "v"),
    # ---- present / relocated
    (r"(?:still|remain(?:ed|ing|s)?)\s+(?:in\s+(?:Syria|Iraq|the\s+conflict\s+zones?|the\s+region|theatre)|there\s+now)", "present", "s", "v"),
    (r"(?:relocated|moved\s+on\s+to\s+(?:a\s+)?third\s+countr(?:y|ies)|moved\s+to\s+other\s+(?:theatres|conflict\s+zones))", "relocated", "s", "v"),
    # ---- women / minors
    (r"(?:women|woman|females?|wives|widows|mothers|vrouwen|femmes|mujeres|Frauen|kvinnor)", "women", "s", "n"),
    (r"(?:children|child|minors|infants|babies|kids|boys|girls|teenagers|juveniles|enfants|mineurs|niños|menores|kinderen|minderjarigen|Kinder|Minderjährige)", "minors", "s", "n"),
    # ---- travelled (verbs)
    (r"travel(?:l)?(?:ed|ing|ers?)|traveled|traveling|travel", "travelled", "s", "v"),
    (r"(?:went|gone|go|going|headed|heading|moved|moving)\s+(?:to\s+(?:fight|join|Syria|Iraq|the\s+conflict|ISIL|ISIS)|abroad)", "travelled", "s", "v"),
    (r"(?:headed|heading|moving|moved)\s+to", "travelled", "s", "v"),
    (r"(?:left|leaving)\s+(?:for|to\s+(?:join|fight))", "travelled", "s", "v"),
    (r"(?:left|leaving|departed|departing)", "travelled", "s", "v"),
    (r"(?:joined|joining|join)", "travelled", "s", "v"),
    (r"(?:became|become|becoming)\s+affiliated|affiliated\s+with|affiliates", "travelled", "s", "v"),
    (r"(?:came|come|coming|comes|hail(?:ed|ing|s)?)\s+from", "travelled", "s", "v"),
    (r"coming\s+to\s+fight|to\s+fight", "travelled", "s", "v"),
    (r"(?:fighting|fought|fight)\s+(?:for|alongside|with|in)", "travelled", "s", "v"),
    (r"(?:kept|keep)\s+fighting|fighting", "travelled", "s", "v"),
    (r"departures?|mobili[sz]ed|enlisted|recruited", "travelled", "s", "v"),
    (r"(?:partis|parties|parti|départs?|rejoint|combattre)", "travelled", "s", "v"),
    (r"(?:partido|partieron|viajado|viajaron|se\s+han\s+unido|unido|unieron|desplazados|combatir|luchando)", "travelled", "s", "v"),
    (r"(?:vertrokken|afgereisd|uitgereisd|vertrek)", "travelled", "s", "v"),
    (r"(?:ausgereist|gereist|ausgereisten|Ausreisen?)", "travelled", "s", "v"),
    # ---- travelled (weak: the people counted are fighters)
    (r"(?:foreign\s+(?:terrorist\s+)?fighters|fighters|jihadists|jihadis|recruits|combatants|foreigners|volunteers)", "travelled", "w", "n"),
    (r"(?:combatientes|CTE|yihadistas|jihadistas|djihadistes|jihadistes|combattants|extranjeros|étrangers|buitenlanders|Ausländer)", "travelled", "w", "n"),
    (r"(?:\w*strijders|jihadisten|Dschihadisten|Jihadisten|\w*Kämpfer(?:n|innen)?)", "travelled", "w", "n"),
]


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
ANAPHORA = re.compile(
    r"\b(?:(?:of|among|from)\s+(?:them|these|those|whom|this\s+group|that\s+group|these\s+people|this\s+number|that\s+number|the\s+latter)"
    r"|(?:van|onder)\s+(?:hen|wie|deze)|von\s+ihnen|davon|unter\s+ihnen|de\s+(?:ellos|ellas|estos|éstos)|entre\s+ellos"
    r"|d['’]entre\s+eux|parmi\s+eux|parmi\s+ces|dont)\b",
    re.IGNORECASE,
)
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
