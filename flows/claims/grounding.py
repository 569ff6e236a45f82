"""Is a claim grounded in its text? Its quote is where `quote_start:quote_end` points, its
number lies inside the quote at `span_start:span_end`, and that number, read again (digits
or words, in any of the five languages), is the claim's value, range or share.

    grounding_problem(claim, text) -> str | None      # None: grounded
"""
from __future__ import annotations

import re

from .numbers import find_numbers
from .records import Claim
from .words import LANGUAGES

_TOLERANCE = 1e-6


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= _TOLERANCE * max(1.0, abs(a))


def reads_as(quote_text: str, start: int, end: int, claim: Claim) -> bool:
    """The number written at quote_text[start:end], read in its sentence, is the claim's figure
    in one of the languages (a count that carries a share written elsewhere in the quote,
    "7,366 ... have returned (20 per cent)", needs that share in the quote too)."""
    for language in LANGUAGES:
        numbers = find_numbers(quote_text, language)
        for n in numbers:
            if n.vstart == start and n.end == end and _same_figure(n, claim, numbers):
                return True
    return _flat_cell(quote_text[start:end], claim)


def _same_figure(n, claim: Claim, numbers: list) -> bool:
    share_found = claim.share is None or _same(n.share, claim.share) or (
        claim.value is not None and any(_same(m.share, claim.share) for m in numbers))
    return (_same(n.value, claim.value) and _same(n.low, claim.value_low) and _same(n.high, claim.value_high)
            and share_found and _same(n.share_low, claim.share_low) and _same(n.share_high, claim.share_high))


def _flat_cell(number_text: str, claim: Claim) -> bool:
    """A cell of a flattened table: bare digits cut out of a run ("65" of "6525")."""
    return number_text.isdigit() and claim.value is not None and int(number_text) == claim.value


def grounding_problem(claim: Claim, text: str) -> str | None:
    if not (0 <= claim.quote_start <= claim.span_start < claim.span_end <= claim.quote_end <= len(text)):
        return f"offsets out of order: quote {claim.quote_start}-{claim.quote_end}, number {claim.span_start}-{claim.span_end}"
    if _squeeze(text[claim.quote_start:claim.quote_end]) != _squeeze(claim.quote):
        return "the quote is not the text at quote_start:quote_end"
    quote_text = text[claim.quote_start:claim.quote_end]
    start, end = claim.span_start - claim.quote_start, claim.span_end - claim.quote_start
    if not reads_as(quote_text, start, end, claim):
        return f"{quote_text[start:end]!r} does not read as the claim's figure"
    return None
