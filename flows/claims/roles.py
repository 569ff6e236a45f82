"""A number's role, decided from its own phrase: population, per-capita rate, people
prevented from leaving, victims of an attack, an intention, money, operations, ranks.
None of these is a figure of fighters: such a number never becomes a claim.

The rules are data (language/roles.csv: role, languages, side, pattern); `before` patterns
end where the number (with its qualifier) starts, `after` patterns start where it ends.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROLES_CSV = Path(__file__).with_name("language") / "roles.csv"
_WINDOW = 80


@dataclass(frozen=True)
class RoleRule:
    role: str
    languages: frozenset[str]
    side: str                   # before | after
    pattern: re.Pattern


@lru_cache(maxsize=1)
def role_rules(path: Path = ROLES_CSV) -> tuple[RoleRule, ...]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["role"] and not r["role"].startswith("#")]
    return tuple(RoleRule(r["role"], frozenset(r["languages"].split()), r["side"],
                          re.compile(r["pattern"], re.IGNORECASE)) for r in rows)


def role_of(text: str, start: int, end: int, language: str) -> str | None:
    """The role of the number at text[start:end] when it is not a figure of fighters, else None."""
    before = text[max(0, start - _WINDOW):start]
    after = text[end:end + _WINDOW]
    for rule in role_rules():
        if language not in rule.languages:
            continue
        if rule.pattern.search(before if rule.side == "before" else after):
            return rule.role
    return None
