"""The three clocks (valid, publication and recording time) and UTC, on copies of real mirror
documents loaded through the plain pipeline functions (no Prefect engine)."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows import pipeline
from flows.config import paths
from tests.helpers import query
from warehouse.load import load_run

UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC)
PROJECT = Path(__file__).resolve().parents[2]
# invented for these tests (never in a mirror): a country the Soufan 2017 transcription does not carry
ADDED_ROW = ('soufan_2017_10,Iceland,,travelled,,exact,7,,,,,,,p. 1,"an invented row for a test",'
             'https://example.invalid/soufan-2017,true,,\n')


def load_document(home, source, path: Path, *, at: dt.datetime, catalog_ids=None):
    """Fetch `path` as the source's document and load it as one run recorded at `at`."""
    fetched = pipeline.fetch(source, mode="mirror", raw_store=home.raw, previous=None, override=str(path), force=True)
    outcome = pipeline.process(source, fetched, force=True)
    assert outcome.status == "loaded", outcome.error
    run = pipeline.RunInfo(run_id=pipeline.new_run_id(at), mode="mirror", started_at=at, parameters={}, trigger="test")
    return run, load_run(home.db, run, [outcome], finished=True, catalog_ids=catalog_ids)


def test_a_row_added_to_a_2017_transcription_is_published_in_2017_and_recorded_today(tmp_path, catalog):
    home = paths(tmp_path / "data")
    source = catalog["soufan_2017_10"]
    copy = tmp_path / "soufan_2017_10.csv"
    shutil.copy(source.mirror_path, copy)
    load_document(home, source, copy, at=NOW - dt.timedelta(days=3))
    with copy.open("a", encoding="utf-8") as fh:
        fh.write(ADDED_ROW)
    load_document(home, source, copy, at=NOW)

    published = query(home.db, "select country_iso3, metric, variant from figures_published_by(DATE '2018-01-01') "
                               "where source_id = 'soufan_2017_10'")
    recorded = query(home.db, "select country_iso3, metric, variant from figures_as_recorded(now() - INTERVAL 1 DAY) "
                              "where source_id = 'soufan_2017_10'")
    assert ("ISL", "travelled", "") in published
    assert ("ISL", "travelled", "") not in recorded
    assert ("TUN", "travelled", "") in recorded          # its siblings were recorded by the first run
    assert sorted(published) == sorted([*recorded, ("ISL", "travelled", "")])
    # before the report appeared (24 Oct 2017) nothing of it had been published
    assert query(home.db, "select count(*) from figures_published_by(DATE '2017-10-23') "
                          "where source_id = 'soufan_2017_10'") == [(0,)]
    # the alias answers the publication-time question
    assert sorted(query(home.db, "select country_iso3, metric, variant from figures_as_of(DATE '2018-01-01') "
                                 "where source_id = 'soufan_2017_10'")) == sorted(published)
    # recording time of the added row is the second run, not the publication date
    added = query(home.db, "select recorded_from, published_on from history.figures where country_iso3 = 'ISL'")
    assert added[0][0] >= NOW - dt.timedelta(seconds=1) and str(added[0][1]) == "2017-10-24"


# --------------------------------------------------------------------------- time zones
SOUFAN_RECORDED_AT = dt.datetime(2020, 1, 1, tzinfo=UTC)    # exactly midnight UTC: a zone shift would miss it

MACRO_QUERIES = {
    "figures_published_by": "select count(*) from figures_published_by(DATE '2015-01-26') where source_id = 'icsr_2015_01'",
    "figures_as_of": "select count(*) from figures_as_of(TIMESTAMP '2015-01-26') where source_id = 'icsr_2015_01'",
    "figures_as_recorded": "select count(*) from figures_as_recorded(TIMESTAMP '2020-01-01') where source_id = 'soufan_2017_10'",
    "figures_as_recorded_tz": "select count(*) from figures_as_recorded(TIMESTAMPTZ '2020-01-01 09:00:00+09') where source_id = 'soufan_2017_10'",
    "population_as_recorded": "select count(*) from population_as_recorded(TIMESTAMP '2017-10-26')",
    "population_published_by": "select count(*) from population_published_by(DATE '2017-10-26')",
    "population_as_of": "select count(*) from population_as_of('2017-10-26')",
    "countries_as_recorded": "select count(*) from countries_as_recorded(TIMESTAMP '2017-11-03')",
    "countries_published_by": "select count(*) from countries_published_by(DATE '2017-11-03')",
    "countries_as_of": "select count(*) from countries_as_of(TIMESTAMP '2017-11-03')",
}
# on the project's connections the session itself is UTC, so casts of TIMESTAMPTZ agree too
SESSION_QUERIES = {"first_recorded_day": "select CAST(min(recorded_from) AS DATE)::VARCHAR from history.population"}

