"""Who a sentence credits with its figures: `attributed_to` ("the Soufan Group", "AIVD",
"the interior ministry"). The patterns are data (language/attribution.csv: one regular
expression per row with a group `who`); a sentence that credits nobody gives the figure
to the document itself (`DOCUMENT`).
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

ATTRIBUTION_CSV = Path(__file__).with_name("language") / "attribution.csv"
DOCUMENT = "the document"
_MAX_WORDS = 10
_NOT_A_SOURCE = re.compile(
    r"^(?:it|they|he|she|we|il|elle|ils|elles|on|él|ella|ellos|er|sie|es|hij|zij|ze|het|"
    r"(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday)|"
    r"a\s+report\s+published|the\s+report\s+said)$", re.IGNORECASE)
_TRAILING = re.compile(r"[\s,;:.'’\"”»)(-]+$|\s+(?:in|on|at|with|that|who|which|this|last|on\s+\w+day|of|for|and|the|de|du|des|del|la|van|für|der)$", re.IGNORECASE)


@lru_cache(maxsize=1)
def attribution_rules() -> tuple[tuple[frozenset[str], re.Pattern], ...]:
    with ATTRIBUTION_CSV.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["pattern"] and not r["languages"].startswith("#")]
    return tuple((frozenset(r["languages"].split()), re.compile(r["pattern"])) for r in rows)


def clean_name(name: str) -> str:
    words = name.split()[:_MAX_WORDS]
    name = " ".join(words)
    previous = None
    while previous != name:
        previous, name = name, _TRAILING.sub("", name)
    return name


def attributed_to(sentence: str, language: str) -> str:
    """The organisation or person `sentence` credits, or DOCUMENT."""
    for languages, pattern in attribution_rules():
        if language not in languages:
            continue
        for m in pattern.finditer(sentence):
            name = clean_name(m.group("who"))
            if name and not _NOT_A_SOURCE.match(name):
                return name
    return DOCUMENT
