"""One writer at a time, between real processes.

(a) A run that starts while another run holds the writer lock either exits at once with a clear
    message (`ftf run`, no --wait) having written nothing, or waits (`--wait`, deployments'
    `wait_for_writer_seconds`) and runs after the first one; the first run's data is complete.
(b) `ftf sql` while another process holds a read-write DuckDB connection says a run is writing
    (no raw DuckDB lock error, no traceback), and `ftf sql --published` still answers.

The first run is a real `refresh` in its own process, paused inside the lock at a known point
(just after it took the lock) until the test lets it go, so the overlap is certain, not timed.
All processes talk to the session's Prefect test server, so none starts a server of its own.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import query

BOUND = 120  # seconds: the most any single step below may take before the test fails

PAUSED_RUN = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path

    from flows import pipeline
    from flows.refresh import refresh, run_trigger

    ready, go, home = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    original = pipeline.replay_vintages_if_new

    def paused(*args, **kwargs):  # called by refresh right after it took the writer lock
        ready.write_text("holding the writer lock")
        deadline = time.monotonic() + %d
        while not go.exists():
            if time.monotonic() > deadline:
                raise SystemExit("the test never released the paused run")
            time.sleep(0.05)
        return original(*args, **kwargs)

    pipeline.replay_vintages_if_new = paused
    with run_trigger("test"):
        result = refresh(home=home, sources=["icsr_2015_01"])
    print("RESULT " + json.dumps({"run_id": result["run_id"], "status": result["status"]}))
""" % BOUND)

FTF = [sys.executable, "-c", "import sys; sys.argv[0] = 'ftf'; from flows.cli import app; app()"]


