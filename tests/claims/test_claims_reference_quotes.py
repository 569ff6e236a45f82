"""Real sentences quoted in the reference transcriptions (tests/claims/data/reference_quotes.csv):
the expected area, metric, value and qualifier of each row come from the human reading in
the reference CSVs (see data/README.md), not from the extractor."""
import csv
from collections import OrderedDict
from pathlib import Path

import pytest

from flows.claims import extract_all

DATA = Path(__file__).parent / "data" / "reference_quotes.csv"


def _num(x):
    return float(x) if x not in ("", None) else None


def _load():
    quotes = OrderedDict()
    with DATA.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            q = quotes.setdefault(row["quote"], {"complete": row["reference_complete"] == "yes", "rows": []})
            q["rows"].append(row)
    return quotes


QUOTES = _load()


def _matches(claim, row):
    return (claim.area == row["area"] and claim.metric == row["metric"]
            and claim.qualifier == row["qualifier"]
            and claim.value == _num(row["value"])
            and claim.value_low == _num(row["value_low"]) and claim.value_high == _num(row["value_high"]))


def test_the_data_file_holds_enough_real_sentences():
    assert len(QUOTES) >= 30
    assert sum(len(q["rows"]) for q in QUOTES.values()) >= 100
    languages = {"plus de 900", "cerca de 100", "unos 250", "bijna 500", "zurückgekehrt"}
    text = " ".join(QUOTES)
    assert all(w in text for w in languages)


@pytest.mark.parametrize("quote", list(QUOTES), ids=[q[:50] for q in QUOTES])
def test_reference_rows_are_extracted(quote):
    claims = extract_all(quote).claims
    entry = QUOTES[quote]
    missing = [(r["area"], r["metric"], r["value"] or f'{r["value_low"]}-{r["value_high"]}', r["qualifier"])
               for r in entry["rows"] if not any(_matches(c, r) for c in claims)]
    assert not missing, f"missing {missing}; got {[(c.area, c.metric, c.value, c.value_low, c.value_high, c.qualifier) for c in claims]}"
    if entry["complete"]:
        extra = [(c.area, c.metric, c.value, c.qualifier) for c in claims
                 if not any(_matches(c, r) for r in entry["rows"])]
        assert not extra, f"figures not in the reference: {extra}"
    for c in claims:
        assert c.quote and c.quote in quote and c.area_as_published   # its own sentence of the quote


def test_area_of_this_group_comes_from_the_previous_sentence():
    # two consecutive sentences of the same article (PTI / Business Standard, 24 Jul 2018)
    text = ("Between April 2013 and June 2018, 41,490 international citizens from 80 countries became "
            "affiliated with the ISIS in Iraq and Syria. Around 7,366 of this group are now believed to have "
            "returned to their home countries (20 per cent) or appear to be in repatriation processes to do so.")
    claims = {(c.area, c.metric): c for c in extract_all(text).claims}
    assert claims[("WLD", "travelled")].value == 41490 and claims[("WLD", "travelled")].countries == 80
    returned = claims[("WLD", "returned")]
    assert (returned.value, returned.qualifier, returned.share, returned.share_of) == (7366, "approx", 0.2, "travelled")


@pytest.mark.parametrize("quote,expected", [
    ("France 1700 • Germany 760 • UK 760 • Belgium 470 • Sweden 300 (Source: Soufan Group)",
     [("FRA", 1700), ("DEU", 760), ("GBR", 760), ("BEL", 470), ("SWE", 300)]),
    ("the Middle East (8240), the Maghreb (8000), Western Europe (5000), former Soviet Republics (4700), "
     "Southeast Asia (900), the Balkans (875), and North America (289)",
     [("MIDEAST", 8240), ("MAGHREB", 8000), ("WEUR", 5000), ("FSU", 4700), ("SEASIA", 900), ("BALKANS", 875), ("NAMER", 289)]),
])
def test_lists_without_a_metric_are_not_guessed(quote, expected):
    result = extract_all(quote)
    assert result.claims == []
    assert [(u.area, u.value) for u in result.unresolved] == expected
    assert all(u.reason == "no metric" and u.metric is None for u in result.unresolved)


def test_the_same_list_with_its_heading_gets_the_heading_metric():
    text = ("HOW MANY FORMER JIHADIS HAVE COME HOME? Turkey: 900 Tunisia: 800 Saudi Arabia: 760 "
            "Britain: 425 Germany: 300 France: 271")
    got = [(c.area, c.metric, c.value) for c in extract_all(text).claims]
    assert got == [("TUR", "returned", 900), ("TUN", "returned", 800), ("SAU", "returned", 760),
                   ("GBR", "returned", 425), ("DEU", "returned", 300), ("FRA", "returned", 271)]
