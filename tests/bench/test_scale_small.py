"""`make bench-scale` in small: two generated GED releases served over HTTP through the real flow.

Row counts and versions opened/closed must equal what the generator changed; the mart counts each
release's events and puts beside them the fighters figure known on that release's publication date.
"""
from __future__ import annotations

import datetime as dt
import os

import duckdb

from bench.ged_generate import expected_changes, generate
from bench.scale import check, serve, warehouse_counts
from flows.config import paths

ROWS, SEED = 4000, 3
RELEASED = (dt.datetime(2014, 6, 1, tzinfo=dt.timezone.utc), dt.datetime(2026, 6, 8, tzinfo=dt.timezone.utc))


def test_two_releases_through_the_flow(prefect_harness, tmp_path):
    from flows.refresh import refresh, run_trigger

    files = []
    for revision, released in enumerate(RELEASED):
        path = generate(tmp_path / "served" / f"GEDEvent_r{revision}.csv", ROWS, seed=SEED, revision=revision)
        os.utime(path, (released.timestamp(), released.timestamp()))
        files.append(path)
    home = paths(tmp_path / "data")
    with serve(tmp_path / "served") as base, run_trigger("test"):
        first = refresh(home=str(home.home), sources=["icsr_2015_01", "ucdp_ged"], mode="mirror", publish=False,
                        url_overrides={"ucdp_ged": f"{base}/{files[0].name}"})
        second = refresh(home=str(home.home), sources=["ucdp_ged"], mode="mirror", publish=False,
                         url_overrides={"ucdp_ged": f"{base}/{files[1].name}"})
    assert first["status"] == second["status"] == "completed"
    counts = warehouse_counts(home.db)
    assert check(ROWS, SEED, counts) == []

    want = expected_changes(ROWS, seed=SEED)
    con = duckdb.connect(str(home.db), read_only=True)
    try:
        per_release = dict(con.execute("select release_published_on, sum(events) from marts.conflict_deaths_beside_fighters "
                                       "group by 1").fetchall())
        tunisia = con.execute("""select release_published_on, count(*), count(distinct fighters_publication_id),
                                        max(fighters_publication_id)
                                 from marts.conflict_deaths_beside_fighters where country_iso3 = 'TUN'
                                 group by 1 order by 1""").fetchall()
        published = con.execute("select distinct published_on from history.ucdp_ged_events order by 1").fetchall()
    finally:
        con.close()
    assert published == [(RELEASED[0].date(),), (RELEASED[1].date(),)]     # from each file's Last-Modified
    assert per_release == {RELEASED[0].date(): ROWS, RELEASED[1].date(): ROWS - want["withdrawn"] + want["added"]}
    # ICSR's January 2015 estimate was not yet published on 1 June 2014; it was by June 2026
    assert [(d, n > 0, pubs, pub) for d, n, pubs, pub in tunisia] == [
        (RELEASED[0].date(), True, 0, None), (RELEASED[1].date(), True, 1, "icsr_2015_01")]
