"""Benchmark of the claim extractor against hand-labelled texts (`make bench-claims`).

    evaluate_dir(folder) -> Benchmark      # every <name>.txt with its <name>.csv of labels
    format_report(benchmark) -> str

A labelled folder holds `<name>.txt` (line 1 `URL: ...` is metadata and is not read) and
`<name>.csv` with the columns `country_or_region,metric,value,low,high,qualifier,expected,
quote,note` (see tests/claims/devset/README.md). Labels are `extract` (must be found),
`optional` (neutral) or `distractor` (a false positive when emitted).

A claim matches a label when its area, metric and value agree (a point value, both bounds
of a range, or the share) and its number lies inside the label's quote in the text. A
claim that matches an `extract` label is a true positive; one that matches an `optional`
label is neutral; any other claim is a false positive. The stricter tier also asks for the
same qualifier. Only the default output is scored (`confidence = low` claims are left out).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .extract import Claim, extract_claims
from .gazetteer import REGION_CODES, WORLD, lookup_area

# label vocabulary → the extractor's codes
LABEL_METRICS = {"in_region": "present"}
LABEL_AREAS = {"world": WORLD, "europe": "EUROPE"}
LABEL_AREAS.update({name.lower(): code for code, name in REGION_CODES.items()})
SHARE_TOLERANCE = 0.005


@dataclass
class Label:
    area: str | None
    metric: str
    value: float | None
    low: float | None
    high: float | None
    share: float | None
    share_low: float | None
    share_high: float | None
    qualifier: str
    expected: str
    quote: str
    quote_start: int
    quote_end: int
    row: int

    def describe(self) -> str:
        return f"{self.area} {self.metric} {_figure(self.value, self.low, self.high, self.share, self.share_low, self.share_high)} ({self.qualifier})"


@dataclass
class TextScore:
    name: str
    true_positives: list[tuple[Claim, Label]] = field(default_factory=list)
    neutral: list[tuple[Claim, Label]] = field(default_factory=list)
    false_positives: list[tuple[Claim, Label | None]] = field(default_factory=list)
    misses: list[Label] = field(default_factory=list)
    extract_labels: int = 0

    @property
    def qualifier_right(self) -> int:
        return sum(1 for c, lb in self.true_positives if c.qualifier == lb.qualifier)


@dataclass
class Benchmark:
    texts: list[TextScore]

    def totals(self) -> TextScore:
        total = TextScore("overall")
        for t in self.texts:
            total.true_positives += t.true_positives
            total.neutral += t.neutral
            total.false_positives += t.false_positives
            total.misses += t.misses
            total.extract_labels += t.extract_labels
        return total


def ratios(score: TextScore) -> dict[str, float]:
    """precision, recall, F1 and the share of true positives with the right qualifier."""
    tp, fp = len(score.true_positives), len(score.false_positives)
    found = len({id(lb) for _, lb in score.true_positives})
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = found / score.extract_labels if score.extract_labels else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    qualifier = score.qualifier_right / tp if tp else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "qualifier": qualifier}


# --------------------------------------------------------------------------- labels
def parse_figure(text: str) -> tuple[float | None, float | None]:
    """'1654' → (1654, None); '50%' → (None, 0.5); '1/3' → (None, 0.333…); '' → (None, None)."""
    text = (text or "").strip()
    if not text:
        return None, None
    if text.endswith("%"):
        return None, float(text[:-1]) / 100
    if "/" in text:
        top, bottom = text.split("/", 1)
        return None, float(top) / float(bottom)
    return float(text), None


def label_area(name: str) -> str | None:
    name = (name or "").strip()
    if not name:
        return None
    return LABEL_AREAS.get(name.lower()) or lookup_area(name)


def load_labels(csv_path: Path, text: str) -> list[Label]:
    labels = []
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for row_number, row in enumerate(csv.DictReader(fh), start=2):
            labels.append(_label(row, row_number, text))
    return labels


def _label(row: dict, row_number: int, text: str) -> Label:
    value, share = parse_figure(row["value"])
    low, share_low = parse_figure(row["low"])
    high, share_high = parse_figure(row["high"])
    quote = row["quote"]
    start = text.find(quote)
    return Label(
        area=label_area(row["country_or_region"]), metric=LABEL_METRICS.get(row["metric"], row["metric"]),
        value=value, low=low, high=high, share=share, share_low=share_low, share_high=share_high,
        qualifier=row["qualifier"], expected=row["expected"], quote=quote,
        quote_start=start, quote_end=start + len(quote) if start >= 0 else -1, row=row_number,
    )


def article_text(path: Path) -> str:
    """The text of a labelled file without its `URL:` line."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("URL:"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return text


# --------------------------------------------------------------------------- matching
def _close(a: float | None, b: float | None, tolerance: float = 0.0) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance


