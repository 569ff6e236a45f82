"""Numbers in prose: digits, number words, scales, shares, ranges and their qualifiers.

`find_numbers(sentence, language)` returns `Num`s: counts ("3,417", "seven", "5.6k", "1.2 million"),
shares ("10%", "ten percent", "a quarter", "half"), country counts ("from 33 countries")
and ranges ("between 1,200 and 1,500", "720-760"), each with the qualifier written
before it ("more than", "some", "plus de", "cerca de", ...). Years, dates, ages, times,
phone numbers, money, footnote marks and references ("Resolution 2178") are masked first.

Numbers in words are read by `words.word_numbers` (text2num, five languages); shares in words
and qualifier words are data (language/shares.csv, language/qualifiers.csv).

Choices (documented in README of the package):
- "nearly"/"almost"/"close to"/"just under" → approx (not up_to): the figure is a
  rounded statement of a value near it, which is how the curated transcriptions read them.
- "a dozen", "une trentaine" → 12, 30, approx. "hundreds", "several hundred", "des centaines" → no figure.
- A word for "one" alone ("one", "un", "een", "ein", "unos") is not read as a figure.
- "at least 58 and up to 66" is one range; "15 to 20 percent" a range of shares.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from text_to_num import text2num

from .words import word_numbers

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    "januari|februari|maart|mei|juni|juli|augustus|oktober|"
    "Januar|Februar|März|Juni|Juli|Oktober|Dezember"
)

# --------------------------------------------------------------------------- digits
_SCALE_WORDS = (
    r"k|K|m|bn|million|millions|billion|billions|thousand|mil|millones|millón|"
    r"Millionen|Million|miljoen|miljard|milliard|milliards"
)
DIGIT_NUMBER = re.compile(
    r"(?<![\w.,/)\]])(?<![A-Za-z]-)"
    r"(?P<num>\d{1,3}(?:(?:,\d{3})+|(?:\.\d{3})+|(?:[ \u00a0\u202f]\d{3})+)(?![\d])(?:[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?)"
    rf"(?:\s?(?P<scale>{_SCALE_WORDS})\b)?"
    r"(?![\w])"
)
PERCENT_AFTER = re.compile(
    r"^(?:\s?%|\s*(?:per\s?cent|percent|pour\s?cent|por\s?ciento|procent|Prozent|pct)\b)",
    re.IGNORECASE,
)
SHARES_CSV = Path(__file__).with_name("language") / "shares.csv"
ONE_IN = re.compile(r"\bone\s+(?:in|out\s+of)\s+(two|three|four|five|six|seven|eight|nine|ten)\b", re.I)


def load_share_words(path: Path = SHARES_CSV) -> dict[str, list[tuple[re.Pattern, float]]]:
    """language → [(pattern, share)]: fractions written as words (language/shares.csv)."""
    table: dict[str, list[tuple[re.Pattern, float]]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["language"].startswith("#"):
                continue
            pattern = re.compile(rf"(?<!\w)(?:{row['pattern']})(?!\w)", re.IGNORECASE)
            table.setdefault(row["language"], []).append((pattern, float(row["share"])))
    return table


SHARE_WORDS = load_share_words()

# --------------------------------------------------------------------------- qualifiers
# words written before a figure that hedge it: data in language/qualifiers.csv (qualifier, phrase)
QUALIFIERS_CSV = Path(__file__).with_name("language") / "qualifiers.csv"


def load_qualifier_words(path: Path = QUALIFIERS_CSV) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            table.setdefault(row["qualifier"], []).append(row["phrase"])
    return table


QUALIFIER_WORDS = load_qualifier_words()
_QUAL_LIST = sorted(((w, q) for q, ws in QUALIFIER_WORDS.items() for w in ws), key=lambda x: -len(x[0]))
QUALIFIER_BEFORE = re.compile(
    r"(?:(?<![\w])(?P<q>" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w, _ in _QUAL_LIST) + r"))\s*,?\s*$",
    re.IGNORECASE,
)
_QUAL_OF = {w.lower(): q for w, q in _QUAL_LIST}
AT_LEAST_AFTER = re.compile(r"^(?:\+|\s+or\s+more\b|\s+and\s+more\b|\s+ou\s+plus\b|\s+o\s+más\b)", re.I)

# --------------------------------------------------------------------------- context
COUNTRY_NOUNS = re.compile(
    r"^\s+(?:different\s+|other\s+|more\s+)?(?:countries|nations|nationalities|states|pays|États|países|estados|landen|staten|Ländern|Länder|Staaten)\b",
    re.IGNORECASE,
)
TIME_UNITS = re.compile(
    r"^[\s-]*(?:years?|yrs?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|"
    r"times|km|kilomet(?:er|re)s?|miles?|metres?|meters?|kg|tons?|tonnes?|"
    r"ans|années|mois|semaines|jours|heures|años|meses|semanas|días|horas|"
    r"jaar|jaren|maanden|weken|dagen|uur|Jahre|Jahren|Monate|Monaten|Wochen|Tage|Tagen|Stunden)\b",
    re.IGNORECASE,
)
RATE_AFTER = re.compile(
    r"^\s*(?:per|pour|por|je|par)\s+(?:million|capita|100[,.\s]?000|hundred\s+thousand|millón|mil|habitant|inhabitant)",
    re.IGNORECASE,
)
# the people counted: a figure followed by one of these is a count of people
PEOPLE_NOUNS = (
    "people|persons|individuals|individuos|individus|individuen|Individuen|citizens|nationals|residents|men|women|children|minors|"
    "fighters|foreign\\s+fighters|jihadists|jihadis|recruits|returnees|foreigners|combatants|"
    "militants|volunteers|travellers|travelers|affiliates|"
    "personas|ciudadanos|combatientes|yihadistas|CTE|personnes|ressortissants|combattants|"
    "djihadistes|jihadistes|départs|mensen|personen|strijders|jihadisten|Syriëstrijders|"
    "Personen|Kämpfer|Dschihadisten|Jihadisten|infants|babies|kids|wives|returning"
)
COUNT_NOUN_AFTER = re.compile(
    rf"^\s+(?:(?!(?:the|a|an|some|of|and|or|to|in|de|la|el|het|die|der)\b)[A-Za-zÀ-ÿ]+\s+)?(?:{PEOPLE_NOUNS})\b",
    re.IGNORECASE,
)
DATE_MASKS = [
    re.compile(rf"\b(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?", re.I),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th|er|e)?\.?\s+(?:of\s+|de\s+)?(?:{MONTHS})\b(?:\.?\s+(?:de\s+)?\d{{4}})?", re.I),
    re.compile(rf"\b(?:{MONTHS})\.?,?\s+(?:de\s+|of\s+)?\d{{4}}\b", re.I),
    re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"),
    re.compile(r"\b\d{1,2}[:h]\d{2}\b(?:\s*[ap]\.?m\.?)?", re.I),
    re.compile(r"\b\d{1,2}\s*[ap]\.m\.", re.I),
]
OTHER_MASKS = [
    # phone numbers
    re.compile(r"(?:\+|\b00)\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]\d{1,4}){1,5}\b"),
    re.compile(r"\(\d{2,4}\)\s?\d{3,4}[\s.-]\d{3,4}\b"),
    re.compile(r"\b\d{3}[-.]\d{3}[-.]\d{4}\b"),
    re.compile(r"(?<![\d,.])\b0\d{1,4}(?:[\s.-]\d{2,4}){2,}\b"),
    re.compile(r"\b(?:tel|phone|telephone|fax|call|hotline|t\u00e9l)\.?:?\s*[\d\s().+-]{6,}", re.I),
    # money
    re.compile(r"[$€£¥]\s?\d[\d,.]*(?:\s?(?:million|billion|bn|m|k)\b)?", re.I),
    re.compile(r"\b\d[\d,.]*\s?(?:million\s+|billion\s+)?(?:dollars|euros|pounds|USD|EUR|GBP|francs|dinars|rubles|roubles)\b", re.I),
    # references
    re.compile(r"\b(?:Resolution|Res\.|Article|Art\.|Section|Sec\.|Chapter|Table|Figure|Fig\.|page|pages|p\.|pp\.|No\.|Nr\.|n°|number|paragraph|para\.|footnote|note|Law|Act|Decree|Vol\.|Volume|Issue|vol\.|§)\s*\d[\d.,-]*", re.I),
    # ages
    re.compile(r"\b(?:aged|age|ages|under\s+the\s+age\s+of|over\s+the\s+age\s+of|younger\s+than|older\s+than)\s+\d{1,2}\b(?:\s*(?:-|to|and)\s*\d{1,2})?", re.I),
    re.compile(r"\b\d{1,2}(?:\s*-\s*|\s+)(?:years?[\s-]old|year-olds?|yr-old)", re.I),
    re.compile(r"\b(?:children|minors|boys|girls|kids|youths?|teenagers)\s+(?:under|over|below|above)\s+\d{1,2}\b", re.I),
    # urls
    re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.I),
    # years in parentheses: "(2017)", "(2015-2016)"
    re.compile(r"\((?:19|20)\d{2}(?:\s*[-–/]\s*(?:19|20)?\d{2})?\)"),
]
BASE_BEFORE = re.compile(
    r"(?:\b(?:out\s+of|of|among|sur|van|von|de|des|del|der|parmi)\s+(?:(?:the|these|those|all|les|los|las|de|den|die|der)\s+)?"
    r"(?:(?:total|a\s+total\s+of|total\s+of|totale?)\s+)?$)",
    re.IGNORECASE,
)
BASE_TOTAL_BEFORE = re.compile(
    r"\b(?:del\s+total\s+de|de\s+un\s+total\s+de|out\s+of\s+(?:a\s+total\s+of\s+)?|sur\s+(?:un\s+total\s+de\s+)?|von\s+insgesamt)\s*$",
    re.IGNORECASE,
)
CLAUSE_START = re.compile(r"(?:^|[,;:(—–\"“«]\s*|\bthat\s+)$")
CHANGE_BEFORE = re.compile(
    r"\b(?:rose|risen|rising|increased|increasing|grew|grown|jumped|climbed|fell|fallen|dropped|"
    r"declined|decreased|doubled|tripled|went\s+up|gone\s+up|up|down|augmenté|passé|pasado|aumentado|gestegen|gestiegen)\s+"
    r"(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


@dataclass
class Num:
    start: int                    # span start, qualifier included
    end: int
    vstart: int                   # where the figure itself starts
    value: float | None = None
    low: float | None = None
    high: float | None = None
    share: float | None = None
    qualifier: str = "exact"
    share_low: float | None = None
    share_high: float | None = None
    kind: str = "count"           # count | share | countries
    is_base: bool = False         # "of the 5,000", "Of around 900 people", "del total de 1500"
    had_scale: bool = False
    plain_digits: bool = False    # digits without separators (year candidate)

    @property
    def is_value(self) -> bool:
        return self.kind in ("count", "share")


def parse_digits(num: str, scale: str | None) -> float | None:
    """'3,417' → 3417; '41.490' → 41490; '5 600' → 5600; '1.2' + 'million' → 1.2e6."""
    s = num.replace("\u00a0", " ").replace("\u202f", " ")
    if " " in s:
        s = s.replace(" ", "")
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", s) and not (scale and s.count(".") == 1):
        s = s.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d+", s):
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        return None
    if scale:
        value *= {"k": 1e3, "m": 1e6, "bn": 1e9, "thousand": 1e3, "mil": 1e3, "million": 1e6,
                  "millions": 1e6, "millones": 1e6, "millón": 1e6, "millionen": 1e6,
                  "miljoen": 1e6, "billion": 1e9, "billions": 1e9, "miljard": 1e9,
                  "milliard": 1e9, "milliards": 1e9}[scale.lower()]
    return round(value, 6)


def _masked(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


def mask_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for pat in DATE_MASKS + OTHER_MASKS:
        spans.extend(m.span() for m in pat.finditer(text))
    # footnote marks glued to a word or a closing bracket: "persons1", "(4,761)1"
    spans.extend(m.span() for m in re.finditer(r"(?<=[)\]a-zA-Z”’\"])\d{1,3}\b", text))
    return spans


def _qualifier_before(text: str, start: int) -> tuple[str, int]:
    window = text[max(0, start - 40):start]
    m = QUALIFIER_BEFORE.search(window)
    if not m:
        return "exact", start
    word = re.sub(r"\s+", " ", m.group("q").lower())
    q = _QUAL_OF.get(word)
    if q is None:
        return "exact", start
    return q, start - (len(window) - m.start("q"))


_PERCENT_WORD = re.compile(r"\b(?:por|pour|per)\s+$", re.IGNORECASE)    # "30 por ciento": "ciento" is the percent


def _share_words(text: str, language: str) -> list[tuple[int, int, float]]:
    found = [(m.start(), m.end(), share) for pat, share in SHARE_WORDS.get(language, []) for m in pat.finditer(text)]
    found += [(m.start(), m.end(), 1 / text2num(m.group(1).lower(), "en")) for m in ONE_IN.finditer(text)]
    return found


def _atoms(text: str, masks: list[tuple[int, int]], language: str = "en") -> list[Num]:
    atoms: list[Num] = []
    taken: list[tuple[int, int]] = []
    for start, end, share in _share_words(text, language):
        if not _masked(taken, start, end):
            atoms.append(Num(start, end, start, share=round(share, 6), kind="share"))
            taken.append((start, end))
    for m in DIGIT_NUMBER.finditer(text):
        if _masked(masks, m.start("num"), m.end("num")) or _masked(taken, *m.span()):
            continue
        value = parse_digits(m.group("num"), m.group("scale"))
        if value is None:
            continue
        num = Num(m.start(), m.end(), m.start(), value=value, had_scale=bool(m.group("scale")),
                  plain_digits=bool(re.fullmatch(r"\d+", m.group("num"))) and not m.group("scale"))
        atoms.append(num)
        taken.append(m.span())
    for w in word_numbers(text, language):
        if _masked(taken, w.start, w.end) or _masked(masks, w.start, w.end) or _PERCENT_WORD.search(text, 0, w.start):
            continue
        after = text[w.end:]
        if re.match(r"^\s*(?:of\s+(?:the|them|those|these)|another|other|or\s+two)\b", after, re.I) \
                and w.value < 10 and not PERCENT_AFTER.match(after):
            continue        # "two of the ...", "one or two": not a figure on its own
        atoms.append(Num(w.start, w.end, w.start, value=w.value, qualifier=w.qualifier))
        taken.append((w.start, w.end))
    atoms.sort(key=lambda n: n.start)
    # percentages
    for a in atoms:
        if a.kind == "count":
            pm = PERCENT_AFTER.match(text[a.end:])
            if pm:
                a.share = round(a.value / 100, 6)
                a.value = None
                a.kind = "share"
                a.end += pm.end()
    return atoms


def _is_year(text: str, n: Num) -> bool:
    if not n.plain_digits or n.value is None or not (1900 <= n.value <= 2099) or n.value != int(n.value):
        return False
    after = text[n.end:]
    if COUNT_NOUN_AFTER.match(after):
        return False
    return True


def _range_between(text: str, a: Num, b: Num) -> bool:
    gap = text[a.end:b.start]
    if re.fullmatch(r"\s*(?:and|et|y|en|und|e)\s+", gap, re.I):
        return bool(re.search(r"\b(?:between|entre|tussen|zwischen)\s+$", text[max(0, a.start - 15):a.start], re.I))
    if re.fullmatch(r"\s*[-–]\s*", gap):
        return True
    if re.fullmatch(r"\s+(?:to|à|a|tot|till|bis)\s+", gap, re.I):
        return True
    if re.fullmatch(r"\s+(?:or|ou|o|oder)\s+", gap, re.I):
        return True                      # "veinte o treinta", "20 or 30": a range
    return False


def find_numbers(text: str, language: str = "en") -> list[Num]:
    """All figures in one sentence (see module docstring)."""
    masks = mask_spans(text)
    atoms = [a for a in _atoms(text, masks, language) if not _is_year(text, a)]
    out = _join_ranges(text, atoms)
    for n in out:
        _classify(text, n)
    out = [n for n in out if n.kind != "ignored"]
    _join_bounded_ranges(text, out)
    _merge_share_with_count(text, out)
    out = [n for n in out if n.kind != "merged"]
    _mark_bases(text, out)
    return out


def _join_ranges(text: str, atoms: list[Num]) -> list[Num]:
    """'between 1,200 and 1,500', '720-760', '15 to 20 percent' → one Num each."""
    out: list[Num] = []
    i = 0
    while i < len(atoms):
        joined = _range_of(text, atoms[i], atoms[i + 1]) if i + 1 < len(atoms) else None
        if joined is None:
            out.append(atoms[i])
            i += 1
            continue
        out.append(joined)
        i += 2
    return out


def _range_bounds(text: str, a: Num, b: Num) -> tuple[float, float, bool] | None:
    """(low, high, is a share) when a and b are the two ends of one range."""
    if a.kind == b.kind == "count":
        lo, hi = a.value, b.value
        if b.had_scale and not a.had_scale and lo < hi / 1000:
            lo = lo * _scale_of(text, b)     # "between 1.2 and 1.5 million"
        return lo, hi, False
    if b.kind == "share" and a.kind in ("count", "share"):
        lo = a.share if a.kind == "share" else a.value / 100   # "15 to 20 percent": the percent covers both
        return round(lo, 6), b.share, True
    return None


def _range_of(text: str, a: Num, b: Num) -> Num | None:
    bounds = _range_bounds(text, a, b) if _range_between(text, a, b) else None
    if bounds is None or bounds[0] is None or bounds[1] is None or bounds[0] >= bounds[1]:
        return None
    lo, hi, share = bounds
    if CHANGE_BEFORE.search(text[max(0, a.start - 40):a.start]):
        return b                        # "rose from 2,000 to 5,000": the figure now is 5,000
    prefix = re.search(r"\b(?:between|entre|tussen|zwischen|from|de|van|von)\s+$", text[max(0, a.start - 15):a.start], re.I)
    start = a.start - len(prefix.group(0)) if prefix else a.start
    if share:
        return Num(start, b.end, a.start, share_low=lo, share_high=hi, qualifier="range", kind="share")
    return Num(start, b.end, a.start, low=lo, high=hi, qualifier="range")


def _classify(text: str, n: Num) -> None:
    """Country counts, time spans and rates; the qualifier written before (or after) the figure."""
    after = text[n.end:]
    if n.kind == "count" and n.low is None and COUNTRY_NOUNS.match(after):
        n.kind = "countries"
    elif n.kind == "count" and (TIME_UNITS.match(after) or RATE_AFTER.match(after)):
        n.kind = "ignored"
    if n.qualifier == "range":
        return
    q, qstart = _qualifier_before(text, n.start)
    if q != "exact":
        n.qualifier, n.start = q, qstart
    elif AT_LEAST_AFTER.match(after):
        n.qualifier = "at_least"
        n.end += AT_LEAST_AFTER.match(after).end()


_BOUND_GAP = re.compile(r"\s*,?\s*(?:and|but|et|y|en|und)?\s*(?:(?:potentially|possibly|perhaps|maybe|even)\s+)?", re.I)


def _join_bounded_ranges(text: str, nums: list[Num]) -> None:
    """'at least 58 and up to 66' → one range 58-66 (the wording stays in the quote)."""
    for x, y in zip(nums, nums[1:]):
        if x.kind != "count" or y.kind != "count" or x.value is None or y.value is None:
            continue
        if x.qualifier in ("at_least", "more_than") and y.qualifier == "up_to" and x.value < y.value \
                and _BOUND_GAP.fullmatch(text[x.end:y.start]):
            x.low, x.high, x.value, x.qualifier, x.end = x.value, y.value, None, "range", y.end
            y.kind = "merged"


def _scale_of(text: str, b: Num) -> float:
    m = DIGIT_NUMBER.match(text, b.vstart)
    if m and m.group("scale"):
        return parse_digits("1", m.group("scale"))
    return 1.0


_APPOSITION_GAP = re.compile(
    r"\s*[,(—–-]?\s*(?:(?:or|ou|o|oder|soit|i\.e\.|that\s+is|namely)\s+)?[(—–-]?\s*", re.IGNORECASE
)


def _merge_share_with_count(text: str, nums: list[Num]) -> None:
    """'some 47 percent, or 834' / '13 percent (4,761)' / '500 — 10 percent —' → one figure."""
    for x, y in zip(nums, nums[1:]):
        if x.kind == "merged" or y.kind == "merged":
            continue
        kinds = {x.kind, y.kind}
        if kinds != {"count", "share"} or x.low is not None or y.low is not None:
            continue
        if not _APPOSITION_GAP.fullmatch(text[x.end:y.start]):
            continue
        count, share = (x, y) if x.kind == "count" else (y, x)
        count.share = share.share
        if count.qualifier == "exact" and share.qualifier in ("at_least", "more_than", "up_to", "less_than"):
            count.qualifier = share.qualifier   # a bound carries over; "some 47 percent" does not make 834 approximate
        count.start, count.end = min(x.start, y.start), max(x.end, y.end)
        share.kind = "merged"


def _mark_bases(text: str, nums: list[Num]) -> None:
    """The Y of "X of the Y", "Of the 1,765 people ...", "del total de 1500"."""
    for i, n in enumerate(nums):
        if not n.is_value:
            continue
        before = text[max(0, n.start - 40):n.start]
        if BASE_TOTAL_BEFORE.search(before):
            n.is_base = True
            continue
        m = BASE_BEFORE.search(before)
        if not m:
            continue
        head = before[:m.start()]
        prev = nums[i - 1] if i > 0 else None
        if prev is not None and prev.is_value and re.fullmatch(r"[\s)\]]*", text[prev.end:n.start - len(before) + m.start()]):
            n.is_base = True          # "1,200 of the 5,000", "eight percent of the up to 8,202"
        elif CLAUSE_START.search(head) and re.match(r"(?:of|von|van|de)\b", before[m.start():].strip(), re.I) \
                and re.match(r"\s*(?:of|von|van)\b", before[m.start():], re.I):
            n.is_base = True          # "Of around 900 people from ...", "Von 296 ..."
