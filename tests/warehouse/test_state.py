"""No-op and incremental runs with the plain functions (no Prefect): the input state, which marts
a run rebuilds, a bundle that is a pure function of its state, and `ftf run` answering before
Prefect. The warehouse is the embedded mirror's (tests/warehouse/test_marts.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from flows.catalog import load_catalog
from flows.state import answer_before_prefect, input_state, mirror_documents, plan_rebuild
from tests.helpers import query
from tests.test_cli_imports import PROBE, ROOT
from tests.warehouse.test_marts import mirror_warehouse
from warehouse.builds import held_documents, record_mart_builds, record_run_state
from warehouse.datapackage import datapackage_extra
from warehouse.load import finish_run
from warehouse.marts import ALL_KINDS, build_marts, mart_dependencies, relations
from warehouse.publish import MANIFEST, publish

POPULATION_MARTS = {"fighters_per_million", "returnee_rates"}
PARAMETERS = {"sources": [], "mode": "mirror", "url_overrides": {}, "force": False, "publish": True,
              "publish_to": None}


def test_mart_dependencies_follow_the_sql():
    deps = mart_dependencies()
    assert {name for name, kinds in deps.items() if "population" in kinds} == POPULATION_MARTS
    assert all("figures" in kinds for kinds in deps.values())
    assert deps["headline_figures"] == {"figures"}


def test_relations_skip_comments_and_read_depends_on(tmp_path):
    sql = ("-- one row per thing; mentions core.population only in a comment\n"
           "-- depends_on: ref.countries\n"
           "select * from core.accepted_readings join population_as_of (now()) using (country_iso3)\n")
    assert relations(sql) == {"ref.countries", "core.accepted_readings", "population_as_of"}
    model = tmp_path / "mystery.sql"
    model.write_text("select * from core.some_new_view")
    assert mart_dependencies({"mystery": model}) == {"mystery": ALL_KINDS}


def test_input_state_changes_with_a_document_only_for_its_kind(catalog):
    documents = mirror_documents(catalog)
    base = input_state(catalog, documents, code="c")
    moved = input_state(catalog, {**documents, "worldbank_population": "0" * 64}, code="c")
    assert base.sha256 != moved.sha256
    assert base.for_kinds({"figures", "countries"}) == moved.for_kinds({"figures", "countries"})
    assert base.for_kinds({"population"}) != moved.for_kinds({"population"})
    assert input_state(catalog, documents, code="other").for_kinds({"figures"}) != base.for_kinds({"figures"})
    assert input_state(catalog, documents, code="c").sha256 == base.sha256


def _publish_state(con, home, run_id: str, **kw):
    catalog = load_catalog()
    plan = plan_rebuild(con, catalog, home.published, set(), force=False, publish=True, **kw)
    if plan.marts:
        build_marts(con, list(plan.marts))
        record_mart_builds(con, plan.marts, run_id)
    record_run_state(con, run_id, plan.state.sha256)
    publish(con, home.published, run_id=plan.snapshot_run, input_state=plan.state.sha256,
            generated_at=plan.snapshot_at, extra=[datapackage_extra(catalog.values())])
    return plan


@pytest.fixture()
def published(tmp_path_factory):
    """A mirror warehouse whose bundle is published from its input state."""
    home = mirror_warehouse(tmp_path_factory)
    con = duckdb.connect(str(home.db))
    try:
        last = con.execute("select run_id from meta.runs order by seq desc limit 1").fetchone()[0]
        first = _publish_state(con, home, last)
    finally:
        con.close()
    finish_run(home.db, last, status="completed")   # as the flow ends a run that published
    return home, first, last


def test_a_fresh_warehouse_rebuilds_every_mart_then_nothing(published):
    home, first, _ = published
    assert set(first.marts) == set(mart_dependencies())
    con = duckdb.connect(str(home.db))
    try:
        again = plan_rebuild(con, load_catalog(), home.published, set(), force=False, publish=True)
        forced = plan_rebuild(con, load_catalog(), home.published, set(), force=True, publish=True)
        population = plan_rebuild(con, load_catalog(), home.published, {"population"}, force=False, publish=True)
    finally:
        con.close()
    assert again.state == first.state
    assert again.unchanged and again.marts == {} and not again.publish
    assert set(forced.marts) == set(mart_dependencies()) and forced.publish and not forced.unchanged
    assert set(population.marts) == POPULATION_MARTS and population.publish


def test_a_new_population_document_rebuilds_only_the_marts_that_read_population(published):
    home, first, last = published
    con = duckdb.connect(str(home.db))
    try:
        # the warehouse now holds another population document (an invented hash, as a later run would record)
        con.execute("insert into meta.fetches (run_id, source_id, url, mode, status, bytes, sha256, changed, "
                    "fetched_at, outcome) values (?, 'worldbank_population', 'test', 'mirror', 'fetched', 1, ?, "
                    "true, now() + interval 1 hour, 'loaded')", [last, "f" * 64])
        assert held_documents(con)["worldbank_population"] == "f" * 64
        plan = plan_rebuild(con, load_catalog(), home.published, set(), force=False, publish=True)
    finally:
        con.close()
    assert set(plan.marts) == POPULATION_MARTS
    assert plan.state.sha256 != first.state.sha256 and plan.publish and not plan.unchanged


def _files(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.suffix in (".parquet", ".csv", ".json")}


def test_the_same_state_gives_a_byte_identical_bundle(published, tmp_path):
    home, first, last = published
    before = _files(home.published)
    kept = tmp_path / "first"
    shutil.copytree(home.published, kept)
    con = duckdb.connect(str(home.db))
    try:
        build_marts(con)  # rebuilt from scratch: same state, new tables
        second = _publish_state(con, home, last)
    finally:
        con.close()
    assert second.state == first.state
    after = _files(home.published)
    assert {n for n in after if n.endswith(".parquet")} == {f"{m}.parquet" for m in mart_dependencies()}
    assert MANIFEST in after and "datapackage.json" in after
    assert after == before, [n for n in after if after[n] != before.get(n)]
    manifest = json.loads((home.published / MANIFEST).read_text())
    assert manifest["input_state"] == first.state.sha256 and manifest["run_id"] == first.snapshot_run


def test_run_answers_before_prefect_when_nothing_changed(published):
    home, first, last = published
    assert first.state.sha256 == input_state(load_catalog(), mirror_documents(load_catalog())).sha256
    versions = query(home.db, "select count(*) from history.figures")
    answered = answer_before_prefect(home, parameters=PARAMETERS)
    assert answered is not None and answered[1] == last
    rows = query(home.db, "select trigger, status, changed, input_state, finished_at is not null, message "
                          "from meta.runs where run_id = ?", [answered[0]])
    assert rows == [("cli", "unchanged", False, first.state.sha256, True,
                     f"nothing changed since run {last}; published bundle is current")]
    assert query(home.db, "select count(*) from history.figures") == versions
    # the next answer is "since" the unchanged run: it is the last completed one now
    assert answer_before_prefect(home, parameters=PARAMETERS)[1] == answered[0]


def test_a_run_that_never_finished_is_not_answered_before_prefect(published):
    """A killed run (a 'running' row without finished_at) sends the next run through the flow, which
    marks it interrupted and names it (warehouse/runs.py); once marked, the shortcut is back."""
    from flows.pipeline import RunInfo, new_run_id
    from warehouse.runs import mark_interrupted, record_start

    home, _, _ = published
    killed = RunInfo(run_id=new_run_id(), mode="mirror", started_at=dt.datetime.now(dt.timezone.utc), parameters={})
    record_start(home.db, killed, parameters_json="{}")
    assert answer_before_prefect(home, parameters=PARAMETERS) is None
    assert mark_interrupted(home.db, "the-flow-run") == [killed.run_id]
    assert answer_before_prefect(home, parameters=PARAMETERS) is not None


def test_run_goes_through_the_flow_when_the_bundle_is_not_the_last_runs(published):
    home, first, last = published
    manifest = json.loads((home.published / MANIFEST).read_text())
    (home.published / MANIFEST).write_text(json.dumps(dict(manifest, input_state="0" * 64)))
    assert answer_before_prefect(home, parameters=PARAMETERS) is None
    (home.published / MANIFEST).write_text(json.dumps(manifest))
    con = duckdb.connect(str(home.db))
    con.execute("update meta.runs set status = 'failed' where run_id = ?", [last])
    con.close()
    assert answer_before_prefect(home, parameters=PARAMETERS) is None
    assert query(home.db, "select count(*) from meta.runs where status = 'unchanged'") == [(0,)]


def test_ftf_run_answers_without_importing_prefect(published):
    home, _, _ = published
    done = subprocess.run([sys.executable, "-c", PROBE, "run"], capture_output=True, text=True, cwd=ROOT,
                          env={"FTF_HOME": str(home.home), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}, timeout=120)
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["code"] == 0
    assert "nothing changed since run" in done.stdout and "published bundle is current" in done.stdout
    assert not [m for m in result["modules"] if m.split(".")[0] in ("prefect", "pandera", "altair")]
    assert query(home.db, "select trigger, status from meta.runs order by seq desc limit 1") == [("cli", "unchanged")]
