"""Vintage replay, change reports and the CLI over them (plain functions, no Prefect engine)."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows import pipeline
from flows.cli import app
from tests.helpers import query


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, catalog):
    from flows.config import paths
    home = paths(tmp_path_factory.mktemp("vintages") / "data")
    results = pipeline.backfill(catalog["worldbank_population"], home)
    results += pipeline.backfill(catalog["country_codes"], home)
    return home, results


def test_each_vintage_is_recorded_from_its_publication_date(replayed):
    home, results = replayed
    assert [r["recorded_from"] for r in results[:4]] == ["2017-10-26", "2020-04-14", "2023-05-04", "2026-03-06"]
    versions = query(home.db, "select value, recorded_from::date, recorded_to::date from history.population "
                              "where country_iso3='SYR' and year=2015 order by recorded_from")
    assert [v[0] for v in versions] == [18734987, 17997408, 19205178, 19424618]
    assert str(versions[0][1]) == "2017-10-26" and str(versions[0][2]) == "2020-04-14" and versions[-1][2] is None
    assert query(home.db, "select value from population_as_of(TIMESTAMP '2018-06-01') "
                          "where country_iso3='SYR' and year=2015") == [(18734987.0,)]


def test_country_renames_are_versions_of_one_key(replayed):
    home, _ = replayed
    rows = query(home.db, "select country_name from countries_as_of(TIMESTAMP '2020-01-01') where country_iso3='SWZ' "
                          "union all select country_name from ref.countries where country_iso3='SWZ'")
    assert rows == [("Swaziland",), ("Eswatini",)]


def test_diff_between_vintage_runs_lists_the_syria_revision(replayed, monkeypatch):
    home, results = replayed
    monkeypatch.setenv("FTF_HOME", str(home.home))
    out = CliRunner().invoke(app, ["diff", results[0]["run_id"], results[1]["run_id"], "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    syria = [r for r in rows if r["table"] == "population" and r["what"] == "SYR 2015"]
    assert syria == [{**syria[0], "change": "revised", "old_value": "18734987", "new_value": "17997408"}]
    counts = CliRunner().invoke(app, ["diff", results[0]["run_id"], results[1]["run_id"]])
    assert "revised" in counts.output and "population" in counts.output


def test_diff_of_unknown_run_is_a_clear_error(replayed, monkeypatch):
    home, _ = replayed
    monkeypatch.setenv("FTF_HOME", str(home.home))
    out = CliRunner().invoke(app, ["diff", "nope", "nada"])
    assert out.exit_code == 2 and "no completed run 'nope'" in out.output and "Traceback" not in out.output


def test_backfill_refuses_to_rewrite_history_without_rebuild(replayed, monkeypatch):
    home, _ = replayed
    monkeypatch.setenv("FTF_HOME", str(home.home))
    out = CliRunner().invoke(app, ["backfill", "worldbank_population"])
    assert out.exit_code == 2 and "--rebuild" in out.output


def test_replaying_again_with_rebuild_gives_the_same_history(replayed, catalog):
    home, _ = replayed
    before = query(home.db, "select country_iso3, year, value, recorded_from, recorded_to from history.population order by all")
    pipeline.backfill(catalog["worldbank_population"], home, rebuild=True)
    after = query(home.db, "select country_iso3, year, value, recorded_from, recorded_to from history.population order by all")
    assert after == before


def test_schema_drift_between_country_code_vintages_is_reported(replayed):
    _, results = replayed
    codes = [r for r in results if r["source"] == "country_codes"]
    assert codes[0]["notes"] == []  # nothing to compare the first vintage with
    notes = " | ".join(codes[1]["notes"])
    assert "added since the last loaded document: wikidata_id" in notes
    assert "removed since the last loaded document: Developed / Developing Countries" in notes
    assert "columns reordered" in notes
    assert codes[1]["status"] == "loaded"
