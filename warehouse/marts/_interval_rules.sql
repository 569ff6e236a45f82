-- Interval rules: how a qualifier travels into a derived number (rates, per-million figures,
-- sums, gaps). Loaded by warehouse/marts.py before the marts are built (files whose name starts
-- with "_" are not marts); the macros stay in the warehouse, so analysts can use them too.
-- Tested with hypothesis in tests/warehouse/test_interval_rules.py: the interval of a derived
-- number must contain the result of EVERY exact combination of its inputs.
--
-- 1. A published figure is the set of numbers it allows, [low, high] (high may be +infinity):
--      exact v, approx v       -> [v, v]  ("about v" is taken at its published value: the rules
--                                          bound the combinations of the numbers as published,
--                                          not the truth behind an "about")
--      at_least v, more_than v -> [v, +inf)   ("more than 900" allows 900.5, 901, ... 1e9)
--      up_to v, less_than v    -> [0, v]      (counts are never negative)
--      range a-b               -> [a, b]
--    Closed bounds everywhere: "more than 900" gives a bound of 900, a superset, never a lie.
-- 2. Arithmetic on intervals of non-negative numbers (every input here is >= 0):
--      sum        [a, b] + [c, d] = [a + c, b + d]          (inf + x = inf)
--      quotient   [a, b] / [c, d] = [a / d, b / c]          (x / inf = 0; b / 0 = +inf; [.,.]/[0,0] undefined)
--      difference [a, b] - [c, d] = [a - d, b - c]          (may be negative; -inf when d is +inf)
--      a point divided by a point is a point; a range divided by a point is a range.
-- 3. The qualifier of a derived number comes from the shape of its interval:
--      low = high                     -> 'exact' when every input was exact, else 'approx'
--      high = +inf, low above floor   -> 'at_least'   (e.g. a sum with one "at least" term)
--      low at floor, high finite      -> 'up_to'      (e.g. returned / "more than 900" travelled:
--                                                      the rate is at most returned / 900)
--      low above floor, high finite   -> 'range'
--      low at floor, high = +inf      -> 'unbounded'  (the inputs say nothing about it)
--    where floor is the smallest value the quantity can take: 0 for counts, rates and
--    per-million figures, -inf for differences (gaps), whose [0, h] is therefore a 'range'.
--    An 'approx' input is not lost: a point result is then 'approx'; an interval result keeps its
--    shape (the bounds are the published numbers' bounds; the inputs' qualifiers stay beside it).
-- 4. Output: +-infinity is published as an empty cell (no bound); low ends are rounded down and
--    high ends up (to `digits` decimals), so rounding never shrinks the interval.

CREATE OR REPLACE MACRO figure_low(qualifier, value, value_low, value_high) AS
    CASE WHEN qualifier IN ('up_to', 'less_than') THEN 0.0
         WHEN qualifier = 'range' THEN CAST(value_low AS DOUBLE)
         ELSE CAST(coalesce(value, value_low, value_high) AS DOUBLE) END;

CREATE OR REPLACE MACRO figure_high(qualifier, value, value_low, value_high) AS
    CASE WHEN coalesce(value, value_low, value_high) IS NULL THEN NULL
         WHEN qualifier IN ('at_least', 'more_than') THEN 'infinity'::DOUBLE
         WHEN qualifier = 'range' THEN CAST(value_high AS DOUBLE)
         ELSE CAST(coalesce(value, value_high, value_low) AS DOUBLE) END;

CREATE OR REPLACE MACRO interval_quotient_low(a_low, a_high, b_low, b_high) AS
    CASE WHEN b_high = 0 THEN NULL ELSE a_low / b_high END;

CREATE OR REPLACE MACRO interval_quotient_high(a_low, a_high, b_low, b_high) AS
    CASE WHEN b_high = 0 THEN NULL
         WHEN b_low = 0 THEN CASE WHEN a_high = 0 THEN 0.0 ELSE 'infinity'::DOUBLE END
         ELSE a_high / b_low END;

CREATE OR REPLACE MACRO interval_difference_low(a_low, a_high, b_low, b_high) AS a_low - b_high;

CREATE OR REPLACE MACRO interval_difference_high(a_low, a_high, b_low, b_high) AS a_high - b_low;

CREATE OR REPLACE MACRO derived_qualifier(low, high, any_approx, floor_value) AS
    CASE WHEN low IS NULL OR high IS NULL OR isnan(low) OR isnan(high) THEN NULL
         WHEN low = high THEN CASE WHEN any_approx THEN 'approx' ELSE 'exact' END
         WHEN isinf(high) AND low <= floor_value THEN 'unbounded'
         WHEN isinf(high) THEN 'at_least'
         WHEN low <= floor_value THEN 'up_to'
         ELSE 'range' END;

CREATE OR REPLACE MACRO count_qualifier(low, high, any_approx) AS derived_qualifier(low, high, any_approx, 0.0);

CREATE OR REPLACE MACRO difference_qualifier(low, high, any_approx) AS
    derived_qualifier(low, high, any_approx, '-infinity'::DOUBLE);

CREATE OR REPLACE MACRO published_low(x, digits) AS
    CASE WHEN x IS NULL OR isinf(x) OR isnan(x) THEN NULL ELSE floor(x * pow(10, digits) + 1e-9) / pow(10, digits) END;

CREATE OR REPLACE MACRO published_high(x, digits) AS
    CASE WHEN x IS NULL OR isinf(x) OR isnan(x) THEN NULL ELSE ceil(x * pow(10, digits) - 1e-9) / pow(10, digits) END;
