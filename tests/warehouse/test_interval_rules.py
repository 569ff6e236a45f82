"""The interval rules (warehouse/marts/_interval_rules.sql) over generated inputs: the bounds of a
derived number must contain the result of every exact combination of its inputs, and its
qualifier must say what the bounds say. Inputs are generated; nothing here touches a mirror."""
from __future__ import annotations

import math

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.marts import load_rules

QUALIFIERS = ["exact", "approx", "at_least", "more_than", "up_to", "less_than", "range"]
DIGITS = 3


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    load_rules(con)
    yield con
    con.close()


numbers = st.integers(min_value=0, max_value=50_000).map(float)


@st.composite
def published_figure(draw):
    """(qualifier, value, value_low, value_high) as a publication could state it."""
    qualifier = draw(st.sampled_from(QUALIFIERS))
    if qualifier == "range":
        low = draw(numbers)
        high = low + draw(st.integers(min_value=1, max_value=20_000))
        return qualifier, None, low, float(high)
    return qualifier, draw(numbers), None, None


def exact_value(draw, figure) -> float:
    """One number the published figure allows (what the publisher might have counted)."""
    qualifier, value, low, high = figure
    if qualifier in ("exact", "approx"):
        return value            # an "about" is taken at its published value (rule 1)
    if qualifier == "at_least":
        return value + draw(st.integers(min_value=0, max_value=10**7))
    if qualifier == "more_than":
        return value + draw(st.floats(min_value=0.001, max_value=1e7))
    if qualifier == "up_to":
        return draw(st.floats(min_value=0, max_value=value)) if value else 0.0
    if qualifier == "less_than":
        return draw(st.floats(min_value=0, max_value=value, exclude_max=True)) if value else 0.0
    return draw(st.floats(min_value=low, max_value=high))


def bounds(con, figure) -> tuple[float, float]:
    return con.execute("select figure_low($1, $2, $3, $4), figure_high($1, $2, $3, $4)", list(figure)).fetchone()


def contains(low, high, x) -> bool:
    tolerance = 1e-9 * max(1.0, abs(x))
    return (low is None or low <= x + tolerance) and (high is None or x <= high + tolerance)


def published(con, low, high) -> tuple[float | None, float | None]:
    return con.execute("select published_low($1, $2), published_high($3, $2)", [low, DIGITS, high]).fetchone()


@settings(max_examples=200, deadline=None)
@given(figures=st.lists(published_figure(), min_size=1, max_size=5), data=st.data())
def test_a_sum_contains_every_exact_combination(con, figures, data):
    parts = [bounds(con, f) for f in figures]
    low, high = sum(p[0] for p in parts), sum(p[1] for p in parts)
    qualifier = con.execute("select count_qualifier($1, $2, $3)",
                            [low, high, any(f[0] == "approx" for f in figures)]).fetchone()[0]
    shown_low, shown_high = published(con, low, high)
    total = sum(exact_value(data.draw, f) for f in figures)
    assert contains(shown_low, shown_high, total)
    if any(f[0] in ("at_least", "more_than") for f in figures):
        assert shown_high is None and qualifier in ("at_least", "unbounded")   # "at least" + exact = "at least"
    elif all(f[0] == "exact" for f in figures):
        assert qualifier == "exact" and shown_low == shown_high == total
    elif all(f[0] in ("exact", "approx") for f in figures):
        assert qualifier == "approx"
    else:
        assert qualifier in ("range", "up_to", "exact", "approx")


@settings(max_examples=200, deadline=None)
@given(returned=published_figure(), travelled=published_figure(), data=st.data())
def test_a_rate_contains_every_exact_combination(con, returned, travelled, data):
    (a_low, a_high), (b_low, b_high) = bounds(con, returned), bounds(con, travelled)
    low, high = con.execute("select interval_quotient_low($1, $2, $3, $4), interval_quotient_high($1, $2, $3, $4)",
                            [a_low, a_high, b_low, b_high]).fetchone()
    qualifier = con.execute("select count_qualifier($1, $2, $3)",
                            [low, high, "approx" in (returned[0], travelled[0])]).fetchone()[0]
    a, b = exact_value(data.draw, returned), exact_value(data.draw, travelled)
    if b_high == 0:
        assert low is None and high is None and qualifier is None   # divided by a travelled count of 0
        return
    shown_low, shown_high = published(con, low, high)
    if b > 0:
        assert contains(shown_low, shown_high, a / b)
    if travelled[0] in ("at_least", "more_than") and returned[0] in ("exact", "approx", "up_to", "less_than"):
        # e.g. 246 returned of "more than 900" travelled: the rate is at most 246 / 900
        expected = ("up_to", "exact", "approx") if b_low > 0 else ("unbounded", "up_to", "exact", "approx")
        assert low == 0 and qualifier in expected   # "at least 0" travelled bounds nothing
    if returned[0] == "range" and travelled[0] == "exact" and b > 0:
        # a range divided by a point is a range ("up to" when the range starts at 0)
        assert qualifier == ("range" if a_low > 0 else "up_to")
    if returned[0] == travelled[0] == "exact" and b > 0:
        assert qualifier == "exact" and low == high == a / b


@settings(max_examples=200, deadline=None)
@given(stated=published_figure(), rows=st.lists(published_figure(), min_size=1, max_size=4), data=st.data())
def test_a_gap_contains_every_exact_combination(con, stated, rows, data):
    s_low, s_high = bounds(con, stated)
    parts = [bounds(con, f) for f in rows]
    m_low, m_high = sum(p[0] for p in parts), sum(p[1] for p in parts)
    low, high = con.execute(
        "select interval_difference_low($1, $2, $3, $4), interval_difference_high($1, $2, $3, $4)",
        [s_low, s_high, m_low, m_high]).fetchone()
    qualifier = con.execute("select difference_qualifier($1, $2, false)", [low, high]).fetchone()[0]
    gap = exact_value(data.draw, stated) - sum(exact_value(data.draw, f) for f in rows)
    shown_low, shown_high = published(con, low, high)
    assert contains(shown_low, shown_high, gap)
    assert qualifier == {(True, True): "unbounded", (True, False): "up_to", (False, True): "at_least"}.get(
        (math.isinf(low), math.isinf(high)), qualifier)


@pytest.mark.parametrize("figure, expected", [
    (("exact", 900, None, None), (900, 900)),
    (("approx", 900, None, None), (900, 900)),
    (("more_than", 900, None, None), (900, math.inf)),
    (("at_least", 900, None, None), (900, math.inf)),
    (("up_to", 1500, None, None), (0, 1500)),
    (("less_than", 1500, None, None), (0, 1500)),
    (("range", None, 1200, 1500), (1200, 1500)),
])
def test_a_published_figure_is_the_set_it_allows(con, figure, expected):
    assert bounds(con, figure) == expected


def test_rounding_never_shrinks_an_interval(con):
    assert published(con, 246 / 900, 246 / 900) == (0.273, 0.274)
    assert published(con, 0.25, 0.25) == (0.25, 0.25)
    assert published(con, math.inf, -math.inf) == (None, None)