RUN_QUERIES = """
import json, sys
import duckdb
from warehouse.db import connect
db, macro_queries, session_queries = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
bare = duckdb.connect(db, read_only=True)          # an analyst's own connection: the macros alone
out = {"bare": {k: bare.execute(q).fetchall()[0][0] for k, q in macro_queries.items()}}
bare.close()
con = connect(db, read_only=True)                  # the project's connection: UTC session
out["project"] = {k: con.execute(q).fetchall()[0][0] for k, q in {**macro_queries, **session_queries}.items()}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def clocks(tmp_path_factory, catalog):
    home = paths(tmp_path_factory.mktemp("clocks") / "data")
    pipeline.backfill(catalog["worldbank_population"], home)
    pipeline.backfill(catalog["country_codes"], home)
    load_document(home, catalog["soufan_2017_10"], catalog["soufan_2017_10"].mirror_path, at=SOUFAN_RECORDED_AT)
    load_document(home, catalog["icsr_2015_01"], catalog["icsr_2015_01"].mirror_path, at=NOW)
    return home


def _answers_under(tz: str, db: Path) -> dict:
    env = {**os.environ, "TZ": tz, "PYTHONPATH": str(PROJECT)}
    out = subprocess.run([sys.executable, "-c", RUN_QUERIES, str(db), json.dumps(MACRO_QUERIES),
                          json.dumps(SESSION_QUERIES)], env=env, capture_output=True, text=True, timeout=120,
                         cwd=PROJECT)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_every_macro_gives_the_utc_answer_in_any_time_zone(clocks):
    utc = _answers_under("UTC", clocks.db)
    icsr_2015 = query(clocks.db, "select count(*) from core.figures where source_id = 'icsr_2015_01'")[0][0]
    soufan = query(clocks.db, "select count(*) from core.figures where source_id = 'soufan_2017_10'")[0][0]
    vintage_2017 = query(clocks.db, "select count(*) from history.population where recorded_from = TIMESTAMPTZ "
                                    "'2017-10-26 00:00:00+00'")[0][0]
    countries_2017 = query(clocks.db, "select count(*) from history.countries where recorded_from = TIMESTAMPTZ "
                                      "'2017-11-03 00:00:00+00'")[0][0]
    assert utc["project"]["figures_as_of"] == utc["project"]["figures_published_by"] == icsr_2015 > 0
    assert utc["project"]["figures_as_recorded"] == utc["project"]["figures_as_recorded_tz"] == soufan > 0
    assert utc["project"]["population_as_recorded"] == utc["project"]["population_published_by"] == vintage_2017 > 0
    assert utc["project"]["countries_as_recorded"] == utc["project"]["countries_published_by"] == countries_2017 > 0
    assert utc["project"]["first_recorded_day"] == "2017-10-26"
    assert utc["bare"] == {k: v for k, v in utc["project"].items() if k in MACRO_QUERIES}
    for tz in ("Asia/Tokyo", "America/Los_Angeles"):
        assert _answers_under(tz, clocks.db) == utc, tz


def test_ftf_sql_under_tokyo_gives_the_utc_count(clocks):
    env = {**os.environ, "TZ": "Asia/Tokyo", "FTF_HOME": str(clocks.home)}
    ftf = Path(sys.executable).with_name("ftf")
    out = subprocess.run([str(ftf), "sql", MACRO_QUERIES["figures_as_of"], "--format", "csv"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert out.returncode == 0, out.stderr[-2000:]
    expected = query(clocks.db, "select count(*) from core.figures where source_id = 'icsr_2015_01'")[0][0]
    assert out.stdout.strip().splitlines()[-1] == str(expected)


def test_timestamps_are_timestamptz(clocks):
    naive = query(clocks.db, "select table_schema || '.' || table_name || '.' || column_name from "
                             "information_schema.columns where data_type = 'TIMESTAMP' "
                             "and table_schema in ('meta', 'history', 'core', 'ref')")
    assert naive == []


# --------------------------------------------------------------------------- upgrading a warehouse
def test_migration_010_keeps_history_and_infers_why_old_versions_closed(monkeypatch):
    """A warehouse made before the three clocks: its versions keep their times, closed ones get a
    reason from what followed them, and the old column names still answer."""
    import duckdb

    from warehouse import db as db_module

    every = db_module.migrations()
    monkeypatch.setattr(db_module, "migrations", lambda: [m for m in every if m[0] < 10])
    con = duckdb.connect()
    db_module.migrate(con)
    t1, t2 = "2020-04-14 00:00:00+00", "2023-05-04 00:00:00+00"
    versions = [("SYR", 17997408, t1, t2, "r1", "r2"), ("SYR", 19205178, t2, None, "r2", None),
                ("ANT", 1, t1, t2, "r1", "r2")]
    for i, (iso3, value, start, end, opened, closed) in enumerate(versions):
        con.execute("insert into history.population (key_hash, row_hash, source_id, country_iso3, year, value, "
                    "valid_from, valid_to, opened_by_run, closed_by_run) values (?, ?, 'wb', ?, 2015, ?, ?, ?, ?, ?)",
                    [f"k{iso3}", f"r{i}", iso3, value, start, end, opened, closed])
    monkeypatch.setattr(db_module, "migrations", lambda: every)
    assert "010_three_clocks" in db_module.migrate(con)
    rows = con.execute("select country_iso3, value, closed_reason, recorded_from = valid_from, "
                       "recorded_to is not distinct from valid_to from history.population order by all").fetchall()
    assert rows == [("ANT", 1.0, "removed_from_source", True, True), ("SYR", 17997408.0, "revised", True, True),
                    ("SYR", 19205178.0, None, True, True)]
    assert con.execute("select value from population_as_of(TIMESTAMP '2021-01-01') where country_iso3 = 'SYR'") \
        .fetchall() == [(17997408.0,)]
    assert con.execute("select count(*) from core.population").fetchall() == [(1,)]
