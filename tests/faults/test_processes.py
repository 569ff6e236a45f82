"""Faults that need the real thing: `kill -9` of an `ftf run` process, Prefect's task retries on a
5xx storm, a publish that fails inside the flow. Processes talk to the session's Prefect test server,
are started in their own session and stopped by PID."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.catalog import load_catalog
from tests.faults.harness import HEALTHY, current_rows, query

PROJECT = Path(__file__).resolve().parents[2]
FTF = [sys.executable, "-m", "flows.cli"] if not (Path(sys.executable).parent / "ftf").exists() \
    else [str(Path(sys.executable).parent / "ftf")]
BOUND = 180


def env_for(home: Path) -> dict:
    from prefect.settings import PREFECT_API_URL
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(FTF_HOME=str(home), PREFECT_API_URL=PREFECT_API_URL.value(), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PYTHONUNBUFFERED="1", COLUMNS="300")
    return env


def runs(db: Path) -> list[tuple]:
    """meta.runs read by another process; None while a writer holds the file."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("select run_id, status, finished_at from meta.runs order by started_at").fetchall()
    finally:
        con.close()


def test_kill_9_mid_run_is_named_by_the_next_run_and_no_row_lies(prefect_harness, warehouse, tmp_path):
    env = env_for(warehouse.home)
    known = {r[0] for r in runs(warehouse.db)}
    killed = subprocess.Popen([*FTF, "run", "--no-publish", "--force"], env=env, cwd=PROJECT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
    held, deadline = False, time.monotonic() + BOUND
    try:   # a run holds the warehouse from its start to its end (one writer connection): wait until it does
        while not held and time.monotonic() < deadline and killed.poll() is None:
            held = runs(warehouse.db) is None
            time.sleep(0.1)
        time.sleep(1.0)                                   # well inside the run: fetching / extracting / loading
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(30)
    fresh = [r for r in runs(warehouse.db) if r[0] not in known]
    assert held and fresh, "the run never held the warehouse or never recorded itself in meta.runs"
    victim, status, finished_at = fresh[0]
    assert (status, finished_at) == ("running", None)    # killed mid-run: its row still says it is running

    missing = tmp_path / "gone" / "[/bold][link=x]missing.csv"   # Rich markup in a path the error names
    after = subprocess.run([*FTF, "run", "--no-publish", "-s", HEALTHY, "-s", "icsr_2015_01",
                            "--url", f"icsr_2015_01={missing}"], env=env, cwd=PROJECT, capture_output=True,
                           text=True, timeout=BOUND)
    output = after.stdout + after.stderr
    assert "Traceback" not in output and "MarkupError" not in output, output[-2000:]
    assert f"run {victim} never finished (interrupted)" in " ".join(output.split())
    assert "[/bold][link=x]missing.csv" in output     # printed as text, not read as markup
    rows = {r[0]: r for r in runs(warehouse.db)}
    if victim in rows:                                     # killed after its 'running' row committed
        assert rows[victim][1] in ("interrupted", "completed", "partial") and \
            (rows[victim][1] == "interrupted" or rows[victim][2] is not None)
    lying = query(warehouse.db, "select run_id from meta.runs where finished_at is null and "
                                "status in ('completed', 'partial', 'failed', 'published_failed', 'loaded')")
    assert lying == []
    assert query(warehouse.db, "select count(*) from meta.runs where finished_at is null and status = 'running'") == [(0,)]


def test_prefect_retries_the_fetch_task_on_a_5xx_storm(prefect_harness, warehouse, httpserver):
    from flows.refresh import refresh, run_trigger
    httpserver.expect_request("/icsr.csv").respond_with_data("down", status=503)
    before = current_rows(warehouse, "icsr_2015_01")
    with run_trigger("test"):
        result = refresh(sources=["icsr_2015_01", HEALTHY], url_overrides={"icsr_2015_01": httpserver.url_for("/icsr.csv")},
                         force=True, publish=False, home=str(warehouse.home))
    by_source = {r["source"]: r for r in result["sources"]}
    assert len(httpserver.log) == 3 * 4                  # 3 task runs (Prefect retries=2) × 4 GETs (urllib3 total=3)
    assert by_source["icsr_2015_01"]["result"] == "failed"
    assert "HTTP 503 Service Unavailable on every attempt" in by_source["icsr_2015_01"]["error"]
    assert by_source[HEALTHY]["result"] == "loaded"
    assert current_rows(warehouse, "icsr_2015_01") == before
    assert result["status"] == "partial"


def test_a_publish_failure_in_the_flow_is_one_line_and_the_data_stays_loaded(prefect_harness, warehouse, tmp_path):
    import shutil

    from flows.refresh import refresh, run_trigger
    shutil.rmtree(warehouse.published)
    warehouse.published.write_text("a file in the way")
    doc = tmp_path / "icsr.csv"
    mirror = load_catalog()["icsr_2015_01"].mirror_path.read_bytes()
    doc.write_bytes(mirror.replace(b"tunisia,TUN,20150126,1500,3000", b"tunisia,TUN,20150126,1600,3000", 1))
    with run_trigger("test"):
        result = refresh(sources=["icsr_2015_01"], url_overrides={"icsr_2015_01": str(doc)}, force=True,
                         home=str(warehouse.home))
    assert result["status"] == "published_failed"
    assert result["publish_error"].startswith("publishing failed: not a directory")
    assert result["publish_error"].endswith("; the previous bundle is still served") and "\n" not in result["publish_error"]
    row = query(warehouse.db, "select status, finished_at is not null, message from meta.runs where run_id = ?",
                [result["run_id"]])
    assert row == [("published_failed", True, result["publish_error"])]
    assert query(warehouse.db, "select value_low from core.figures where source_id = 'icsr_2015_01' "
                               "and country_iso3 = 'TUN'") == [(1600.0,)]
    assert warehouse.published.read_text() == "a file in the way"


@pytest.fixture(autouse=True)
def _bounded():
    started = time.monotonic()
    yield
    assert time.monotonic() - started < 2 * BOUND
