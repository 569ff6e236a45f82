"""The benchmark of issue 13 on the labelled devset (real news, tests/claims/devset/) and on
the held-out sentences (invented, tests/claims/heldout/, written before tuning): targets, the
README's figures, grounding of every claim, and the scoring rules themselves."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.claims import extract_all
from flows.claims.evaluate import (
    Label, article_text, evaluate_dir, label_area, parse_figure, ratios, score_text,
)
from flows.claims.grounding import grounding_problem
from flows.claims.records import Claim
from flows.cli import app
from schemas.figure import QUALIFIERS

HERE = Path(__file__).parent
DEVSET = HERE / "devset"
HELDOUT = HERE / "heldout"
README = HERE.parents[1] / "README.md"
TEXTS = sorted(DEVSET.glob("*.txt")) + sorted(HELDOUT.glob("*.txt")) + [HERE / "data" / "news_2017-10-25_returnees.txt"]


@pytest.fixture(scope="module")
def devset():
    return evaluate_dir(DEVSET)


@pytest.fixture(scope="module")
def heldout():
    return evaluate_dir(HELDOUT)


def test_the_devset_copy_is_whole_and_its_quotes_are_verbatim():
    texts = sorted(DEVSET.glob("*.txt"))
    assert len(texts) == 12
    counts = {"extract": 0, "optional": 0, "distractor": 0}
    for txt in texts:
        text = txt.read_text(encoding="utf-8")
        with txt.with_suffix(".csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                counts[row["expected"]] += 1
                assert row["quote"] in text, (txt.name, row["quote"][:60])
    assert counts == {"extract": 52, "optional": 30, "distractor": 48}      # the devset README's table


def test_the_devset_meets_the_targets(devset):
    r = ratios(devset.totals())
    assert r["precision"] >= 0.95 and r["recall"] >= 0.90 and r["qualifier"] >= 0.90, r


def test_the_readme_states_the_current_figures(devset, heldout):
    readme = README.read_text(encoding="utf-8")
    for name, bench in (("devset", devset), ("held-out", heldout)):
        total = bench.totals()
        r = ratios(total)
        row = (f"| {name} | {len(total.true_positives)} | {len(total.false_positives)} | {len(total.misses)} | "
               f"{r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} | {r['qualifier']:.2f} |")
        assert row in readme, f"README should carry the row {row}"


@pytest.mark.parametrize("path", TEXTS, ids=[p.stem for p in TEXTS])
def test_every_claim_is_grounded_attributed_and_qualified(path):
    text = article_text(path)
    result = extract_all(text)
    for claim in result.claims + result.low_confidence:
        assert grounding_problem(claim, text) is None, (claim, grounding_problem(claim, text))
        assert claim.attributed_to and claim.qualifier in QUALIFIERS


def test_held_out_sentences_are_scored_apart_and_not_empty(heldout):
    assert {t.name for t in heldout.texts} == {"en", "fr", "de", "nl", "es"}
    assert all(t.extract_labels >= 8 for t in heldout.texts)


def test_ftf_claims_evaluate_prints_both_benchmarks():
    out = CliRunner().invoke(app, ["claims", "--evaluate", str(DEVSET), "--evaluate", str(HELDOUT)])
    assert out.exit_code == 0, out.output
    assert out.output.count("OVERALL") == 2 and re.search(r"precision \d\.\d{3}\s+recall \d\.\d{3}", out.output)
    assert "aivd_2021-11" in out.output and "nl " in out.output


def test_ftf_claims_evaluate_refuses_a_missing_folder(tmp_path):
    out = CliRunner().invoke(app, ["claims", "--evaluate", str(tmp_path / "nope")])
    assert out.exit_code == 2 and "nope" in out.output and "Traceback" not in out.output


# ----------------------------------------------------------------------------- scoring rules
@pytest.mark.parametrize("text,value,share", [
    ("1654", 1654, None), ("50%", None, 0.5), ("1/3", None, 1 / 3), ("", None, None), ("11200000", 11_200_000, None),
])
def test_parse_figure(text, value, share):
    got_value, got_share = parse_figure(text)
    assert got_value == value and (got_share == pytest.approx(share) if share else got_share is None)


def test_label_areas():
    assert [label_area(x) for x in ("world", "Europe", "European Union", "Western Balkans", "Bosnia and Herzegovina", "")] \
        == ["WLD", "EUROPE", "EU", "WBALKANS", "BIH", None]


def _label(expected, value, start=0, end=50, metric="travelled"):
    return Label(area="BEL", metric=metric, value=value, low=None, high=None, share=None, share_low=None,
                 share_high=None, qualifier="exact", expected=expected, quote="q", quote_start=start,
                 quote_end=end, row=2)


def _claim(value, at=10, metric="travelled", qualifier="exact"):
    return Claim(area="BEL", area_kind="country", area_as_published="Belgium", metric=metric, value=value,
                 qualifier=qualifier, span_start=at, span_end=at + 3)


def test_scoring_counts_true_false_neutral_and_missed():
    labels = [_label("extract", 470), _label("optional", 42), _label("distractor", 11), _label("extract", 760)]
    claims = [_claim(470), _claim(470), _claim(42), _claim(11), _claim(300), _claim(760, at=80)]
    score = score_text("t", claims, labels)
    assert [c.value for c, _ in score.true_positives] == [470]
    assert [c.value for c, _ in score.neutral] == [470, 42]              # a repeat and an optional row
    assert [(c.value, d is not None) for c, d in score.false_positives] == [(11, True), (300, False), (760, False)]
    assert [lb.value for lb in score.misses] == [760]                    # found outside its quote: not found
    r = ratios(score)
    assert (r["precision"], r["recall"]) == (pytest.approx(1 / 4), pytest.approx(1 / 2))


def test_the_strict_tier_asks_for_the_qualifier():
    score = score_text("t", [_claim(470, qualifier="approx")], [_label("extract", 470)])
    assert len(score.true_positives) == 1 and score.qualifier_right == 0 and ratios(score)["qualifier"] == 0
