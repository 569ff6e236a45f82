"""The whole flow on the embedded mirror, under a Prefect test harness (real engine, real DuckDB file)."""
from __future__ import annotations

import json

import duckdb
import pytest

from flows.config import paths
from tests.helpers import query


@pytest.fixture(scope="module")
def first_run(prefect_harness, tmp_path_factory):
    from flows.refresh import refresh, run_trigger
    home = paths(tmp_path_factory.mktemp("flow") / "data")
    with run_trigger("test"):
        result = refresh(home=str(home.home))
    return home, result


def test_first_run_loads_every_source(first_run):
    home, result = first_run
    by_source = {r["source"]: r for r in result["sources"]}
    assert by_source["icsr_2015_01"]["result"] == "loaded"
    assert by_source["worldbank_population"]["result"] in ("loaded", "unchanged")
    count = query(home.db, "select count(distinct country_iso3) from core.figures where source_id='icsr_2015_01'")[0][0]
    # every ICSR 2015 country with a number in the transcription (all but Iraq and Palestine, which are NA)
    from flows.catalog import load_catalog
    lines = load_catalog()["icsr_2015_01"].mirror_path.read_text().splitlines()
    with_number = {l.split(",")[1] for l in lines if ",20150126," in l and l.split(",")[-1] != "NA"}
    assert count == len(with_number)


def test_done_when_figures(first_run):
    home, _ = first_run
    assert query(home.db, "select count(*) from core.figures where country_iso3='XKX' and source_id='icsr_2015_01'")[0][0] == 1
    assert query(home.db, "select count(*) from core.figures where country_iso3 in ('KSV','WBG')")[0][0] == 0
    assert query(home.db, "select count(*) from core.figures where country_iso3='PSE' and source_id='icsr_2013_12'")[0][0] == 1
    assert query(home.db, "select value_low, value_high, qualifier from core.figures "
                          "where source_id='icsr_2015_01' and country_iso3='TUN'") == [(1500.0, 3000.0, "range")]
    qatar = query(home.db, "select reason, row_json from meta.quarantine where source_id='icsr_2013_12'")
    assert len(qatar) == 1 and "value_low is greater than value_high" in qatar[0][0]
    assert json.loads(qatar[0][1])["country_as_published"] == "qatar"
    assert query(home.db, "select count(*) from core.figures where country_iso3='QAT' and source_id='icsr_2013_12'")[0][0] == 0


def test_time_travel_after_vintage_replay(first_run):
    home, _ = first_run
    assert query(home.db, "select value from population_as_of(TIMESTAMP '2018-06-01') "
                          "where country_iso3='SYR' and year=2015") == [(18734987.0,)]
    assert query(home.db, "select value from core.population where country_iso3='SYR' and year=2015") == [(19424618.0,)]
    names = {r[0] for r in query(home.db, "select country_name from history.countries where country_iso3='SWZ'")}
    assert names == {"Swaziland", "Eswatini"}
    # report figures are known from their publication date: as of 2016 the 2017 report did not exist yet
    pubs_2016 = {r[0] for r in query(home.db, "select distinct publication_id from figures_as_of(TIMESTAMP '2016-01-01')")}
    assert {"icsr_2013_12", "icsr_2015_01", "soufan_2015_12"} <= pubs_2016
    assert "soufan_2017_10" not in pubs_2016


def test_bundle_manifest_matches_parquet(first_run):
    home, result = first_run
    manifest = json.loads((home.published / "manifest.json").read_text())
    assert manifest["run_id"] == result["run_id"]
    tables = {t["name"]: t for t in manifest["tables"]}
    assert "fighters_per_million" in tables
    for name, entry in tables.items():
        rows = duckdb.sql(f"select count(*) from read_parquet('{home.published / entry['files']['parquet']}')").fetchall()[0][0]
        assert rows == entry["rows"]
        assert (home.published / entry["files"]["csv"]).exists()
    fpm = duckdb.sql(f"select * from read_parquet('{home.published / 'fighters_per_million.parquet'}') "
                     "where source_id='icsr_2015_01' and country_iso3='TUN'").df()
    assert fpm.per_million.isna().all()
    pop = query(home.db, "select value from core.population where country_iso3='TUN' and year=2015")[0][0]
    assert fpm.per_million_low.iloc[0] == pytest.approx(1500 * 1e6 / pop, abs=1e-3)
    assert fpm.per_million_high.iloc[0] == pytest.approx(3000 * 1e6 / pop, abs=1e-3)


def test_second_run_on_unchanged_input_adds_no_version(first_run):
    from flows.refresh import refresh, run_trigger
    home, _ = first_run
    tables = ["history.figures", "history.population", "history.countries", "meta.quarantine", "meta.validation"]
    before = {t: query(home.db, f"select count(*) from {t}")[0][0] for t in tables}
    runs_before = query(home.db, "select count(*) from meta.runs")[0][0]
    with run_trigger("test"):
        result = refresh(home=str(home.home))
    after = {t: query(home.db, f"select count(*) from {t}")[0][0] for t in tables}
    assert after == before
    assert query(home.db, "select count(*) from meta.runs")[0][0] == runs_before + 1
    # (an event dataset has no mirror copy: it is skipped in mirror mode, never fetched)
    assert {r["fetch"] for r in result["sources"] if r["result"] != "skipped"} == {"unchanged"}
    assert query(home.db, "select changed from meta.runs where run_id = ?", [result["run_id"]]) == [(False,)]
    # nothing to rebuild: the run says so, skips marts, report and publish (issue 14)
    assert result["status"] == "unchanged" and result["marts"] == {} and result["published"] is None
    assert "published bundle is current" in result["message"]
    assert query(home.db, "select status from meta.runs where run_id = ?", [result["run_id"]]) == [("unchanged",)]


