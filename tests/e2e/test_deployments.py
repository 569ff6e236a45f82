"""Scheduled and manual runs on a real Prefect server and a real process worker (`make e2e`).

One server (free port, temporary PREFECT_HOME), `make deploy` exactly as a user runs it, one
worker started in a folder of its own. Then, through the API:
- `refresh-manual` is run with parameters (mirror mode, one source, FTF_HOME in job variables);
- at the same moment the scheduler's own next run of `refresh-daily` is moved to now, its
  parameters switched to mirror mode (no network here): both runs want the one warehouse, so the
  second waits for the writer lock and both complete;
- each run leaves a meta.runs row with its flow-run id, deployment, trigger and parameters, and
  its summary table artifact on the flow run;
- a run that cannot get the writer lock in time fails with the clear message and records nothing;
- the worker stops on SIGINT; `ftf serve` serves the same deployments from one process and runs
  one; `make deploy` takes them back (schedule resumed); the server stops on SIGTERM.
Tests run in file order and build on each other.
"""
from __future__ import annotations

import datetime as dt
import json
import signal
import time
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import BIN, PROJECT, Service

RUN_BOUND = 240.0   # seconds for flow runs to reach a final state


@pytest.fixture(scope="module")
def client(stack):
    from prefect.client.orchestration import SyncPrefectClient
    with SyncPrefectClient(stack["api_url"]) as c:
        yield c


@pytest.fixture(scope="module")
def deployments(client):
    return {name: client.read_deployment_by_name(f"refresh/{name}") for name in ("refresh-daily", "refresh-manual")}


def _rows(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _meta_run(home: Path, flow_run_id) -> dict:
    rows = _rows(home / "ftf.duckdb", "select flow_run_id, deployment, trigger, parameters, status, started_at, "
                 "finished_at from meta.runs where flow_run_id = ?", [str(flow_run_id)])
    assert len(rows) == 1, f"expected one meta.runs row for flow run {flow_run_id}, got {rows}"
    keys = ["flow_run_id", "deployment", "trigger", "parameters", "status", "started_at", "finished_at"]
    row = dict(zip(keys, rows[0]))
    row["parameters"] = json.loads(row["parameters"]) if isinstance(row["parameters"], str) else row["parameters"]
    return row


def _wait_final(client, stack, flow_run_ids, timeout: float = RUN_BOUND) -> dict:
    deadline = time.monotonic() + timeout
    runs = {}
    while time.monotonic() < deadline:
        runs = {i: client.read_flow_run(i) for i in flow_run_ids}
        if all(r.state and r.state.is_final() for r in runs.values()):
            return runs
        time.sleep(1)
    states = {str(i): (r.state.name if r.state else None) for i, r in runs.items()}
    pytest.fail(f"flow runs not final after {timeout:.0f} s: {states}\nworker log:\n{stack['worker'].log()}")


def _summary_artifact(client, flow_run_id):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a for a in found}.get("refresh-summary")


def test_ui_is_served(stack):
    import urllib.request
    with urllib.request.urlopen(stack["api_url"].removesuffix("/api") + "/", timeout=10) as r:
        assert r.status == 200 and "<html" in r.read(4096).decode("utf-8", "replace").lower()


def test_ui_settings_advertise_the_port_the_server_runs_on(stack):
    """The UI asks /ui-settings where the API is: it must be this server's port, not 4200."""
    import urllib.request
    base = stack["api_url"].removesuffix("/api")
    with urllib.request.urlopen(f"{base}/ui-settings", timeout=10) as r:
        settings = json.loads(r.read())
    assert settings["api_url"] == stack["api_url"] and stack["port"] != 4200
    with urllib.request.urlopen(f"{settings['api_url']}/health", timeout=10) as r:
        assert r.status == 200


def test_ui_pages_load_data_in_a_browser(stack, deployments):
    """Headless Chromium opens the Deployments page on the non-default port and sees both deployments."""
    import shutil
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("no chromium/chromedriver (make browser installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(service=DriverService(shutil.which("chromedriver")), options=options)
    try:
        driver.get(stack["api_url"].removesuffix("/api") + "/deployments")
        deadline, text = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            text = driver.find_element("tag name", "body").text
            if "refresh-daily" in text and "refresh-manual" in text:
                break
            time.sleep(1)
        assert "Can't connect" not in text, text[:500]
        assert "refresh-daily" in text and "refresh-manual" in text, text[:1000]
    finally:
        driver.quit()


def test_deploy_registers_both_deployments(stack, deployments):
    daily, manual = deployments["refresh-daily"], deployments["refresh-manual"]
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in daily.schedules] == [("0 6 * * *", "UTC", True)]
    assert daily.parameters["mode"] == "live" and "trigger" not in daily.parameters
    assert manual.schedules == []
    assert "trigger" not in manual.parameters
    for d in (daily, manual):
        assert d.work_pool_name == "ftf-process"
        assert d.entrypoint == "flows/refresh.py:refresh"
        assert d.pull_steps == [{"prefect.deployments.steps.set_working_directory":
                                 {"directory": "{{ $FTF_PROJECT_DIR }}"}}]
        form = d.parameter_openapi_schema["properties"]
        for name in ("sources", "mode", "url_overrides", "force", "publish"):
            assert form[name].get("description"), f"parameter {name} has no description for the UI form"
        assert form["mode"]["enum"] == ["mirror", "live"]
        assert "icsr_2015_01" in form["sources"]["items"]["enum"]
        assert "trigger" not in form, "who started a run is Prefect's to say, not a field of the form"