def same_figure(claim: Claim, label: Label) -> bool:
    if label.share is not None or label.share_low is not None:
        return (_close(claim.share, label.share, SHARE_TOLERANCE)
                and _close(claim.share_low, label.share_low, SHARE_TOLERANCE)
                and _close(claim.share_high, label.share_high, SHARE_TOLERANCE))
    if label.value is None and label.low is None:
        return False                       # "several hundred": nothing to match
    return (_close(claim.value, label.value) and _close(claim.value_low, label.low)
            and _close(claim.value_high, label.high))


def matches(claim: Claim, label: Label) -> bool:
    inside = label.quote_start <= claim.span_start < label.quote_end
    return (inside and claim.area == label.area and claim.metric == label.metric
            and same_figure(claim, label))


def _distractor_at(claim: Claim, labels: list[Label]) -> Label | None:
    for label in labels:
        if label.expected == "distractor" and label.quote_start <= claim.span_start < label.quote_end \
                and same_figure(claim, label):
            return label
    return None


def score_text(name: str, claims: list[Claim], labels: list[Label]) -> TextScore:
    score = TextScore(name, extract_labels=sum(1 for lb in labels if lb.expected == "extract"))
    found: set[int] = set()
    for claim in claims:
        hit = next((lb for lb in labels if lb.expected == "extract" and matches(claim, lb)), None)
        hit = hit or next((lb for lb in labels if lb.expected == "optional" and matches(claim, lb)), None)
        if hit is None:
            score.false_positives.append((claim, _distractor_at(claim, labels)))
        elif hit.expected == "extract" and id(hit) not in found:
            score.true_positives.append((claim, hit))
            found.add(id(hit))
        else:
            score.neutral.append((claim, hit))        # optional, or a repeat of a found label
    score.misses = [lb for lb in labels if lb.expected == "extract" and id(lb) not in found]
    return score


def evaluate_dir(folder: Path) -> Benchmark:
    texts = []
    for txt in sorted(Path(folder).glob("*.txt")):
        labels_csv = txt.with_suffix(".csv")
        if not labels_csv.exists():
            continue
        text = article_text(txt)
        claims = extract_claims(text)
        texts.append(score_text(txt.stem, claims, load_labels(labels_csv, text)))
    return Benchmark(texts)


# --------------------------------------------------------------------------- report
def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:.3g}"


def _figure(value, low, high, share, share_low=None, share_high=None) -> str:
    if share is not None:
        return f"{share:.0%}" if round(share * 100, 6).is_integer() else f"{share:.3f}"
    if share_low is not None:
        return f"{share_low:.0%}-{share_high:.0%}"
    if low is not None:
        return f"{_fmt(low)}-{_fmt(high)}"
    return _fmt(value) or "(no number)"


def describe_claim(c: Claim) -> str:
    figure = _figure(c.value, c.value_low, c.value_high, c.share, c.share_low, c.share_high)
    return f"{c.area} {c.metric} {figure} ({c.qualifier})"


def _line(name: str, score: TextScore) -> str:
    r = ratios(score)
    return (f"{name:<22} {len(score.true_positives):>3} {len(score.false_positives):>3} {len(score.misses):>3}"
            f"  {r['precision']:>6.2f} {r['recall']:>6.2f} {r['f1']:>6.2f} {r['qualifier']:>6.2f}")


def format_report(bench: Benchmark, title: str = "claims benchmark") -> str:
    lines = [title, f"{'text':<22} {'TP':>3} {'FP':>3} {'FN':>3}  {'prec':>6} {'recall':>6} {'F1':>6} {'qual':>6}"]
    lines += [_line(t.name, t) for t in bench.texts]
    lines.append(_line("OVERALL", bench.totals()))
    total = bench.totals()
    r = ratios(total)
    lines.append(f"precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}  "
                 f"qualifier right on {total.qualifier_right}/{len(total.true_positives)} true positives "
                 f"({r['qualifier']:.3f})")
    for t in bench.texts:
        for claim, distractor in t.false_positives:
            why = f" = distractor row {distractor.row}" if distractor else ""
            lines.append(f"  FP   {t.name}: {describe_claim(claim)}{why} | {claim.quote[:100]}")
        for label in t.misses:
            lines.append(f"  MISS {t.name}: {label.describe()} row {label.row} | {label.quote[:100]}")
        for claim, label in t.true_positives:
            if claim.qualifier != label.qualifier:
                lines.append(f"  QUAL {t.name}: {describe_claim(claim)} expected {label.qualifier} row {label.row}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import sys

    folders = (argv if argv is not None else sys.argv[1:]) or ["tests/claims/devset"]
    for folder in folders:
        sys.stdout.write(format_report(evaluate_dir(Path(folder)), title=f"claims benchmark: {folder}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
