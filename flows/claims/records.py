"""The records the claim extractor returns: `Claim`, `Unresolved`, `Extraction`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

@dataclass
class Claim:
    area: str                       # ISO 3166-1 alpha-3, region code, or WLD
    area_kind: str                  # country | region | world
    area_as_published: str
    metric: str                     # one of schemas.figure.METRICS
    value: float | None = None
    value_low: float | None = None
    value_high: float | None = None
    share: float | None = None      # 0..1
    share_of: str | None = None     # the metric the share is of
    qualifier: str = "exact"        # exact | approx | at_least | more_than | up_to | less_than | range
    countries: int | None = None    # "from 33 countries" → 33
    quote: str = ""
    page: int | None = None
    share_low: float | None = None  # a range of shares: "15 to 20 percent"
    share_high: float | None = None
    attributed_to: str = "the document"   # who the sentence credits ("the Soufan Group", "AIVD"); "the document": nobody
    span_start: int = -1            # offsets of the number in the page text
    span_end: int = -1
    quote_start: int = -1           # offsets of the quote in the page text
    quote_end: int = -1
    confidence: str = "high"        # high | low (low is left out of the default output)
    quote_kind: str = "sentence"    # sentence | table_row

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Unresolved:
    """A figure that was read but could not be tied to an area and a metric."""
    reason: str                     # no area | ambiguous area | no metric | not people | rate
    figure: str                     # the figure as written
    value: float | None = None
    value_low: float | None = None
    value_high: float | None = None
    share: float | None = None
    qualifier: str = "exact"
    area: str | None = None
    area_as_published: str | None = None
    metric: str | None = None
    quote: str = ""
    page: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Extraction:
    claims: list[Claim] = field(default_factory=list)            # the default output
    unresolved: list[Unresolved] = field(default_factory=list)
    low_confidence: list[Claim] = field(default_factory=list)    # read, but left out of the default output


