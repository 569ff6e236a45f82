"""Two workers (two machines) race to load; the server-side writer limit lets one write at a time.

Each worker has its own working folder and its own data folder, so the file lock cannot serialise
them: only the Prefect global concurrency limit on the PostgreSQL-backed server can.
"""
from __future__ import annotations

import json
import re
import time
import urllib.request

import duckdb

from tests.e2e_multi.conftest import WRITER_LIMIT, prefect

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def api(api_url: str, path: str, body: dict | None = None) -> dict | list:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{api_url}{path}", data=data, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_terminal(api_url: str, run_ids: list[str], timeout: float = 900) -> dict[str, dict]:
    deadline = time.monotonic() + timeout
    while True:
        runs = {rid: api(api_url, f"/flow_runs/{rid}") for rid in run_ids}
        if all(r["state_type"] in TERMINAL for r in runs.values()) or time.monotonic() > deadline:
            return runs
        time.sleep(3)


def writer_interval(home) -> tuple:
    """(flow run id, first write began, last write ended, status) of a machine's warehouse: its
    refresh run and the vintage replays it made first, all while holding the writer slot."""
    con = duckdb.connect(str(home / "ftf.duckdb"), read_only=True)
    try:
        return con.execute("""select max(flow_run_id), min(started_at), max(finished_at),
                                     max(status) filter (where flow_run_id is not null)
                              from meta.runs""").fetchall()[0]
    finally:
        con.close()


def test_two_workers_one_writer_at_a_time(cluster):
    env, api_url = cluster["env"], cluster["api_url"]
    started = {}
    for queue in ("a", "b"):
        out = prefect(["deployment", "run", f"refresh/multi-{queue}"], env).stdout
        started[queue] = re.search(r"UUID:\s*([0-9a-f-]{36})", out).group(1)
    runs = wait_terminal(api_url, list(started.values()))
    for service in cluster["services"]:
        assert service.alive(), f"{service.name} died:\n{service.log()}"
    states = {q: runs[rid]["state_type"] for q, rid in started.items()}
    assert states == {"a": "COMPLETED", "b": "COMPLETED"}, (states, [s.log(40) for s in cluster["services"][1:]])

    # both runs visible through the API, each ran on its own machine (worker) and wrote its own warehouse
    listed = api(api_url, "/flow_runs/filter", {"flow_runs": {"id": {"any_": list(started.values())}}})
    assert {r["id"] for r in listed} == set(started.values())
    intervals = {q: writer_interval(cluster["homes"][q]) for q in ("a", "b")}
    for queue, (flow_run_id, begun, finished, status) in intervals.items():
        assert flow_run_id == started[queue] and status == "completed" and finished is not None

    # one writer at a time: the writing windows do not overlap (the later one began after the earlier ended)
    first, second = sorted(intervals.values(), key=lambda r: r[1])
    assert second[1] >= first[2], f"two writers at once: {first[1]}–{first[2]} and {second[1]}–{second[2]}"

    # and the limit is what held the second one back: its run waited for the slot
    logs = api(api_url, "/logs/filter", {"logs": {"flow_run_id": {"any_": list(started.values())}}, "limit": 200})
    held = [float(m.group(1)) for entry in logs
            if (m := re.search(r"Cross-machine writer slot held after ([\d.]+) s", entry["message"]))]
    assert len(held) == 2, [entry["message"] for entry in logs][:40]
    print(f"[e2e-multi] writing windows: {first[1]} – {first[2]} and {second[1]} – {second[2]}; "
          f"slot waits {sorted(held)} s")
    assert max(held) > 1.0, f"no run waited for the writer slot: {held}"
    limit = api(api_url, f"/v2/concurrency_limits/{WRITER_LIMIT}")
    assert limit["limit"] == 1 and limit["active_slots"] == 0