@pytest.fixture(scope="module")
def two_runs(stack, client, deployments):
    """refresh-manual run by hand + the scheduler's next refresh-daily run, on one FTF_HOME, at once."""
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterDeploymentId, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.states import Scheduled

    home = stack["root"] / "ftf-home"
    job_variables = {"env": {"FTF_HOME": str(home)}}
    daily = deployments["refresh-daily"]

    # the scheduler service creates refresh-daily's upcoming runs a few seconds after the deploy
    deadline, upcoming = time.monotonic() + 60, []
    while not upcoming and time.monotonic() < deadline:
        upcoming = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[daily.id]),
                                          state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=3)
        if not upcoming:
            time.sleep(1)
    assert upcoming, "the server's scheduler created no run of refresh-daily within 60 s"
    scheduled = upcoming[0]
    assert scheduled.auto_scheduled
    assert scheduled.expected_start_time.astimezone(dt.timezone.utc).strftime("%H:%M") == "06:00"

    manual = client.create_flow_run_from_deployment(
        deployments["refresh-manual"].id, parameters={"mode": "mirror", "sources": ["icsr_2015_01"]},
        job_variables=job_variables)
    # live mode needs the publishers' sites: this machine has no network, so mirror + one source
    client.update_flow_run(scheduled.id, parameters={**scheduled.parameters, "mode": "mirror",
                                                     "sources": ["icsr_2013_12"]}, job_variables=job_variables)
    client.set_flow_run_state(scheduled.id, Scheduled(scheduled_time=dt.datetime.now(dt.timezone.utc)), force=True)

    t = time.monotonic()
    runs = _wait_final(client, stack, [manual.id, scheduled.id])
    stack["timings"]["two runs"] = time.monotonic() - t
    return dict(home=home, manual=runs[manual.id], scheduled=runs[scheduled.id])


def test_both_runs_complete(two_runs, stack):
    for which in ("manual", "scheduled"):
        run = two_runs[which]
        assert run.state.is_completed(), f"{which} run ended {run.state.name}: {run.state.message}\n{stack['worker'].log()}"


def test_manual_run_lineage(two_runs):
    run = two_runs["manual"]
    assert "trigger" not in run.parameters and run.parameters["wait_for_writer_seconds"] == 900
    row = _meta_run(two_runs["home"], run.id)
    assert row["deployment"] == "refresh-manual"
    assert row["trigger"] == "manual"
    expected = {"sources": ["icsr_2015_01"], "mode": "mirror", "url_overrides": {}, "force": False, "publish": True}
    assert {k: row["parameters"].get(k) for k in expected} == expected
    assert row["status"] == "completed" and row["finished_at"] is not None


def test_scheduled_run_lineage(two_runs):
    row = _meta_run(two_runs["home"], two_runs["scheduled"].id)
    assert row["deployment"] == "refresh-daily"
    assert row["trigger"] == "schedule"
    assert row["parameters"]["sources"] == ["icsr_2013_12"] and row["parameters"]["mode"] == "mirror"
    assert row["status"] == "completed" and row["finished_at"] is not None


def test_one_writer_at_a_time(two_runs):
    a, b = sorted((_meta_run(two_runs["home"], two_runs[w].id) for w in ("manual", "scheduled")),
                  key=lambda r: r["started_at"])
    assert b["started_at"] >= a["finished_at"], "two deployment runs wrote the warehouse at the same time"
    for source_id in ("icsr_2015_01", "icsr_2013_12"):
        assert _rows(two_runs["home"] / "ftf.duckdb",
                     "select count(*) from core.figures where source_id = ?", [source_id])[0][0] > 0


def test_data_went_where_job_variables_said(two_runs, stack):
    assert (two_runs["home"] / "published" / "manifest.json").exists()
    assert not (stack["decoy_home"] / "ftf.duckdb").exists()


def test_summary_artifact_on_each_flow_run(two_runs, client):
    for which in ("manual", "scheduled"):
        artifact = _summary_artifact(client, two_runs[which].id)
        assert artifact is not None, f"no refresh-summary artifact on the {which} flow run"
        assert artifact.type == "table"
        table = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
        assert any(row.get("source") in ("icsr_2015_01", "icsr_2013_12") for row in table)


