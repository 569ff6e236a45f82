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
