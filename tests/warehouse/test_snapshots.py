"""SCD2 snapshots: properties over random keyed tables (hypothesis) and the per-kind semantics."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.db import migrate
from warehouse.snapshots import FIGURES, KeyedTable, SnapshotError, apply_figures as apply_figure_snapshot, apply_snapshot

THINGS = KeyedTable("history.things", ("source_id", "k"), ("source_id", "k", "v"), ("source_id",))
T0 = dt.datetime(2017, 1, 1, tzinfo=dt.timezone.utc)


def _db():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA history")
    con.execute("""CREATE TABLE history.things (key_hash VARCHAR, row_hash VARCHAR, source_id VARCHAR, k VARCHAR,
                   v DOUBLE, recorded_from TIMESTAMPTZ, recorded_to TIMESTAMPTZ, opened_by_run VARCHAR, closed_by_run VARCHAR,
                   closed_reason VARCHAR)""")
    return con


def _frame(snapshot: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"source_id": "s", "k": list(snapshot), "v": list(snapshot.values())},
                        columns=["source_id", "k", "v"])


def _as_of(con, t) -> dict[str, float]:
    rows = con.execute("select k, v from history.things where recorded_from <= ? and (recorded_to is null or recorded_to > ?)",
                       [t, t]).fetchall()
    return dict(rows)


# keys include separator-like characters so concatenation collisions would show up
keys = st.text(alphabet="ab,|\\\" ", min_size=0, max_size=3)
snapshots = st.lists(st.dictionaries(keys, st.integers(0, 5).map(float), max_size=6), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots)
def test_as_of_returns_the_snapshot_current_at_each_time(history):
    con = _db()
    times = [T0 + dt.timedelta(days=30 * i) for i in range(len(history))]
    for i, (snap, t) in enumerate(zip(history, times)):
        apply_snapshot(con, THINGS, _frame(snap), run_id=f"r{i}", recorded_from=t)
    assert _as_of(con, T0 - dt.timedelta(days=1)) == {}
    for i, (snap, t) in enumerate(zip(history, times)):
        # an empty snapshot is "nothing to apply", not "everything deleted"
        expected = snap if snap else _expected_after_empty(history, i)
        assert _as_of(con, t) == expected
        assert _as_of(con, t + dt.timedelta(days=29)) == expected
    open_per_key = con.execute("select k, count(*) from history.things where recorded_to is null group by k having count(*) > 1").fetchall()
    assert open_per_key == []
    overlaps = con.execute("""select count(*) from history.things a join history.things b
        on a.k = b.k and a.rowid < b.rowid
        and a.recorded_from < coalesce(b.recorded_to, 'infinity'::timestamptz) and b.recorded_from < coalesce(a.recorded_to, 'infinity'::timestamptz)""").fetchone()[0]
    assert overlaps == 0


def _expected_after_empty(history, i):
    for snap in reversed(history[:i]):
        if snap:
            return snap
    return {}


@settings(max_examples=40, deadline=None)
@given(snapshots)
def test_reapplying_a_snapshot_changes_nothing(history):
    con = _db()
    for i, snap in enumerate(history):
        apply_snapshot(con, THINGS, _frame(snap), run_id=f"r{i}", recorded_from=T0 + dt.timedelta(days=i))
    before = con.execute("select * from history.things order by all").fetchall()
    result = apply_snapshot(con, THINGS, _frame(history[-1]), run_id="again", recorded_from=T0 + dt.timedelta(days=99))
    assert (result.opened, result.closed) == (0, 0)
    assert con.execute("select * from history.things order by all").fetchall() == before


def test_keys_do_not_collide_by_concatenation():
    con = _db()
    frame = pd.DataFrame({"source_id": ["s", "s"], "k": ["a,b", "a"], "v": [1.0, 2.0]})
    r = apply_snapshot(con, KeyedTable("history.things", ("k", "source_id"), ("source_id", "k", "v"), ("source_id",)),
                       frame.assign(k=["a", "a,b"], source_id=["b,s", "s"]), run_id="r", recorded_from=T0)
    assert r.opened == 2


def test_duplicate_keys_and_backdated_snapshots_are_refused():
    con = _db()
    with pytest.raises(SnapshotError, match="duplicate key"):
        apply_snapshot(con, THINGS, _frame({"a": 1.0}).pipe(lambda f: pd.concat([f, f])), run_id="r", recorded_from=T0)
    apply_snapshot(con, THINGS, _frame({"a": 1.0}), run_id="r1", recorded_from=T0)
    with pytest.raises(SnapshotError, match="before versions already recorded"):
        apply_snapshot(con, THINGS, _frame({"a": 2.0}), run_id="r0", recorded_from=T0 - dt.timedelta(days=1))


# ---------------------------------------------------------------- figures: per-publication scope
def _figure(pub, iso3, value, **extra):
    row = {"source_id": "src", "publication_id": pub, "document_url": "https://example.org", "is_secondary": False,
           "country_iso3": iso3, "area_kind": "country", "country_as_published": iso3, "metric": "travelled",
           "variant": "", "value": value, "value_low": None, "value_high": None, "qualifier": "exact", "share": None,
           "share_of": None, "countries_count": None, "reference_date": "2017-10-24", "published_on": "2017-10-24",
           "page": "p. 1", "quote": "q", "quote_kind": "sentence", "review_status": "accepted", "flag": None, "note": None}
    row.update(extra)
    return row


def _warehouse():
    con = duckdb.connect()
    migrate(con)
    return con


def _current(con):
    return sorted(con.execute("select publication_id, country_iso3, value from core.figures").fetchall())


def test_later_edition_not_restating_a_figure_is_not_a_deletion():
    con = _warehouse()
    apply_snapshot(con, FIGURES, pd.DataFrame([_figure("ed_2015", "TUN", 6000.0), _figure("ed_2015", "SAU", 2500.0)]),
                   run_id="r1", recorded_from=T0)
    apply_snapshot(con, FIGURES, pd.DataFrame([_figure("ed_2017", "TUN", 2926.0)]), run_id="r2",
                   recorded_from=T0 + dt.timedelta(days=1))
    assert _current(con) == [("ed_2015", "SAU", 2500.0), ("ed_2015", "TUN", 6000.0), ("ed_2017", "TUN", 2926.0)]


def test_corrected_transcription_of_the_same_publication_is_a_revision():
    con = _warehouse()
    apply_snapshot(con, FIGURES, pd.DataFrame([_figure("ed_2017", "TUN", 2962.0), _figure("ed_2017", "SAU", 3244.0)]),
                   run_id="r1", recorded_from=T0)
    r = apply_snapshot(con, FIGURES, pd.DataFrame([_figure("ed_2017", "TUN", 2926.0)]), run_id="r2",
                       recorded_from=T0 + dt.timedelta(days=1))
    assert (r.opened, r.closed) == (1, 2)  # TUN revised; SAU removed from the corrected transcription
    assert _current(con) == [("ed_2017", "TUN", 2926.0)]
    reasons = con.execute("select country_iso3, closed_reason from history.figures where recorded_to is not null "
                          "order by 1").fetchall()
    assert reasons == [("SAU", "removed_from_source"), ("TUN", "revised")]
    # recording time keeps the typo ("what the warehouse held"); publication time corrects the past
    recorded = con.execute("select value from figures_as_recorded(?) where country_iso3 = 'TUN'", [T0]).fetchall()
    assert recorded == [(2962.0,)]
    published = con.execute("select value from figures_published_by(DATE '2017-12-31') where country_iso3 = 'TUN'")
    assert published.fetchall() == [(2926.0,)]


# ---------------------------------------------------------------- the macros over random histories
countries = st.sampled_from(["TUN", "SAU", "FRA", "BEL"])
figure_snapshots = st.lists(st.dictionaries(countries, st.integers(1, 5).map(float), min_size=1, max_size=4),
                            min_size=1, max_size=5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(figure_snapshots, st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles"]))
def test_figure_macros_answer_each_clock_in_any_session_time_zone(history, zone):
    """figures_as_recorded(t) is the snapshot loaded last at or before t (naive times read as UTC),
    figures_published_by(d) the latest snapshot once d reaches the publication date, whatever the
    session's TimeZone."""
    con = _warehouse()
    times = [T0 + dt.timedelta(days=30 * i) for i in range(len(history))]
    for i, (snap, t) in enumerate(zip(history, times)):
        rows = [_figure("ed", iso3, value, published_on="2016-06-30") for iso3, value in snap.items()]
        apply_figure_snapshot(con, pd.DataFrame(rows), run_id=f"r{i}", recorded_from=t)
    con.execute(f"SET TimeZone = '{zone}'")

    def recorded(t):
        sql = "select country_iso3, value from figures_as_recorded(?::TIMESTAMP)"
        return dict(con.execute(sql, [t.replace(tzinfo=None)]).fetchall())
    assert recorded(T0 - dt.timedelta(seconds=1)) == {}
    for snap, t in zip(history, times):
        assert recorded(t) == snap
        assert recorded(t + dt.timedelta(days=29)) == snap
    published = dict(con.execute("select country_iso3, value from figures_published_by(DATE '2016-06-30')").fetchall())
    assert published == history[-1]
    assert con.execute("select count(*) from figures_published_by(DATE '2016-06-29')").fetchall() == [(0,)]
    assert dict(con.execute("select country_iso3, value from figures_as_of(TIMESTAMP '2016-06-30')").fetchall()) \
        == published
    reasons = dict(con.execute("select closed_reason, count(*) from history.figures where recorded_to is not null "
                               "group by all").fetchall())
    pairs = list(zip(history, history[1:]))
    assert reasons.get("removed_from_source", 0) == sum(len(set(a) - set(b)) for a, b in pairs)
    assert reasons.get("revised", 0) == sum(a[k] != b[k] for a, b in pairs for k in set(a) & set(b))
