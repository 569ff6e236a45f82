"""Language of a sentence and numbers written as words (with `text2num`).

    detect_language(text, default="en") -> "en" | "fr" | "de" | "nl" | "es"
    word_numbers(text, language) -> [WordNumber(start, end, value, qualifier)]

The word lists are data in language/: `stopwords.csv` (which language a sentence is in),
`number_words.csv` (collective words such as "a dozen" or "une trentaine", plural scale
words that are vague, words before a scale word that make it vague, articles that mean
"one"). The numbers themselves are parsed by the maintained `text2num` library, which
knows English, French, German, Dutch and Spanish ("fifty-six hundred", "quarante-cinq",
"vijfentwintig", "zwölf", "treinta y cinco").
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from text_to_num import text2num

LANGUAGE_DIR = Path(__file__).with_name("language")
LANGUAGES = ("en", "fr", "de", "nl", "es")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_SCALES = {"hundred", "thousand", "million", "billion"}
_LONGEST_RUN = 8


@dataclass(frozen=True)
class WordNumber:
    start: int
    end: int
    value: float
    qualifier: str = "exact"


@lru_cache(maxsize=1)
def stopwords() -> dict[str, frozenset[str]]:
    with (LANGUAGE_DIR / "stopwords.csv").open(encoding="utf-8", newline="") as fh:
        return {row["language"]: frozenset(row["words"].split()) for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def number_words() -> dict[tuple[str, str], list[tuple[str, float | None, str]]]:
    """(kind, language) → [(phrase, value, qualifier)] from language/number_words.csv."""
    table: dict[tuple[str, str], list[tuple[str, float | None, str]]] = {}
    with (LANGUAGE_DIR / "number_words.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["kind"].startswith("#")]
    for row in rows:
        value = float(row["value"]) if row["value"] else None
        table.setdefault((row["kind"], row["language"]), []).append((row["phrase"], value, row["qualifier"] or "exact"))
    return table


def _phrases(kind: str, language: str) -> set[str]:
    return {p.lower() for p, _, _ in number_words().get((kind, language), [])}


def detect_language(text: str, default: str = "en") -> str:
    """The language whose common words occur most often in `text` (ties: `default`)."""
    words = [w.lower() for w in _WORD.findall(text)]
    counts = {lang: sum(1 for w in words if w in table) for lang, table in stopwords().items()}
    best = max(counts.values(), default=0)
    if best == 0 or counts.get(default, 0) == best:
        return default
    return max(counts, key=lambda lang: counts[lang])


def _parse(phrase: str, language: str) -> float | None:
    try:
        return float(text2num(phrase, language))
    except (ValueError, IndexError, KeyError):
        return None


def _longest_run(text: str, tokens: list[re.Match], i: int, language: str) -> tuple[int, float] | None:
    """The longest run of tokens from i that text2num reads as one number: (last index, value)."""
    best = None
    for j in range(i, min(i + _LONGEST_RUN, len(tokens))):
        if j > i and not re.fullmatch(r"\s+", text[tokens[j - 1].end():tokens[j].start()]):
            break
        value = _parse(text[tokens[i].start():tokens[j].end()], language)
        if value is not None:
            best = (j, value)
    return best


def _is_figure(text: str, tokens: list[re.Match], i: int, j: int, language: str, value: float) -> bool:
    """Not an article alone ("one of", "un rapport", "unos"), not a vague scale ("several hundred")."""
    words = [t.group(0).lower() for t in tokens[i:j + 1]]
    if len(words) == 1 and (value == 1 or words[0] in _phrases("article", language)):
        return False
    if words[0] in _phrases("vague", language):
        return False
    if language == "en" and words[0] in _SCALES:
        before = text[max(0, tokens[i].start() - 3):tokens[i].start()].lower()
        return bool(re.search(r"\ban?\s$", before))
    before = text[max(0, tokens[i].start() - 20):tokens[i].start()].lower()
    return not any(re.search(rf"\b{re.escape(v)}\s+$", before) for v in _phrases("vague_before", language))


def _collectives(text: str, language: str) -> list[WordNumber]:
    out: list[WordNumber] = []
    for phrase, value, qualifier in number_words().get(("collective", language), []):
        body = r"\s+".join(re.escape(word) for word in phrase.split())
        pattern = re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)
        for m in pattern.finditer(text):
            if not any(w.start < m.end() and m.start() < w.end for w in out):
                out.append(WordNumber(m.start(), m.end(), value, qualifier))
    return out


_JOINERS = {"and", "et", "y", "en", "und"}


def _cut_at_joiner(text: str, tokens: list[re.Match], i: int, run: tuple[int, float], language: str):
    """'deux cents et trois cents': the joiner starts a second number when a number word follows
    the run, so the run ends before the joiner."""
    j = run[0]
    follows = j + 1 < len(tokens) and re.fullmatch(r"\s+", text[tokens[j].end():tokens[j + 1].start()]) \
        and _parse(tokens[j + 1].group(0), language) is not None
    joiners = [k for k in range(i + 1, j + 1) if tokens[k].group(0).lower() in _JOINERS]
    if not follows or not joiners:
        return run
    value = _parse(text[tokens[i].start():tokens[joiners[-1] - 1].end()], language)
    return (joiners[-1] - 1, value) if value is not None else run


def word_numbers(text: str, language: str) -> list[WordNumber]:
    """Numbers written as words in `text`, read in `language`."""
    found = _collectives(text, language)
    taken = [(w.start, w.end) for w in found]
    tokens = [t for t in _WORD.finditer(text) if not any(s <= t.start() < e for s, e in taken)]
    i = 0
    while i < len(tokens):
        run = _longest_run(text, tokens, i, language) if _parse(tokens[i].group(0), language) is not None else None
        run = _cut_at_joiner(text, tokens, i, run, language) if run is not None else None
        if run is None or not _is_figure(text, tokens, i, run[0], language, run[1]):
            i += 1
            continue
        found.append(WordNumber(tokens[i].start(), tokens[run[0]].end(), run[1]))
        i = run[0] + 1
    return sorted(found, key=lambda w: w.start)
