"""Rule-based extraction of published figures ("claims") from prose.

    extract_claims(text, page=None) -> list[Claim]
    extract_all(text, page=None) -> Extraction(claims, unresolved)
    extract_from_document(data, kind=None, name="") -> list[Claim]
    extract_all_from_document(data, kind=None, name="") -> Extraction
    claims_to_jsonl(claims) -> str ; claims_to_table(claims) -> str

How a sentence is read (each step is a plain function below):
1. figures (`numbers.find_numbers`), places (`gazetteer.find_areas`), metric cues
   (`cues.find_cues`) are found with their character spans;
2. the sentence is cut into clauses (";", "while", "•") and pieces (",", and "and"/"y"/"et"
   between two parts that each hold a figure), never inside a figure or a place name;
3. each figure gets an area: parallel lists first ("Russia and Saudi Arabia, with 3,417
   and 3,244"), then the places of its own piece (zipped in order when the counts match:
   "Turkey: 900 Tunisia: 800"), else a place-only piece just before it ("In the EU, more
   than 5,000 ..."), else the sentence's only place, else the world ("from 33 countries",
   "foreigners"), else — for "Of them, ..." — the area of the previous sentence;
4. each figure gets a metric: the cue it owns in its piece (the noun it counts, or the
   nearest predicate), else a cue of an earlier piece (list continuation), else a later
   `travelled` cue, else the metric of the previous sentence (same paragraph), else
   `travelled` when the figure counts people *from* a place ("51 from Spain");
5. a figure whose area or metric stays unknown is not a claim: it is reported in
   `Extraction.unresolved` with the reason.
"""
from __future__ import annotations

import bisect
import csv
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .cues import (
    ADJECTIVES, ANAPHORA, FUNCTION_WORDS, NON_PEOPLE_NOUNS, RATE_WORDS, REGION_ANAPHORA, WORLD_CUE, CONTINUATION, Cue, find_cues,
)
from .gazetteer import WORLD, AreaMention, area_kind, area_role, find_areas
from .numbers import COUNTRY_NOUNS, PEOPLE_NOUNS, Num, find_numbers
from .attribution import DOCUMENT, attributed_to
from .records import Claim, Extraction, Unresolved
from .roles import role_of
from .tables import find_tables, table_claims
from .words import detect_language

_PEOPLE = re.compile(rf"(?:{PEOPLE_NOUNS})", re.IGNORECASE)


# --------------------------------------------------------------------------- text → sentences
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nr", "vs", "approx", "ca", "c", "p", "pp", "fig",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "lt",
    "col", "sgt", "inc", "ltd", "co", "corp", "jr", "sr", "art", "sec", "vol", "dept", "gov", "sen",
    "rep", "mt", "ft", "est", "av", "ave", "sra", "sr", "mme", "mlle", "nº", "tel", "tél", "fax", "ph", "tfn",
}
_SENTENCE_END = re.compile(r"[.!?]+[\"”’)\]]*(?=\s+[\"“‘(¿¡]?[A-Z0-9À-ÖØ-Þ])")
_BULLET = re.compile(r"^(?:[•·*▪►-]|–|\d{1,2}[.)])\s+")
_NORMALISE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "\u202f": " ",
                            "\u2009": " ", "\u2007": " "})


@dataclass
class Unit:
    """A unit of text (a sentence run, a headline, a list item) and where each of its
    characters sits in the page text (joined lines map their joining space to the newline)."""
    text: str
    offsets: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the page text of the unit's characters start..end."""
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


def _line_spans(text: str) -> list[tuple[int, int] | None]:
    """Stripped (start, end) of every line; None for a blank line."""
    out: list[tuple[int, int] | None] = []
    for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text):
        if m.start() == len(text) and m.end() == len(text):
            break
        body = re.match(r"[^\r\n]*", text[m.start():m.end()]).group(0)
        lead = len(body) - len(body.lstrip())
        stripped = body.strip()
        out.append((m.start() + lead, m.start() + lead + len(stripped)) if stripped else None)
    return out


def split_text_units(text: str) -> list[list[Unit]]:
    """Paragraphs (blank-line separated), each a list of `Unit`s (wrapped lines joined;
    a short line without final punctuation — a headline, a list item — stands alone)."""
    paragraphs: list[list[Unit]] = []
    units: list[Unit] = []
    for span in _line_spans(text) + [None]:
        if span is None:
            if units:
                paragraphs.append(units)
            units = []
            continue
        _add_line(units, text, *span)
    return paragraphs


def _add_line(units: list[Unit], text: str, start: int, end: int) -> None:
    line, offsets = text[start:end], list(range(start, end))
    if not units or _BULLET.match(line) or _stands_alone(units[-1].text):
        units.append(Unit(line, offsets))
    elif re.search(r"[a-zà-ÿ]-$", units[-1].text) and re.match(r"[a-zà-ÿ]", line):
        last = units[-1]                                   # de-hyphenate "re-\nturned"
        units[-1] = Unit(last.text[:-1] + line, last.offsets[:-1] + offsets)
    else:
        last = units[-1]
        units[-1] = Unit(last.text + " " + line, last.offsets + [last.offsets[-1] + 1] + offsets)


def split_units(text: str) -> list[list[str]]:
    return [[u.text for u in paragraph] for paragraph in split_text_units(text)]


def _stands_alone(previous: str) -> bool:
    last_line = previous
    return len(last_line) < 45 and not re.search(r"[,;:\-–]$|\b(?:and|or|of|the|to|from|with|a|an|in)$", last_line)