def test_run_that_cannot_get_the_writer_lock_fails_with_the_message_and_records_nothing(two_runs, stack, client,
                                                                                       deployments):
    """This test process holds the warehouse's writer lock (as a long run would); a deployment run
    allowed to wait 2 s ends Failed with the clear message, and meta.runs gains nothing."""
    import os

    from warehouse.db import writer_lock

    home = two_runs["home"]
    runs_before = _rows(home / "ftf.duckdb", "select count(*) from meta.runs")[0][0]
    with writer_lock(home / "ftf.writer.lock"):
        run = client.create_flow_run_from_deployment(
            deployments["refresh-manual"].id, parameters={"sources": ["icsr_2015_01"], "wait_for_writer_seconds": 2},
            job_variables={"env": {"FTF_HOME": str(home)}})
        final = _wait_final(client, stack, [run.id])[run.id]
    assert final.state.is_failed(), f"{final.state.name}: {final.state.message}"
    assert "a run is already writing the warehouse" in final.state.message
    assert f"pid {os.getpid()}" in final.state.message and "waited 2 s" in final.state.message
    assert _rows(home / "ftf.duckdb", "select count(*) from meta.runs")[0][0] == runs_before
    assert _rows(home / "ftf.duckdb", "select count(*) from meta.runs where flow_run_id = ?", [str(run.id)]) == [(0,)]


def test_failed_run_notifies_the_alert_webhook(stack, webhook):
    """deploy/automations.yaml, applied by `make deploy`: the run above ended Failed, so the server's
    automation POSTs to the webhook block configured from FTF_ALERT_WEBHOOK_URL."""
    assert "alerts: applied ftf-refresh-failed, ftf-refresh-daily-stale" in stack["deploy_output"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not webhook.received:
        time.sleep(1)
    assert webhook.received, f"no notification reached the webhook within 90 s\n{stack['server'].log()}"
    stack["timings"]["alert delivered"] = 90 - (deadline - time.monotonic())
    posted = json.loads(webhook.received[0])
    assert "refresh run" in posted["subject"] and "Failed" in posted["subject"], posted
    assert "a run is already writing the warehouse" in posted["body"], posted


def test_worker_stops_on_sigint(stack):
    assert stack["worker"].alive(), stack["worker"].log()
    how = stack["worker"].stop(signal.SIGINT)
    assert how.startswith("SIGINT: exited"), how


def test_ftf_serve_runs_a_deployment_started_by_hand(stack, client, tmp_path):
    """`ftf serve` registers the same two deployments for itself and runs what is triggered. The run
    here is refresh-daily started by hand: meta.runs says 'manual', not 'schedule'."""
    assert not stack["worker"].alive(), "the worker must be gone, so that only `ftf serve` can run the flow run"
    env = dict(stack["env"], PREFECT_RUNNER_POLL_FREQUENCY="2")
    serve = Service("serve", [str(BIN / "ftf"), "serve", "--api-url", stack["api_url"]], env=env,
                    cwd=tmp_path, logs=stack["logs"])
    stack["services"].append(serve)
    t = time.monotonic()
    deadline = time.monotonic() + 90
    while "being served" not in serve.log(200):
        assert serve.alive(), f"ftf serve exited:\n{serve.log()}"
        assert time.monotonic() < deadline, f"ftf serve did not register within 90 s:\n{serve.log()}"
        time.sleep(0.5)
    daily = client.read_deployment_by_name("refresh/refresh-daily")
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in daily.schedules] == [("0 6 * * *", "UTC", True)]
    assert not daily.paused

    home = tmp_path / "served-home"
    run = client.create_flow_run_from_deployment(daily.id, parameters={"mode": "mirror", "sources": ["icsr_2015_01"],
                                                                       "home": str(home)})
    assert "trigger" not in run.parameters  # the run itself asks Prefect who started it
    final = _wait_final(client, {"worker": serve}, [run.id])[run.id]
    assert final.state.is_completed(), f"{final.state.name}: {final.state.message}\n{serve.log()}"
    row = _meta_run(home, run.id)
    assert (row["deployment"], row["trigger"]) == ("refresh-daily", "manual")
    assert _summary_artifact(client, run.id) is not None

    assert serve.stop(signal.SIGINT).startswith("SIGINT: exited")
    assert client.read_deployment_by_name("refresh/refresh-daily").paused, "ftf serve pauses its schedule on exit"
    stack["timings"]["ftf serve"] = time.monotonic() - t


def test_make_deploy_again_takes_the_deployments_back(stack, client):
    """After `ftf serve`, `make deploy` hands both deployments back to the work pool, schedule running."""
    import subprocess
    done = subprocess.run(["make", "--no-print-directory", "deploy"], cwd=PROJECT, env=stack["env"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    daily = client.read_deployment_by_name("refresh/refresh-daily")
    assert not daily.paused and daily.work_pool_name == "ftf-process"
    assert [(s.schedule.cron, s.active) for s in daily.schedules] == [("0 6 * * *", True)]
    assert client.read_deployment_by_name("refresh/refresh-manual").work_pool_name == "ftf-process"
