"""Prefect's temporary server started early (flows/prefect_server.py): `ftf run` and the Prefect floor
start it before importing Prefect, and stop it when they exit."""
from __future__ import annotations

import subprocess
import sys

from tests.test_cli_imports import ROOT

PROBE = """
import json, os, sys, urllib.request
from flows.prefect_server import start_early
server = start_early()
assert "prefect" not in sys.modules          # started without importing Prefect
from flows import pipeline                   # while it starts, `ftf run` imports what the run will use
from flows.catalog import load_catalog
catalog = load_catalog()
pipeline.import_what_a_run_uses(catalog)
imported = set(sys.modules)                  # before anything below imports more
extractors = {s.extractor_module().__name__ for s in catalog.values() if s.kind != "events"}
imported_early = extractors <= imported and "pandera.backends.pandas.container" in imported
server.wait_until_healthy(120)
with urllib.request.urlopen(os.environ["PREFECT_API_URL"] + "/health") as response:
    healthy = response.status
from prefect import flow
from prefect.settings import get_current_settings

@flow
def heartbeat_seconds():
    return get_current_settings().flows.heartbeat_frequency

with server.run_settings():
    on_this_server = heartbeat_seconds()
default = heartbeat_seconds()
process = server.process
server.stop()
print(json.dumps({"url": os.environ["PREFECT_API_URL"], "healthy": healthy, "exit": process.poll(),
                  "imported_early": imported_early, "heartbeats": [on_this_server, default]}))
"""


def test_the_server_starts_before_prefect_is_imported_and_stops(tmp_path):
    import json
    import os

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["url"].startswith("http://127.0.0.1:") and seen["url"].endswith("/api")
    assert seen["healthy"] == 200 and seen["exit"] is not None   # stopped: the process has exited
    assert seen["imported_early"]
    # a flow run on the temporary server sends no heartbeats (Prefect's default: every 180 s)
    assert seen["heartbeats"] == [None, 180]


def test_no_server_is_started_when_there_is_an_api_or_prefect_is_already_imported(monkeypatch):
    from flows import prefect_server

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert prefect_server.start_early() is None
    monkeypatch.delenv("PREFECT_API_URL")
    monkeypatch.setitem(sys.modules, "prefect.context", sys.modules.get("prefect.context") or object())
    assert prefect_server.start_early() is None


KILLED = """
import os, signal
from flows.prefect_server import start_early
server = start_early()
print(server.process.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)     # as `kill -9` of a running `ftf run`: no atexit handler runs
"""


def test_a_killed_command_does_not_leave_its_server_running(tmp_path):
    import os
    import time

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, "-c", KILLED], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert done.returncode == -9
    server_pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 60
    while _running(server_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    outlived = _running(server_pid)
    if outlived:
        os.kill(server_pid, 9)   # leave nothing behind, even when the test fails
    assert not outlived, "the server outlived the command that started it"


def _running(pid: int) -> bool:
    """Whether pid is a live process (not gone, not a zombie waiting for its new parent to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