def split_sentences(unit: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(unit):
        if m.group(0).startswith("."):
            token = re.search(r"(\S+)$", unit[start:m.start()])
            word = token.group(1) if token else ""
            bare = word.lower().rstrip(".")
            if (bare in _ABBREVIATIONS or re.fullmatch(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}", word)
                    or re.fullmatch(r"[A-Z]", word)):
                continue
        spans.append((start, m.end()))
        start = m.end()
        while start < len(unit) and unit[start].isspace():
            start += 1
    if start < len(unit):
        spans.append((start, len(unit)))
    return [(s, e) for s, e in spans if unit[s:e].strip()]


# --------------------------------------------------------------------------- one sentence
_CLAUSE_SEP = re.compile(
    r"\s*;\s*|\s*[•·|▪]\s*|,?\s+(?:while|whereas|but|mientras\s+que|tandis\s+que|alors\s+que|terwijl|während)\s+",
    re.IGNORECASE,
)
_CONJ = re.compile(
    r"\s+(?:and|et|y|en|und|or|o|ou|as\s+well\s+as|mais\s+aussi|así\s+como|sowie)\s+", re.IGNORECASE
)
_BARE_GAP = re.compile(r"\s*,?\s*(?:(?:and|et|y|und|en|&|or|o|ou)\s+)?")
_AREA_GAP = re.compile(r"\s*,?\s*(?:(?:and|et|y|und|en|&)\s+)?(?:(?:the|la|le|les|el|los|las|l')\s*)?", re.I)
_AUX = {"are", "were", "is", "was", "have", "has", "had", "will", "would", "sont", "ont", "étaient",
        "han", "ha", "son", "fueron", "eran", "zijn", "waren", "hebben", "heeft", "sind", "ist", "hat", "haben",
        "sollen", "seien", "est",
        "went", "came", "accounted", "account", "make", "made", "represent", "represented"}
_RELATIVE = {"who", "that", "which", "que", "qui", "die", "welche", "known", "believed", "thought",
             "reported", "said", "whom", "dont"}
_STATUS = {"killed", "detained", "prosecuted", "present", "relocated"}
_PREDICATE_AFTER_COMMA = re.compile(
    r"\s*(?:are|were|is|was|have|has|had|will|would|sont|ont|son|han|eran|zijn|waren|sind|waren)\b", re.I)
DISTRIBUTIVE_CSV = Path(__file__).with_name("language") / "distributive.csv"
with DISTRIBUTIVE_CSV.open(encoding="utf-8", newline="") as _fh:
    DISTRIBUTIVE = [(r["side"], re.compile(r["pattern"], re.IGNORECASE)) for r in csv.DictReader(_fh)
                    if r["side"] in ("before", "after")]
_PRONOUN_START = re.compile(r"^\W*(?:It|They|He|She|Il|Elle|Ils|Elles|Él|Ella|Er|Sie|Es|Hij|Zij|Ze)\b")
_PREP_TO = re.compile(r"\b(?:to|in|into|en|naar|nach|à|a|au|aux)\s+(?:the\s+|la\s+|le\s+|les\s+|el\s+|l')?$", re.I)


@dataclass
class _Piece:
    start: int
    end: int
    clause: int
    paren: bool = False
    nums: list = field(default_factory=list)
    areas: list = field(default_factory=list)
    cues: list = field(default_factory=list)


@dataclass
class _Context:
    area: AreaMention | None = None     # the one area of the previous sentence
    metric: str | None = None           # the one metric of the previous sentence (same paragraph)
    same_paragraph: bool = False        # the previous sentence is in the same paragraph and named this one area
    new_paragraph: bool = False         # this sentence starts a paragraph (the metric does not carry over)
    regions: dict = field(default_factory=dict)   # region code → mentions so far in the document
    claimed: frozenset = frozenset()                # (area, value) of the document's claims so far
    attribution: str = DOCUMENT                     # who the previous sentence credited

    def topic_region(self) -> str | None:
        """The region the text is about: the one named most often so far."""
        return max(self.regions, key=lambda code: self.regions[code]) if self.regions else None


class _Sentence:
    def __init__(self, raw: str, page: int | None, ctx: _Context, unit: Unit | None = None, offset: int = 0,
                 language: str = "en"):
        self.raw = raw
        self.language = language
        self.unit = unit if unit is not None else Unit(raw, list(range(len(raw))))
        self.offset = offset
        self.s = raw.translate(_NORMALISE)
        self.page = page
        self.ctx = ctx
        self.nums: list[Num] = find_numbers(self.s, language)
        self.values = [n for n in self.nums if n.is_value]
        self.areas: list[AreaMention] = [a for a in find_areas(self.s)
                                         if not any(n.vstart <= a.start < n.end for n in self.nums)
                                         and area_role(self.s, a.end) is None]
        self.areas = sorted(self.areas + self._region_references(), key=lambda a: a.start)
        self.attribution = attributed_to(self.s, language)
        if self.attribution == DOCUMENT and _PRONOUN_START.match(self.s) and ctx.same_paragraph is not None:
            self.attribution = ctx.attribution        # "It said ...": the source of the sentence before
        self.cues: list[Cue] = [c for c in find_cues(self.s)
                                if not any(a.start <= c.start < a.end for a in self.areas)]
        self.tokens = [m.span() for m in re.finditer(r"\w+", self.s)]
        self._token_starts = [t[0] for t in self.tokens]
        self.bare_lists = self._bare_lists()
        self.pieces = self._pieces()
        self.area_of: dict[int, AreaMention | None] = {}
        self.reason: dict[int, str] = {}
        self.base_np: dict[int, tuple[int, int]] = {}
        for n in self.values:
            if n.is_base:
                self.base_np[id(n)] = (n.end, self._np_end(n.end, self._piece_of(n).end))

    def _region_references(self) -> list[AreaMention]:
        """'from the region', 'de la région': the region the text is about."""
        region = self.ctx.topic_region()
        if region is None:
            return []
        return [AreaMention(m.start(), m.end(), region, m.group(0), "anaphora",
                            bool(re.search(r"\b(?:from|de|van|aus|uit)\s+$", self.s[max(0, m.start() - 6):m.start()], re.I)))
                for m in REGION_ANAPHORA.finditer(self.s)
                if not any(a.start < m.end() and m.start() < a.end for a in self.areas)]

    # ----------------------------------------------------------------- helpers
    def _tokens_between(self, a_end: int, b_start: int) -> int:
        if b_start <= a_end:
            return 0
        i = bisect.bisect_left(self._token_starts, a_end)
        j = bisect.bisect_left(self._token_starts, b_start)
        return max(0, j - i)

    def dist(self, x, y) -> int:
        if x.start <= y.start:
            return self._tokens_between(x.end, y.start)
        return self._tokens_between(y.end, x.start)

    def _piece_of(self, obj) -> _Piece:
        for p in self.pieces:
            if p.start <= obj.start < p.end:
                return p
        return self.pieces[-1]

    def _protected(self) -> list[tuple[int, int]]:
        spans = [(n.start, n.end) for n in self.nums] + [(a.start, a.end) for a in self.areas]
        spans += [(lst[0].start, lst[-1].end) for lst in self.bare_lists]
        return spans

    def _bare_lists(self) -> list[list[Num]]:
        """Figures listed with nothing but commas/'and' between them: '700, 400, and 270'."""
        lists, current = [], []
        for n in self.values:
            if current and not n.is_base and _BARE_GAP.fullmatch(self.s[current[-1].end:n.start]):
                current.append(n)
            else:
                if len(current) > 1:
                    lists.append(current)
                current = [n] if not n.is_base else []
        if len(current) > 1:
            lists.append(current)
        for lst in lists:                 # "about 700, 400, and 270": the qualifier covers the list
            q = lst[0].qualifier
            if q not in ("exact", "range"):
                for n in lst[1:]:
                    if n.qualifier == "exact":
                        n.qualifier = q
        return lists

    # ----------------------------------------------------------------- pieces
    def _pieces(self) -> list[_Piece]:
        """The sentence cut into clauses (";", "while") and pieces (",", "(...)" asides),
        never inside a figure or a place; pieces with neither continue the previous one."""
        protected = self._protected()

        def free(i: int, j: int) -> bool:
            return not any(ps < j and i < pe for ps, pe in protected)

        cuts, parens = self._cuts(free)
        pieces = self._split_conjunctions(_cut(self.s, cuts, parens), free)
        self._fill(pieces)
        merged = _merge_empty(pieces)
        self._fill(merged)
        return merged

    def _cuts(self, free) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
        s = self.s
        cuts = [(m.start(), m.end(), "clause") for m in _CLAUSE_SEP.finditer(s) if free(*m.span())]
        for m in re.finditer(r",", s):
            if _PREDICATE_AFTER_COMMA.match(s, m.end()):
                continue                     # "some 47 percent, or 834, are minors": one clause
            if free(*m.span()) and not any(c[0] <= m.start() < c[1] for c in cuts):
                cuts.append((m.start(), m.end(), "piece"))
        parens = [(m.start() + 1, m.end() - 1) for m in re.finditer(r"\(([^()]*)\)", s)
                  if self._aside_with_figure(m.start() + 1, m.end() - 1) and free(m.start(), m.start() + 1)]
        for inner_start, inner_end in parens:
            cuts += [(inner_start - 1, inner_start, "piece"), (inner_end, inner_end + 1, "piece")]
        return sorted(cuts), parens

    def _aside_with_figure(self, start: int, end: int) -> bool:
        return (any(start <= n.vstart < end for n in self.values)
                and any(start <= c.start < end and c.strong for c in self.cues))

    def _split_conjunctions(self, pieces: list[_Piece], free) -> list[_Piece]:
        out = []
        for p in pieces:
            queue = [p]
            while queue:
                q = queue.pop(0)
                done = True
                for m in _CONJ.finditer(self.s, q.start, q.end):
                    if not free(*m.span()):
                        continue
                    left = [n for n in self.values if q.start <= n.vstart < m.start()]
                    right = [n for n in self.values if m.end() <= n.vstart < q.end]
                    if not left or not right:
                        continue
                    tail = self.s[left[-1].end:m.start()]
                    if not re.search(r"\w", tail):           # "900 and 800": a bare list
                        continue
                    queue.insert(0, _Piece(m.end(), q.end, q.clause, q.paren))
                    queue.insert(0, _Piece(q.start, m.start(), q.clause, q.paren))
                    done = False
                    break
                if done:
                    out.append(q)
        return out

    def _fill(self, pieces: list[_Piece]) -> None:
        for p in pieces:
            p.nums = [n for n in self.values if p.start <= n.vstart < p.end]
            p.areas = [a for a in self.areas if p.start <= a.start < p.end]
            p.cues = [c for c in self.cues if p.start <= c.start < p.end]

    # ----------------------------------------------------------------- areas
    def bind_areas(self) -> None:
        used: set[int] = set()
        self._parallel_lists(used)
        consumed: set[int] = set()
        for idx, p in enumerate(self.pieces):
            nums = [n for n in p.nums if id(n) not in self.area_of]
            areas = [a for a in p.areas if id(a) not in used]
            if not nums:
                continue
            if areas:
                if len(areas) == len(nums):
                    for n, a in zip(nums, areas):
                        self.area_of[id(n)] = a
                elif len(areas) == 1:
                    for n in nums:
                        self.area_of[id(n)] = areas[0]
                else:
                    for n in nums:
                        a = self._attach(n, areas)
                        if a is not None:
                            self.area_of[id(n)] = a
                        else:
                            self.reason[id(n)] = "ambiguous area"
                continue
            self._fallback_area(idx, p, nums, consumed)

    def _area_lists(self) -> list[list[AreaMention]]:
        """Places written as a list: 'Russia and Saudi Arabia', 'the UK and Germany'."""
        area_lists, current = [], []
        for a in self.areas:
            if current and _AREA_GAP.fullmatch(self.s[current[-1].end:a.start]):
                current.append(a)
            else:
                if len(current) > 1:
                    area_lists.append(current)
                current = [a]
        if len(current) > 1:
            area_lists.append(current)
        return area_lists

    def distributed_areas(self, n: Num) -> list[AreaMention]:
        """'the UK and Germany with 760 each', 'Bosnien und Kosovo stellten jeweils rund 300':
        every place of the list just before the figure gets the figure."""
        if not any(rule.search(self.s[max(0, n.start - 40):n.start] if side == "before" else self.s[n.end:n.end + 40])
                   for side, rule in DISTRIBUTIVE):
            return []
        piece = self._piece_of(n)
        lists = [al for al in self._area_lists() if piece.start <= al[0].start and al[-1].end <= n.start]
        return lists[-1] if lists else []

    def _parallel_lists(self, used: set[int]) -> None:
        area_lists = self._area_lists()
        for nums in self.bare_lists:
            def clear(x: int, y: int) -> bool:
                return not any(x <= n.vstart < y for n in self.values)
            before = [al for al in area_lists if len(al) == len(nums) and al[-1].end <= nums[0].start
                      and clear(al[-1].end, nums[0].start) and not any(id(a) in used for a in al)]
            after = [al for al in area_lists if len(al) == len(nums) and al[0].start >= nums[-1].end
                     and clear(nums[-1].end, al[0].start) and not any(id(a) in used for a in al)]
            chosen = before[-1] if before else (after[0] if after else None)
            if chosen is None:
                continue
            for n, a in zip(nums, chosen):
                self.area_of[id(n)] = a
                used.add(id(a))

    def _attach(self, n: Num, areas: list[AreaMention]) -> AreaMention | None:
        """One figure, several places in its piece: the place it is written against."""
        right = [a for a in areas if a.start >= n.end]
        for a in right:
            gap = self.s[n.end:a.start]
            if (not re.search(r"[,;]", gap) and self._tokens_between(n.end, a.start) <= 5
                    and not any(n.end <= m.vstart < a.start for m in self.values)
                    and (a.origin or _PREP_TO.search(gap))):
                return a
            break
        left = [a for a in areas if a.end <= n.start]
        if left:
            a = left[-1]
            gap = self.s[a.end:n.start]
            if (self._tokens_between(a.end, n.start) <= 3 and ";" not in gap
                    and not any(a.end <= m.vstart < n.start for m in self.values)):
                return a
        return None

    def _fallback_area(self, idx: int, p: _Piece, nums: list[Num], consumed: set[int]) -> None:
        """A piece with figures but no place: the world, the piece before, the sentence, the context."""
        pairs = (self._world_pairs(p.start, p.end, nums) or self._aside_pairs(idx, p, nums)
                 or self._earlier_piece_pairs(idx, p, nums, consumed) or self._sentence_pairs(nums))
        if pairs:
            for n, a in pairs:
                self.area_of[id(n)] = a
            return
        reason = "ambiguous area" if self.areas else "no area"
        for n in nums:
            self.reason[id(n)] = reason

    def _world_pairs(self, start: int, end: int, nums: list[Num]) -> list[tuple[Num, AreaMention]]:
        world = self._world_mention(start, end)
        return [(n, world) for n in nums] if world is not None else []

    def _aside_pairs(self, idx: int, p: _Piece, nums: list[Num]) -> list[tuple[Num, AreaMention]]:
        """'(...)' right after a place: "Kosovo (316)"."""
        if not p.paren or idx == 0 or len({a.code for a in self.pieces[idx - 1].areas}) != 1:
            return []
        return [(n, self.pieces[idx - 1].areas[0]) for n in nums]

    def _earlier_piece_pairs(self, idx: int, p: _Piece, nums: list[Num], consumed: set[int]) -> list:
        """'In the EU, more than 5,000 ...': a place-only piece just before, in the same clause."""
        for j in range(idx - 1, -1, -1):
            q = self.pieces[j]
            if q.clause != p.clause or (q.areas and (q.nums or j in consumed)):
                return []
            if q.areas:
                pairs = _pair_up(nums, q.areas)
                if pairs:
                    consumed.add(j)
                return pairs
        return []

    def _sentence_pairs(self, nums: list[Num]) -> list[tuple[Num, AreaMention]]:
        """The sentence's only place; else the world; else the previous sentence's place
        ("Of them, ..."); else "the region" that several listed countries make up."""
        codes = {a.code for a in self.areas}
        if len(codes) == 1:
            return [(n, self.areas[0]) for n in nums]
        if not codes:
            inherit = self.ctx.area is not None and (ANAPHORA.search(self.s) or self.ctx.same_paragraph)
            return self._world_pairs(0, len(self.s), nums) or ([(n, self.ctx.area) for n in nums] if inherit else [])
        references = [a for a in self.areas if a.form == "anaphora"]
        if len({a.code for a in references}) == 1:
            return [(n, references[0]) for n in nums]
        return []

    def _world_mention(self, start: int, end: int) -> AreaMention | None:
        for n in self.nums:
            if n.kind == "countries" and start <= n.vstart < end:
                m = COUNTRY_NOUNS.match(self.s[n.end:])
                e = n.end + (m.end() if m else 0)
                b = re.search(r"\bfrom\s+(?:at\s+least\s+|more\s+than\s+|over\s+|some\s+)?$", self.s[max(0, n.start - 25):n.start])
                s0 = n.start - (len(b.group(0)) if b else 0)
                # people counted "from 33 countries" come from the world; "a forum of 29 countries" is not that
                return AreaMention(s0, e, WORLD, self.s[s0:e].strip(), "world", bool(b))
        m = WORLD_CUE.search(self.s, start, end)
        if m:
            origin = bool(re.match(r"foreign|extranj|étrang|buitenl|ausländ|international", m.group(0), re.I))
            return AreaMention(m.start(), m.end(), WORLD, m.group(0), "world", origin)
        return None

    # ----------------------------------------------------------------- metrics
    def _np_end(self, start: int, limit: int) -> int:
        """End of the noun phrase that starts at `start` (a base: 'the 850 fighters who left Britain')."""
        text = self.s[start:limit]
        stop = re.search(r"[,;:()—–]|\s-\s", text)
        end = start + (stop.start() if stop else len(text))
        state = {"relative": False, "relative_verb": False}
        for ts, te in self.tokens:
            if start <= ts < end and self._ends_phrase(ts, te, start, state):
                return ts
        return end

    def _ends_phrase(self, ts: int, te: int, start: int, state: dict) -> bool:
        """Does the token at ts end the noun phrase? `state` follows relative clauses."""
        word = self.s[ts:te].lower()
        if word in _RELATIVE:
            state["relative"] = True
            return False
        if any(n.vstart == ts for n in self.values if n.vstart > start):
            return True
        verb = word in _AUX or any(c.start == ts and c.pos == "v" for c in self.cues)
        participle = verb and word not in _AUX
        if participle and self._noun_follows(te):
            return False                # "der 900 ausgereisten Deutschen": a participle used as an adjective
        if participle and self._aux_follows(te):
            state["relative"] = True    # "des 600 Algériens partis | sont morts": a participle inside the phrase
        if verb and (not state["relative"] or (state["relative_verb"] and word in _AUX)):
            return True                 # "the 5,000 who went to Syria | have returned": the main verb
        state["relative_verb"] = state["relative_verb"] or (state["relative"] and verb)
        return False

    def _noun_follows(self, end: int) -> bool:
        m = re.match(r"\s+(\w+)", self.s[end:])
        if not m:
            return False
        start = end + m.start(1)
        return any(a.start == start for a in self.areas) or bool(_PEOPLE.fullmatch(m.group(1)))

    def _aux_follows(self, end: int) -> bool:
        m = re.match(r"\s+(\w+)", self.s[end:])
        return bool(m) and m.group(1).lower() in _AUX

    def _in_base_np(self, c: Cue, except_base: Num | None = None) -> bool:
        for n in self.values:
            if n.is_base and n is not except_base:
                s0, e0 = self.base_np[id(n)]
                if s0 <= c.start < e0:
                    return True
        return False

    def _share_base(self, n: Num) -> tuple[int, int, Num | None] | None:
        """'Ten percent of the Russians' → span of 'the Russians'; or the base figure."""
        m = re.match(r"\s+(?:of|de|van|von|des|del|der)\s+(?:(?:the|these|those|all|les|los|las|de|den|die|der)\s+)?", self.s[n.end:])
        if not m:
            return None
        start = n.end + m.end()
        for b in self.values:
            if b.is_base and b.start >= n.end and b.start <= start + 1:
                return (b.start, self.base_np[id(b)][1], b)
        return (start, self._np_end(start, self._piece_of(n).end), None)

    def _base_metric(self, b: Num) -> str:
        s0, e0 = self.base_np[id(b)]
        inside = [c for c in self.cues if s0 <= c.start < e0]
        strong = [c for c in inside if c.strong]
        if strong:
            return strong[0].metric
        return inside[0].metric if inside else "travelled"

    def _head(self, n: Num) -> tuple[str, Cue | None]:
        """The word the figure counts: ('cue', cue) | ('people', None) | ('other', None) — not people —
        | ('unknown', None) — a noun we do not know — | ('none', None) — no noun.
        The scan stops at punctuation and at the next figure; a demonym alone is a noun of
        people ("más de 3.000 tunecinos")."""
        demonym, pos = False, n.end
        for ts, te in self.tokens:
            if ts < n.end:
                continue
            if re.search(r"[,;:()\[\]•|.!?]|\s[-–—]\s", self.s[pos:ts]):
                break
            if any(m.vstart == ts for m in self.values):
                break
            pos = te
            cue = next((c for c in self.cues if c.start <= ts < c.end), None)
            if cue is not None:
                return "cue", cue
            area = next((a for a in self.areas if a.start <= ts < a.end), None)
            if area is not None:
                demonym = demonym or area.form == "demonym"
                continue
            word = self.s[ts:te]
            if word.lower() in ADJECTIVES:
                continue
            if word in NON_PEOPLE_NOUNS or word.lower() in NON_PEOPLE_NOUNS:
                return "other", None
            if _PEOPLE.fullmatch(word):
                return "people", None
            if word.lower() in FUNCTION_WORDS:
                break
            return "unknown", None
        return ("people" if demonym else "none"), None

    def metric_for(self, n: Num) -> str | None:
        """What the figure counts: its own phrase first, then the sentence, then the context."""
        if n.is_base:
            return self._base_metric(n)
        kind, head = self._head(n)
        if kind == "other":
            self.reason[id(n)] = "not people"
            return None
        p = self._piece_of(n)
        metric = self._metric_from_cues(n, p, head, self._candidate_cues(n, p))
        if metric is None and kind != "unknown":      # "250 delegates from 40 countries": nothing to inherit
            metric = self._metric_from_context(n, p)
        if metric is None:
            self.reason[id(n)] = "no metric"
        return metric

    def _part_of(self, n: Num, p: _Piece) -> Num | None:
        """The base Y of "X of the Y"."""
        if not re.match(r"\s+of\s+", self.s[n.end:]):
            return None
        return next((b for b in p.nums if b.is_base and b.start >= n.end), None)

    def _candidate_cues(self, n: Num, p: _Piece) -> list[Cue]:
        """The cues of the figure's piece, without those that describe a base or a share's base."""
        share_base = self._share_base(n) if n.share is not None else None
        part_of = self._part_of(n, p)
        cands = [c for c in p.cues if not (share_base and share_base[0] <= c.start < share_base[1])
                 and self._cue_may_describe(c, part_of)]
        if part_of is not None:
            base_metric = self._base_metric(part_of)
            cands = [c for c in cands if c.metric != base_metric] or cands
        return cands

    def _cue_may_describe(self, c: Cue, part_of: Num | None) -> bool:
        if not self._in_base_np(c):
            return True
        if part_of is None:
            return False
        s0, e0 = self.base_np[id(part_of)]
        return s0 <= c.start < e0 and c.metric != self._base_metric(part_of)

    def _metric_from_cues(self, n: Num, p: _Piece, head: Cue | None, cands: list[Cue]) -> str | None:
        owners = [x for x in p.nums if not x.is_base]
        owned = [c for c in cands if c.strong and self._owner(c, owners) is n]
        if head is not None and head.strong and head in cands:
            return self._head_metric(n, head, owned)
        if owned:
            return self._nearest(n, owned)
        if head is not None and head in cands:
            return head.metric
        strong = [c for c in cands if c.strong]
        return self._nearest(n, strong or cands)

    def _head_metric(self, n: Num, head: Cue, owned: list[Cue]) -> str:
        status = [c for c in owned if c.metric in _STATUS]
        if head.metric in ("returned", "travelled") and status:
            return self._nearest(n, status)       # "arrested 43 returnees"
        return head.metric

    def _nearest(self, n: Num, cues: list[Cue]) -> str | None:
        return min(cues, key=lambda c: self.dist(n, c)).metric if cues else None

    def _metric_from_context(self, n: Num, p: _Piece) -> str | None:
        idx = self.pieces.index(p)
        for metric in (self._earlier_piece_metric(idx), self._predicate_after(idx)):
            if metric is not None:
                return metric
        later = [c for q in self.pieces[idx + 1:] for c in q.cues]
        if later and all(c.metric == "travelled" for c in later):
            return "travelled"
        if self.ctx.metric and (not self.ctx.new_paragraph or CONTINUATION.match(self.s)):
            return self.ctx.metric
        area = self.area_of.get(id(n))
        return "travelled" if area is not None and area.origin else None

    def _earlier_piece_metric(self, idx: int) -> str | None:
        """A list goes on: "400 returned to Russia, 760 to Saudi Arabia"."""
        for q in reversed(self.pieces[:idx]):
            if q.paren:
                continue                     # an aside "(44 people have returned)" does not set the list's metric
            cues = [c for c in q.cues if not self._in_base_np(c)] or q.cues
            strong = [c for c in cues if c.strong]
            if strong or cues:
                return (strong or cues)[-1].metric
        return None

    def _predicate_after(self, idx: int) -> str | None:
        """The figure is the subject and its verb comes after an apposition:
        "al menos, 222 individuos (...), tanto españoles como ..., han pasado por las filas del Daesh"."""
        clause = self.pieces[idx].clause
        for q in self.pieces[idx + 1:]:
            if q.clause != clause:
                return None
            if q.paren:
                continue
            if q.nums:
                return None
            verbs = [c for c in q.cues if c.strong and c.pos == "v"]
            if verbs:
                return verbs[0].metric
        return None

    def _owner(self, c: Cue, nums: list[Num]) -> Num | None:
        if not nums:
            return None
        return min(nums, key=lambda x: (self.dist(x, c), 0 if x.start <= c.start else 1))

    def share_of(self, n: Num, metric: str) -> str:
        sb = self._share_base(n)
        if sb is not None:
            s0, e0, base = sb
            if base is not None:
                return self._base_metric(base)
            inside = [c for c in self.cues if s0 <= c.start < e0]
            strong = [c for c in inside if c.strong]
            if strong:
                return strong[0].metric
            if inside:
                return inside[0].metric
            return "travelled"
        bases = [b for b in self.values if b.is_base]
        if bases:
            return self._base_metric(bases[0])
        return "travelled"

    # ----------------------------------------------------------------- claims
    def run(self) -> tuple[list[Claim], list[Unresolved]]:
        self._drop_rates()
        self._drop_roles()
        self.bind_areas()
        claims: list[tuple[Num, Claim]] = []
        unresolved: list[Unresolved] = []
        for n in self.values:
            claim, reason = self._claim_or_reason(n)
            if claim is None:
                unresolved.append(self._unresolved(n, reason, self._metric_or_none(n)))
                continue
            shared = self.distributed_areas(n)       # "A and B with 760 each": one claim per place, in order
            claims += [(n, self._claim(n, a, claim.metric)) for a in shared] if shared else [(n, claim)]
        claims = self._merge_shares(claims)
        self._attach_countries(claims)
        out, seen = [], set()
        for _, c in claims:
            key = (c.area, c.metric, c.value, c.value_low, c.value_high, c.share, c.qualifier)
            if key not in seen:
                seen.add(key)
                out.append(c)
        return out, unresolved

    def _metric_or_none(self, n: Num) -> str | None:
        return None if self.reason.get(id(n), "").startswith(("rate", "role: ")) else self.metric_for(n)

    def _claim_or_reason(self, n: Num) -> tuple[Claim | None, str]:
        reason = self.reason.get(id(n), "")
        if reason == "rate" or reason.startswith("role: "):
            return None, reason
        area = self.area_of.get(id(n))
        metric = self.metric_for(n)
        if area is None or not area.code or metric is None:
            return None, self.reason.get(id(n)) or ("area cannot be coded" if area is not None else "no area")
        why = self._doubt(n, area, metric)
        if why:
            return None, why
        return self._claim(n, area, metric), ""

    def _doubt(self, n: Num, area: AreaMention, metric: str) -> str:
        """Reasons to emit nothing although an area and a metric were found (precision first)."""
        if n.share is not None and n.share > 1:
            return "share above 100%"
        if n.kind == "share" and not any(c.strong for c in self._piece_of(n).cues + self.cues):
            return "share of what: no word says what happened to the share"
        if n.is_base and (area.code, n.value) in self.ctx.claimed:
            return "repeat of an earlier figure (the base of a part)"
        if not n.is_base and area.kind == "region" and self._part_from_countries(n):
            return "a group of countries inside the area"
        return ""

    def _part_from_countries(self, n: Num) -> bool:
        """'around 3,700 of more than 5,000 fighters from EU countries ... come from four states'."""
        part_of_base = re.match(r"\s+(?:of|de|van|von)\s", self.s[n.end:]) and any(b.is_base for b in self.values)
        subset = any(k.kind == "countries" and k.start > n.end and
                     re.search(r"\bfrom\s+$", self.s[max(0, k.start - 6):k.start]) for k in self.nums)
        return bool(part_of_base and subset)

    def _claim(self, n: Num, area: AreaMention, metric: str) -> Claim:
        claim = Claim(
            area=area.code, area_kind=area_kind(area.code), area_as_published=area.text,
            metric=metric, value=n.value, value_low=n.low, value_high=n.high, share=n.share,
            share_of=self.share_of(n, metric) if n.kind == "share" else None,
            qualifier=n.qualifier, quote=self.raw.strip(), page=self.page,
            share_low=n.share_low, share_high=n.share_high, attributed_to=self._attribution_of(n),
        )
        claim.span_start, claim.span_end = self.unit.span(self.offset + n.vstart, self.offset + n.end)
        claim.quote_start, claim.quote_end = self._quote_span()
        return claim

    def _attribution_of(self, n: Num) -> str:
        """The source named in the figure's own clause ("..., while Saudi Arabia reported 760"), else the sentence's."""
        clause = self._piece_of(n).clause
        pieces = [p for p in self.pieces if p.clause == clause]
        if len(pieces) == len(self.pieces):
            return self.attribution
        own = attributed_to(self.s[pieces[0].start:pieces[-1].end], self.language)
        if own != DOCUMENT:
            return own
        figureless = [p for p in self.pieces if not any(q.clause == p.clause and q.nums for q in self.pieces)]
        return attributed_to(" ".join(self.s[p.start:p.end] for p in figureless), self.language)

    def _quote_span(self) -> tuple[int, int]:
        lead = len(self.raw) - len(self.raw.lstrip())
        return self.unit.span(self.offset + lead, self.offset + len(self.raw.rstrip()))

    def _drop_roles(self) -> None:
        """Numbers whose own phrase says they are not fighters (population, victims, ...)."""
        for n in self.values:
            role = role_of(self.s, n.start, n.end, self.language)
            if role is not None:
                self.reason[id(n)] = f"role: {role}"
            if role == "other_conflict":        # "... who went to Afghanistan in the 1980s": not an origin
                self._drop_areas(n.end, self._piece_of(n).end)
        for p in self.pieces:
            p.nums = [n for n in p.nums if id(n) not in self.reason]

    def _drop_areas(self, start: int, end: int) -> None:
        self.areas = [a for a in self.areas if not start <= a.start < end]
        for p in self.pieces:
            p.areas = [a for a in p.areas if not start <= a.start < end]

    def _drop_rates(self) -> None:
        for p in self.pieces:
            m = RATE_WORDS.search(self.s, p.start, p.end)
            if m:
                for n in p.nums:
                    if n.vstart > m.start():
                        self.reason[id(n)] = "rate"
                p.nums = [n for n in p.nums if self.reason.get(id(n)) != "rate"]

    def _merge_shares(self, claims: list[tuple[Num, Claim]]) -> list[tuple[Num, Claim]]:
        """'7,366 ... have returned (20 per cent)': the share joins the count."""
        out = []
        for n, c in claims:
            if c.value is None and c.value_low is None and c.share is not None:
                target = next((d for _, d in claims if d.value is not None and d.share is None
                               and d.area == c.area and d.metric == c.metric), None)
                if target is not None:
                    target.share, target.share_of = c.share, c.share_of
                    continue
            out.append((n, c))
        return out

    def _attach_countries(self, claims: list[tuple[Num, Claim]]) -> None:
        for k in self.nums:
            if k.kind != "countries":
                continue
            before = [(n, c) for n, c in claims if n.start < k.start]
            target = before[-1] if before else (claims[0] if claims else None)
            if target is not None and target[1].countries is None:
                target[1].countries = int(k.value)

    def _unresolved(self, n: Num, reason: str, metric: str | None) -> Unresolved:
        area = self.area_of.get(id(n))
        return Unresolved(
            reason=reason, figure=self.raw[n.start:n.end], value=n.value, value_low=n.low,
            value_high=n.high, share=n.share, qualifier=n.qualifier,
            area=(area.code or None) if area else None, area_as_published=area.text if area else None,
            metric=metric, quote=self.raw.strip(), page=self.page,
        )

    def next_context(self, claims: list[Claim]) -> _Context:
        """What the next sentence may refer back to."""
        area = self._context_area(claims)
        named = len({a.code for a in self.areas}) == 1 and area is not None and self.areas[0].code == area.code
        return _Context(area=area, metric=self._context_metric(claims), same_paragraph=named,
                        regions=self._region_counts(), claimed=self.ctx.claimed | {(c.area, c.value) for c in claims},
                        attribution=self.attribution)

    def _context_area(self, claims: list[Claim]) -> AreaMention | None:
        if len({c.area for c in claims}) == 1:
            c = claims[0]
            return AreaMention(0, 0, c.area, c.area_as_published, "context", False)
        if claims:
            return None
        if len({a.code for a in self.areas}) == 1 and self.areas[0].code:
            return self.areas[0]
        return None if self.areas else self.ctx.area     # no place named: the text goes on about the same one

    def _context_metric(self, claims: list[Claim]) -> str | None:
        metrics = {c.metric for c in claims}
        if claims:
            return metrics.pop() if len(metrics) == 1 else None
        strong = {c.metric for c in self.cues if c.strong}
        weak = {c.metric for c in self.cues}
        return strong.pop() if len(strong) == 1 else (weak.pop() if len(weak) == 1 else None)

    def _region_counts(self) -> dict[str, int]:
        regions = dict(self.ctx.regions)
        for a in self.areas:
            if a.form != "anaphora" and a.code and area_kind(a.code) == "region":
                regions[a.code] = regions.get(a.code, 0) + 1
        return regions


def _cut(s: str, cuts: list[tuple[int, int, str]], parens: list[tuple[int, int]]) -> list[_Piece]:
    pieces, start, clause = [], 0, 0
    for cs, ce, level in cuts:
        if cs > start:
            pieces.append(_Piece(start, cs, clause))
        if level == "clause":
            clause += 1
        start = max(start, ce)
    if start < len(s):
        pieces.append(_Piece(start, len(s), clause))
    if not pieces:
        pieces = [_Piece(0, len(s), 0)]
    for p in pieces:
        p.paren = any(ps <= p.start and p.end <= pe for ps, pe in parens)
    return pieces


def _merge_empty(pieces: list[_Piece]) -> list[_Piece]:
    """A piece with neither a figure nor a place continues the previous one."""
    merged: list[_Piece] = []
    for p in pieces:
        if not p.nums and not p.areas and merged and not merged[-1].paren and not p.paren:
            merged[-1].end = p.end
        else:
            merged.append(p)
    if len(merged) > 1 and not merged[0].nums and not merged[0].areas:
        merged[1].start = merged[0].start
        merged = merged[1:]
    return merged


def _pair_up(nums: list[Num], areas: list[AreaMention]) -> list[tuple[Num, AreaMention]]:
    """Figures of a piece and the places of the piece before: in order, or all to the one place,
    or the one figure to the one place of origin."""
    if len(areas) == len(nums):
        return list(zip(nums, areas))
    if len({a.code for a in areas}) == 1:
        return [(n, areas[0]) for n in nums]
    origins = [a for a in areas if a.origin]
    if len(nums) == 1 and len(origins) == 1:
        return [(nums[0], origins[0])]
    return []


# --------------------------------------------------------------------------- public API
_FINAL_PUNCTUATION = re.compile(r"[.!?…:;\"”»’]\s*$")
_LIST_OR_TABLE = re.compile(r"^\s*[•·*▪►–-]|\||\t| {2,}")


def is_headline(paragraph: list[Unit], last: bool) -> bool:
    """A line standing alone, without final punctuation, before more text: a headline,
    subtitle or caption. Its figures repeat (and round) the body's: low confidence."""
    if last or len(paragraph) != 1:
        return False
    text = paragraph[0].text
    return not _FINAL_PUNCTUATION.search(text) and not _LIST_OR_TABLE.search(text)


def extract_all(text: str, page: int | None = None) -> Extraction:
    """Claims and unresolved figures of a text (one page of a document, or a whole text)."""
    result = Extraction()
    ctx = _Context()
    document_language = detect_language(text)
    tables = find_tables(text)
    for table in tables:
        result.claims.extend(table_claims(text, table, document_language, page))
    paragraphs = split_text_units(_without(text, [(t.start, t.end) for t in tables]))
    for number, paragraph in enumerate(paragraphs):
        ctx = _Context(area=ctx.area, metric=ctx.metric, regions=ctx.regions, claimed=ctx.claimed,
                       new_paragraph=True, attribution=ctx.attribution)
        headline = is_headline(paragraph, last=number == len(paragraphs) - 1)
        for unit in paragraph:
            for s, e in split_sentences(unit.text):
                language = detect_language(unit.text[s:e], default=document_language)
                sentence = _Sentence(unit.text[s:e], page, ctx, unit, s, language)
                claims, unresolved = sentence.run()
                for claim in claims:
                    claim.confidence = "low" if headline else claim.confidence
                result.claims.extend(c for c in claims if c.confidence != "low")
                result.low_confidence.extend(c for c in claims if c.confidence == "low")
                result.unresolved.extend(unresolved)
                ctx = sentence.next_context(claims)
    result.claims.sort(key=lambda c: c.quote_start)
    return result


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the spans blanked out (same length, so offsets stay true)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def extract_claims(text: str, page: int | None = None) -> list[Claim]:
    return extract_all(text, page).claims


def extract_all_from_document(data: bytes, kind: str | None = None, name: str = "") -> Extraction:
    from .read import read_document

    result = Extraction()
    for page, text in read_document(data, kind=kind, name=name):
        part = extract_all(text, page)
        result.claims.extend(part.claims)
        result.unresolved.extend(part.unresolved)
        result.low_confidence.extend(part.low_confidence)
    return result


def extract_from_document(data: bytes, kind: str | None = None, name: str = "") -> list[Claim]:
    return extract_all_from_document(data, kind=kind, name=name).claims


def claims_to_jsonl(claims) -> str:
    """One JSON object per line (claims or unresolved records)."""
    return "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in claims)


def claims_to_table(claims: list[Claim]) -> str:
    """A plain-text table for the terminal."""
    header = ["page", "area", "metric", "value", "low", "high", "share", "share_of", "qualifier", "countries",
              "as published", "attributed to", "chars"]
    rows = [[_fmt(c.page), c.area, c.metric, _fmt(c.value), _fmt(c.value_low), _fmt(c.value_high),
             _fmt(c.share if c.share_low is None else f"{c.share_low:g}-{c.share_high:g}"), _fmt(c.share_of),
             c.qualifier, _fmt(c.countries), c.area_as_published, c.attributed_to, f"{c.span_start}-{c.span_end}"]
            for c in claims]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip() for r in [header] + rows]
    return "\n".join(lines) + "\n"


def _fmt(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)