def _env(home: Path, api_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(FTF_HOME=str(home), PREFECT_API_URL=api_url, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PYTHONUNBUFFERED="1", COLUMNS="200")
    return env


class Reader:
    """Collects a process's merged stdout/stderr on a thread, so the test can wait for a line."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.lines, self._q = proc, [], queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self._q.put(line)
        self._q.put(None)

    def wait_for(self, text: str, timeout: float = BOUND) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            try:
                line = self._q.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                return any(text in line for line in self.lines)
            self.lines.append(line)
        return False

    def finish(self, timeout: float = BOUND) -> tuple[int, str]:
        rc = self.proc.wait(timeout=timeout)
        self.wait_for("\0never\0", timeout=5)  # drain
        return rc, "".join(self.lines)


def _start(args: list[str], env: dict, cwd: Path) -> Reader:
    return Reader(subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, text=True))


def _wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = BOUND) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"process exited ({proc.returncode}) before {path.name} appeared"
        assert time.monotonic() < deadline, f"{path.name} did not appear within {timeout} s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def overlap(prefect_harness, tmp_path_factory):
    """First run A holds the lock; B (`ftf run`, no wait) and C (`ftf run --wait`) start meanwhile."""
    from prefect.settings import PREFECT_API_URL

    work = tmp_path_factory.mktemp("concurrency")
    home = work / "data"
    env = _env(home, PREFECT_API_URL.value())
    ready, go = work / "a.ready", work / "a.go"
    project = Path(__file__).resolve().parent.parent
    started = time.monotonic()
    a = _start([sys.executable, "-c", PAUSED_RUN, str(ready), str(go), str(home)], env, project)
    try:
        _wait_for_file(ready, a.proc)
        lock_holder = (home / "ftf.writer.lock").read_text()

        b = _start([*FTF, "run", "--source", "soufan_2015_12"], env, project)
        c = _start([*FTF, "run", "--source", "icsr_2013_12", "--no-publish", "--wait", str(BOUND)], env, project)
        b_rc, b_out = b.finish()
        c_waiting = c.wait_for("waiting up to")
        c_alive_while_a_holds = c.proc.poll() is None
    finally:
        go.write_text("go")  # let A finish in every case
    a_rc, a_out = a.finish()
    c_rc, c_out = c.finish()
    return dict(home=home, env=env, project=project, lock_holder=lock_holder, a_pid=a.proc.pid,
                a_rc=a_rc, a_out=a_out, b_rc=b_rc, b_out=b_out, c_rc=c_rc, c_out=c_out,
                c_waiting=c_waiting, c_alive_while_a_holds=c_alive_while_a_holds,
                seconds=time.monotonic() - started)


def _runs(home: Path) -> list[dict]:
    rows = query(home / "ftf.duckdb", "select run_id, trigger, status, started_at, finished_at, parameters "
                                     "from meta.runs where trigger in ('test', 'cli') order by started_at")
    return [dict(zip(["run_id", "trigger", "status", "started_at", "finished_at", "parameters"], r)) for r in rows]


def test_second_run_without_wait_exits_with_clear_message_and_writes_nothing(overlap):
    assert overlap["b_rc"] == 2, overlap["b_out"]
    out = " ".join(overlap["b_out"].split())  # rich wraps long lines
    assert "a run is already writing the warehouse" in out
    assert f"pid {overlap['a_pid']}" in out, "the message names the process that holds the lock"
    assert "Traceback" not in overlap["b_out"]
    home = overlap["home"]
    assert query(home / "ftf.duckdb", "select count(*) from meta.fetches where source_id = 'soufan_2015_12'") == [(0,)]
    assert query(home / "ftf.duckdb", "select count(*) from core.figures where source_id = 'soufan_2015_12'") == [(0,)]
    assert all("soufan_2015_12" not in json.dumps(r["parameters"]) for r in _runs(home))


def test_second_run_with_wait_waits_then_runs_after_the_first(overlap):
    assert overlap["c_waiting"], overlap["c_out"]
    assert overlap["c_alive_while_a_holds"], "the waiting run must not finish while the first run holds the lock"
    assert overlap["a_rc"] == 0, overlap["a_out"]
    assert overlap["c_rc"] == 0, overlap["c_out"]
    first, second = _runs(overlap["home"])
    assert (first["trigger"], second["trigger"]) == ("test", "cli")
    assert first["status"] == second["status"] == "completed"
    assert first["finished_at"] is not None and second["finished_at"] is not None
    assert second["started_at"] >= first["finished_at"], "the runs overlapped in the warehouse"


def test_nothing_is_lost(overlap):
    home = overlap["home"] / "ftf.duckdb"
    a_result = json.loads(next(l for l in overlap["a_out"].splitlines() if l.startswith("RESULT "))[7:])
    assert a_result["status"] == "completed"
    for source_id, run_index in (("icsr_2015_01", 0), ("icsr_2013_12", 1)):
        run_id = _runs(overlap["home"])[run_index]["run_id"]
        loaded = query(home, "select count(*) from history.figures where source_id = ? and opened_by_run = ?",
                       [source_id, run_id])[0][0]
        current = query(home, "select count(*) from core.figures where source_id = ?", [source_id])[0][0]
        assert loaded > 0 and current == loaded, (source_id, loaded, current)
    assert query(home, "select run_id from meta.fetches where source_id = 'icsr_2015_01'") == [(a_result["run_id"],)]
    manifest = json.loads((overlap["home"] / "published" / "manifest.json").read_text())
    assert manifest["run_id"] == a_result["run_id"], "the bundle is the first run's (the second ran --no-publish)"


@pytest.fixture()
def held_connection(overlap):
    """Another process holding a read-write DuckDB connection on the warehouse (as a run does)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); sys.stdin.read(); con.close()",
         str(overlap["home"] / "ftf.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "open"
    yield holder
    holder.stdin.close()
    holder.wait(timeout=30)


def _ftf(overlap, *args) -> subprocess.CompletedProcess:
    return subprocess.run([*FTF, *args], env=overlap["env"], cwd=overlap["project"], capture_output=True,
                          text=True, timeout=BOUND)


def test_sql_while_another_process_writes_says_so_and_published_still_answers(overlap, held_connection):
    busy = _ftf(overlap, "sql", "select count(*) from core.figures")
    said = " ".join((busy.stdout + busy.stderr).split())
    assert busy.returncode == 3, said
    assert "a run is writing the warehouse" in said and "--published" in said
    for raw in ("Traceback", "Could not set lock", "Conflicting lock", "IOException"):
        assert raw not in said, said
    published = _ftf(overlap, "sql", "--published", "--format", "csv",
                     "select count(*) as n from marts.fighters_per_million")
    assert published.returncode == 0, published.stderr
    assert int(published.stdout.splitlines()[1]) > 0


def test_sql_answers_again_once_the_writer_is_gone(overlap):
    done = _ftf(overlap, "sql", "--format", "csv", "select count(*) as n from meta.runs")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.splitlines()[1]) >= 2