def test_failing_source_does_not_stop_others_and_keeps_its_snapshot(first_run, tmp_path):
    from flows.refresh import refresh, run_trigger
    home, _ = first_run
    broken = tmp_path / "icsr_truncated.csv"
    broken.write_text("country,countrycode,icsr.date,icsr.low,icsr.high,icsr.mean\nafghanistan,AFG,2015")
    before = query(home.db, "select count(*) from core.figures where source_id='icsr_2015_01'")[0][0]
    bundle_before = (home.published / "manifest.json").read_text()
    with run_trigger("test"):
        result = refresh(home=str(home.home), sources=["icsr_2015_01", "icsr_2013_12"],
                         url_overrides={"icsr_2015_01": str(broken)}, force=True)
    by_source = {r["source"]: r for r in result["sources"]}
    assert result["status"] == "partial"
    assert by_source["icsr_2015_01"]["result"] == "failed"
    assert "icsr_2015_01" in by_source["icsr_2015_01"]["error"] and "row 2" in by_source["icsr_2015_01"]["error"]
    assert by_source["icsr_2013_12"]["result"] == "loaded"
    assert query(home.db, "select count(*) from core.figures where source_id='icsr_2015_01'")[0][0] == before
    fetch = query(home.db, "select outcome, url from meta.fetches where run_id = ? and source_id='icsr_2015_01'",
                  [result["run_id"]])
    assert fetch == [("failed_extract", str(broken))]
    # --force rebuilt the bundle; it names the snapshot it shows: this run changed nothing, so the
    # last run that opened or closed a version
    snapshot = query(home.db, "select run_id from meta.runs where changed order by seq desc limit 1")[0][0]
    assert snapshot != result["run_id"]
    assert json.loads((home.published / "manifest.json").read_text())["run_id"] == snapshot
    assert json.loads((home.published / "previous" / "manifest.json").read_text()) == json.loads(bundle_before)


class _SubmittedFetches:
    """Stands in for flows.refresh.fetch_task: records which sources got a fetch task, then submits it."""

    def __init__(self, task):
        self.task, self.sources = task, []

    def submit(self, source, *args, **kwargs):
        self.sources.append(source.id)
        return self.task.submit(source, *args, **kwargs)


def test_a_mirror_run_with_one_changed_source_submits_work_for_it_alone(first_run, monkeypatch):
    """In mirror mode a source whose embedded copy is the document it last loaded needs no fetch task;
    its fetch (and outcome 'unchanged') is still recorded, like every other source's."""
    import flows.refresh as refresh_module
    from flows.catalog import load_catalog
    from flows.refresh import refresh, run_trigger
    from flows.state import sha256_file

    home, _ = first_run
    changed = "icsr_2019_07"
    # the warehouse last loaded another document of this source (as if its mirror copy had just been updated)
    con = duckdb.connect(str(home.db))
    try:
        con.execute("update meta.fetches set sha256 = ? where source_id = ? and fetched_at = (select max(fetched_at) "
                    "from meta.fetches where source_id = ? and outcome in ('loaded', 'unchanged'))",
                    ["f" * 64, changed, changed])
    finally:
        con.close()
    spy = _SubmittedFetches(refresh_module.fetch_task)
    monkeypatch.setattr(refresh_module, "fetch_task", spy)
    with run_trigger("test"):
        result = refresh(home=str(home.home))
    assert spy.sources == [changed]
    mirrored = {s.id: s for s in load_catalog().values() if s.mirror_path.is_file()}
    fetches = query(home.db, "select source_id, outcome, status, sha256, url from meta.fetches where run_id = ?",
                    [result["run_id"]])
    assert {f[0]: f[1] for f in fetches} == {s: ("loaded" if s == changed else "unchanged") for s in mirrored}
    for source_id, _, status, sha256, url in fetches:   # each recorded as read: the embedded copy's bytes
        assert (status, sha256, url) == ("fetched" if source_id == changed else "unchanged",
                                         sha256_file(mirrored[source_id].mirror_path), str(mirrored[source_id].mirror_path))
    sources = json.loads(query(home.db, "select sources from meta.runs where run_id = ?", [result["run_id"]])[0][0])
    assert {s: v["status"] for s, v in sources.items() if s in mirrored} == \
        {s: ("loaded" if s == changed else "unchanged") for s in mirrored}
    assert set(sources) - set(mirrored) == {s for s in load_catalog() if s not in mirrored}   # skipped, still listed


def test_a_run_opens_one_warehouse_connection_and_force_renders_every_chart(first_run, monkeypatch):
    """Every step of a run (record start, load, changes, plan, marts, publish, finish) uses the run's one
    writer connection; --force trusts no cache: every PNG chart is rendered again."""
    import warehouse.db as db_module
    import warehouse.report as report
    from flows.refresh import refresh, run_trigger

    home, _ = first_run
    opened, rendered = [], []
    connect, render = db_module.duckdb.connect, report.vlc.vegalite_to_png

    def counting_connect(database=":memory:", *args, **kwargs):
        if str(database) == str(home.db):
            opened.append(database)
        return connect(database, *args, **kwargs)

    def counting_render(spec, **kwargs):
        rendered.append(spec)
        return render(spec, **kwargs)
    monkeypatch.setattr(db_module.duckdb, "connect", counting_connect)
    monkeypatch.setattr(report.vlc, "vegalite_to_png", counting_render)
    with run_trigger("test"):
        result = refresh(home=str(home.home), force=True)
    assert result["status"] == "completed" and result["published"] and result["marts"]
    assert len(opened) == 1
    assert len(rendered) == len(report.PNG_CHARTS)
